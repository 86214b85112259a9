//! The connector's `/v1` API: requests, responses and events, shared by the connector and the
//! app so both sides compile against one definition. Exported to TypeScript where the UI
//! renders them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consent::Consent;
use crate::ids::{ClientMessageId, ContactId, MediaId, OrganizationId, ThreadId, UserId};
use crate::phone::E164;
use crate::templates::{Part, TemplateValues};
use crate::window::{WindowFacts, WindowRule};

pub use crate::messages::{
    AdReferral, CardPhone, ContactCard, Degrees, DeliveryState, Direction, FormField, Forwarded,
    Message, MessageBody, Notice, Quote, Reaction,
};

/// `POST /v1/session`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// The request header naming the app's version (`0.1.0`), on every request the app makes.
pub const APP_VERSION_HEADER: &str = "multiline-app-version";

/// `GET /v1/version`: which connector this is, and the oldest app it serves. Answered to
/// anyone (an app reads it before signing in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    /// The connector's version (semantic versioning: `0.1.0`).
    pub version: String,
    /// The oldest app version the connector serves; an older app is answered
    /// `426 app_too_old` on every request that names its version.
    pub min_app_version: String,
}

/// Answer to a sign-in: the opaque bearer token (shown once) and who signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInResponse {
    pub token: String,
    pub session: Session,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    /// F1: where false, no WhatsApp icon is shown and WhatsApp sends are refused.
    pub whatsapp_enabled: bool,
    /// F22: the organization's line has an SMS and voice carrier: texts can be sent.
    #[serde(default)]
    pub sms_enabled: bool,
    /// The name of the template its opt-in requests go as (F4): how the app tells the
    /// request among a thread's templates (the consent record).
    #[serde(default)]
    pub opt_in_template: String,
}

/// `GET /v1/me`: the signed-in user and their organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Session {
    pub user: User,
    pub organization: Organization,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ContactPhone {
    pub number: E164,
    /// "mobile", "work", ...
    pub label: String,
}

/// `POST /v1/contacts` and `PUT /v1/contacts/{id}`: a contact as the user entered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub phones: Vec<ContactPhone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<ContactPhone>,
}

/// How a thread reaches its guest: WhatsApp (the Cloud API), SMS, or the line's voicemail
/// (both through the carrier, F22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Channel {
    #[default]
    Whatsapp,
    Sms,
    Voicemail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ThreadStatus {
    Open,
    Closed,
}

/// A thread as the connector reports it: the facts from which the app derives, with the
/// domain rules and its own `now`, what the composer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thread {
    pub id: ThreadId,
    pub channel: Channel,
    pub contact_id: Option<ContactId>,
    /// The contact's name; else the guest's WhatsApp profile name; else their number.
    pub contact_name: String,
    /// The guest's number; none for a WhatsApp user with a username whose number Meta does
    /// not share (then `guest_user_id` is how they are reached).
    pub guest_phone: Option<E164>,
    /// The guest's WhatsApp business-scoped user id (`US.13491208655302741918`), when Meta
    /// gave one.
    #[serde(default)]
    pub guest_user_id: Option<String>,
    pub status: ThreadStatus,
    pub consent: Consent,
    pub window_rule: WindowRule,
    pub window: WindowFacts,
    /// Set when the Cloud API refused a free-form send as outside its window (131047).
    pub template_required: bool,
    pub last_message_preview: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub unread_count: u32,
    /// The MultiLine users in the conversation now, in the order they joined (F19).
    #[serde(default)]
    pub participants: Vec<User>,
    /// When the conversation was opened (History tells a guest's conversations apart by it).
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
}

/// `POST /v1/threads`: open (or return the open) thread with a contact's number, on
/// WhatsApp (the default) or by SMS. Voicemail threads are opened by a caller, never here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenThreadRequest {
    pub contact_id: ContactId,
    pub phone: E164,
    #[serde(default)]
    pub channel: Channel,
    /// WhatsApp: send the opt-in request (with this idempotency key) as the thread opens, in
    /// the same transaction. A guest who must first be asked has no thread until then:
    /// without it, opening answers `consent_missing` and creates nothing, so a user who
    /// decides not to ask leaves no empty conversation behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in: Option<ClientMessageId>,
}

/// `POST /v1/threads/{id}/notes`: a private note to the colleagues in the thread (never sent
/// to the guest). `client_id` is the idempotency key, as for a text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddNoteRequest {
    pub client_id: ClientMessageId,
    pub text: String,
}

/// `POST /v1/threads/{id}/messages`: send a text. `client_id` is the idempotency key: sending
/// the same one twice stores and sends one message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendTextRequest {
    pub client_id: ClientMessageId,
    pub text: String,
}

/// `POST /v1/threads/{id}/pictures`: send a picture uploaded with `POST /v1/media`.
/// `client_id` is the idempotency key, as for texts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendPictureRequest {
    pub client_id: ClientMessageId,
    pub media_id: MediaId,
    #[serde(default)]
    pub caption: Option<String>,
}

/// `POST /v1/threads/{id}/documents`: send a document uploaded with `POST /v1/media`, under
/// the name the guest sees. `client_id` is the idempotency key, as for texts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendDocumentRequest {
    pub client_id: ClientMessageId,
    pub media_id: MediaId,
    pub filename: String,
    #[serde(default)]
    pub caption: Option<String>,
}

/// The answer to `POST /v1/media`: the stored picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MediaInfo {
    pub id: MediaId,
    /// `image/jpeg` or `image/png`.
    pub mime_type: String,
    #[ts(type = "number")]
    pub size: u64,
    pub width: u32,
    pub height: u32,
}

/// One change a user may see, as pushed over `GET /v1/events` (WebSocket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    MessageUpserted {
        message: Message,
    },
    ThreadUpserted {
        thread: Thread,
    },
    ContactsChanged,
    /// The approved templates changed (after a sync): fetch `GET /v1/templates`.
    TemplatesChanged,
    /// The user is no longer in this thread (removed, left, transferred it): forget it.
    ThreadRemoved {
        thread_id: ThreadId,
    },
    /// WhatsApp reported a problem with the line's account or number (`value.errors[]`),
    /// told to the line's owner, in words.
    LineProblem {
        text: String,
    },
}

/// `POST /v1/threads/{id}/participants`: one change to who is in the thread (F20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ParticipantsRequest {
    /// Add a colleague.
    Add { user_id: UserId },
    /// Remove another participant.
    Remove { user_id: UserId },
    /// Leave the thread yourself.
    Leave,
    /// Hand the guest to a colleague: they join, you leave.
    Transfer { user_id: UserId },
    /// Close this thread and open a new one with the same guest and participants.
    Restart,
}

impl From<ParticipantsRequest> for crate::participants::Operation {
    fn from(r: ParticipantsRequest) -> Self {
        use crate::participants::Operation;
        match r {
            ParticipantsRequest::Add { user_id } => Operation::Add(user_id),
            ParticipantsRequest::Remove { user_id } => Operation::Remove(user_id),
            ParticipantsRequest::Leave => Operation::Leave,
            ParticipantsRequest::Transfer { user_id } => Operation::Transfer(user_id),
            ParticipantsRequest::Restart => Operation::Restart,
        }
    }
}

/// The answer to a participants change: the thread as the caller now sees it (for a
/// restart, the new thread), or none when the caller is no longer in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipantsResponse {
    pub thread: Option<Thread>,
}

/// One filled template variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct FilledValue {
    pub part: Part,
    /// "1" or "first_name"
    pub key: String,
    pub value: String,
}

/// Turns filled values into the domain's map.
pub fn template_values(values: &[FilledValue]) -> TemplateValues {
    values
        .iter()
        .map(|v| ((v.part, v.key.clone()), v.value.clone()))
        .collect()
}

/// `POST /v1/threads/{id}/templates`: send an approved template. Idempotent on `client_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendTemplateRequest {
    pub client_id: ClientMessageId,
    pub name: String,
    pub language: String,
    pub values: Vec<FilledValue>,
}

/// `POST /v1/threads/{id}/opt-in`: send the organization's opt-in request template, filled
/// by the connector (the guest's first name, the organization's name).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendOptInRequest {
    pub client_id: ClientMessageId,
}

/// An event with its per-user sequence number. A client that reconnects with
/// `?after=<last seq>` gets every later event, in order, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventEnvelope {
    pub seq: u64,
    pub event: Event,
}

/// The body of every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable (`window_closed_use_template`, `not_found`, ...).
    pub code: crate::errors::ErrorCode,
    /// For people; never internal details.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_state_never_moves_backwards() {
        use DeliveryState::*;
        assert_eq!(Read.advance(Delivered), Read);
        assert_eq!(Sent.advance(Delivered), Delivered);
        assert_eq!(Sending.advance(Read), Read);
        assert_eq!(Sent.advance(Failed), Failed);
        assert_eq!(Delivered.advance(Failed), Delivered);
        assert_eq!(Failed.advance(Read), Failed);
    }

    #[test]
    fn a_thread_stored_before_participants_were_reported_still_reads() {
        let mut json = serde_json::to_value(Thread {
            id: ThreadId(uuid::Uuid::nil()),
            channel: Channel::Whatsapp,
            contact_id: None,
            contact_name: "Ana".into(),
            guest_phone: Some(E164::parse("+12025550147", None).unwrap()),
            guest_user_id: None,
            status: ThreadStatus::Open,
            consent: Consent::None,
            window_rule: WindowRule::AnyMessage,
            window: WindowFacts::default(),
            template_required: false,
            last_message_preview: None,
            last_message_at: None,
            unread_count: 0,
            participants: Vec::new(),
            opened_at: None,
        })
        .unwrap();
        json.as_object_mut().unwrap().remove("participants");
        let thread: Thread = serde_json::from_value(json).unwrap();
        assert!(thread.participants.is_empty());
    }
}
