//! Messages: the send path (idempotent, into the outbox), the dispatch queue, inbound
//! messages and delivery statuses from webhooks.

use multiline_domain::api::{Channel, DeliveryState, Message, MessageBody};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, MessageId, ThreadId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::policy::{self, Attachment, Draft, OutboundKind};
use multiline_domain::templates::{Part, Template, TemplateStatus, TemplateValues};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::threads::{self, thread_for};
use super::{
    Caller, InboxStore, Line, MessageStore, OutboxStore, Result, SqliteStore, StoreError, events,
    from_micros, micros, templates, uuid_col,
};

/// One message to hand to the Cloud API.
#[derive(Debug, Clone)]
pub struct OutboundJob {
    pub message_id: MessageId,
    pub thread_id: ThreadId,
    pub line: Line,
    pub to: E164,
    pub body: MessageBody,
    pub attempts: u32,
    /// WhatsApp (the Cloud API) or SMS (the line's carrier).
    pub channel: Channel,
}

/// An inbound message from a webhook, already parsed.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// The provider's id: a WhatsApp wamid, an SMS's or a recording's id at the carrier.
    pub wamid: String,
    /// WhatsApp, an SMS, or a voicemail (its recording in `media`).
    pub channel: Channel,
    pub from: E164,
    pub body: MessageBody,
    /// A quick-reply button's payload (a template button reply).
    pub payload: Option<String>,
    /// The guest's timestamp (their clock; clamped to `now` when stored).
    pub at: Timestamp,
    /// A picture's Cloud API media (from the webhook), to download before storing.
    pub cloud_media: Option<CloudMediaRef>,
    /// The downloaded picture, stored with the message in one transaction.
    pub media: Option<ReceivedMedia>,
}

/// One webhook inbox row, parsed and ready to store.
#[derive(Debug, Clone)]
pub struct InboxWork {
    pub inbox_id: i64,
    pub line: Line,
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
}

/// A guest's media as a webhook names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudMediaRef {
    pub id: String,
    pub sha256: Option<String>,
}

/// A guest's picture, downloaded.
#[derive(Debug, Clone)]
pub struct ReceivedMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub width: u32,
    pub height: u32,
}

/// A delivery status from a webhook.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub wamid: String,
    pub state: DeliveryState,
    /// For `failed`: the provider's error code and the sentence to show, put into words by
    /// the provider's layer (`cloud::describe_failure`, `Carrier::describe_failure`).
    pub error: Option<(u32, String)>,
}

pub(crate) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored enum, in a row mapper.
pub(crate) fn enum_parse<T: serde::de::DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn enum_from<T: serde::de::DeserializeOwned>(s: String) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn message(tx: &Transaction<'_>, id: MessageId) -> Result<Message> {
    let row = tx
        .query_row(
            "SELECT m.client_id, m.thread_id, m.direction, u.name, m.body, m.state, m.failure, m.created_at
             FROM messages m LEFT JOIN users u ON u.id = m.author_user_id WHERE m.id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    uuid_col(r.get(1)?)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let (client_id, thread, direction, author, body, state, failure, created) = row;
    Ok(Message {
        id,
        client_id: client_id
            .map(|c| Uuid::parse_str(&c).map(ClientMessageId))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        thread_id: ThreadId(thread),
        direction: enum_from(direction)?,
        author_name: author,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        state: enum_from(state)?,
        failure,
        created_at: from_micros(created),
    })
}

/// The message this author already sent with `client_id` (the idempotency key), if any.
fn existing(
    tx: &Transaction<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
) -> Result<Option<Message>> {
    threads::check_participant(tx, caller, thread)?;
    let existing: Option<(String, String)> = tx
        .query_row(
            "SELECT id, thread_id FROM messages WHERE author_user_id = ?1 AND client_id = ?2",
            params![caller.user_id.to_string(), client_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, existing_thread)) = existing else {
        return Ok(None);
    };
    if existing_thread != thread.to_string() {
        return Err(StoreError::Conflict(
            "this client id was used for another thread",
        ));
    }
    let id = MessageId(Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
    message(tx, id).map(Some)
}

/// A template message's body: the template must exist and be approved, the values valid.
fn template_body(
    tx: &Transaction<'_>,
    caller: Caller,
    name: &str,
    language: &str,
    values: &TemplateValues,
) -> Result<MessageBody> {
    let template = templates::template_in(tx, caller.org_id, name, language)?.ok_or_else(|| {
        StoreError::Invalid {
            code: ErrorCode::UnknownTemplate,
            message: format!("There is no template \"{name}\" in {language}."),
        }
    })?;
    if template.status != TemplateStatus::Approved {
        return Err(StoreError::Invalid {
            code: ErrorCode::TemplateNotApproved,
            message: format!("The template \"{name}\" is not approved for sending."),
        });
    }
    let components = template
        .send_components(values)
        .map_err(|errors| StoreError::Invalid {
            code: ErrorCode::InvalidTemplateValues,
            message: multiline_domain::templates::describe(&errors),
        })?;
    let text = Template::fill(&template.body, Part::Body, values);
    let text = match &template.header {
        Some(header) => format!("{}\n{text}", Template::fill(header, Part::Header, values)),
        None => text,
    };
    Ok(MessageBody::Template {
        name: name.to_owned(),
        language: language.to_owned(),
        text,
        components,
    })
}

/// The rules' answer for `draft` in `thread`, before a template is looked up (so a template
/// in an SMS thread is `whatsapp_only`, not `unknown_template`).
fn precheck(
    tx: &Transaction<'_>,
    caller: Caller,
    thread: ThreadId,
    draft: Draft<'_>,
    now: Timestamp,
) -> Result<()> {
    let view = thread_for(tx, thread, caller.user_id)?;
    let enabled: bool = tx.query_row(
        "SELECT whatsapp_enabled FROM organizations WHERE id = ?1",
        [caller.org_id.to_string()],
        |r| r.get(0),
    )?;
    policy::decide(&view.send_facts(enabled), &draft, now).map_err(StoreError::Refused)
}

/// Checks the rules (the domain's one decision, [`policy::decide`]) and queues `body`:
/// stored as `sending` with its outbox row, announced, audited, all in the caller's
/// transaction.
fn enqueue_in(
    tx: &Transaction<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    draft: Draft<'_>,
    body: MessageBody,
    now: Timestamp,
) -> Result<(Message, Vec<UserId>)> {
    precheck(tx, caller, thread, draft, now)?;
    let kind = draft.kind();
    let id = MessageId::random();
    tx.execute(
        "INSERT INTO messages (id, thread_id, direction, author_user_id, client_id, body, state, created_at)
         VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, 'sending', ?6)",
        params![
            id.to_string(), thread.to_string(), caller.user_id.to_string(), client_id.to_string(),
            serde_json::to_string(&body).expect("serializes"), micros(now)
        ],
    )?;
    tx.execute(
        "INSERT INTO outbox (message_id, thread_id, next_attempt_at) VALUES (?1, ?2, ?3)",
        params![id.to_string(), thread.to_string(), micros(now)],
    )?;
    tx.execute(
        "UPDATE threads SET last_message_preview = ?2 WHERE id = ?1",
        params![thread.to_string(), body.preview()],
    )?;
    let action = match kind {
        OutboundKind::FreeForm => "message.queued",
        OutboundKind::Template => "template.queued",
        OutboundKind::OptInTemplate => "opt_in.queued",
    };
    super::audit(
        tx,
        caller.org_id,
        now,
        &caller.user_id.to_string(),
        action,
        Some(thread),
        serde_json::json!({ "message_id": id, "body": body }),
    )?;
    let msg = message(tx, id)?;
    let notify = events::announce(tx, thread, Some(&msg), now)?;
    Ok((msg, notify))
}

fn line_of_thread(tx: &Transaction<'_>, thread: ThreadId) -> Result<Line> {
    let line: String = tx.query_row(
        "SELECT line_id FROM threads WHERE id = ?1",
        [thread.to_string()],
        |r| r.get(0),
    )?;
    super::line_by(tx, "id", &line)
}

impl MessageStore for SqliteStore {
    /// A voicemail was played (F22): it keeps when it was first heard; audited, announced.
    fn mark_heard(
        &self,
        caller: Caller,
        id: MessageId,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)> {
        self.write(|tx| {
            let msg = message(tx, id)?;
            threads::check_participant(tx, caller, msg.thread_id)?;
            let MessageBody::Voicemail {
                media_id,
                duration_secs,
                transcript,
                heard_at,
            } = msg.body.clone()
            else {
                return Err(StoreError::Invalid {
                    code: ErrorCode::NotAVoicemail,
                    message: "Only a voicemail can be marked as heard.".into(),
                });
            };
            if heard_at.is_some() {
                return Ok((msg, Vec::new()));
            }
            let body = MessageBody::Voicemail {
                media_id,
                duration_secs,
                transcript,
                heard_at: Some(now),
            };
            set_body(tx, id, &body)?;
            super::audit(
                tx,
                caller.org_id,
                now,
                &caller.user_id.to_string(),
                "voicemail.heard",
                Some(msg.thread_id),
                serde_json::json!({ "message_id": id }),
            )?;
            let msg = message(tx, id)?;
            let told = events::announce(tx, msg.thread_id, Some(&msg), now)?;
            Ok((msg, told))
        })
    }

    /// A thread's messages, oldest first (the caller must be a participant).
    fn messages(&self, caller: Caller, thread: ThreadId) -> Result<Vec<Message>> {
        self.read(|tx| {
            threads::check_participant(tx, caller, thread)?;
            let ids = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id FROM messages WHERE thread_id = ?1 ORDER BY created_at, rowid",
                )?;
                stmt.query_map([thread.to_string()], |r| {
                    Ok(MessageId(uuid_col(r.get(0)?)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            ids.into_iter().map(|id| message(tx, id)).collect()
        })
    }

    /// Accepts a text for sending: checks the rules, stores it as `sending` and queues it, in
    /// one transaction. Sending the same `client_id` again returns the first message.
    fn enqueue_text(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        text: &str,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)> {
        self.write(|tx| {
            if let Some(done) = existing(tx, caller, thread, client_id)? {
                return Ok((done, Vec::new()));
            }
            let body = MessageBody::Text {
                text: policy::text_to_send(text).to_owned(),
            };
            enqueue_in(tx, caller, thread, client_id, Draft::Text(text), body, now)
        })
    }

    /// Accepts a picture uploaded by the caller (`POST /v1/media`) for sending in `thread`,
    /// with an optional caption. Pictures are free-form messages: the same rules as a text.
    fn enqueue_picture(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        media: multiline_domain::ids::MediaId,
        caption: Option<&str>,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)> {
        self.write(|tx| {
            if let Some(done) = existing(tx, caller, thread, client_id)? {
                return Ok((done, Vec::new()));
            }
            // `existing` checked the thread (not found, not a participant); now the picture.
            let info = super::media::attach(tx, caller, media, thread)?;
            let body = MessageBody::Picture {
                media_id: info.id,
                caption: policy::caption_to_send(caption).map(str::to_owned),
                width: info.width,
                height: info.height,
            };
            let draft = Draft::Picture {
                caption,
                attachment: Some(Attachment {
                    mime_type: &info.mime_type,
                    bytes: info.size,
                }),
            };
            enqueue_in(tx, caller, thread, client_id, draft, body, now)
        })
    }

    /// Accepts an approved template for sending (F9, F15): looked up by name and language,
    /// its values checked as the Cloud API will, then queued like a text. The organization's
    /// opt-in template counts as the opt-in request (F4).
    fn enqueue_template(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        (name, language): (&str, &str),
        values: &TemplateValues,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)> {
        self.write(|tx| {
            if let Some(done) = existing(tx, caller, thread, client_id)? {
                return Ok((done, Vec::new()));
            }
            let draft = if templates::opt_in_of(tx, caller.org_id)?
                == (name.to_owned(), language.to_owned())
            {
                Draft::OptIn
            } else {
                Draft::Template
            };
            // Whether a template may go at all, before anything about this one is looked up.
            precheck(tx, caller, thread, draft, now)?;
            let body = template_body(tx, caller, name, language, values)?;
            enqueue_in(tx, caller, thread, client_id, draft, body, now)
        })
    }

    /// Sends the organization's opt-in request to the thread's guest, filled with their first
    /// name and the organization's name (F4).
    fn enqueue_opt_in(
        &self,
        caller: Caller,
        thread: ThreadId,
        client_id: ClientMessageId,
        now: Timestamp,
    ) -> Result<(Message, Vec<UserId>)> {
        self.write(|tx| {
            if let Some(done) = existing(tx, caller, thread, client_id)? {
                return Ok((done, Vec::new()));
            }
            threads::check_participant(tx, caller, thread)?;
            precheck(tx, caller, thread, Draft::OptIn, now)?;
            let (name, language) = templates::opt_in_of(tx, caller.org_id)?;
            let template = templates::template_in(tx, caller.org_id, &name, &language)?.ok_or_else(|| StoreError::Invalid {
                code: ErrorCode::OptInTemplateMissing,
                message: format!("The opt-in template \"{name}\" ({language}) is not available. Ask an admin to sync templates."),
            })?;
            let view = thread_for(tx, thread, caller.user_id)?;
            let first_name = view.contact_name.split_whitespace().next().unwrap_or("there").to_owned();
            let org_name: String = tx.query_row("SELECT name FROM organizations WHERE id = ?1", [caller.org_id.to_string()], |r| r.get(0))?;
            let values = multiline_domain::templates::opt_in_values(&template, &first_name, &org_name)
                .map_err(|e| StoreError::Invalid { code: ErrorCode::OptInTemplateInvalid, message: e.to_string() })?;
            let body = template_body(tx, caller, &name, &language, &values)?;
            enqueue_in(tx, caller, thread, client_id, Draft::OptIn, body, now)
        })
    }
}

impl OutboxStore for SqliteStore {
    /// Takes the next due job: the oldest queued message of a thread with nothing earlier
    /// still queued (per-thread order), marking it in flight.
    fn claim_next(&self, now: Timestamp) -> Result<Option<OutboundJob>> {
        self.write(|tx| {
            let row: Option<(String, String, i64)> = tx
                .query_row(
                    "SELECT o.message_id, o.thread_id, o.attempts FROM outbox o
                     WHERE o.in_flight_since IS NULL AND o.next_attempt_at <= ?1
                       AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.thread_id = o.thread_id AND e.position < o.position)
                     ORDER BY o.position LIMIT 1",
                    [micros(now)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((message_id, thread_id, attempts)) = row else { return Ok(None) };
            tx.execute(
                "UPDATE outbox SET in_flight_since = ?2, attempts = attempts + 1 WHERE message_id = ?1",
                params![message_id, micros(now)],
            )?;
            let message_id = MessageId(Uuid::parse_str(&message_id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            let thread_id = ThreadId(Uuid::parse_str(&thread_id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            let msg = message(tx, message_id)?;
            let (guest, channel): (String, String) = tx.query_row("SELECT guest_phone, channel FROM threads WHERE id = ?1", [thread_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(Some(OutboundJob {
                message_id,
                thread_id,
                line: line_of_thread(tx, thread_id)?,
                to: E164::from_stored(&guest).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                body: msg.body,
                attempts: attempts as u32 + 1,
                channel: enum_from(channel)?,
            }))
        })
    }

    /// When the next queued job becomes due, if any is waiting.
    fn next_due(&self) -> Result<Option<Timestamp>> {
        // Only heads of their thread's queue count: a later message of a thread whose first
        // one waits for its retry is not due, however old.
        let v: Option<i64> = self.conn().query_row(
            "SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.in_flight_since IS NULL
               AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.thread_id = o.thread_id AND e.position < o.position)",
            [],
            |r| r.get(0),
        )?;
        Ok(v.map(from_micros))
    }

    /// The Cloud API accepted the message: it is `sent`, and (outbound counts once accepted)
    /// it moves the thread's window.
    fn complete_sent(&self, id: MessageId, wamid: &str, now: Timestamp) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let msg = message(tx, id)?;
            tx.execute(
                "UPDATE messages SET wamid = ?2, state = ?3 WHERE id = ?1",
                params![id.to_string(), wamid, enum_str(&msg.state.advance(DeliveryState::Sent))],
            )?;
            tx.execute("DELETE FROM outbox WHERE message_id = ?1", [id.to_string()])?;
            tx.execute(
                "UPDATE threads SET last_message_at = MAX(COALESCE(last_message_at, 0), ?2) WHERE id = ?1",
                params![msg.thread_id.to_string(), micros(now)],
            )?;
            if let MessageBody::Template { name, language, .. } = &msg.body {
                // A template restarts the conversation (F9): the thread no longer needs one.
                tx.execute("UPDATE threads SET template_required = 0 WHERE id = ?1", [msg.thread_id.to_string()])?;
                let line = line_of_thread(tx, msg.thread_id)?;
                if templates::opt_in_of(tx, line.org_id)? == (name.clone(), language.clone()) {
                    let guest = E164::from_stored(
                        &tx.query_row("SELECT guest_phone FROM threads WHERE id = ?1", [msg.thread_id.to_string()], |r| r.get::<_, String>(0))?,
                    )
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let before = threads::Standing::Whatsapp.get(tx, line.id, &guest)?;
                    let after = before.opt_in_sent(now);
                    if after != before {
                        threads::Standing::Whatsapp.set(tx, line.id, &guest, &after, now)?;
                        super::audit(tx, line.org_id, now, "connector", "consent.changed", Some(msg.thread_id),
                            serde_json::json!({ "from": before, "to": after, "message_id": id }))?;
                    }
                }
            }
            let msg = message(tx, id)?;
            let mut told = events::announce(tx, msg.thread_id, Some(&msg), now)?;
            // Statuses that beat the send's answer here.
            let early = {
                let mut stmt = tx.prepare_cached(
                    "SELECT state, error_code, error_title FROM early_statuses WHERE wamid = ?1 AND line_id = ?2 ORDER BY rowid",
                )?;
                let line = line_of_thread(tx, msg.thread_id)?;
                stmt.query_map(params![wamid, line.id.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<u32>>(1)?, r.get::<_, Option<String>>(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute("DELETE FROM early_statuses WHERE wamid = ?1", [wamid])?;
            // (wamids are unique per Cloud API: the delete needs no line)
            for (state, code, title) in early {
                let update = StatusUpdate {
                    wamid: wamid.to_owned(),
                    state: enum_from(state)?,
                    error: code.map(|c| (c, title.unwrap_or_default())),
                };
                told.extend(status_of(tx, id, &update, now)?);
            }
            Ok(told)
        })
    }

    /// The message will not be sent: `failed` with a reason a user understands.
    /// `template_required` puts the thread into "template required" (Cloud API 131047).
    fn complete_failed(
        &self,
        id: MessageId,
        reason: &str,
        template_required: bool,
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| fail_message(tx, id, reason, template_required, now))
    }

    /// Puts an in-flight job back in the queue, due at `at`.
    fn retry_at(&self, id: MessageId, at: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET in_flight_since = NULL, next_attempt_at = ?2 WHERE message_id = ?1",
            params![id.to_string(), micros(at)],
        )?;
        Ok(())
    }

    /// After a crash: jobs that were in flight may or may not have reached the Cloud API,
    /// which has no idempotency key. They are failed, never re-sent, so a guest never gets a
    /// message twice; the user sees why and can send again.
    fn recover_in_flight(&self, now: Timestamp) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let ids = {
                let mut stmt = tx.prepare("SELECT message_id FROM outbox WHERE in_flight_since IS NOT NULL")?;
                stmt.query_map([], |r| Ok(MessageId(uuid_col(r.get(0)?)?)))?.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let mut told = Vec::new();
            for id in ids {
                told.extend(fail_message(
                    tx,
                    id,
                    "The connector restarted while sending this message, so it may not have been delivered. Send it again if needed.",
                    false,
                    now,
                )?);
            }
            Ok(told)
        })
    }
}

impl InboxStore for SqliteStore {
    /// Stores an inbound message once (by wamid) in the guest's open thread, or a new thread
    /// for the line's owner. Returns who to tell; empty when it was a duplicate.
    fn ingest_inbound(
        &self,
        line: &Line,
        inbound: &InboundMessage,
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| ingest_in(tx, line, inbound, now))
    }

    /// Whether a guest message with this wamid is already stored (a duplicate delivery).
    fn knows_wamid(&self, wamid: &str) -> Result<bool> {
        self.read(|tx| {
            Ok(tx
                .query_row("SELECT 1 FROM messages WHERE wamid = ?1", [wamid], |_| {
                    Ok(())
                })
                .optional()?
                .is_some())
        })
    }

    /// Applies a status webhook. Statuses never move backwards (a late `delivered` after
    /// `read` is ignored); unknown wamids are ignored.
    fn apply_status(
        &self,
        line: Uuid,
        update: &StatusUpdate,
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| apply_status_in(tx, line, update, now))
    }

    // ---- webhook inbox ------------------------------------------------------------------

    /// A voicemail's transcript arrived: kept with the voicemail (recorded by the line as
    /// `recording_id`) and announced; one that comes before its voicemail is kept until the
    /// voicemail is stored.
    fn attach_transcript(
        &self,
        line: Uuid,
        recording_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let id: Option<String> = tx
                .query_row(
                    "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
                     WHERE m.wamid = ?1 AND t.line_id = ?2 AND t.channel = 'voicemail'",
                    params![recording_id, line.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                tx.execute(
                    "INSERT INTO early_transcripts (line_id, recording_id, text, received_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET text = excluded.text",
                    params![line.to_string(), recording_id, text, micros(now)],
                )?;
                return Ok(Vec::new());
            };
            let id =
                MessageId(Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            let org = super::line_by(tx, "id", &line.to_string())?.org_id;
            transcribe(tx, org, id, text, now)
        })
    }

    /// Keeps a verified webhook body before answering 200, so a crash loses nothing.
    fn inbox_push(&self, line: Uuid, body: &[u8], now: Timestamp) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO webhook_inbox (line_id, received_at, body) VALUES (?1, ?2, ?3)",
            params![line.to_string(), micros(now), body],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Webhook bodies not yet processed, oldest first.
    fn inbox_pending(&self, limit: usize) -> Result<Vec<(i64, Uuid, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, line_id, body FROM webhook_inbox WHERE processed_at IS NULL ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((r.get(0)?, uuid_col(r.get(1)?)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a failed attempt at processing inbox row `id`; after `max` attempts the row is
    /// set aside with its error. Returns true when it was set aside.
    fn inbox_failed(&self, id: i64, error: &str, max: u32, now: Timestamp) -> Result<bool> {
        let conn = self.conn();
        conn.execute(
            "UPDATE webhook_inbox SET attempts = attempts + 1, error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        let n = conn.execute(
            "UPDATE webhook_inbox SET processed_at = ?2 WHERE id = ?1 AND attempts >= ?3",
            params![id, micros(now), max],
        )?;
        Ok(n > 0)
    }

    /// Applies parsed inbox rows and marks them processed, all in one transaction (the
    /// webhook processor's fast path: one commit for a whole batch).
    fn apply_inbox(&self, work: &[InboxWork], now: Timestamp) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let mut told = Vec::new();
            for w in work {
                for m in &w.messages {
                    told.extend(ingest_in(tx, &w.line, m, now)?);
                }
                for s in &w.statuses {
                    told.extend(apply_status_in(tx, w.line.id, s, now)?);
                }
                tx.execute(
                    "UPDATE webhook_inbox SET processed_at = ?2 WHERE id = ?1",
                    params![w.inbox_id, micros(now)],
                )?;
            }
            told.sort();
            told.dedup();
            Ok(told)
        })
    }

    fn inbox_done(&self, id: i64, now: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE webhook_inbox SET processed_at = ?2 WHERE id = ?1",
            params![id, micros(now)],
        )?;
        Ok(())
    }
}

/// Moves message `id` to the state a status report says (never backwards).
fn status_of(
    tx: &Transaction<'_>,
    id: MessageId,
    update: &StatusUpdate,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    let msg = message(tx, id)?;
    if update.state == DeliveryState::Failed {
        let (code, reason) = update.error.clone().unwrap_or((0, "Not delivered.".into()));
        if msg.state.advance(DeliveryState::Failed) != DeliveryState::Failed {
            return Ok(Vec::new());
        }
        return fail_message(tx, id, &reason, code == 131047, now);
    }
    let next = msg.state.advance(update.state);
    if next == msg.state {
        return Ok(Vec::new());
    }
    tx.execute(
        "UPDATE messages SET state = ?2 WHERE id = ?1",
        params![id.to_string(), enum_str(&next)],
    )?;
    let msg = message(tx, id)?;
    events::announce(tx, msg.thread_id, Some(&msg), now)
}

fn fail_message(
    tx: &Transaction<'_>,
    id: MessageId,
    reason: &str,
    template_required: bool,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    let msg = message(tx, id)?;
    tx.execute(
        "UPDATE messages SET state = 'failed', failure = ?2 WHERE id = ?1",
        params![id.to_string(), reason],
    )?;
    tx.execute("DELETE FROM outbox WHERE message_id = ?1", [id.to_string()])?;
    if template_required {
        tx.execute(
            "UPDATE threads SET template_required = 1 WHERE id = ?1",
            [msg.thread_id.to_string()],
        )?;
    }
    let org: String = tx.query_row(
        "SELECT org_id FROM threads WHERE id = ?1",
        [msg.thread_id.to_string()],
        |r| r.get(0),
    )?;
    let org = multiline_domain::ids::OrganizationId(
        Uuid::parse_str(&org).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    );
    super::audit(
        tx,
        org,
        now,
        "connector",
        "message.failed",
        Some(msg.thread_id),
        serde_json::json!({ "message_id": id, "reason": reason }),
    )?;
    let msg = message(tx, id)?;
    events::announce(tx, msg.thread_id, Some(&msg), now)
}

/// Stores a guest's message (once per wamid), in the caller's transaction.
fn ingest_in(
    tx: &Transaction<'_>,
    line: &Line,
    inbound: &InboundMessage,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    let seen: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM messages WHERE wamid = ?1",
            [&inbound.wamid],
            |r| r.get(0),
        )
        .optional()?;
    if seen.is_some() {
        return Ok(Vec::new());
    }
    // A guest's clock may run ahead: a future timestamp must not stretch the window.
    let at = inbound.at.min(now);
    let thread = match threads::open_thread_of(tx, line.id, inbound.channel, &inbound.from)? {
        Some(id) => id,
        None => {
            let contact = threads::contact_by_phone(tx, line.org_id, &inbound.from)?;
            let id = threads::create_thread(
                tx,
                line.org_id,
                line.id,
                inbound.channel,
                &inbound.from,
                contact,
                &[line.owner_user_id],
                now,
            )?;
            super::audit(
                tx,
                line.org_id,
                now,
                &format!("guest:{}", inbound.from),
                "thread.opened",
                Some(id),
                serde_json::json!({}),
            )?;
            id
        }
    };
    let id = MessageId::random();
    let body = match (&inbound.media, &inbound.body) {
        (Some(media), MessageBody::Picture { caption, .. }) => {
            let info = super::media::insert(
                tx,
                line.org_id,
                Some(thread),
                None,
                &media.mime_type,
                (media.width, media.height),
                &media.bytes,
                now,
            )?;
            MessageBody::Picture {
                media_id: info.id,
                caption: caption.clone(),
                width: media.width,
                height: media.height,
            }
        }
        (
            Some(media),
            MessageBody::Voicemail {
                duration_secs,
                transcript,
                ..
            },
        ) => {
            let info = super::media::insert(
                tx,
                line.org_id,
                Some(thread),
                None,
                &media.mime_type,
                (0, 0),
                &media.bytes,
                now,
            )?;
            MessageBody::Voicemail {
                media_id: info.id,
                duration_secs: *duration_secs,
                transcript: transcript.clone(),
                heard_at: None,
            }
        }
        (_, body) => body.clone(),
    };
    // Where it sorts: at the guest's time (so webhooks that arrive out of order are
    // shown in the order the guest wrote), but after every message the business sent
    // before it arrived: the guest's timestamp has whole seconds only, and a reply must
    // not sort above the message it answers.
    let after_ours: Option<i64> = tx.query_row(
            "SELECT MAX(created_at) FROM messages WHERE thread_id = ?1 AND direction = 'outbound' AND created_at <= ?2",
            params![thread.to_string(), micros(now)],
            |r| r.get(0),
        )?;
    let sort_at = micros(at).max(after_ours.map_or(i64::MIN, |t| t + 1));
    tx.execute(
        "INSERT INTO messages (id, thread_id, direction, wamid, body, state, created_at)
             VALUES (?1, ?2, 'inbound', ?3, ?4, 'delivered', ?5)",
        params![
            id.to_string(),
            thread.to_string(),
            inbound.wamid,
            serde_json::to_string(&body).expect("serializes"),
            sort_at
        ],
    )?;
    tx.execute(
        "UPDATE threads SET last_message_at = MAX(COALESCE(last_message_at, 0), ?2),
                    last_guest_message_at = MAX(COALESCE(last_guest_message_at, 0), ?2),
                    last_message_preview = ?3, template_required = 0
             WHERE id = ?1",
        params![thread.to_string(), micros(at), body.preview()],
    )?;
    super::audit(
        tx,
        line.org_id,
        now,
        &format!("guest:{}", inbound.from),
        "message.received",
        Some(thread),
        serde_json::json!({ "message_id": id, "wamid": inbound.wamid, "body": body }),
    )?;
    // Every guest message is delivered; it may also change consent (F5, F6), or whether
    // texts may be sent (an SMS STOP or START, F22).
    let text = match &body {
        MessageBody::Text { text } | MessageBody::Template { text, .. } => text.as_str(),
        MessageBody::Picture { .. }
        | MessageBody::System { .. }
        | MessageBody::Unsupported { .. }
        | MessageBody::Voicemail { .. } => "",
    };
    let (before, after) = match inbound.channel {
        Channel::Whatsapp => {
            let before = threads::Standing::Whatsapp.get(tx, line.id, &inbound.from)?;
            let keywords = super::consent_keywords_of(tx, line.org_id)?;
            let after = before.guest_replied(&keywords, text, inbound.payload.as_deref(), now);
            if after != before {
                threads::Standing::Whatsapp.set(tx, line.id, &inbound.from, &after, now)?;
            }
            (before, after)
        }
        Channel::Sms => {
            let before = threads::Standing::Sms.get(tx, line.id, &inbound.from)?;
            let after = multiline_domain::sms::after_guest_text(&before, text, now);
            if after != before {
                threads::Standing::Sms.set(tx, line.id, &inbound.from, &after, now)?;
            }
            (before, after)
        }
        Channel::Voicemail => (
            multiline_domain::consent::Consent::None,
            multiline_domain::consent::Consent::None,
        ),
    };
    if after != before {
        super::audit(
            tx,
            line.org_id,
            now,
            &format!("guest:{}", inbound.from),
            "consent.changed",
            Some(thread),
            serde_json::json!({ "from": before, "to": after, "message_id": id }),
        )?;
    }
    let msg = message(tx, id)?;
    let mut told = events::announce(tx, thread, Some(&msg), now)?;
    if inbound.channel == Channel::Voicemail {
        let early: Option<String> = tx
            .query_row(
                "DELETE FROM early_transcripts WHERE line_id = ?1 AND recording_id = ?2 RETURNING text",
                params![line.id.to_string(), inbound.wamid],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(text) = early {
            events::tell(&mut told, transcribe(tx, line.org_id, id, &text, now)?);
        }
    }
    Ok(told)
}

/// Replaces a stored message's body (a voicemail heard, or transcribed).
fn set_body(tx: &Transaction<'_>, id: MessageId, body: &MessageBody) -> Result<()> {
    tx.execute(
        "UPDATE messages SET body = ?2 WHERE id = ?1",
        params![
            id.to_string(),
            serde_json::to_string(body).expect("serializes")
        ],
    )?;
    Ok(())
}

/// Puts `text` into voicemail `id` as its transcript; audited and announced.
fn transcribe(
    tx: &Transaction<'_>,
    org: multiline_domain::ids::OrganizationId,
    id: MessageId,
    text: &str,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    let msg = message(tx, id)?;
    let MessageBody::Voicemail {
        media_id,
        duration_secs,
        heard_at,
        ..
    } = msg.body
    else {
        return Err(StoreError::Corrupt(
            "a voicemail thread's message is not a voicemail".into(),
        ));
    };
    let body = MessageBody::Voicemail {
        media_id,
        duration_secs,
        transcript: Some(text.to_owned()),
        heard_at,
    };
    set_body(tx, id, &body)?;
    super::audit(
        tx,
        org,
        now,
        "carrier",
        "voicemail.transcribed",
        Some(msg.thread_id),
        serde_json::json!({ "message_id": id, "transcript": text }),
    )?;
    let msg = message(tx, id)?;
    events::announce(tx, msg.thread_id, Some(&msg), now)
}

/// Applies a status report, in the caller's transaction.
fn apply_status_in(
    tx: &Transaction<'_>,
    line: Uuid,
    update: &StatusUpdate,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    // Only the line's own messages: a webhook signed for one line never touches
    // another's.
    let id: Option<String> = tx
        .query_row(
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
                 WHERE m.wamid = ?1 AND m.direction = 'outbound' AND t.line_id = ?2",
            params![update.wamid, line.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        // Not (yet) known: the send's answer may still be on its way. Kept, and
        // applied when the wamid is recorded.
        tx.execute(
                "INSERT INTO early_statuses (line_id, wamid, state, error_code, error_title, received_at) VALUES (?6, ?1, ?2, ?3, ?4, ?5)",
                params![
                    update.wamid, enum_str(&update.state), update.error.as_ref().map(|e| e.0),
                    update.error.as_ref().map(|e| e.1.clone()), micros(now), line.to_string()
                ],
            )?;
        return Ok(Vec::new());
    };
    let id = MessageId(Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
    status_of(tx, id, update, now)
}
