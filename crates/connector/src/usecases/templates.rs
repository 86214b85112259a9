//! Templates as the Cloud API lists them (F15): the connector's copy follows the listing;
//! only approved ones are offered and sent. Apps are told when the copy changed.

use multiline_domain::api::Event;
use multiline_domain::ids::OrganizationId;
use multiline_domain::templates::{Template, TemplateStatus};
use uuid::Uuid;

use super::{Env, Told, announce_to_org, audit};
use crate::error::Result;
use crate::store::{ListedTemplate, StoreExt};

/// Replaces a line's templates with a fresh listing; audited and announced to every user of
/// the organization when anything changed.
pub fn replace(env: &Env<'_>, line: Uuid, listed: &[ListedTemplate]) -> Result<Told> {
    env.store.write(|tx| {
        if !tx.replace_templates(line, listed, env.now)? {
            return Ok(Vec::new());
        }
        let org = tx.line(line)?.org_id;
        audit(
            tx,
            org,
            env.now,
            "connector",
            "templates.synced",
            None,
            serde_json::json!({ "count": listed.len() }),
        )?;
        announce_to_org(tx, org, &Event::TemplatesChanged, env.now)
    })
}

/// The organization's approved templates, by name: the only ones offered and sent.
pub fn approved(env: &Env<'_>, org: OrganizationId) -> Result<Vec<Template>> {
    env.store.read(|tx| tx.approved_templates(org))
}

/// What the template picker lists: the approved templates and the paused ones (shown as
/// paused, not offered: Meta pauses a template for low quality and lifts it later), by
/// name; never the opt-in request, which is sent from its own flow (F4).
pub fn listed(env: &Env<'_>, org: OrganizationId) -> Result<Vec<Template>> {
    env.store.read(|tx| {
        let opt_in = tx.organization(org)?.opt_in_template;
        Ok(tx
            .templates_in(org, &[TemplateStatus::Approved, TemplateStatus::Paused])?
            .into_iter()
            .filter(|t| (t.name.as_str(), t.language.as_str()) != (&opt_in.0, &opt_in.1))
            .collect())
    })
}
