//! Templates as the Cloud API lists them, per line. A listed template the domain cannot use
//! (an unknown status, malformed variables) is kept as listed but never offered.

use multiline_domain::ids::OrganizationId;
use multiline_domain::templates::{
    ListedComponent, ParameterFormat, Template, TemplateCategory, TemplateStatus,
};
use multiline_domain::time::Timestamp;
use postgres::Row;
use uuid::Uuid;

use super::{PgTx, col, micros};
use crate::store::{ListedTemplate, Result, TemplateTx};

const TEMPLATE_COLUMNS: &str =
    "t.name, t.language, t.status, t.category, t.parameter_format, t.components";

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// The domain's template from a stored row; `None` for one the domain cannot use.
fn template_row(row: &Row) -> Result<Option<Template>> {
    let name: &str = col(row, 0)?;
    let language: &str = col(row, 1)?;
    let status: &str = col(row, 2)?;
    let category: &str = col(row, 3)?;
    let format: &str = col(row, 4)?;
    let components: &str = col(row, 5)?;
    let Ok(components) = serde_json::from_str::<Vec<ListedComponent>>(components) else {
        return Ok(None);
    };
    let (Some(status), Some(category)) = (
        parse::<TemplateStatus>(status),
        parse::<TemplateCategory>(category),
    ) else {
        return Ok(None);
    };
    let template = Template::from_components(
        name,
        language,
        status,
        category,
        parse::<ParameterFormat>(format).unwrap_or_default(),
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

/// A stored template as a sync compares it: name, language, status, components.
type Listed = (String, String, String, String);

fn listed_row(row: &Row) -> Result<Listed> {
    Ok((col(row, 0)?, col(row, 1)?, col(row, 2)?, col(row, 3)?))
}

impl PgTx<'_> {
    /// A line's stored templates, comparable before and after a sync.
    fn listing(&mut self, line: Uuid) -> Result<Vec<Listed>> {
        self.all(
            "SELECT name, language, status, components FROM templates WHERE line_id = $1
             ORDER BY name COLLATE \"C\", language COLLATE \"C\"",
            &[&line.to_string()],
        )?
        .iter()
        .map(listed_row)
        .collect()
    }
}

impl TemplateTx for PgTx<'_> {
    fn replace_templates(
        &mut self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<bool> {
        let before = self.listing(line)?;
        let line_id = line.to_string();
        self.exec("DELETE FROM templates WHERE line_id = $1", &[&line_id])?;
        for t in listed {
            self.exec(
                "INSERT INTO templates (line_id, name, language, status, category, parameter_format,
                     components, synced_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (line_id, name, language) DO UPDATE SET status = excluded.status,
                     category = excluded.category, parameter_format = excluded.parameter_format,
                     components = excluded.components, synced_at = excluded.synced_at",
                &[
                    &line_id,
                    &t.name,
                    &t.language,
                    &t.status,
                    &t.category,
                    &t.parameter_format.as_deref().unwrap_or("POSITIONAL"),
                    &t.components.to_string(),
                    &micros(now),
                ],
            )?;
        }
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
             WHERE l.org_id = $1 AND t.name = $2 AND t.language = $3 LIMIT 1"
        );
        Ok(self
            .opt(&sql, &[&org.to_string(), &name, &language])?
            .map(|r| template_row(&r))
            .transpose()?
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
        // COLLATE "C": byte order, as SQLite sorts text, whatever the database's collation.
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates t JOIN lines l ON l.id = t.line_id
             WHERE l.org_id = $1 AND t.status = ANY($2)
             ORDER BY t.name COLLATE \"C\", t.language COLLATE \"C\""
        );
        let rows = self.all(&sql, &[&org.to_string(), &wanted])?;
        let templates = rows.iter().map(template_row).collect::<Result<Vec<_>>>()?;
        Ok(templates.into_iter().flatten().collect())
    }
}
