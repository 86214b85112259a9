//! The use cases at explicit times, on a real SQLite store in a temp dir: what the rules'
//! tests drive. Each method is one use case (or one read), called as the API or a worker
//! would, at the time given.

use std::sync::Arc;

use multiline_connector::error::Result;
use multiline_connector::store::sqlite::SqliteStore;
use multiline_connector::store::{
    AuditEntry, Caller, CarrierAccount, Line, ListedTemplate, NewLine, OrgSetting, Store, StoreExt,
    StoredMedia,
};
use multiline_connector::usecases::deliver::{self, OutboundJob};
use multiline_connector::usecases::receive::{self, Arrivals, Inbound, StatusUpdate};
use multiline_connector::usecases::{
    Env, Told, accounts, contacts, media, participants, send, templates, threads,
};
use multiline_domain::api::{
    Channel, Contact, ContactInput, ContactPhone, EventEnvelope, MediaInfo, Message, Session,
    Thread, User,
};
use multiline_domain::consent::{Consent, ConsentKeywords};
use multiline_domain::ids::{
    ClientMessageId, ContactId, IdSource, MediaId, MessageId, OrganizationId, SequentialIds,
    ThreadId, UserId,
};
use multiline_domain::participants::Operation;
use multiline_domain::phone::E164;
use multiline_domain::templates::{Template, TemplateValues};
use multiline_domain::time::{ManualClock, Timestamp};
use multiline_domain::window::WindowRule;
use uuid::Uuid;

pub struct Rules {
    dir: tempfile::TempDir,
    pub store: SqliteStore,
    ids: SequentialIds,
}

impl Rules {
    pub fn new() -> Rules {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("rules.sqlite3")).unwrap();
        let clock = Arc::new(ManualClock::new(super::t0()));
        Rules {
            dir,
            store,
            ids: SequentialIds::new(clock),
        }
    }

    /// The store's file, to look at what is on disk.
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("rules.sqlite3")
    }

    /// The use cases' environment at `now`.
    pub fn at(&self, now: Timestamp) -> Env<'_> {
        Env {
            store: &self.store,
            ids: &self.ids as &dyn IdSource,
            now,
        }
    }

    fn now(&self) -> Env<'_> {
        self.at(super::t0())
    }

    // ---- accounts ----

    pub fn create_organization(
        &self,
        name: &str,
        enabled: bool,
        now: Timestamp,
    ) -> Result<OrganizationId> {
        accounts::create_organization(&self.at(now), name, enabled)
    }
    pub fn set_whatsapp_enabled(&self, org: OrganizationId, on: bool) -> Result<()> {
        accounts::set_org_setting(&self.now(), org, &OrgSetting::WhatsappEnabled(on))
    }
    pub fn set_window_rule(&self, org: OrganizationId, rule: WindowRule) -> Result<()> {
        accounts::set_window_rule(&self.now(), org, rule)
    }
    pub fn set_consent_keywords(&self, org: OrganizationId, k: &ConsentKeywords) -> Result<()> {
        accounts::set_org_setting(&self.now(), org, &OrgSetting::ConsentKeywords(k.clone()))
    }
    pub fn consent_keywords(&self, org: OrganizationId) -> Result<ConsentKeywords> {
        Ok(accounts::organization(&self.now(), org)?.consent_keywords)
    }
    pub fn create_user(
        &self,
        org: OrganizationId,
        name: &str,
        email: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<UserId> {
        accounts::create_user(&self.at(now), org, name, email, password)
    }
    pub fn user_by_email(&self, email: &str) -> Result<Option<UserId>> {
        accounts::user_by_email(&self.now(), email)
    }
    pub fn sign_in(
        &self,
        email: &str,
        password: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Session>> {
        accounts::sign_in(
            &self.at(now),
            email,
            password,
            token,
            &mut Default::default(),
        )
    }
    pub fn caller(&self, token: &str, now: Timestamp) -> Result<Option<Caller>> {
        accounts::caller(&self.at(now), token)
    }
    pub fn sign_out(&self, token: &str, now: Timestamp) -> Result<()> {
        accounts::sign_out(&self.at(now), token)
    }
    pub fn session(&self, user: UserId) -> Result<Session> {
        accounts::session(&self.now(), user)
    }
    pub fn connect_line(&self, org: OrganizationId, line: NewLine) -> Result<Uuid> {
        accounts::connect_line(&self.now(), org, &line)
    }
    pub fn line(&self, id: Uuid) -> Result<Line> {
        accounts::line(&self.now(), id)
    }
    pub fn line_of_org(&self, org: OrganizationId) -> Result<Line> {
        accounts::line_of_org(&self.now(), org)
    }
    pub fn set_line_carrier(&self, line: Uuid, carrier: Option<&CarrierAccount>) -> Result<()> {
        accounts::set_line_carrier(&self.now(), line, carrier)
    }

    // ---- contacts ----

    pub fn create_contact(
        &self,
        org: OrganizationId,
        name: &str,
        company: Option<&str>,
        phones: &[ContactPhone],
        now: Timestamp,
    ) -> Result<Contact> {
        contacts::add_contact(&self.at(now), org, name, company, phones)
    }
    pub fn contacts(&self, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>> {
        contacts::contacts(&self.now(), org, query)
    }
    pub fn contact(&self, org: OrganizationId, id: ContactId) -> Result<Contact> {
        contacts::contact(&self.now(), org, id)
    }
    pub fn save_contact(
        &self,
        caller: Caller,
        id: Option<ContactId>,
        input: &ContactInput,
        now: Timestamp,
    ) -> Result<(Contact, Told)> {
        contacts::save_contact(&self.at(now), caller, id, input)
    }
    pub fn delete_contact(&self, caller: Caller, id: ContactId, now: Timestamp) -> Result<Told> {
        contacts::delete_contact(&self.at(now), caller, id)
    }

    // ---- threads ----

    pub fn open_thread(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        channel: Channel,
        now: Timestamp,
    ) -> Result<(Thread, Told)> {
        thread_of(threads::open_thread(
            &self.at(now),
            caller,
            contact,
            phone,
            channel,
            None,
        )?)
    }
    /// [`threads::open_thread`] as it is: the caller's thread, or an ask to join.
    pub fn open_or_ask(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        now: Timestamp,
    ) -> Result<threads::Opened> {
        threads::open_thread(
            &self.at(now),
            caller,
            contact,
            phone,
            Channel::Whatsapp,
            None,
        )
    }
    pub fn open_whatsapp_thread(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        now: Timestamp,
    ) -> Result<(Thread, Told)> {
        self.open_thread(caller, contact, phone, Channel::Whatsapp, now)
    }
    /// Opens the WhatsApp thread with the opt-in request in the same transaction (a guest
    /// who must be asked has no thread before it).
    pub fn open_asking_consent(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        opt_in: ClientMessageId,
        now: Timestamp,
    ) -> Result<(Thread, Told)> {
        let at = self.at(now);
        thread_of(threads::open_thread(
            &at,
            caller,
            contact,
            phone,
            Channel::Whatsapp,
            Some(opt_in),
        )?)
    }
    /// [`threads::reply_in`]: the thread to reply in from `thread`, or an ask to join.
    pub fn reply_in(
        &self,
        caller: Caller,
        thread: ThreadId,
        now: Timestamp,
    ) -> Result<threads::Opened> {
        threads::reply_in(&self.at(now), caller, thread)
    }
    pub fn add_note(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        text: &str,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        multiline_connector::usecases::notes::add_note(
            &self.at(now),
            caller,
            thread,
            client_id,
            text,
        )
    }
    pub fn threads(&self, caller: Caller) -> Result<Vec<Thread>> {
        threads::threads(&self.now(), caller)
    }
    pub fn thread(&self, caller: Caller, id: ThreadId) -> Result<Thread> {
        threads::thread(&self.now(), caller, id)
    }
    pub fn set_guest_consent(
        &self,
        line: Uuid,
        guest: &E164,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<Told> {
        threads::set_guest_consent(&self.at(now), line, guest.as_str(), consent)
    }
    pub fn last_guest_messages(&self, line: Uuid) -> Result<Vec<(E164, Timestamp)>> {
        threads::last_guest_messages(&self.now(), line)
    }
    pub fn mark_read(
        &self,
        caller: Caller,
        thread: ThreadId,
        now: Timestamp,
    ) -> Result<(Option<String>, Uuid, Told)> {
        let read = threads::mark_read(&self.at(now), caller, thread)?;
        Ok((read.wamid, read.line, read.told))
    }
    pub fn colleagues(&self, caller: Caller) -> Result<Vec<User>> {
        participants::colleagues(&self.now(), caller)
    }
    pub fn change_participants(
        &self,
        caller: Caller,
        thread: ThreadId,
        op: Operation,
        now: Timestamp,
    ) -> Result<(Option<Thread>, Told)> {
        participants::change_participants(&self.at(now), caller, thread, op)
    }

    // ---- sending ----

    pub fn messages(&self, caller: Caller, thread: ThreadId) -> Result<Vec<Message>> {
        send::messages(&self.now(), caller, thread)
    }
    pub fn enqueue_text(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        text: &str,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        send::send_text(&self.at(now), caller, thread, client_id, text)
    }
    pub fn enqueue_picture(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        media: MediaId,
        caption: Option<&str>,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        send::send_picture(&self.at(now), caller, thread, client_id, media, caption)
    }
    pub fn enqueue_template(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        name_and_language: (&str, &str),
        values: &TemplateValues,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        send::send_template(
            &self.at(now),
            caller,
            thread,
            client_id,
            name_and_language,
            values,
        )
    }
    pub fn enqueue_opt_in(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        send::send_opt_in(&self.at(now), caller, thread, client_id)
    }
    pub fn mark_heard(
        &self,
        caller: Caller,
        id: MessageId,
        now: Timestamp,
    ) -> Result<(Message, Told)> {
        send::mark_heard(&self.at(now), caller, id)
    }

    // ---- what the providers answered ----

    pub fn claim_next(&self, now: Timestamp) -> Result<Option<OutboundJob>> {
        deliver::claim_next(&self.at(now))
    }
    pub fn next_due(&self) -> Result<Option<Timestamp>> {
        deliver::next_due(&self.now())
    }
    pub fn complete_sent(&self, id: MessageId, wamid: &str, now: Timestamp) -> Result<Told> {
        deliver::complete_sent(&self.at(now), id, wamid)
    }
    pub fn complete_failed(
        &self,
        id: MessageId,
        reason: &str,
        template_required: bool,
        now: Timestamp,
    ) -> Result<Told> {
        let failure = deliver::Failure {
            reason: reason.to_owned(),
            template_required,
            remedy: template_required.then_some(multiline_domain::messages::Remedy::Template),
        };
        deliver::complete_failed(&self.at(now), id, &failure)
    }
    pub fn retry(&self, caller: Caller, id: MessageId, now: Timestamp) -> Result<(Message, Told)> {
        deliver::retry(&self.at(now), caller, id)
    }
    pub fn retry_at(&self, id: MessageId, at: Timestamp) -> Result<()> {
        deliver::retry_at(&self.now(), id, at)
    }
    pub fn recover_in_flight(&self, now: Timestamp) -> Result<Told> {
        deliver::recover_in_flight(&self.at(now), Timestamp::MAX_UTC)
    }

    // ---- what came in ----

    pub fn ingest_inbound(&self, line: &Line, inbound: &Inbound, now: Timestamp) -> Result<Told> {
        receive::receive(&self.at(now), line, inbound)
    }
    pub fn knows_wamid(&self, wamid: &str) -> Result<bool> {
        receive::knows(&self.now(), wamid)
    }
    fn arrive(&self, line: Uuid, arrivals: Arrivals, now: Timestamp) -> Result<Told> {
        let line = self.line(line)?;
        let env = self.at(now);
        self.store
            .write(|tx| receive::apply(&env, tx, &line, &arrivals))
    }
    pub fn attach_transcript(
        &self,
        line: Uuid,
        recording: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<Told> {
        let arrivals = Arrivals {
            transcripts: vec![(recording.to_owned(), text.to_owned())],
            ..Arrivals::default()
        };
        self.arrive(line, arrivals, now)
    }
    pub fn apply_status(&self, line: Uuid, update: &StatusUpdate, now: Timestamp) -> Result<Told> {
        let arrivals = Arrivals {
            statuses: vec![update.clone()],
            ..Arrivals::default()
        };
        self.arrive(line, arrivals, now)
    }

    // ---- media, templates, events, audit ----

    pub fn put_upload(
        &self,
        caller: Caller,
        mime: &str,
        size: (u32, u32),
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<MediaInfo> {
        media::put_upload(&self.at(now), caller, mime, size, bytes)
    }
    pub fn media_for(&self, caller: Caller, id: MediaId) -> Result<StoredMedia> {
        media::media_for(&self.now(), caller, id)
    }
    pub fn media(&self, id: MediaId) -> Result<StoredMedia> {
        media::media(&self.now(), id)
    }
    pub fn replace_templates(
        &self,
        line: Uuid,
        listed: &[ListedTemplate],
        now: Timestamp,
    ) -> Result<Told> {
        templates::replace(&self.at(now), line, listed)
    }
    pub fn approved_templates(&self, org: OrganizationId) -> Result<Vec<Template>> {
        templates::approved(&self.now(), org)
    }
    pub fn head_seq(&self, user: UserId) -> Result<u64> {
        self.store.read(|tx| tx.head_seq(user))
    }
    pub fn events_after(
        &self,
        user: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>> {
        self.store.read(|tx| tx.events_after(user, after, limit))
    }
    pub fn audit(&self, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
        accounts::audit_record(&self.now(), org)
    }
    pub fn audit_admin(
        &self,
        org: OrganizationId,
        at: Timestamp,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.store.write(|tx| {
            tx.append_audit(&AuditEntry {
                org,
                at,
                actor: "admin".into(),
                action: action.into(),
                thread: None,
                detail: detail.clone(),
            })
        })
    }
    pub fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        self.store.row_counts()
    }
}

/// The thread an opening came to; colleagues holding it is an error here (`join_requested`).
fn thread_of(opened: threads::Opened) -> Result<(Thread, Told)> {
    match opened {
        threads::Opened::Thread { thread, told } => Ok((*thread, told)),
        threads::Opened::AskedToJoin { .. } => Err(multiline_connector::error::Error::invalid(
            multiline_domain::errors::ErrorCode::JoinRequested,
            "colleagues hold the open thread",
        )),
    }
}
