//! The store's contract: what the connector asks of persistence, whatever the backend.
//! [`sqlite::SqliteStore`] is the embedded default; [`postgres::PgStore`] serves several
//! instances. Each implements [`Store`] and the transaction traits below and passes the same
//! [`conformance`] suite.
//!
//! The store decides nothing. The rules live in the use cases (`crate::usecases`), which read
//! facts and write rows through one [`Tx`] each; a backend only keeps records:
//!
//! - **Atomicity.** Everything done through one [`Tx`] commits together, or nothing does:
//!   a change, its audit records and the events announcing it are one transaction. Work that
//!   returns an error (a refusal included) leaves no trace.
//! - **Scoping.** Reads that take an organization see only that organization's records;
//!   [`ThreadTx::is_participant`] answers for current participants only.
//! - **Ordering.** Each user's events are numbered 1, 2, 3... without gaps, in commit order
//!   ([`EventTx::push_event`]). A thread's messages are listed by their time, then in the
//!   order they were stored.
//! - **Idempotency.** A message's provider id (wamid) and an author's client id are unique:
//!   inserting either again is [`Error::Conflict`], and nothing else is written. A conflict
//!   ends the transaction (PostgreSQL takes nothing more in it): work returns it.
//! - **Claims.** [`OutboxTx::claim_next`] hands out the oldest due message of a thread with
//!   nothing earlier queued or in flight, once, and marks it in flight.
//! - **Append-only audit.** Audit records are only ever added ([`AuditTx::append_audit`]).
//!
//! Methods block: callers run them on blocking threads, never on the async runtime.

pub mod audit_chain;
pub mod conformance;
pub mod migrate;
pub mod postgres;
pub mod secrets;
pub mod sqlite;
mod types;

use multiline_domain::api::{
    Channel, Contact, DeliveryState, EventEnvelope, MediaInfo, Message, MessageBody, Organization,
    Session, Thread, User,
};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{
    ClientMessageId, ContactId, MediaId, MessageId, OrganizationId, ThreadId, UserId,
};
use multiline_domain::messages::Remedy;
use multiline_domain::phone::E164;
use multiline_domain::templates::{Template, TemplateStatus};
use multiline_domain::time::Timestamp;
use uuid::Uuid;

pub use crate::error::{Error, Result};
pub use types::*;

/// A store: opens transactions. [`StoreExt`] gives them a return value.
pub trait Store: Send + Sync {
    /// Runs `work` in one transaction that may write; commits when it returns `Ok`, rolls back
    /// when it returns an error (which is passed on). A backend may run `work` again after a
    /// conflict with a concurrent transaction, so `work` must not have effects of its own.
    fn write_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;

    /// Runs `work` in one read-only transaction: a consistent snapshot.
    fn read_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;

    /// A write on the work queues alone: taking queued work (the outbox's next message, a
    /// line's inbox rows) or adding to a queue (a webhook kept before it is answered), with
    /// the contract of [`Store::write_with`]. Such a write changes no row that another
    /// write reads and then changes, so on a store several instances share it need not
    /// wait its turn behind the others: instances claiming at once take different work
    /// instead of conflicting, and writes adding at once share their commit's flush
    /// (PostgreSQL: READ COMMITTED, rows taken `FOR UPDATE SKIP LOCKED` or leased by an
    /// atomic upsert, outside the writes lock). Only such work runs in it.
    fn queue_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.write_with(work)
    }

    /// How many records of each kind are stored, by the backend's own names: tests check that
    /// refused work wrote nothing, anywhere.
    fn row_counts(&self) -> Result<Vec<(String, i64)>>;

    /// A number that changes when another process (an admin command) commits to the store:
    /// a running connector re-checks what it keeps in memory (open event sockets' sessions)
    /// when it moves.
    fn outside_writes(&self) -> Result<u64>;

    /// Whether this store can serve this build: an error when it cannot be reached; `false`
    /// when its schema is older than the build's (migrations not applied yet).
    fn schema_current(&self) -> Result<bool>;

    /// Whether several connector processes may work on this store at once (PostgreSQL):
    /// then a message in flight may be another live instance's, and is recovered only after
    /// its claim's lease; a store one process alone uses (SQLite) recovers them all at start.
    fn shared(&self) -> bool {
        false
    }

    /// Calls `tell` with each user whose events another process committed (`None`: some may
    /// have been missed; every event socket should look), until the returned guard is
    /// dropped. `None` for a store one process alone uses (each commit's users are told in
    /// that process).
    fn follow_events(&self, tell: EventTell) -> Result<Option<Box<dyn Send + Sync>>> {
        let _ = tell;
        Ok(None)
    }

    /// Takes one of `line`'s send slots: Meta's throughput per business number,
    /// `per_second` sends with a burst of as many, held by a store several instances share
    /// for all of them, on the store's own clock (the one clock they share). `None`: taken;
    /// `Some(wait)`: the next is free in `wait`. A store one process alone uses holds none
    /// (that process limits itself): it refuses.
    fn take_send_slot(
        &self,
        line: Uuid,
        per_second: std::num::NonZeroU32,
    ) -> Result<Option<std::time::Duration>> {
        let _ = (line, per_second);
        Err(Error::Backend(
            "this store does not hold send slots: one process uses it".into(),
        ))
    }

    /// Whether this process should start the periodic `job` now: on a store several
    /// instances share, one of them per period of `every` (on the store's clock); on a store
    /// one process uses, always (that process keeps its own pace).
    fn claim_periodic(&self, job: &str, every: std::time::Duration) -> Result<bool> {
        let _ = (job, every);
        Ok(true)
    }
}

/// What [`Store::follow_events`] calls.
pub type EventTell = Box<dyn Fn(Option<UserId>) + Send + Sync>;

/// [`Store`]'s transactions with a value: `store.write(|tx| ...)`.
pub trait StoreExt: Store {
    fn write<T>(&self, mut work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.write_with(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        Ok(out.expect("the work ran to its end"))
    }

    /// [`Store::queue_with`] with a value.
    fn queue<T>(&self, mut work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.queue_with(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        Ok(out.expect("the work ran to its end"))
    }

    fn read<T>(&self, mut work: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.read_with(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        Ok(out.expect("the work ran to its end"))
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// One transaction: everything a use case reads and writes.
pub trait Tx:
    AccountTx
    + ContactTx
    + ThreadTx
    + MessageTx
    + OutboxTx
    + InboxTx
    + MediaTx
    + TemplateTx
    + EventTx
    + AuditTx
{
}

impl<T> Tx for T where
    T: AccountTx
        + ContactTx
        + ThreadTx
        + MessageTx
        + OutboxTx
        + InboxTx
        + MediaTx
        + TemplateTx
        + EventTx
        + AuditTx
        + ?Sized
{
}

/// Organizations, users, sessions and business lines.
pub trait AccountTx {
    fn insert_organization(
        &mut self,
        id: OrganizationId,
        name: &str,
        whatsapp_enabled: bool,
        now: Timestamp,
    ) -> Result<()>;
    /// Changes one setting; [`Error::NotFound`] for an unknown organization.
    fn set_org_setting(&mut self, org: OrganizationId, setting: &OrgSetting) -> Result<()>;
    /// The organization's facts and settings (defaults for settings never set).
    fn organization(&mut self, org: OrganizationId) -> Result<OrgRecord>;
    /// Every organization, oldest first.
    fn organizations(&mut self) -> Result<Vec<Organization>>;
    /// [`Error::Conflict`] when the email (compared as stored: the use case lower-cases it)
    /// is taken, in any organization.
    fn insert_user(&mut self, user: &NewUser) -> Result<()>;
    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>>;
    /// The organization's users who are not disabled, by name.
    fn users_of_org(&mut self, org: OrganizationId) -> Result<Vec<User>>;
    /// The user and their organization (`GET /v1/me`).
    fn session(&mut self, user: UserId) -> Result<Session>;
    fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Who holds a session that is not expired at `now`, was last seen after `idle_since`,
    /// is not revoked, and whose user is not disabled; and when it was last seen.
    fn session_caller(
        &mut self,
        token_hash: &str,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Option<(Caller, Timestamp)>>;
    /// The session was used at `now` (never moves back).
    fn touch_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// Revokes a session; an unknown one is fine.
    fn revoke_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// Revokes every live session of a user; answers how many.
    fn revoke_sessions_of(&mut self, user: UserId, now: Timestamp) -> Result<usize>;
    /// Disables a user from `at` (or enables them again with `None`): a disabled user's
    /// sessions are not callers, and they are no colleague to add.
    /// [`Error::NotFound`] for an unknown user.
    fn set_user_disabled(&mut self, user: UserId, at: Option<Timestamp>) -> Result<()>;
    /// Adds the line `id`, or updates the one with the same phone number id (which keeps its
    /// id); answers the line's id.
    fn upsert_line(&mut self, org: OrganizationId, id: Uuid, line: &NewLine) -> Result<Uuid>;
    /// The lines with this phone number id or this WhatsApp Business Account, in any
    /// organization, oldest first.
    fn lines_claiming(&mut self, phone_number_id: &str, waba_id: &str) -> Result<Vec<Line>>;
    fn line(&mut self, id: Uuid) -> Result<Line>;
    /// The organization's (first) line.
    fn line_of_org(&mut self, org: OrganizationId) -> Result<Line>;
    fn set_line_carrier(&mut self, line: Uuid, carrier: Option<&CarrierAccount>) -> Result<()>;
    /// Sets the Graph API version the line's requests name (`v25.0`); [`Error::NotFound`]
    /// for an unknown line.
    fn set_line_api_version(&mut self, line: Uuid, version: &str) -> Result<()>;
    /// Remembers the last end-of-version warning told about the line (`v21.0:30`), read
    /// back as [`Line::api_version_warned`].
    fn set_line_version_warned(&mut self, line: Uuid, warned: &str) -> Result<()>;
    /// Remembers the error that stops the line from sending, as told to its owner (`None`
    /// once it sends again), read back as [`Line::blocked_told`].
    fn set_line_blocked_told(&mut self, line: Uuid, code: Option<&str>) -> Result<()>;
}

/// The address book.
pub trait ContactTx {
    fn insert_contact(&mut self, contact: &NewContact) -> Result<()>;
    /// Replaces a contact's fields and numbers; [`Error::NotFound`] for a contact the
    /// organization does not have (or deleted).
    fn update_contact(
        &mut self,
        org: OrganizationId,
        id: ContactId,
        fields: &ContactFields,
    ) -> Result<()>;
    /// Hides a contact; its threads keep it. [`Error::NotFound`] as for updates.
    fn hide_contact(&mut self, org: OrganizationId, id: ContactId, now: Timestamp) -> Result<()>;
    fn contact(&mut self, org: OrganizationId, id: ContactId) -> Result<Contact>;
    /// Contacts by name; `query` matches a part of the name, company or a number.
    fn contacts(&mut self, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>>;
    /// The (oldest) contact with this number.
    fn contact_by_phone(&mut self, org: OrganizationId, phone: &E164) -> Result<Option<ContactId>>;
}

/// Threads, their participants, and the guests' standing.
pub trait ThreadTx {
    /// Creates a thread, open, with its participants.
    fn insert_thread(&mut self, thread: &NewThread) -> Result<()>;
    fn thread(&mut self, id: ThreadId) -> Result<ThreadRecord>;
    /// The thread as `user` sees it: facts, contact name, unread count, participants.
    fn thread_view(&mut self, id: ThreadId, user: UserId) -> Result<Thread>;
    /// The threads `caller` takes part in, newest activity first.
    fn threads_of(&mut self, caller: Caller) -> Result<Vec<Thread>>;
    /// The open thread of (line, channel) with this guest: by its key, or by the number or
    /// the user id it knows of them (a guest first known by one may come with the other).
    fn open_thread_of(
        &mut self,
        line: Uuid,
        channel: Channel,
        guest: &GuestIds,
    ) -> Result<Option<ThreadId>>;
    /// Fills in what a thread did not know of its guest (a number revealed, a user id, a
    /// profile name); never changes its key, never forgets an id.
    fn learn_guest(&mut self, id: ThreadId, guest: &GuestIds, name: Option<&str>) -> Result<()>;
    /// The guest's new number (a user confirmed WhatsApp's notice): the thread writes to it;
    /// its key stays.
    fn set_guest_phone(&mut self, id: ThreadId, phone: &E164) -> Result<()>;
    /// Every thread of a guest (by key) on a line (on `channel` only, if given).
    fn threads_of_guest(
        &mut self,
        line: Uuid,
        guest: &str,
        channel: Option<Channel>,
    ) -> Result<Vec<ThreadId>>;
    /// When each guest of a line whose number is known last wrote (their latest message over
    /// all threads).
    fn last_guest_messages(&mut self, line: Uuid) -> Result<Vec<(E164, Timestamp)>>;
    fn close_thread(&mut self, id: ThreadId) -> Result<()>;
    /// Opens a closed thread again; a conflict while its guest has another open thread on
    /// the line and channel.
    fn reopen_thread(&mut self, id: ThreadId) -> Result<()>;
    fn set_template_required(&mut self, id: ThreadId, required: bool) -> Result<()>;
    fn set_preview(&mut self, id: ThreadId, preview: &str) -> Result<()>;
    /// A message at `at` moves the window's facts forward (never back): the latest message,
    /// and the guest's latest if `from_guest`.
    fn record_activity(&mut self, id: ThreadId, at: Timestamp, from_guest: bool) -> Result<()>;
    /// A guest's message at `at`: its preview shown, the window's facts moved forward
    /// ([`ThreadTx::record_activity`] from the guest), and no template required any more.
    /// The three writes above; a backend may make them one.
    fn guest_message_arrived(&mut self, id: ThreadId, at: Timestamp, preview: &str) -> Result<()> {
        self.set_preview(id, preview)?;
        self.record_activity(id, at, true)?;
        self.set_template_required(id, false)
    }

    /// Whether `caller` is a current participant of `thread` in their organization.
    fn is_participant(&mut self, caller: Caller, thread: ThreadId) -> Result<bool>;
    /// Current participants, in the order they joined.
    fn participants(&mut self, thread: ThreadId) -> Result<Vec<UserId>>;
    /// Adds (or brings back) a participant; false when they were in already.
    fn join(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<bool>;
    fn leave(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()>;
    fn set_last_read(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()>;

    /// The guest's standing of `kind` on a line, by the guest's key ([`GuestIds::key`]);
    /// `Consent::None` until something happened.
    fn standing(&mut self, kind: Standing, line: Uuid, guest: &str) -> Result<Consent>;
    fn set_standing(
        &mut self,
        kind: Standing,
        line: Uuid,
        guest: &str,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<()>;
}

/// Messages.
pub trait MessageTx {
    /// [`Error::Conflict`] for a wamid, or an author's client id, stored already.
    fn insert_message(&mut self, message: &NewMessage) -> Result<()>;
    fn message(&mut self, id: MessageId) -> Result<Message>;
    /// What the provider sent for a message of a kind the app cannot show, as sent.
    fn message_raw(&mut self, id: MessageId) -> Result<Option<String>>;
    /// A thread's messages, oldest first.
    fn messages(&mut self, thread: ThreadId) -> Result<Vec<Message>>;
    /// The message `author` sent with `client_id`, and its thread.
    fn message_by_client_id(
        &mut self,
        author: UserId,
        client_id: ClientMessageId,
    ) -> Result<Option<(MessageId, ThreadId)>>;
    /// Whether any message has this provider id.
    fn wamid_known(&mut self, wamid: &str) -> Result<bool>;
    /// A hint: the transaction is about to ask [`MessageTx::wamid_known`] of these (a batch
    /// of webhooks). A backend may read them all at once; by default nothing is done.
    fn expect_wamids(&mut self, wamids: &[&str]) -> Result<()> {
        let _ = wamids;
        Ok(())
    }
    /// An outbound message of a thread of `line`, by its provider id.
    fn outbound_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>>;
    /// A message of a thread of `line`, either way, by its provider id.
    fn message_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>>;
    /// Sets the guest's reaction (or its removal) to the message with provider id `target` on
    /// `line`, unless a newer one is kept; kept by that id, so it shows once the message is
    /// known.
    fn set_reaction(&mut self, line: Uuid, target: &str, reaction: &NewReaction) -> Result<()>;
    /// A voicemail of `line`, by its recording's id.
    fn voicemail_by_recording(&mut self, line: Uuid, recording: &str) -> Result<Option<MessageId>>;
    /// The newest guest message's provider id in a WhatsApp thread (read receipts).
    fn newest_inbound_wamid(&mut self, thread: ThreadId) -> Result<Option<String>>;
    /// When the business last wrote in `thread`, up to `until`.
    fn latest_outbound_at(
        &mut self,
        thread: ThreadId,
        until: Timestamp,
    ) -> Result<Option<Timestamp>>;
    fn set_message_state(
        &mut self,
        id: MessageId,
        state: DeliveryState,
        failure: Option<&str>,
    ) -> Result<()>;
    /// What a user can do about a failed message.
    fn set_message_remedy(&mut self, id: MessageId, remedy: Option<Remedy>) -> Result<()>;
    /// A failed message back to `sending`, its failure and remedy cleared. `false` (nothing
    /// changed) unless it was failed or not confirmed: two retries at once make one.
    fn unfail_message(&mut self, id: MessageId) -> Result<bool>;
    fn set_message_wamid(&mut self, id: MessageId, wamid: &str) -> Result<()>;
    fn set_message_body(&mut self, id: MessageId, body: &MessageBody) -> Result<()>;
}

/// The durable dispatch queue.
pub trait OutboxTx {
    /// Queues a message, due at `due`, behind its thread's earlier ones.
    fn queue(&mut self, message: MessageId, thread: ThreadId, due: Timestamp) -> Result<()>;
    /// Takes the oldest due message of a thread with nothing earlier still queued or in
    /// flight, marks it in flight and counts the attempt.
    fn claim_next(&mut self, now: Timestamp) -> Result<Option<Claimed>>;
    /// When the earliest head of a thread's queue is due (in-flight ones excepted).
    fn next_due(&mut self) -> Result<Option<Timestamp>>;
    /// Puts an in-flight message back in the queue, due at `at`.
    fn retry_at(&mut self, message: MessageId, at: Timestamp) -> Result<()>;
    /// Takes a message out of the queue (sent, or failed for good).
    fn dequeue(&mut self, message: MessageId) -> Result<()>;
    /// Moves the claim on `message` taken at `claimed_at` to `now`; `false` (and nothing
    /// written) when that claim is no longer there (the message was recovered, re-queued or
    /// claimed again since).
    fn renew_claim(
        &mut self,
        message: MessageId,
        claimed_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;
    /// Messages marked in flight since before `claimed_before`, oldest claim first.
    fn in_flight(&mut self, claimed_before: Timestamp) -> Result<Vec<MessageId>>;
    /// What waits to go out, per line (queued and in flight; lines with nothing queued are
    /// left out): how many, and when the oldest was written.
    fn outbox_backlog(&mut self) -> Result<Vec<(Uuid, Backlog)>>;
    /// Keeps a status that came before its message's provider id was known.
    fn keep_early_status(&mut self, line: Uuid, status: &EarlyStatus, now: Timestamp)
    -> Result<()>;
    /// Takes (and forgets) the statuses kept for `wamid` on `line`, in arrival order.
    fn take_early_statuses(&mut self, line: Uuid, wamid: &str) -> Result<Vec<EarlyStatus>>;
}

/// The durable webhook inbox.
pub trait InboxTx {
    /// Keeps a verified webhook before it is answered.
    fn inbox_push(
        &mut self,
        line: Uuid,
        source: InboxSource,
        body: &[u8],
        now: Timestamp,
    ) -> Result<i64>;
    /// Unprocessed rows due at `now`, oldest first.
    fn inbox_pending(&mut self, now: Timestamp, limit: usize) -> Result<Vec<InboxRow>>;
    /// For `holder` (an instance): the due rows, oldest first (`limit` at most), of one line
    /// whose inbox no other holder leases past `now`, that lease taken or renewed until
    /// `until`. One instance at a time applies a line's rows, in their order, and a row's
    /// failed attempts are counted once, not once per instance; a dead holder's lines are
    /// taken over when its lease runs out. A store one process uses has one holder: it
    /// hands every due row, as [`InboxTx::inbox_pending`] (run in [`Store::queue_with`]).
    fn inbox_claim(
        &mut self,
        holder: Uuid,
        now: Timestamp,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<InboxRow>> {
        let _ = (holder, until);
        self.inbox_pending(now, limit)
    }
    /// Gives up `holder`'s leases of lines' inboxes (its work there is done, or it stops):
    /// another instance may take those lines at once.
    fn inbox_release(&mut self, holder: Uuid) -> Result<()> {
        let _ = holder;
        Ok(())
    }
    /// When the earliest unprocessed row is due.
    fn inbox_next_due(&mut self) -> Result<Option<Timestamp>>;
    /// Counts a failed attempt, due again at `retry_at`; after `max` attempts the row is set
    /// aside (processed, with its error). True when it was set aside.
    fn inbox_failed(
        &mut self,
        id: i64,
        error: &str,
        max: u32,
        retry_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;
    /// Marks a row applied; false when it was not waiting (applied or set aside already:
    /// a second worker's copy, whose effects must not be written twice).
    fn inbox_done(&mut self, id: i64, now: Timestamp) -> Result<bool>;
    /// [`InboxTx::inbox_done`] for each row of `ids`: the ones it marked (those that were
    /// waiting), in any order. A backend may mark them in one write.
    fn inbox_done_all(&mut self, ids: &[i64], now: Timestamp) -> Result<Vec<i64>> {
        let mut done = Vec::with_capacity(ids.len());
        for &id in ids {
            if self.inbox_done(id, now)? {
                done.push(id);
            }
        }
        Ok(done)
    }
    /// Keeps a row set aside at once (a dead letter: what cannot be read), with why.
    fn inbox_set_aside(
        &mut self,
        line: Uuid,
        source: InboxSource,
        body: &[u8],
        error: &str,
        now: Timestamp,
    ) -> Result<i64>;
    /// Rows set aside, oldest first.
    fn inbox_dead_letters(&mut self, limit: usize) -> Result<Vec<DeadLetter>>;
    /// What waits to be applied (received, neither applied nor set aside) and how many rows
    /// are set aside.
    fn inbox_backlog(&mut self) -> Result<InboxBacklog>;
    /// Brings a set-aside row back, due now (or when it was last due, if earlier: an admin's
    /// clock may be ahead of the server's), its attempts counted from zero; false when there
    /// is no such dead letter.
    fn inbox_retry(&mut self, id: i64, now: Timestamp) -> Result<bool>;
    /// Keeps a transcript that came before its voicemail.
    fn keep_early_transcript(
        &mut self,
        line: Uuid,
        recording: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<()>;
    fn take_early_transcript(&mut self, line: Uuid, recording: &str) -> Result<Option<String>>;
}

/// Pictures and recordings.
pub trait MediaTx {
    fn insert_media(&mut self, media: &NewMedia) -> Result<MediaInfo>;
    /// What is known of a medium of `org`, without its bytes.
    fn media_record(&mut self, org: OrganizationId, id: MediaId) -> Result<Option<MediaRecord>>;
    /// Ties a medium to the thread it is sent in.
    fn attach_media(&mut self, id: MediaId, thread: ThreadId) -> Result<()>;
    /// A medium with its bytes, unscoped (the dispatcher's).
    fn media(&mut self, id: MediaId) -> Result<StoredMedia>;
}

/// Templates as the Cloud API lists them, per line.
pub trait TemplateTx {
    /// Replaces a line's templates; true when anything changed.
    fn replace_templates(
        &mut self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<bool>;
    /// A template of the organization's line, whatever its status; `None` for one unknown
    /// or one the domain cannot read.
    fn template(
        &mut self,
        org: OrganizationId,
        name: &str,
        language: &str,
    ) -> Result<Option<Template>>;
    /// The ones in one of `statuses`, by name then language.
    fn templates_in(
        &mut self,
        org: OrganizationId,
        statuses: &[TemplateStatus],
    ) -> Result<Vec<Template>>;
    /// The approved ones, by name.
    fn approved_templates(&mut self, org: OrganizationId) -> Result<Vec<Template>> {
        self.templates_in(org, &[TemplateStatus::Approved])
    }
}

/// Per-user event logs.
pub trait EventTx {
    /// Appends to `user`'s log; answers its number (1, 2, 3...).
    fn push_event(
        &mut self,
        user: UserId,
        event: &multiline_domain::api::Event,
        now: Timestamp,
    ) -> Result<u64>;
    /// Appends `events` to `user`'s log, in order. [`EventTx::push_event`] for each; a
    /// backend may make them one write (and send it with its next statement).
    fn push_events(
        &mut self,
        user: UserId,
        events: &[&multiline_domain::api::Event],
        now: Timestamp,
    ) -> Result<()> {
        for event in events {
            self.push_event(user, event, now)?;
        }
        Ok(())
    }
    /// Where a batch of changes holds the threads whose views it tells once, at its end
    /// (`usecases::announce`); `None` (the default of each transaction) outside a batch.
    fn held_views(&mut self) -> &mut Option<Vec<ThreadId>>;
    /// The user's latest event number (0 before any).
    fn head_seq(&mut self, user: UserId) -> Result<u64>;
    /// Up to `limit` events numbered after `after`, in order.
    fn events_after(
        &mut self,
        user: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>>;
}

/// The append-only audit record (F21).
pub trait AuditTx {
    /// Appends a record, chained to the organization's previous one (see [`audit_chain`]).
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// An organization's records with their links, oldest first, and its kept head (the
    /// number of records and the latest hash), for `audit verify`.
    fn audit_links(
        &mut self,
        org: OrganizationId,
    ) -> Result<(Vec<audit_chain::AuditLink>, Option<audit_chain::Head>)>;
    /// Every record of an organization, oldest first, as JSON objects with `id`, `at`,
    /// `actor`, `action`, `thread_id` and `detail`.
    fn audit(&mut self, org: OrganizationId) -> Result<Vec<serde_json::Value>>;
}
