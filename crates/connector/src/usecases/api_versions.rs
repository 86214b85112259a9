//! Each line's Graph API version (`/v25.0/...` in its requests), against Meta's schedule
//! (`multiline_domain::graph_version`). An admin sets it (`multiline-connector line
//! set-api-version`); a version that has ended, or that is not written as Meta writes
//! versions, is refused. [`watch`], run at start and every few hours by the connector, tells
//! the line's owner 90, 30, 7 and 1 days before the version's end and once it has ended:
//! each stage once, in the app (a line problem), in the audit and in the log.

use multiline_domain::api::Event;
use multiline_domain::errors::ErrorCode;
use multiline_domain::graph_version::{self, Standing};
use multiline_domain::ids::OrganizationId;

use super::{Env, Told, audit};
use crate::error::{Error, Result};
use crate::store::{Line, StoreExt};

/// Whether a line may be set to `version` on `today`: refused when it is not Meta's form
/// (`v25.0`) or Meta no longer answers it. For `set` and for connecting a line.
pub fn settable(version: &str, today: chrono::NaiveDate) -> Result<()> {
    match graph_version::standing(version, today) {
        Err(e) => Err(Error::invalid(ErrorCode::InvalidRequest, e.to_string())),
        Ok(Standing::Ended { .. }) => Err(Error::invalid(
            ErrorCode::InvalidRequest,
            format!(
                "Meta no longer answers the Graph API {version}: choose a current version, \
                 e.g. {}",
                graph_version::DEFAULT
            ),
        )),
        Ok(_) => Ok(()),
    }
}

/// Sets the organization's line to `version`; refused (nothing written) when the version is
/// not [`settable`]. Audited with what it was.
pub fn set(env: &Env<'_>, org: OrganizationId, version: &str) -> Result<Line> {
    settable(version, env.now.date_naive())?;
    env.store.write(|tx| {
        let line = tx.line_of_org(org)?;
        tx.set_line_api_version(line.id, version)?;
        // A line paused for its ended version (2635) sends again on a current one.
        if line.blocked_told.as_deref() == Some("2635") {
            tx.set_line_blocked_told(line.id, None)?;
        }
        audit(
            tx,
            org,
            env.now,
            "admin",
            "line.api_version",
            None,
            serde_json::json!({ "line": line.id, "from": line.api_version, "to": version }),
        )?;
        tx.line(line.id)
    })
}

/// Tells the owner of every line whose version is near its end (or past it) what to do,
/// once per stage (see `graph_version::warning`): what was told is read and written in one
/// transaction, so two watches at once tell once. Answers who was told.
pub fn watch(env: &Env<'_>) -> Result<Told> {
    let today = env.now.date_naive();
    let orgs = env.store.read(|tx| tx.organizations())?;
    let mut told = Told::new();
    for org in orgs {
        let warned = env.store.write(|tx| {
            let line = match tx.line_of_org(org.id) {
                Ok(line) => line,
                Err(Error::NotFound) => return Ok(None),
                Err(e) => return Err(e),
            };
            let number = line.number_for_people();
            let Some(warning) =
                graph_version::warning(&line.api_version, &number, &org.id.to_string(), today)
            else {
                return Ok(None);
            };
            let stage = format!("{}:{}", line.api_version, warning.stage);
            if line.api_version_warned.as_deref() == Some(stage.as_str()) {
                return Ok(None);
            }
            tx.set_line_version_warned(line.id, &stage)?;
            audit(
                tx,
                org.id,
                env.now,
                "connector",
                "line.api_version_ending",
                None,
                serde_json::json!({ "line": line.id, "version": line.api_version,
                    "stage_days": warning.stage, "text": warning.text }),
            )?;
            tx.push_event(
                line.owner_user_id,
                &Event::LineProblem {
                    text: warning.text.clone(),
                },
                env.now,
            )?;
            Ok(Some((line, warning.text)))
        })?;
        if let Some((line, text)) = warned {
            tracing::warn!(line = %line.id, version = %line.api_version, "{text}");
            told.push(line.owner_user_id);
        }
    }
    Ok(told)
}
