//! The records the store keeps and hands back, backend-neutral.

use multiline_domain::api::{
    AdReferral, Channel, ContactPhone, DeliveryState, Direction, Forwarded, MediaInfo, MessageBody,
    Organization, ThreadStatus, User,
};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::ids::{
    ClientMessageId, ContactId, MediaId, MessageId, OrganizationId, ThreadId, UserId,
};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::{WindowFacts, WindowRule};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is calling: resolved from a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub org_id: OrganizationId,
}

/// An organization's facts and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: OrganizationId,
    pub name: String,
    /// F1: the organization may use WhatsApp.
    pub whatsapp_enabled: bool,
    /// F7-F8: which 24-hour window rule it follows.
    pub window_rule: WindowRule,
    /// F6: the replies that grant and revoke consent (the defaults until set).
    pub consent_keywords: ConsentKeywords,
    /// The opt-in request template (F4): name and language.
    pub opt_in_template: (String, String),
    /// F22: a line of the organization has an SMS carrier.
    pub sms_enabled: bool,
}

impl OrgRecord {
    /// What the app sees of it.
    pub fn organization(&self) -> Organization {
        Organization {
            id: self.id,
            name: self.name.clone(),
            whatsapp_enabled: self.whatsapp_enabled,
            sms_enabled: self.sms_enabled,
            opt_in_template: self.opt_in_template.0.clone(),
        }
    }
}

/// One setting of an organization, as an admin changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgSetting {
    WhatsappEnabled(bool),
    WindowRule(WindowRule),
    ConsentKeywords(ConsentKeywords),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub id: UserId,
    pub org: OrganizationId,
    pub name: String,
    /// As it is compared: the use case lower-cases it.
    pub email: String,
    /// A slow salted hash (argon2id), never the password.
    pub password_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user: User,
    pub org_id: OrganizationId,
    pub password_hash: String,
    /// Disabled by an admin: cannot sign in.
    pub disabled: bool,
}

/// A business phone number connected to the Cloud API. Its `Debug` leaves its secrets
/// out: a line may be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    pub id: Uuid,
    pub org_id: OrganizationId,
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    /// `https://graph.facebook.com` in production, the simulator in the demo and tests.
    pub api_base_url: String,
    pub api_version: String,
    /// Who gets new threads a guest opens.
    pub owner_user_id: UserId,
    /// The line's SMS and voice carrier account, if connected (F22).
    pub carrier: Option<CarrierAccount>,
    /// The last warning told about the end of `api_version` (`v21.0:30`), if any.
    pub api_version_warned: Option<String>,
    /// The error code that stops the line from sending, once its owner was told of it.
    pub blocked_told: Option<String>,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("display_phone_number", &self.display_phone_number)
            .field("api_base_url", &self.api_base_url)
            .field("api_version", &self.api_version)
            .field("owner_user_id", &self.owner_user_id)
            .field("carrier", &self.carrier.as_ref().map(|c| &c.account_sid))
            .field("blocked_told", &self.blocked_told)
            .finish_non_exhaustive()
    }
}

impl Line {
    /// The line's number as people read it (`+15550001111`), or as configured when it is not
    /// a number.
    pub fn number_for_people(&self) -> String {
        multiline_domain::phone::E164::from_wa_id(&self.display_phone_number)
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|_| self.display_phone_number.clone())
    }
}

/// What connecting a line takes (no `Debug`: it carries secrets).
#[derive(Clone)]
pub struct NewLine {
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub api_base_url: String,
    pub api_version: String,
    pub owner_user_id: UserId,
}

/// A line's account with its SMS and voice carrier, as an admin connects it
/// (`connect-carrier`). The provider (`twilio`) is a name here; `providers::twilio` speaks it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierAccount {
    /// Which provider: `twilio`.
    pub provider: String,
    /// The account's id (Twilio: the Account SID, `AC...`).
    pub account_sid: String,
    /// The account's secret: authenticates requests to the provider and signs its webhooks.
    pub auth_token: String,
    /// `https://api.twilio.com` in production; the simulator in the demo and tests.
    pub api_base_url: String,
    /// The line's number at the carrier: texts come from it, calls to it reach voicemail.
    pub number: E164,
}

impl std::fmt::Debug for CarrierAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierAccount")
            .field("provider", &self.provider)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<secret>")
            .field("api_base_url", &self.api_base_url)
            .field("number", &self.number)
            .finish()
    }
}

/// A contact's fields and numbers, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFields {
    pub name: String,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<ContactPhone>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub id: ContactId,
    pub org: OrganizationId,
    pub fields: ContactFields,
    pub created_at: Timestamp,
}

/// Which of a guest's standings: WhatsApp consent (F4-F6), or whether texts may go to the
/// number (F22: STOP / START). Both are the domain's `Consent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Whatsapp,
    Sms,
}

impl Standing {
    /// The standing a thread on `channel` is sent under (none for voicemail).
    pub fn of(channel: Channel) -> Option<Standing> {
        match channel {
            Channel::Whatsapp => Some(Standing::Whatsapp),
            Channel::Sms => Some(Standing::Sms),
            Channel::Voicemail => None,
        }
    }
}

/// Who a thread is with, as the provider identifies them: a number, a WhatsApp
/// business-scoped user id, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestIds {
    /// What names the guest's open thread and standing on a line: the number when the first
    /// message had one, else the user id. A thread's key never changes.
    pub key: String,
    pub phone: Option<E164>,
    /// The WhatsApp business-scoped user id (`US.13491208655302741918`).
    pub user_id: Option<String>,
}

impl GuestIds {
    /// A guest known by their number (SMS, voicemail, a thread a user opens).
    pub fn phone(phone: E164) -> GuestIds {
        GuestIds {
            key: phone.to_string(),
            phone: Some(phone),
            user_id: None,
        }
    }

    /// A guest as a WhatsApp webhook names them; `None` without either id.
    pub fn of(phone: Option<E164>, user_id: Option<String>) -> Option<GuestIds> {
        let key = match (&phone, &user_id) {
            (Some(phone), _) => phone.to_string(),
            (None, Some(user_id)) => user_id.clone(),
            (None, None) => return None,
        };
        Some(GuestIds {
            key,
            phone,
            user_id,
        })
    }
}

/// A new thread: open, with its participants and the window's facts it starts with (a
/// restart carries them over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread {
    pub id: ThreadId,
    pub org: OrganizationId,
    pub line: Uuid,
    pub channel: Channel,
    pub guest: GuestIds,
    /// The guest's WhatsApp profile name.
    pub guest_name: Option<String>,
    pub contact: Option<ContactId>,
    pub participants: Vec<UserId>,
    pub window: WindowFacts,
    pub template_required: bool,
    pub created_at: Timestamp,
}

/// A thread's own facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    pub id: ThreadId,
    pub org_id: OrganizationId,
    pub line_id: Uuid,
    pub channel: Channel,
    pub guest: GuestIds,
    pub guest_name: Option<String>,
    pub contact_id: Option<ContactId>,
    pub status: ThreadStatus,
    pub template_required: bool,
    pub window: WindowFacts,
}

/// What a thread's view reads beside its record (see [`super::ThreadTx::thread_view`]).
#[derive(Debug, Clone)]
pub struct ViewFacts {
    pub contact_name: Option<String>,
    pub preview: Option<String>,
    pub window_rule: WindowRule,
    pub unread: i64,
    pub opened_at: Timestamp,
    pub consent: multiline_domain::consent::Consent,
    pub participants: Vec<multiline_domain::api::User>,
}

impl ThreadRecord {
    /// The thread as a user sees it, named by the contact's name; else the WhatsApp profile
    /// name (or username); else the number.
    pub fn view(self, facts: ViewFacts) -> multiline_domain::api::Thread {
        let contact_name = facts
            .contact_name
            .or(self.guest_name)
            .or_else(|| self.guest.phone.as_ref().map(|p| p.to_string()))
            .unwrap_or_else(|| "WhatsApp user".to_owned());
        multiline_domain::api::Thread {
            id: self.id,
            channel: self.channel,
            contact_id: self.contact_id,
            contact_name,
            guest_phone: self.guest.phone,
            guest_user_id: self.guest.user_id,
            status: self.status,
            consent: facts.consent,
            window_rule: facts.window_rule,
            window: self.window,
            template_required: self.template_required,
            last_message_preview: facts.preview,
            last_message_at: self.window.last_message_at,
            unread_count: u32::try_from(facts.unread).unwrap_or(u32::MAX),
            participants: facts.participants,
            opened_at: Some(facts.opened_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub thread: ThreadId,
    pub direction: Direction,
    /// The MultiLine user who wrote an outbound message.
    pub author: Option<UserId>,
    /// The app's id for an outbound message (its idempotency key, per author).
    pub client_id: Option<ClientMessageId>,
    /// The provider's id: a wamid, an SMS's or a recording's id.
    pub wamid: Option<String>,
    pub body: MessageBody,
    pub state: DeliveryState,
    /// Where it sorts in its thread.
    pub created_at: Timestamp,
    /// What is said about it (a guest's message: what it answers, forwarding, the ad).
    pub about: MessageAbout,
}

/// What a guest's message says about itself, beyond its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageAbout {
    /// The provider id of the message it answers.
    pub reply_to: Option<String>,
    pub forwarded: Option<Forwarded>,
    pub ad: Option<AdReferral>,
    /// For a kind the app cannot show yet: what the provider sent, as sent.
    pub raw: Option<String>,
}

/// A guest's reaction, as kept until (and while) its message is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReaction {
    /// None: the reaction was removed.
    pub emoji: Option<String>,
    /// The guest's name as the thread showed it then.
    pub by: String,
    pub at: Timestamp,
}

/// A message handed out by [`super::OutboxTx::claim_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    pub message: MessageId,
    pub thread: ThreadId,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// A delivery status that came before the send's answer named its wamid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyStatus {
    pub wamid: String,
    pub state: DeliveryState,
    /// For a failure: the provider's code and the sentence to show.
    pub error: Option<(u32, String)>,
}

/// Who sent a webhook kept in the inbox: how its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxSource {
    /// A Cloud API body, as Meta signed it.
    Whatsapp,
    /// A carrier's event, verified and read into the connector's JSON.
    Carrier,
}

/// What waits in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub count: u64,
    /// When the oldest waiting item was written (none when nothing waits).
    pub oldest: Option<Timestamp>,
}

/// The webhook inbox's backlog: rows waiting to be applied, and rows set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InboxBacklog {
    pub waiting: Backlog,
    pub set_aside: u64,
}

/// A webhook waiting in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub id: i64,
    pub line: Uuid,
    pub source: InboxSource,
    pub body: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// An inbox row set aside: after its last attempt, or unreadable when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: i64,
    pub line: Uuid,
    pub source: InboxSource,
    pub received_at: Timestamp,
    pub dead_at: Timestamp,
    pub attempts: u32,
    pub error: String,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedia {
    pub id: MediaId,
    pub org: OrganizationId,
    /// The thread it was sent or received in (none for an upload not sent yet).
    pub thread: Option<ThreadId>,
    /// Who uploaded it (none for a guest's).
    pub uploader: Option<UserId>,
    pub mime_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

/// What is known of a medium, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub info: MediaInfo,
    pub thread: Option<ThreadId>,
    pub uploader: Option<UserId>,
}

/// A medium with its bytes.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub info: MediaInfo,
    pub bytes: Vec<u8>,
}

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

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub org: OrganizationId,
    pub at: Timestamp,
    /// A user's id, `guest:+1...`, `admin`, `connector` or `carrier`.
    pub actor: String,
    /// `message.queued`, `consent.changed`, ...
    pub action: String,
    pub thread: Option<ThreadId>,
    pub detail: serde_json::Value,
}
