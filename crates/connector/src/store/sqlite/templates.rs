//! Templates as the Cloud API lists them, per line. A listed template the domain cannot use
//! (an unknown status, malformed variables) is kept as listed but never offered.

use multiline_domain::ids::OrganizationId;
use multiline_domain::templates::{
    ListedComponent, ParameterFormat, Template, TemplateCategory, TemplateStatus,
};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteTx, micros};
use crate::store::{ListedTemplate, Result, TemplateTx};

const TEMPLATE_COLUMNS: &str =
    "t.name, t.language, t.status, t.category, t.parameter_format, t.components";

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The domain's template from a stored row; `None` for one the domain cannot use.
fn template_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Template>> {
    let (name, language, status, category, format, components): (
        String,
        String,
        String,
        String,
        String,
        String,
    ) = (
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    );
    let Ok(components) = serde_json::from_str::<Vec<ListedComponent>>(&components) else {
        return Ok(None);
    };
    let (Some(status), Some(category)) = (
        parse::<TemplateStatus>(&status),
        parse::<TemplateCategory>(&category),
    ) else {
        return Ok(None);
    };
    let template = Template::from_components(
        &name,
        &language,
        status,
        category,
        parse::<ParameterFormat>(&format).unwrap_or_default(),
        components,
    );
    match template {
        Ok(t) => Ok(Some(t)),
        Err(error) => {
            tracing::warn!(%name, %language, %error, "template not usable");
            Ok(None)
        }
    }
}

impl SqliteTx<'_> {
    /// A line's stored templates, comparable before and after a sync.
    fn listing(&self, line: Uuid) -> Result<Vec<(String, String, String, String)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT name, language, status, components FROM templates WHERE line_id = ?1
             ORDER BY name, language",
        )?;
        let rows = stmt.query_map([line.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl TemplateTx for SqliteTx<'_> {
    fn replace_templates(
        &mut self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<bool> {
        let before = self.listing(line)?;
        self.exec(
            "DELETE FROM templates WHERE line_id = ?1",
            [line.to_string()],
        )?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO templates (line_id, name, language, status, category, parameter_format,
                 components, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (line_id, name, language) DO UPDATE SET status = excluded.status,
                 category = excluded.category, parameter_format = excluded.parameter_format,
                 components = excluded.components, synced_at = excluded.synced_at",
        )?;
        for t in listed {
            stmt.execute(params![
                line.to_string(),
                t.name,
                t.language,
                t.status,
                t.category,
                t.parameter_format.as_deref().unwrap_or("POSITIONAL"),
                t.components.to_string(),
                micros(now)
            ])?;
        }
        drop(stmt);
        Ok(self.listing(line)? != before)
    }

    fn template(
        &mut self,
        org: OrganizationId,
        name: &str,
        language: &str,
    ) -> Result<Option<Template>> {
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates t JOIN lines l ON l.id = t.line_id
             WHERE l.org_id = ?1 AND t.name = ?2 AND t.language = ?3 LIMIT 1"
        );
        Ok(self
            .row(&sql, params![org.to_string(), name, language], template_row)
            .optional()?
            .flatten())
    }

    fn templates_in(
        &mut self,
        org: OrganizationId,
        statuses: &[TemplateStatus],
    ) -> Result<Vec<Template>> {
        // The statuses as Meta writes them, from the domain's own names.
        let wanted: Vec<String> = statuses
            .iter()
            .filter_map(|s| serde_json::to_value(s).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates t JOIN lines l ON l.id = t.line_id
             WHERE l.org_id = ?1 AND t.status IN (SELECT value FROM json_each(?2))
             ORDER BY t.name, t.language"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let wanted = serde_json::to_string(&wanted).unwrap_or_default();
        let rows = stmt.query_map(params![org.to_string(), wanted], template_row)?;
        Ok(rows
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect())
    }
}
