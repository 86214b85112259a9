//! What comes in, once the inbox worker has read it from a provider's webhook: a guest's
//! message (WhatsApp, SMS with its MMS picture, a voicemail with its recording), a delivery
//! status, a voicemail's transcript. Each is stored once (by the provider's id), in the
//! guest's open thread or a new one for the line's owner; a guest's words may change their
//! standing (F5-F6 consent; F22 STOP / START).

use multiline_domain::api::{Channel, DeliveryState, Direction, MessageBody};
use multiline_domain::ids::{MediaId, MessageId, ThreadId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use uuid::Uuid;

use super::{Env, Told, announce, audit, deliver, tell};
use crate::error::{Error, Result};
use crate::store::{EarlyStatus, Line, NewMedia, NewMessage, NewThread, Standing, StoreExt, Tx};

/// A guest's message, read from a provider's webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The provider's id: a WhatsApp wamid, an SMS's or a recording's id at the carrier.
    pub wamid: String,
    /// WhatsApp, an SMS, or a voicemail (its recording in `media`).
    pub channel: Channel,
    pub from: E164,
    /// For a picture or a voicemail, the media id in it is replaced by the stored one.
    pub body: MessageBody,
    /// A quick-reply button's payload (a template button reply).
    pub payload: Option<String>,
    /// The guest's timestamp (their clock; clamped to now when stored).
    pub at: Timestamp,
    /// The picture or recording, fetched from the provider, stored with the message.
    pub media: Option<ReceivedMedia>,
}

/// A guest's picture or recording, fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// 0 when not a picture, or not readable.
    pub width: u32,
    pub height: u32,
}

/// A delivery status from a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub wamid: String,
    pub state: DeliveryState,
    /// For `failed`: the provider's code and the sentence to show, put into words by the
    /// provider's layer.
    pub error: Option<(u32, String)>,
}

/// What one webhook brought, to apply in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arrivals {
    pub messages: Vec<Inbound>,
    pub statuses: Vec<StatusUpdate>,
    /// Voicemail transcripts: (recording id, text).
    pub transcripts: Vec<(String, String)>,
}

/// Whether a message with this provider id is stored already (a repeated delivery: nothing
/// is fetched for it twice).
pub fn knows(env: &Env<'_>, wamid: &str) -> Result<bool> {
    env.store.read(|tx| tx.wamid_known(wamid))
}

/// Applies what a webhook brought to `line`, in the caller's transaction.
pub fn apply(env: &Env<'_>, tx: &mut dyn Tx, line: &Line, arrivals: &Arrivals) -> Result<Told> {
    let mut told = Vec::new();
    for m in &arrivals.messages {
        tell(&mut told, ingest(env, tx, line, m)?);
    }
    for s in &arrivals.statuses {
        tell(&mut told, apply_status(tx, line.id, s, env.now)?);
    }
    for (recording, text) in &arrivals.transcripts {
        tell(
            &mut told,
            attach_transcript(tx, line, recording, text, env.now)?,
        );
    }
    Ok(told)
}

/// Stores one guest message (in its own transaction): seeding and tests.
pub fn receive(env: &Env<'_>, line: &Line, inbound: &Inbound) -> Result<Told> {
    env.store.write(|tx| ingest(env, tx, line, inbound))
}

/// Stores a guest's message once (by its provider id) in the guest's open thread on its
/// channel, or a new thread for the line's owner.
fn ingest(env: &Env<'_>, tx: &mut dyn Tx, line: &Line, inbound: &Inbound) -> Result<Told> {
    let now = env.now;
    if tx.wamid_known(&inbound.wamid)? {
        return Ok(Vec::new());
    }
    // A guest's clock may run ahead: a future timestamp must not stretch the window.
    let at = inbound.at.min(now);
    let guest_actor = format!("guest:{}", inbound.from);
    let thread = match tx.open_thread_of(line.id, inbound.channel, &inbound.from)? {
        Some(id) => id,
        None => {
            let id: ThreadId = env.ids.new();
            let contact = tx.contact_by_phone(line.org_id, &inbound.from)?;
            tx.insert_thread(&NewThread {
                id,
                org: line.org_id,
                line: line.id,
                channel: inbound.channel,
                guest: inbound.from.clone(),
                contact,
                participants: vec![line.owner_user_id],
                window: WindowFacts::default(),
                template_required: false,
                created_at: now,
            })?;
            audit(
                tx,
                line.org_id,
                now,
                &guest_actor,
                "thread.opened",
                Some(id),
                serde_json::json!({}),
            )?;
            id
        }
    };
    let body = store_media(env, tx, line, thread, inbound)?;
    // Where it sorts: at the guest's time (so webhooks that arrive out of order are shown
    // in the order the guest wrote), but after every message the business sent before it
    // arrived: the guest's timestamp has whole seconds only, and a reply must not sort
    // above the message it answers.
    let sort_at = match tx.latest_outbound_at(thread, now)? {
        Some(ours) => at.max(ours + chrono::Duration::microseconds(1)),
        None => at,
    };
    let id: MessageId = env.ids.new();
    tx.insert_message(&NewMessage {
        id,
        thread,
        direction: Direction::Inbound,
        author: None,
        client_id: None,
        wamid: Some(inbound.wamid.clone()),
        body: body.clone(),
        state: DeliveryState::Delivered,
        created_at: sort_at,
    })?;
    tx.record_activity(thread, at, true)?;
    tx.set_preview(thread, &body.preview())?;
    tx.set_template_required(thread, false)?;
    audit(
        tx,
        line.org_id,
        now,
        &guest_actor,
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
    if let Some(kind) = Standing::of(inbound.channel) {
        let before = tx.standing(kind, line.id, &inbound.from)?;
        let after = match kind {
            Standing::Whatsapp => {
                let keywords = tx.organization(line.org_id)?.consent_keywords;
                before.guest_replied(&keywords, text, inbound.payload.as_deref(), now)
            }
            Standing::Sms => multiline_domain::sms::after_guest_text(&before, text, now),
        };
        if after != before {
            tx.set_standing(kind, line.id, &inbound.from, &after, now)?;
            audit(
                tx,
                line.org_id,
                now,
                &guest_actor,
                "consent.changed",
                Some(thread),
                serde_json::json!({ "from": before, "to": after, "message_id": id }),
            )?;
        }
    }
    let msg = tx.message(id)?;
    let mut told = announce(tx, thread, Some(&msg), now)?;
    if inbound.channel == Channel::Voicemail
        && let Some(text) = tx.take_early_transcript(line.id, &inbound.wamid)?
    {
        tell(&mut told, transcribe(tx, line.org_id, id, &text, now)?);
    }
    Ok(told)
}

/// The body to store: a picture's or a recording's bytes stored first, under their new id.
fn store_media(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    line: &Line,
    thread: ThreadId,
    inbound: &Inbound,
) -> Result<MessageBody> {
    let Some(media) = &inbound.media else {
        return Ok(inbound.body.clone());
    };
    let (width, height) = match inbound.body {
        MessageBody::Picture { .. } => (media.width, media.height),
        _ => (0, 0),
    };
    let media_id: MediaId = env.ids.new();
    tx.insert_media(&NewMedia {
        id: media_id,
        org: line.org_id,
        thread: Some(thread),
        uploader: None,
        mime_type: media.mime_type.clone(),
        width,
        height,
        bytes: media.bytes.clone(),
        created_at: env.now,
    })?;
    Ok(match &inbound.body {
        MessageBody::Picture { caption, .. } => MessageBody::Picture {
            media_id,
            caption: caption.clone(),
            width,
            height,
        },
        MessageBody::Voicemail {
            duration_secs,
            transcript,
            ..
        } => MessageBody::Voicemail {
            media_id,
            duration_secs: *duration_secs,
            transcript: transcript.clone(),
            heard_at: None,
        },
        other => other.clone(),
    })
}

/// Applies a status report: states never move backwards (a late `delivered` after `read` is
/// ignored). Only the line's own messages: a webhook signed for one line never touches
/// another's. A status for a wamid not recorded yet (the send's answer may still be on its
/// way) is kept and applied when it is.
fn apply_status(
    tx: &mut dyn Tx,
    line: Uuid,
    update: &StatusUpdate,
    now: Timestamp,
) -> Result<Told> {
    match tx.outbound_by_wamid(line, &update.wamid)? {
        Some(id) => status_of(tx, id, update, now),
        None => {
            tx.keep_early_status(
                line,
                &EarlyStatus {
                    wamid: update.wamid.clone(),
                    state: update.state,
                    error: update.error.clone(),
                },
                now,
            )?;
            Ok(Vec::new())
        }
    }
}

/// Moves message `id` to the state a status report says (never backwards).
pub(crate) fn status_of(
    tx: &mut dyn Tx,
    id: MessageId,
    update: &StatusUpdate,
    now: Timestamp,
) -> Result<Told> {
    let msg = tx.message(id)?;
    if update.state == DeliveryState::Failed {
        if msg.state.advance(DeliveryState::Failed) != DeliveryState::Failed {
            return Ok(Vec::new());
        }
        let (code, reason) = update.error.clone().unwrap_or((0, "Not delivered.".into()));
        return deliver::fail_message(tx, id, &reason, code == 131047, now);
    }
    let next = msg.state.advance(update.state);
    if next == msg.state {
        return Ok(Vec::new());
    }
    tx.set_message_state(id, next, None)?;
    let msg = tx.message(id)?;
    announce(tx, msg.thread_id, Some(&msg), now)
}

/// A voicemail's transcript (F22), by the carrier's recording id on that line: kept with the
/// voicemail and announced; one that comes before its voicemail waits for it.
fn attach_transcript(
    tx: &mut dyn Tx,
    line: &Line,
    recording: &str,
    text: &str,
    now: Timestamp,
) -> Result<Told> {
    match tx.voicemail_by_recording(line.id, recording)? {
        Some(id) => transcribe(tx, line.org_id, id, text, now),
        None => {
            tx.keep_early_transcript(line.id, recording, text, now)?;
            Ok(Vec::new())
        }
    }
}

/// Puts `text` into voicemail `id` as its transcript; audited and announced.
fn transcribe(
    tx: &mut dyn Tx,
    org: multiline_domain::ids::OrganizationId,
    id: MessageId,
    text: &str,
    now: Timestamp,
) -> Result<Told> {
    let msg = tx.message(id)?;
    let MessageBody::Voicemail {
        media_id,
        duration_secs,
        heard_at,
        ..
    } = msg.body
    else {
        return Err(Error::Corrupt(
            "a voicemail thread's message is not a voicemail".into(),
        ));
    };
    tx.set_message_body(
        id,
        &MessageBody::Voicemail {
            media_id,
            duration_secs,
            transcript: Some(text.to_owned()),
            heard_at,
        },
    )?;
    audit(
        tx,
        org,
        now,
        "carrier",
        "voicemail.transcribed",
        Some(msg.thread_id),
        serde_json::json!({ "message_id": id, "transcript": text }),
    )?;
    let msg = tx.message(id)?;
    announce(tx, msg.thread_id, Some(&msg), now)
}
