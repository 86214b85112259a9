//! A template's header and buttons as the Cloud API lists them
//! (`GET /{waba-id}/message_templates`, Meta's "Template components" page): every header
//! format and the buttons a business can send with values.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::TemplateError;

/// A component as the Cloud API lists it (`{"type": "BODY", "text": ...}`); unknown fields
/// are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListedComponent {
    #[serde(rename = "type")]
    pub kind: String,
    pub format: Option<String>,
    pub text: Option<String>,
    #[serde(default)]
    pub buttons: Vec<serde_json::Value>,
    /// `{"header_handle": ["https://..."]}`, `{"body_text": [["Ana"]]}`, ...
    #[serde(default)]
    pub example: Option<serde_json::Value>,
}

/// A template's header: text (with at most one variable), a file, or a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "format", rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum Header {
    Text {
        text: String,
    },
    /// `sample`: the file Meta approved the template with (`example.header_handle`), which a
    /// user may send as it is.
    Image {
        sample: Option<String>,
    },
    Video {
        sample: Option<String>,
    },
    Gif {
        sample: Option<String>,
    },
    Document {
        sample: Option<String>,
    },
    Location,
}

/// The kind of file a media header shows (and the send parameter's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HeaderMedia {
    Image,
    Video,
    Gif,
    Document,
}

impl HeaderMedia {
    /// What a user is asked for: "the header's picture".
    pub fn what(self) -> &'static str {
        match self {
            HeaderMedia::Image => "the header's picture",
            HeaderMedia::Video => "the header's video",
            HeaderMedia::Gif => "the header's GIF",
            HeaderMedia::Document => "the header's document",
        }
    }
}

impl Header {
    /// The file a media header needs, if it is one.
    pub fn media(&self) -> Option<HeaderMedia> {
        match self {
            Header::Image { .. } => Some(HeaderMedia::Image),
            Header::Video { .. } => Some(HeaderMedia::Video),
            Header::Gif { .. } => Some(HeaderMedia::Gif),
            Header::Document { .. } => Some(HeaderMedia::Document),
            Header::Text { .. } | Header::Location => None,
        }
    }

    /// The text of a text header.
    pub fn text(&self) -> Option<&str> {
        match self {
            Header::Text { text } => Some(text),
            _ => None,
        }
    }

    pub(super) fn from_listing(c: ListedComponent) -> Result<Header, TemplateError> {
        let sample = c
            .example
            .as_ref()
            .and_then(|e| e.get("header_handle"))
            .and_then(|h| h.get(0))
            .and_then(|h| h.as_str())
            .filter(|h| h.starts_with("https://"))
            .map(str::to_owned);
        let format = c.format.unwrap_or_else(|| "TEXT".into());
        Ok(match format.to_ascii_uppercase().as_str() {
            "TEXT" => Header::Text {
                text: c.text.unwrap_or_default(),
            },
            "IMAGE" => Header::Image { sample },
            "VIDEO" => Header::Video { sample },
            "GIF" => Header::Gif { sample },
            "DOCUMENT" => Header::Document { sample },
            "LOCATION" => Header::Location,
            _ => return Err(TemplateError::HeaderFormat(format)),
        })
    }
}

/// A button of the BUTTONS component, as the guest sees it. A URL button whose address ends
/// in `{{1}}` and a copy-code button take a value at send time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum Button {
    QuickReply {
        text: String,
    },
    Url {
        text: String,
        /// `https://shop.example/track/{{1}}` or a fixed address.
        url: String,
        /// The example address Meta approved (`example[0]`).
        #[serde(default)]
        example: Option<String>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        /// The example code Meta approved.
        #[serde(default)]
        example: Option<String>,
    },
}

impl Button {
    /// What the guest reads on the button.
    pub fn label(&self) -> &str {
        match self {
            Button::QuickReply { text }
            | Button::Url { text, .. }
            | Button::PhoneNumber { text, .. } => text,
            Button::CopyCode { .. } => "Copy offer code",
        }
    }

    /// A URL button's address with a variable ending (`{{1}}`).
    pub fn url_prefix(&self) -> Option<&str> {
        match self {
            Button::Url { url, .. } => url.strip_suffix("{{1}}"),
            _ => None,
        }
    }

    pub(super) fn from_listing(v: serde_json::Value) -> Result<Button, TemplateError> {
        let kind = v
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_ascii_uppercase();
        let text = || {
            v.get("text")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
                .ok_or_else(|| TemplateError::Button(format!("{kind} without text")))
        };
        // `example` is a list for URL buttons, a string for copy-code ones.
        let example = match v.get("example") {
            Some(serde_json::Value::Array(a)) => a.first().and_then(|e| e.as_str()),
            Some(e) => e.as_str(),
            None => None,
        }
        .map(str::to_owned);
        Ok(match kind.as_str() {
            "QUICK_REPLY" => Button::QuickReply { text: text()? },
            "URL" => {
                let url = v
                    .get("url")
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| TemplateError::Button("URL without url".into()))?;
                let variables = super::variables_in(url)?;
                if !(variables.is_empty()
                    || (variables == [super::Variable::Positional(1)] && url.ends_with("{{1}}")))
                {
                    return Err(TemplateError::Button(format!(
                        "a URL may only end in {{{{1}}}}: {url}"
                    )));
                }
                Button::Url {
                    text: text()?,
                    url: url.to_owned(),
                    example,
                }
            }
            "PHONE_NUMBER" => Button::PhoneNumber {
                text: text()?,
                phone_number: v
                    .get("phone_number")
                    .and_then(|t| t.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            },
            "COPY_CODE" => Button::CopyCode { example },
            _ => return Err(TemplateError::Button(kind)),
        })
    }
}

/// A template's header file as sent: a file the user attached (`media_id`) or the link
/// given for it (the template's sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct TemplateFile {
    pub kind: HeaderMedia,
    pub media_id: Option<crate::ids::MediaId>,
    pub link: Option<String>,
}
