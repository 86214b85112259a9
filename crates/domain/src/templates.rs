//! Message templates in the Cloud API's format (PRODUCT.md F15, whatsapp-cloud-api.md):
//! components (header, body, footer, buttons) with positional `{{1}}` or named
//! `{{first_name}}` variables. Parses a template, lists the variables to fill, renders a
//! preview, validates filled values the way the Cloud API does, and builds the `components`
//! of a send request. The fixed text is never editable: a template is sent by name and
//! parameters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

mod listing;
mod send;

pub use listing::{Button, Header, HeaderMedia, ListedComponent, TemplateFile};
pub use send::{LocationParam, MediaParam, SendComponent, SendParameter};

/// The Cloud API's limit on a template body after filling its variables (error 132005).
pub const MAX_BODY_CHARS: usize = 1024;
/// The Cloud API's limit on a text header after filling its variable.
pub const MAX_HEADER_CHARS: usize = 60;
/// A copy-code button's code: at most 15 characters.
pub const MAX_COUPON_CHARS: usize = 15;
/// A URL button's address after its variable is filled.
pub const MAX_URL_CHARS: usize = 2000;

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
    InAppeal,
    PendingDeletion,
    Deleted,
    LimitExceeded,
    Archived,
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
    /// A button's value (a URL's variable ending, a coupon code); the key is its index.
    Button,
}

/// One value to fill: its part, its variable (for values that are not text variables,
/// `Named` with the key: "media", "latitude", or a button's index "0"), and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Slot {
    pub part: Part,
    pub variable: Variable,
    pub kind: SlotKind,
    /// May be left empty (a location's name and address).
    #[serde(default)]
    pub optional: bool,
}

/// What a slot asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SlotKind {
    /// Text for a `{{1}}` or `{{name}}` variable.
    Text,
    /// The header's picture, video, GIF or document: a media id (`POST /v1/media`) or an
    /// `https://` link (the template's sample).
    Media,
    Latitude,
    Longitude,
    PlaceName,
    PlaceAddress,
    /// The variable end of a URL button's address.
    UrlSuffix,
    /// A copy-code button's code.
    CouponCode,
}

/// Filled values, by part and variable key ("1", "first_name").
pub type TemplateValues = BTreeMap<(Part, String), String>;

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
    pub header: Option<Header>,
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
    #[error("the template has a header of a format MultiLine cannot send: {0}")]
    HeaderFormat(String),
    #[error("the template has a button MultiLine cannot send: {0}")]
    Button(String),
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
    /// A value that is not text: the header's file, a place, a button's value.
    #[error("Fill in {what}.")]
    Needed {
        part: Part,
        key: String,
        what: String,
    },
    #[error("The header's file must be one you attached or an https:// link.")]
    BadMedia { part: Part, key: String },
    #[error("The {key} must be a number between -{max} and {max}.")]
    BadCoordinate { part: Part, key: String, max: u32 },
    #[error("The link's ending cannot contain spaces.")]
    BadUrlSuffix { part: Part, key: String },
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

impl Template {
    /// Builds a template from a listing entry's components (Meta's `{"type": "BODY", ...}`
    /// objects), checking its variables, header and buttons.
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
                "HEADER" => header = Some(Header::from_listing(c)?),
                "BODY" => body = c.text,
                "FOOTER" => footer = c.text,
                "BUTTONS" => {
                    buttons = c
                        .buttons
                        .into_iter()
                        .map(Button::from_listing)
                        .collect::<Result<_, _>>()?
                }
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

    /// The text of a text header.
    pub fn header_text(&self) -> Option<&str> {
        self.header.as_ref().and_then(Header::text)
    }

    /// Checks the variables: well-formed, not mixed, positional ones numbered 1..n per part.
    pub fn check(&self) -> Result<(), TemplateError> {
        if let Some(header) = self.header_text() {
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

    /// The values to fill: the header's (its text variables, its file, or its place), the
    /// body's variables in order (positional by number, named by first appearance), then
    /// each button that takes a value.
    pub fn slots(&self) -> Vec<Slot> {
        let slot = |part, key: &str, kind, optional| Slot {
            part,
            variable: Variable::Named(key.to_owned()),
            kind,
            optional,
        };
        let mut out = Vec::new();
        match &self.header {
            Some(h) if h.media().is_some() => {
                out.push(slot(Part::Header, "media", SlotKind::Media, false));
            }
            Some(Header::Location) => {
                out.push(slot(Part::Header, "latitude", SlotKind::Latitude, false));
                out.push(slot(Part::Header, "longitude", SlotKind::Longitude, false));
                out.push(slot(Part::Header, "name", SlotKind::PlaceName, true));
                out.push(slot(Part::Header, "address", SlotKind::PlaceAddress, true));
            }
            _ => {}
        }
        for (part, text) in [
            (Part::Header, self.header_text()),
            (Part::Body, Some(self.body.as_str())),
        ] {
            let Some(text) = text else { continue };
            let mut vars = variables_in(text).unwrap_or_default();
            vars.sort_by(|a, b| match (a, b) {
                (Variable::Positional(x), Variable::Positional(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
            out.extend(vars.into_iter().map(|variable| Slot {
                part,
                variable,
                kind: SlotKind::Text,
                optional: false,
            }));
        }
        for (i, button) in self.buttons.iter().enumerate() {
            let kind = match button {
                Button::CopyCode { .. } => SlotKind::CouponCode,
                b if b.url_prefix().is_some() => SlotKind::UrlSuffix,
                _ => continue,
            };
            out.push(slot(Part::Button, &i.to_string(), kind, false));
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

    /// The message's text as the guest will read it: a text header, the body and the
    /// footer, one per line (a media header, a place and the buttons are drawn apart).
    pub fn preview(&self, values: &TemplateValues) -> String {
        let mut lines = Vec::new();
        if let Some(header) = self.header_text() {
            lines.push(Self::fill(header, Part::Header, values));
        }
        lines.push(Self::fill(&self.body, Part::Body, values));
        if let Some(footer) = &self.footer {
            lines.push(footer.clone());
        }
        lines.join("\n")
    }

    /// A URL button's address with its ending filled in.
    pub fn button_url(&self, index: usize, values: &TemplateValues) -> Option<String> {
        match self.buttons.get(index)? {
            Button::Url { url, .. } => Some(Self::fill(url, Part::Button, &{
                let mut v = TemplateValues::new();
                if let Some(suffix) = values.get(&(Part::Button, index.to_string())) {
                    v.insert((Part::Button, "1".into()), suffix.clone());
                }
                v
            })),
            _ => None,
        }
    }

    /// Checks `values` the way the Cloud API will: every variable filled, nothing extra, no
    /// new lines or tabs, at most four spaces in a row, the filled text within limits, the
    /// header's file and place, the buttons' values. Answers every problem, in slot order.
    pub fn validate(&self, values: &TemplateValues) -> Result<(), Vec<ValueError>> {
        let slots = self.slots();
        let mut errors = Vec::new();
        for slot in &slots {
            let key = slot.variable.key();
            let part = slot.part;
            let given = values
                .get(&(part, key.clone()))
                .filter(|v| !v.trim().is_empty());
            let Some(v) = given else {
                if !slot.optional {
                    errors.push(self.needed(slot));
                }
                continue;
            };
            match slot.kind {
                SlotKind::Text | SlotKind::PlaceName | SlotKind::PlaceAddress => {
                    if v.contains(['\n', '\r', '\t']) {
                        errors.push(ValueError::LineBreak { part, key });
                    } else if v.contains("     ") {
                        errors.push(ValueError::TooManySpaces { part, key });
                    }
                }
                SlotKind::Media => {
                    let v = v.trim();
                    let link = v.starts_with("https://") && !v.contains(char::is_whitespace);
                    if !link && uuid::Uuid::parse_str(v).is_err() {
                        errors.push(ValueError::BadMedia { part, key });
                    }
                }
                SlotKind::Latitude | SlotKind::Longitude => {
                    let max = if slot.kind == SlotKind::Latitude {
                        90
                    } else {
                        180
                    };
                    let ok = v
                        .trim()
                        .parse::<f64>()
                        .is_ok_and(|n| n.is_finite() && n.abs() <= f64::from(max));
                    if !ok {
                        errors.push(ValueError::BadCoordinate { part, key, max });
                    }
                }
                SlotKind::UrlSuffix => {
                    if v.trim().contains(char::is_whitespace) {
                        errors.push(ValueError::BadUrlSuffix { part, key });
                    } else if let Some(url) = key
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| self.button_url(i, values))
                        && url.chars().count() > MAX_URL_CHARS
                    {
                        errors.push(ValueError::TooLong {
                            part,
                            len: url.chars().count(),
                            max: MAX_URL_CHARS,
                        });
                    }
                }
                SlotKind::CouponCode => {
                    let len = v.trim().chars().count();
                    if v.trim().contains(char::is_whitespace) {
                        errors.push(ValueError::TooManySpaces { part, key });
                    } else if len > MAX_COUPON_CHARS {
                        errors.push(ValueError::TooLong {
                            part,
                            len,
                            max: MAX_COUPON_CHARS,
                        });
                    }
                }
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
            if let Some(header) = self.header_text() {
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

    /// The problem for an empty slot.
    fn needed(&self, slot: &Slot) -> ValueError {
        let (part, key) = (slot.part, slot.variable.key());
        let what = match slot.kind {
            SlotKind::Text => return ValueError::Missing { part, key },
            SlotKind::Media => self
                .header
                .as_ref()
                .and_then(Header::media)
                .map_or("the header's file", HeaderMedia::what),
            SlotKind::Latitude => "the place's latitude",
            SlotKind::Longitude => "the place's longitude",
            SlotKind::PlaceName => "the place's name",
            SlotKind::PlaceAddress => "the place's address",
            SlotKind::UrlSuffix => "the link's ending",
            SlotKind::CouponCode => "the coupon code",
        };
        ValueError::Needed {
            part,
            key,
            what: what.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
