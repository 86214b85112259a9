//! The `template.components` of a send request, exactly as Meta's Messages API takes them:
//! `header` (text, a file by `id` or `link`, or a place), `body`, and one `button` component
//! per button that takes a value (`sub_type` `url` or `copy_code`, with its `index`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{HeaderMedia, Part, SlotKind, Template, TemplateValues, ValueError, Variable};

/// One component of a send request's `template.components`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendComponent {
    /// "header", "body" or "button"
    #[serde(rename = "type")]
    pub kind: String,
    /// A button's kind: "url", "copy_code", "quick_reply".
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub sub_type: Option<String>,
    /// A button's position, as a string ("0").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub index: Option<String>,
    pub parameters: Vec<SendParameter>,
}

/// One parameter: `{"type": "text", "text": "Ana"}` (with `parameter_name` for named
/// variables), a header's file or place, or a button's coupon code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SendParameter {
    Text {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        #[ts(optional)]
        parameter_name: Option<String>,
    },
    Image {
        image: MediaParam,
    },
    Video {
        video: MediaParam,
    },
    Gif {
        gif: MediaParam,
    },
    Document {
        document: MediaParam,
    },
    Location {
        location: LocationParam,
    },
    CouponCode {
        coupon_code: String,
    },
}

/// A file by the Cloud API's media `id` or by `link`. In a stored message, `id` is the
/// connector's media id until the dispatch worker uploads the file and puts Meta's in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaParam {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub link: Option<String>,
}

/// A location header's place. Meta takes the coordinates as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationParam {
    pub latitude: String,
    pub longitude: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[ts(optional)]
    pub address: Option<String>,
}

impl SendParameter {
    /// A text parameter's value.
    pub fn text(&self) -> Option<&str> {
        match self {
            SendParameter::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A header file's reference.
    pub fn media_mut(&mut self) -> Option<&mut MediaParam> {
        match self {
            SendParameter::Image { image: m }
            | SendParameter::Video { video: m }
            | SendParameter::Gif { gif: m }
            | SendParameter::Document { document: m } => Some(m),
            _ => None,
        }
    }

    /// A header file's reference.
    pub fn media(&self) -> Option<&MediaParam> {
        match self {
            SendParameter::Image { image: m }
            | SendParameter::Video { video: m }
            | SendParameter::Gif { gif: m }
            | SendParameter::Document { document: m } => Some(m),
            _ => None,
        }
    }
}

/// A header file given as a value: an `https://` link, or else a media id.
fn media_param(kind: HeaderMedia, value: &str) -> SendParameter {
    let m = if value.starts_with("https://") {
        MediaParam {
            id: None,
            link: Some(value.to_owned()),
        }
    } else {
        MediaParam {
            id: Some(value.to_owned()),
            link: None,
        }
    };
    match kind {
        HeaderMedia::Image => SendParameter::Image { image: m },
        HeaderMedia::Video => SendParameter::Video { video: m },
        HeaderMedia::Gif => SendParameter::Gif { gif: m },
        HeaderMedia::Document => SendParameter::Document { document: m },
    }
}

impl Template {
    /// The header's file as given in `values` (a media id or a link), for the message's
    /// bubble; `None` for a template without a media header or a value that is neither.
    pub fn header_file(&self, values: &TemplateValues) -> Option<super::TemplateFile> {
        let kind = self.header.as_ref()?.media()?;
        let value = values.get(&(Part::Header, "media".to_owned()))?.trim();
        let (media_id, link) = if value.starts_with("https://") {
            (None, Some(value.to_owned()))
        } else {
            (
                Some(crate::ids::MediaId(uuid::Uuid::parse_str(value).ok()?)),
                None,
            )
        };
        Some(super::TemplateFile {
            kind,
            media_id,
            link,
        })
    }

    /// What the guest reads on the buttons, in order.
    pub fn button_labels(&self) -> Vec<String> {
        self.buttons.iter().map(|b| b.label().to_owned()).collect()
    }

    /// The `components` of a send request, after [`Template::validate`] passed: the header,
    /// the body, then each button that takes a value, in Meta's order.
    pub fn send_components(
        &self,
        values: &TemplateValues,
    ) -> Result<Vec<SendComponent>, Vec<ValueError>> {
        self.validate(values)?;
        let value = |part: Part, key: &str| {
            values
                .get(&(part, key.to_owned()))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let slots = self.slots();
        let mut out = Vec::new();
        // The header: its text variables, its file, or its place.
        let mut header = Vec::new();
        if let Some(kind) = self.header.as_ref().and_then(|h| h.media()) {
            header.push(media_param(
                kind,
                &value(Part::Header, "media").unwrap_or_default(),
            ));
        } else if matches!(self.header, Some(super::Header::Location)) {
            header.push(SendParameter::Location {
                location: LocationParam {
                    latitude: value(Part::Header, "latitude").unwrap_or_default(),
                    longitude: value(Part::Header, "longitude").unwrap_or_default(),
                    name: value(Part::Header, "name"),
                    address: value(Part::Header, "address"),
                },
            });
        }
        for part in [Part::Header, Part::Body] {
            let mut parameters: Vec<SendParameter> = slots
                .iter()
                .filter(|s| s.part == part && s.kind == SlotKind::Text)
                .map(|s| SendParameter::Text {
                    text: values[&(part, s.variable.key())].clone(),
                    parameter_name: match &s.variable {
                        Variable::Named(name) => Some(name.clone()),
                        Variable::Positional(_) => None,
                    },
                })
                .collect();
            if part == Part::Header {
                header.append(&mut parameters);
                parameters = std::mem::take(&mut header);
            }
            if !parameters.is_empty() {
                out.push(SendComponent {
                    kind: if part == Part::Header {
                        "header"
                    } else {
                        "body"
                    }
                    .into(),
                    sub_type: None,
                    index: None,
                    parameters,
                });
            }
        }
        for slot in slots.iter().filter(|s| s.part == Part::Button) {
            let index = slot.variable.key();
            let Some(v) = value(Part::Button, &index) else {
                continue;
            };
            let (sub_type, parameter) = match slot.kind {
                SlotKind::CouponCode => ("copy_code", SendParameter::CouponCode { coupon_code: v }),
                _ => (
                    "url",
                    SendParameter::Text {
                        text: v,
                        parameter_name: None,
                    },
                ),
            };
            out.push(SendComponent {
                kind: "button".into(),
                sub_type: Some(sub_type.into()),
                index: Some(index),
                parameters: vec![parameter],
            });
        }
        Ok(out)
    }
}
