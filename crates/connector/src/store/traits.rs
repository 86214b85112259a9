//! What the connector asks of a store, backend-neutral. [`super::SqliteStore`] is the
//! embedded default; another backend (PostgreSQL) implements these traits and must pass the
//! conformance suite in [`super::conformance`].
//!
//! The contract every implementation keeps:
//! - every query is scoped to the caller's organization, and thread data to the thread's
//!   current participants: anything else is [`StoreError::NotFound`], never a leak;
//! - a change and the events announcing it commit together: a client replaying events from
//!   its last sequence number sees every change once, in order, numbered 1, 2, 3... per user;
//! - a refused request (a [`StoreError::Refused`] or [`StoreError::Invalid`]) writes nothing;
//! - the audit record is append-only;
//! - methods returning `Vec<UserId>` return the users with new events (to wake their sockets).
//!
//! Methods block: callers run them on blocking threads, never on the async runtime.

use multiline_domain::api::{
    Channel, Contact, ContactInput, ContactPhone, EventEnvelope, MediaInfo, Message, Organization,
    Session, Thread, User,
};
use multiline_domain::consent::{Consent, ConsentKeywords};
use multiline_domain::ids::{
    ClientMessageId, ContactId, MediaId, MessageId, OrganizationId, ThreadId, UserId,
};
use multiline_domain::participants::Operation;
use multiline_domain::phone::E164;
use multiline_domain::templates::{Template, TemplateValues};
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowRule;
use uuid::Uuid;

use super::{
    Caller, InboundMessage, InboxWork, Line, ListedTemplate, NewLine, OutboundJob, Result,
    StatusUpdate, StoredMedia,
};

/// Organizations, users, sessions and business lines.
pub trait AccountStore {
    fn create_organization(
        &self,
        name: &str,
        whatsapp_enabled: bool,
        now: Timestamp,
    ) -> Result<OrganizationId>;
    /// F1: whether the organization may use WhatsApp at all.
    fn set_whatsapp_enabled(&self, org: OrganizationId, enabled: bool) -> Result<()>;
    /// F7-F8: which 24-hour window rule the organization follows.
    fn set_window_rule(&self, org: OrganizationId, rule: WindowRule) -> Result<()>;
    /// F6: the replies that grant and revoke consent for the organization's guests, from
    /// the next guest message on.
    fn set_consent_keywords(&self, org: OrganizationId, keywords: &ConsentKeywords) -> Result<()>;
    /// The organization's consent keywords (the defaults until set).
    fn consent_keywords(&self, org: OrganizationId) -> Result<ConsentKeywords>;
    fn organizations(&self) -> Result<Vec<Organization>>;
    /// Creates a user; the password is kept only as a slow salted hash. Emails are unique
    /// regardless of case ([`super::StoreError::Conflict`]).
    fn create_user(
        &self,
        org: OrganizationId,
        name: &str,
        email: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<UserId>;
    fn user_by_email(&self, email: &str) -> Result<Option<UserId>>;
    /// Checks the password and opens a session for `token` (kept only as a hash). `None` for
    /// an unknown email or a wrong password alike.
    fn sign_in(
        &self,
        email: &str,
        password: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Session>>;
    /// The caller behind a bearer token, if the session is neither expired nor revoked.
    fn caller(&self, token: &str, now: Timestamp) -> Result<Option<Caller>>;
    /// Revokes a session; unknown tokens are fine.
    fn sign_out(&self, token: &str, now: Timestamp) -> Result<()>;
    /// What the app shows of the signed-in user (`GET /v1/me`).
    fn session(&self, user: UserId) -> Result<Session>;
    fn connect_line(&self, org: OrganizationId, line: NewLine) -> Result<Uuid>;
    fn line(&self, id: Uuid) -> Result<Line>;
    /// Connects (or, with `None`, disconnects) the line's SMS and voice carrier (F22).
    fn set_line_carrier(
        &self,
        line: Uuid,
        carrier: Option<&crate::carrier::CarrierConfig>,
    ) -> Result<()>;
    /// The organization's (first) WhatsApp line.
    fn line_of_org(&self, org: OrganizationId) -> Result<Line>;
}

/// The organization's address book (F2-F3).
pub trait ContactStore {
    /// Creates a contact without validation or events: seeding and admin use.
    fn create_contact(
        &self,
        org: OrganizationId,
        name: &str,
        company: Option<&str>,
        notes: Option<&str>,
        phones: &[ContactPhone],
        now: Timestamp,
    ) -> Result<Contact>;
    /// Contacts by name; `query` matches name, company or number. Deleted ones are hidden.
    fn contacts(&self, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>>;
    fn contact(&self, org: OrganizationId, id: ContactId) -> Result<Contact>;
    /// Creates (`id` None) or replaces a contact after validating `input`; audited, and
    /// announced to every user of the organization.
    fn save_contact(
        &self,
        caller: Caller,
        id: Option<ContactId>,
        input: &ContactInput,
        now: Timestamp,
    ) -> Result<(Contact, Vec<UserId>)>;
    /// Hides a contact; its threads keep their history.
    fn delete_contact(&self, caller: Caller, id: ContactId, now: Timestamp) -> Result<Vec<UserId>>;
}

/// Threads: one line, one guest, participants; at most one open thread per (line, guest).
pub trait ThreadStore {
    /// The open thread with the contact on that number and channel (joining the caller to
    /// it), or a new one with the caller as its participant. `unknown_number` if the number
    /// is not the contact's; `sms_unavailable` for SMS on a line without a carrier;
    /// `voicemail_thread` for voicemail (a caller opens those).
    fn open_thread(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        channel: Channel,
        now: Timestamp,
    ) -> Result<(Thread, Vec<UserId>)>;
    /// [`ThreadStore::open_thread`] on WhatsApp.
    fn open_whatsapp_thread(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        now: Timestamp,
    ) -> Result<(Thread, Vec<UserId>)> {
        self.open_thread(caller, contact, phone, Channel::Whatsapp, now)
    }
    /// The caller's threads, newest activity first.
    fn threads(&self, caller: Caller) -> Result<Vec<Thread>>;
    fn thread(&self, caller: Caller, id: ThreadId) -> Result<Thread>;
    /// Records a guest's consent (F4-F6) as an admin's act (seeding, importing consent given
    /// elsewhere): audited, and announced to the participants of the guest's threads.
    fn set_guest_consent(
        &self,
        line: Uuid,
        guest: &E164,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    /// The carrier refused a text as the number opted out (F22): texts to it are refused
    /// until the guest opts back in; audited and announced to the guest's SMS threads.
    fn sms_opted_out(&self, line: Uuid, guest: &E164, now: Timestamp) -> Result<Vec<UserId>>;
    /// When each guest of a line last wrote (their latest message over all threads).
    fn last_guest_messages(&self, line: Uuid) -> Result<Vec<(E164, Timestamp)>>;
    /// The caller has read the thread up to `now`. Returns the newest inbound wamid (for the
    /// Cloud API's read receipt), the line, and who to tell.
    fn mark_read(
        &self,
        caller: Caller,
        thread: ThreadId,
        now: Timestamp,
    ) -> Result<(Option<String>, Uuid, Vec<UserId>)>;
}

/// Group threads (F19-F20).
pub trait ParticipantStore {
    /// The caller's organization's users (the caller included): whom a participant may add
    /// or transfer to.
    fn colleagues(&self, caller: Caller) -> Result<Vec<User>>;
    /// Applies add / remove / leave / transfer / restart as the domain allows; returns the
    /// restarted thread, if any, and who to tell (including those who lost access).
    fn change_participants(
        &self,
        caller: Caller,
        thread: ThreadId,
        op: Operation,
        now: Timestamp,
    ) -> Result<(Option<Thread>, Vec<UserId>)>;
}

/// The send path: every send is checked against the policy, idempotent on the client's id,
/// stored and queued in one step.
pub trait MessageStore {
    /// A thread's messages, oldest first.
    fn messages(&self, caller: Caller, thread: ThreadId) -> Result<Vec<Message>>;
    fn enqueue_text(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        text: &str,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)>;
    fn enqueue_picture(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        media: MediaId,
        caption: Option<&str>,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)>;
    fn enqueue_template(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        name_and_language: (&str, &str),
        values: &TemplateValues,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)>;
    /// A voicemail was played by the caller (F22): records when, once; audited, announced.
    /// `not_a_voicemail` for any other message.
    fn mark_heard(
        &self,
        caller: Caller,
        id: MessageId,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)>;
    /// The opt-in request (F4): the organization's opt-in template to a guest without consent.
    fn enqueue_opt_in(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)>;
}

/// The durable dispatch queue.
pub trait OutboxStore {
    /// Takes the next due job: the oldest queued message of a thread with nothing earlier
    /// still queued or in flight (per-thread order), marking it in flight.
    fn claim_next(&self, now: Timestamp) -> Result<Option<OutboundJob>>;
    /// When the earliest queued job becomes due.
    fn next_due(&self) -> Result<Option<Timestamp>>;
    /// The Cloud API accepted the message as `wamid`.
    fn complete_sent(&self, id: MessageId, wamid: &str, now: Timestamp) -> Result<Vec<UserId>>;
    /// The send failed for good; `template_required` moves the thread to template-only.
    fn complete_failed(
        &self,
        id: MessageId,
        reason: &str,
        template_required: bool,
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    /// Puts an in-flight job back in the queue, due at `at`.
    fn retry_at(&self, id: MessageId, at: Timestamp) -> Result<()>;
    /// After a crash: jobs left in flight are failed ("unknown outcome"), never re-sent, so a
    /// guest never receives a message twice.
    fn recover_in_flight(&self, now: Timestamp) -> Result<Vec<UserId>>;
}

/// What webhooks bring: inbound messages and statuses, through a durable inbox.
pub trait InboxStore {
    /// Stores an inbound message once (by wamid) in the guest's open thread, or a new thread
    /// for the line's owner. Empty when it was a duplicate.
    fn ingest_inbound(
        &self,
        line: &Line,
        inbound: &InboundMessage,
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    fn knows_wamid(&self, wamid: &str) -> Result<bool>;
    /// A voicemail's transcript (F22), by the carrier's recording id on that line; one that
    /// comes before its voicemail is kept and applied when the voicemail is stored.
    fn attach_transcript(
        &self,
        line: Uuid,
        recording_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    /// Applies a delivery status; states never move backwards, and a status that arrives
    /// before the send's answer is kept until the wamid is known.
    fn apply_status(
        &self,
        line: Uuid,
        update: &StatusUpdate,
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    /// Keeps a verified webhook body before the 200 is sent.
    fn inbox_push(&self, line: Uuid, body: &[u8], now: Timestamp) -> Result<i64>;
    /// Unprocessed webhook bodies, oldest first.
    fn inbox_pending(&self, limit: usize) -> Result<Vec<(i64, Uuid, Vec<u8>)>>;
    /// Records a processing failure; true when it reached `max` attempts and was set aside.
    fn inbox_failed(&self, id: i64, error: &str, max: u32, now: Timestamp) -> Result<bool>;
    /// Applies parsed webhook bodies and marks them done, all in one transaction.
    fn apply_inbox(&self, work: &[InboxWork], now: Timestamp) -> Result<Vec<UserId>>;
    fn inbox_done(&self, id: i64, now: Timestamp) -> Result<()>;
}

/// Pictures (F18).
pub trait MediaStore {
    /// Keeps an uploaded picture, readable by its uploader until it is sent.
    fn put_upload(
        &self,
        caller: Caller,
        mime_type: &str,
        size: (u32, u32),
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<MediaInfo>;
    /// A picture the caller may see: its upload, or one in a thread the caller is in.
    fn media_for(&self, caller: Caller, id: MediaId) -> Result<StoredMedia>;
    /// A picture by id, unscoped: for the dispatch worker.
    fn media(&self, id: MediaId) -> Result<StoredMedia>;
}

/// Templates as synced from the Cloud API.
pub trait TemplateStore {
    /// Replaces a line's templates with what the Cloud API lists; tells every user when the
    /// approved set changed.
    fn replace_templates(
        &self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<Vec<UserId>>;
    /// Approved templates only: the only ones offered and sent.
    fn approved_templates(&self, org: OrganizationId) -> Result<Vec<Template>>;
}

/// Per-user event logs.
pub trait EventStore {
    /// The user's latest event number (0 before any).
    fn head_seq(&self, user: UserId) -> Result<u64>;
    /// Up to `limit` events numbered after `after`, in order.
    fn events_after(&self, user: UserId, after: u64, limit: usize) -> Result<Vec<EventEnvelope>>;
}

/// The append-only audit record (F21).
pub trait AuditStore {
    /// Every record of an organization, oldest first, as JSON objects with `at`, `actor`,
    /// `action`, `thread_id` and `detail`.
    fn audit(&self, org: OrganizationId) -> Result<Vec<serde_json::Value>>;
    /// Records an admin's change (actor `admin`).
    fn audit_admin(
        &self,
        org: OrganizationId,
        at: Timestamp,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()>;
    /// How many records of each kind are stored, by the backend's own names: tests check
    /// that a refused request wrote nothing, anywhere.
    fn row_counts(&self) -> Result<Vec<(String, i64)>>;
}

/// A complete store: what the connector runs on.
pub trait Store:
    AccountStore
    + ContactStore
    + ThreadStore
    + ParticipantStore
    + MessageStore
    + OutboxStore
    + InboxStore
    + MediaStore
    + TemplateStore
    + EventStore
    + AuditStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: AccountStore
        + ContactStore
        + ThreadStore
        + ParticipantStore
        + MessageStore
        + OutboxStore
        + InboxStore
        + MediaStore
        + TemplateStore
        + EventStore
        + AuditStore
        + Send
        + Sync
{
}
