//! Message templates in the Cloud API's format (PRODUCT.md F15, whatsapp-cloud-api.md):
//! components (header, body, footer, buttons) with positional `{{1}}` or named
//! `{{first_name}}` variables. Parses a template, lists the variables to fill, renders a
//! preview, validates filled values the way the Cloud API does, and builds the `components`
//! of a send request. The fixed text is never editable: a template is sent by name and
//! parameters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Cloud API's limit on a template body after filling its variables (error 132005).
pub const MAX_BODY_CHARS: usize = 1024;
/// The Cloud API's limit on a text header after filling its variable.
pub const MAX_HEADER_CHARS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum ParameterFormat {
    #[default]
    Positional,
    Named,
}

/// A template's variable: `{{1}}` or `{{first_name}}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
#[ts(export)]
pub enum Variable {
    Positional(u32),
    Named(String),
}

impl Variable {
    /// The key of its value in [`TemplateValues`]: "1" or "first_name".
    pub fn key(&self) -> String {
        match self {
            Variable::Positional(n) => n.to_string(),
            Variable::Named(name) => name.clone(),
        }
    }
}

/// Where a variable sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Part {
    Header,
    Body,
}

/// One value to fill: its part and variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Slot {
    pub part: Part,
    pub variable: Variable,
}

/// Filled values, by part and variable key ("1", "first_name").
pub type TemplateValues = BTreeMap<(Part, String), String>;

/// A button of the BUTTONS component (quick replies are what the opt-in uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Button {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
}

/// A template as listed by `GET /{waba-id}/message_templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Template {
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    /// A text header, if any (media headers are not supported yet).
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
}

/// Why a template (as listed by the Cloud API) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template has no BODY component")]
    NoBody,
    #[error(
        "\"{{{{{0}}}}}\" is not a valid variable: use {{{{1}}}}, {{{{2}}}}... or lowercase names like {{{{first_name}}}}"
    )]
    BadVariable(String),
    #[error("an unclosed \"{{{{\" in the template text")]
    Unclosed,
    #[error("positional variables must run 1, 2, 3... without gaps; {{{{{0}}}}} is out of place")]
    Gap(u32),
    #[error("the template mixes positional and named variables")]
    Mixed,
    #[error("the template has a component of unknown type {0}")]
    Component(String),
    #[error(
        "the opt-in template may only use the guest's first name ({{{{1}}}}) and the business name ({{{{2}}}}), not {{{{{0}}}}}"
    )]
    OptInVariable(String),
}

/// Why filled values would be refused by the Cloud API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[serde(tag = "code", rename_all = "snake_case")]
#[ts(export)]
pub enum ValueError {
    #[error("Fill in {{{{{key}}}}}.")]
    Missing { part: Part, key: String },
    #[error("{{{{{key}}}}} is not a variable of this template.")]
    Unexpected { part: Part, key: String },
    #[error("{{{{{key}}}}} cannot contain new lines or tabs.")]
    LineBreak { part: Part, key: String },
    #[error("{{{{{key}}}}} cannot contain more than four spaces in a row.")]
    TooManySpaces { part: Part, key: String },
    #[error("The message would be {len} characters long; the limit is {max}.")]
    TooLong { part: Part, len: usize, max: usize },
}

/// Problems with filled values as one sentence per problem, for an error message.
pub fn describe(errors: &[ValueError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The variables in `text`, in order of first appearance, each once.
pub fn variables_in(text: &str) -> Result<Vec<Variable>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let inner = &after[..end];
        let variable = if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            match inner.parse::<u32>() {
                Ok(n) if n > 0 => Variable::Positional(n),
                _ => return Err(TemplateError::BadVariable(inner.to_owned())),
            }
        } else if inner.starts_with(|c: char| c.is_ascii_lowercase())
            && inner
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Variable::Named(inner.to_owned())
        } else {
            return Err(TemplateError::BadVariable(inner.to_owned()));
        };
        if !out.contains(&variable) {
            out.push(variable);
        }
        rest = &after[end + 2..];
    }
    Ok(out)
}

fn check_sequence(vars: &[Variable]) -> Result<(), TemplateError> {
    let positional: Vec<u32> = vars
        .iter()
        .filter_map(|v| {
            if let Variable::Positional(n) = v {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    if !positional.is_empty() && positional.len() != vars.len() {
        return Err(TemplateError::Mixed);
    }
    let mut sorted = positional;
    sorted.sort_unstable();
    for (i, n) in sorted.iter().enumerate() {
        if *n != i as u32 + 1 {
            return Err(TemplateError::Gap(*n));
        }
    }
    Ok(())
}

/// A component as the Cloud API lists it (`{"type": "BODY", "text": ...}`); unknown fields
/// (`example`, ...) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListedComponent {
    #[serde(rename = "type")]
    pub kind: String,
    pub format: Option<String>,
    pub text: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
}

/// Fills the opt-in request template: `{{1}}` (or `{{first_name}}`) with the guest's first
/// name, `{{2}}` (or `{{business_name}}`) with the organization's name.
pub fn opt_in_values(
    template: &Template,
    first_name: &str,
    organization: &str,
) -> Result<TemplateValues, TemplateError> {
    template
        .slots()
        .into_iter()
        .map(|slot| {
            let value = match &slot.variable {
                Variable::Positional(1) => first_name,
                Variable::Positional(2) => organization,
                Variable::Named(n) if n == "first_name" || n == "name" => first_name,
                Variable::Named(n)
                    if ["business_name", "business", "organization", "company"]
                        .contains(&n.as_str()) =>
                {
                    organization
                }
                other => return Err(TemplateError::OptInVariable(other.key())),
            };
            Ok(((slot.part, slot.variable.key()), value.to_owned()))
        })
        .collect()
}

/// One component of a send request's `template.components`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendComponent {
    /// "header" or "body"
    #[serde(rename = "type")]
    pub kind: String,
    pub parameters: Vec<SendParameter>,
}

/// `{"type": "text", "text": "Ana"}`, with `parameter_name` for named variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendParameter {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub parameter_name: Option<String>,
}

impl Template {
    /// Builds a template from a listing entry's components (Meta's `{"type": "BODY", ...}`
    /// objects), checking its variables. Media headers are ignored: only text is supported.
    pub fn from_components(
        name: &str,
        language: &str,
        status: TemplateStatus,
        category: TemplateCategory,
        parameter_format: ParameterFormat,
        components: Vec<ListedComponent>,
    ) -> Result<Template, TemplateError> {
        let mut header = None;
        let mut body = None;
        let mut footer = None;
        let mut buttons = Vec::new();
        for c in components {
            match c.kind.to_ascii_uppercase().as_str() {
                "HEADER"
                    if c.format
                        .as_deref()
                        .is_none_or(|f| f.eq_ignore_ascii_case("TEXT")) =>
                {
                    header = c.text;
                }
                "HEADER" => {}
                "BODY" => body = c.text,
                "FOOTER" => footer = c.text,
                "BUTTONS" => buttons = c.buttons,
                other => return Err(TemplateError::Component(other.into())),
            }
        }
        let template = Template {
            name: name.to_owned(),
            language: language.to_owned(),
            status,
            category,
            parameter_format,
            header,
            body: body.ok_or(TemplateError::NoBody)?,
            footer,
            buttons,
        };
        template.check()?;
        Ok(template)
    }

    /// Checks the variables: well-formed, not mixed, positional ones numbered 1..n per part.
    pub fn check(&self) -> Result<(), TemplateError> {
        if let Some(header) = &self.header {
            check_sequence(&variables_in(header)?)?;
        }
        check_sequence(&variables_in(&self.body)?)?;
        for fixed in self.footer.iter() {
            if !variables_in(fixed)?.is_empty() {
                return Err(TemplateError::BadVariable("footer".into()));
            }
        }
        Ok(())
    }

    /// The values to fill, header first, each part's variables in order (positional by
    /// number, named by first appearance).
    pub fn slots(&self) -> Vec<Slot> {
        let mut out = Vec::new();
        for (part, text) in [
            (Part::Header, self.header.as_deref()),
            (Part::Body, Some(self.body.as_str())),
        ] {
            let Some(text) = text else { continue };
            let mut vars = variables_in(text).unwrap_or_default();
            vars.sort_by(|a, b| match (a, b) {
                (Variable::Positional(x), Variable::Positional(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
            out.extend(vars.into_iter().map(|variable| Slot { part, variable }));
        }
        out
    }

    /// The text with `values` filled in; an unfilled variable stays as `{{1}}`.
    pub fn fill(text: &str, part: Part, values: &TemplateValues) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let key = &after[..end];
            match values
                .get(&(part, key.to_owned()))
                .filter(|v| !v.trim().is_empty())
            {
                Some(value) => out.push_str(value),
                None => {
                    out.push_str("{{");
                    out.push_str(key);
                    out.push_str("}}");
                }
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// The message as the guest will read it: header, body and footer, one per line.
    pub fn preview(&self, values: &TemplateValues) -> String {
        let mut lines = Vec::new();
        if let Some(header) = &self.header {
            lines.push(Self::fill(header, Part::Header, values));
        }
        lines.push(Self::fill(&self.body, Part::Body, values));
        if let Some(footer) = &self.footer {
            lines.push(footer.clone());
        }
        lines.join("\n")
    }

    /// Checks `values` the way the Cloud API will: every variable filled, nothing extra, no
    /// new lines or tabs, at most four spaces in a row, and the filled text within limits.
    /// Answers every problem, in slot order.
    pub fn validate(&self, values: &TemplateValues) -> Result<(), Vec<ValueError>> {
        let slots = self.slots();
        let mut errors = Vec::new();
        for slot in &slots {
            let key = slot.variable.key();
            match values.get(&(slot.part, key.clone())) {
                None => errors.push(ValueError::Missing {
                    part: slot.part,
                    key,
                }),
                Some(v) if v.trim().is_empty() => errors.push(ValueError::Missing {
                    part: slot.part,
                    key,
                }),
                Some(v) if v.contains(['\n', '\r', '\t']) => errors.push(ValueError::LineBreak {
                    part: slot.part,
                    key,
                }),
                Some(v) if v.contains("     ") => errors.push(ValueError::TooManySpaces {
                    part: slot.part,
                    key,
                }),
                Some(_) => {}
            }
        }
        for (part, key) in values.keys() {
            if !slots
                .iter()
                .any(|s| s.part == *part && s.variable.key() == *key)
            {
                errors.push(ValueError::Unexpected {
                    part: *part,
                    key: key.clone(),
                });
            }
        }
        if errors.is_empty() {
            let body = Self::fill(&self.body, Part::Body, values).chars().count();
            if body > MAX_BODY_CHARS {
                errors.push(ValueError::TooLong {
                    part: Part::Body,
                    len: body,
                    max: MAX_BODY_CHARS,
                });
            }
            if let Some(header) = &self.header {
                let len = Self::fill(header, Part::Header, values).chars().count();
                if len > MAX_HEADER_CHARS {
                    errors.push(ValueError::TooLong {
                        part: Part::Header,
                        len,
                        max: MAX_HEADER_CHARS,
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The `components` of a send request, after [`Template::validate`] passed.
    pub fn send_components(
        &self,
        values: &TemplateValues,
    ) -> Result<Vec<SendComponent>, Vec<ValueError>> {
        self.validate(values)?;
        let mut out = Vec::new();
        for part in [Part::Header, Part::Body] {
            let parameters: Vec<SendParameter> = self
                .slots()
                .into_iter()
                .filter(|s| s.part == part)
                .map(|s| SendParameter {
                    kind: "text".into(),
                    text: values[&(part, s.variable.key())].clone(),
                    parameter_name: match &s.variable {
                        Variable::Named(name) => Some(name.clone()),
                        Variable::Positional(_) => None,
                    },
                })
                .collect();
            if !parameters.is_empty() {
                let kind = if part == Part::Header {
                    "header"
                } else {
                    "body"
                };
                out.push(SendComponent {
                    kind: kind.into(),
                    parameters,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
