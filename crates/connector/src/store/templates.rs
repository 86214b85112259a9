//! Templates as synced from the Cloud API, per line. Only APPROVED ones are offered and sent.

use multiline_domain::api::Event;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::templates::{
    ListedComponent, ParameterFormat, Template, TemplateCategory, TemplateStatus,
};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Deserialize;
use uuid::Uuid;

use super::{Result, SqliteStore, StoreError, TemplateStore, events, micros, uuid_col};

/// A template as `GET /{waba-id}/message_templates` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListedTemplate {
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: String,
    #[serde(default)]
    pub parameter_format: Option<String>,
    #[serde(default)]
    pub components: serde_json::Value,
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The domain's template from a stored row; `None` for one the domain cannot use (unknown
/// status, malformed variables), which is then not offered.
fn to_template(
    name: String,
    language: String,
    status: String,
    category: String,
    format: String,
    components: String,
) -> Option<Template> {
    let components: Vec<ListedComponent> = serde_json::from_str(&components).ok()?;
    let template = Template::from_components(
        &name,
        &language,
        parse::<TemplateStatus>(&status)?,
        parse::<TemplateCategory>(&category)?,
        parse::<ParameterFormat>(&format).unwrap_or_default(),
        components,
    );
    match template {
        Ok(t) => Some(t),
        Err(error) => {
            tracing::warn!(%name, %language, %error, "template not usable");
            None
        }
    }
}

/// A template from a row of (name, language, status, category, parameter_format,
/// components); `None` when the domain cannot use it.
fn template_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Template>> {
    Ok(to_template(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

pub(crate) fn org_users(tx: &Transaction<'_>, org: OrganizationId) -> Result<Vec<UserId>> {
    let mut stmt = tx.prepare_cached("SELECT id FROM users WHERE org_id = ?1")?;
    let rows = stmt.query_map([org.to_string()], |r| Ok(UserId(uuid_col(r.get(0)?)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The template `name`/`language` of the organization's line, whatever its status.
pub(crate) fn template_in(
    tx: &Transaction<'_>,
    org: OrganizationId,
    name: &str,
    language: &str,
) -> Result<Option<Template>> {
    let mut stmt = tx.prepare_cached(
        "SELECT t.name, t.language, t.status, t.category, t.parameter_format, t.components
         FROM templates t JOIN lines l ON l.id = t.line_id
         WHERE l.org_id = ?1 AND t.name = ?2 AND t.language = ?3 LIMIT 1",
    )?;
    Ok(stmt
        .query_row(params![org.to_string(), name, language], template_row)
        .optional()?
        .flatten())
}

/// The organization's opt-in template (name, language).
pub(crate) fn opt_in_of(tx: &Transaction<'_>, org: OrganizationId) -> Result<(String, String)> {
    Ok(tx.query_row(
        "SELECT opt_in_template, opt_in_language FROM organizations WHERE id = ?1",
        [org.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A line's stored templates, comparable before and after a sync.
fn listing(tx: &Transaction<'_>, line: Uuid) -> Result<Vec<(String, String, String, String)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT name, language, status, components FROM templates WHERE line_id = ?1 ORDER BY name, language",
    )?;
    let rows = stmt.query_map([line.to_string()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl TemplateStore for SqliteStore {
    /// Replaces a line's templates with a fresh listing. Tells every user of the
    /// organization when anything changed.
    fn replace_templates(
        &self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let before = listing(tx, line)?;
            tx.execute("DELETE FROM templates WHERE line_id = ?1", [line.to_string()])?;
            for t in listed {
                tx.execute(
                    "INSERT INTO templates (line_id, name, language, status, category, parameter_format, components, synced_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (line_id, name, language) DO UPDATE SET status = excluded.status,
                         category = excluded.category, parameter_format = excluded.parameter_format,
                         components = excluded.components, synced_at = excluded.synced_at",
                    params![
                        line.to_string(), t.name, t.language, t.status, t.category,
                        t.parameter_format.clone().unwrap_or_else(|| "POSITIONAL".into()),
                        t.components.to_string(), micros(now)
                    ],
                )?;
            }
            let after = listing(tx, line)?;
            if before == after {
                return Ok(Vec::new());
            }
            let org: String = tx.query_row("SELECT org_id FROM lines WHERE id = ?1", [line.to_string()], |r| r.get(0))?;
            let org = OrganizationId(Uuid::parse_str(&org).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            super::audit(tx, org, now, "connector", "templates.synced", None, serde_json::json!({ "count": listed.len() }))?;
            let users = org_users(tx, org)?;
            for &user in &users {
                events::push(tx, user, &Event::TemplatesChanged, now)?;
            }
            Ok(users)
        })
    }

    /// The organization's approved templates, by name.
    fn approved_templates(&self, org: OrganizationId) -> Result<Vec<Template>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT t.name, t.language, t.status, t.category, t.parameter_format, t.components
             FROM templates t JOIN lines l ON l.id = t.line_id
             WHERE l.org_id = ?1 AND t.status = 'APPROVED' ORDER BY t.name, t.language",
        )?;
        let rows = stmt.query_map([org.to_string()], template_row)?;
        Ok(rows
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect())
    }
}
