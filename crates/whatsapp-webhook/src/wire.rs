//! Meta's payload shapes, only what is read (unknown fields are ignored). Written from Meta's
//! webhook reference and the recorded payloads in `crates/connector/tests/fixtures/cloud-api`
//! (see its SOURCES.md). Everything optional that Meta may leave out is an `Option`, so that a
//! missing field costs only what needs it.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
pub struct Envelope<'a> {
    pub object: String,
    #[serde(default, borrow)]
    pub entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct Entry<'a> {
    /// The WhatsApp Business Account's id (a string; read as any value, so that a number
    /// costs nothing).
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default, borrow)]
    pub changes: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct Change<'a> {
    #[serde(default)]
    pub field: String,
    #[serde(borrow)]
    pub value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct ChangeValue<'a> {
    #[serde(borrow)]
    pub metadata: Option<&'a RawValue>,
    #[serde(borrow)]
    pub contacts: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub messages: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub statuses: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub errors: Vec<&'a RawValue>,
}

/// `contacts[]`: who sent the messages of a change.
#[derive(Deserialize)]
pub struct Contact {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub profile: Option<Profile>,
}

#[derive(Deserialize)]
pub struct Profile {
    pub name: Option<String>,
    pub username: Option<String>,
}

#[derive(Deserialize)]
pub struct Context {
    pub id: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
    #[serde(default)]
    pub frequently_forwarded: bool,
}

#[derive(Deserialize)]
pub struct Referral {
    pub headline: Option<String>,
    pub body: Option<String>,
    pub source_url: Option<String>,
}

/// An error in `errors[]` (of a message, a status, or the change).
#[derive(Deserialize)]
pub struct Error {
    pub code: Option<u32>,
    #[serde(default)]
    pub title: String,
    pub message: Option<String>,
    pub error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
pub struct ErrorData {
    pub details: Option<String>,
}

impl Error {
    /// Meta's most precise words for it.
    pub fn details(&self) -> Option<&str> {
        self.error_data
            .as_ref()
            .and_then(|d| d.details.as_deref())
            .or(self.message.as_deref())
            .filter(|d| !d.trim().is_empty())
    }
}

#[derive(Deserialize)]
pub struct Text {
    pub body: String,
}

/// `image`, `audio`, `video`, `document`, `sticker`.
#[derive(Deserialize)]
pub struct Media {
    pub id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub url: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    #[serde(default)]
    pub voice: bool,
    #[serde(default)]
    pub animated: bool,
}

#[derive(Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

#[derive(Deserialize)]
pub struct Card {
    pub name: Option<CardName>,
    #[serde(default)]
    pub phones: Vec<CardPhone>,
    #[serde(default)]
    pub emails: Vec<CardEmail>,
    pub org: Option<CardOrg>,
}

#[derive(Deserialize)]
pub struct CardName {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Deserialize)]
pub struct CardPhone {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    #[serde(rename = "type")]
    pub label: Option<String>,
}

#[derive(Deserialize)]
pub struct CardEmail {
    pub email: Option<String>,
}

#[derive(Deserialize)]
pub struct CardOrg {
    pub company: Option<String>,
}

#[derive(Deserialize)]
pub struct Reaction {
    pub message_id: String,
    pub emoji: Option<String>,
}

#[derive(Deserialize)]
pub struct Button {
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Deserialize)]
pub struct Interactive {
    #[serde(rename = "type")]
    pub kind: String,
    pub button_reply: Option<Reply>,
    pub list_reply: Option<Reply>,
    pub nfm_reply: Option<FlowReply>,
}

#[derive(Deserialize)]
pub struct Reply {
    pub id: Option<String>,
    pub title: String,
    pub description: Option<String>,
}

#[derive(Deserialize)]
pub struct FlowReply {
    pub name: Option<String>,
    pub body: Option<String>,
    pub response_json: Option<String>,
}

#[derive(Deserialize)]
pub struct System {
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub new_wa_id: Option<String>,
    pub wa_id: Option<String>,
}

#[derive(Deserialize)]
pub struct Unsupported {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Deserialize)]
pub struct Status {
    pub id: Option<String>,
    pub status: Option<String>,
    pub timestamp: Option<serde_json::Value>,
    pub recipient_id: Option<String>,
    pub recipient_user_id: Option<String>,
    #[serde(default)]
    pub errors: Vec<Error>,
    pub pricing: Option<Pricing>,
    pub biz_opaque_callback_data: Option<String>,
}

#[derive(Deserialize)]
pub struct Pricing {
    pub billable: Option<bool>,
    pub pricing_model: Option<String>,
    pub category: Option<String>,
}
