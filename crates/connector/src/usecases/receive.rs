//! What comes in, once the inbox worker has read it from a provider's webhook: a guest's
//! message (WhatsApp, SMS with its MMS picture, a voicemail with its recording), a delivery
//! status, a voicemail's transcript. Each is stored once (by the provider's id), in the
//! guest's open thread or a new one for the line's owner; a guest's words may change their
//! standing (F5-F6 consent; F22 STOP / START).

use multiline_domain::api::{Channel, DeliveryState, Direction, Event, MessageBody, Notice};
use multiline_domain::cloud_errors;
use multiline_domain::ids::{MediaId, MessageId, ThreadId};
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use uuid::Uuid;

use super::{Env, Told, announce, audit, deliver, tell};
use crate::error::{Error, Result};
use crate::store::{
    EarlyStatus, GuestIds, Line, MessageAbout, NewMedia, NewMessage, NewReaction, NewThread,
    Standing, StoreExt, Tx,
};

/// A guest's message, read from a provider's webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The provider's id: a WhatsApp wamid, an SMS's or a recording's id at the carrier.
    pub wamid: String,
    /// WhatsApp, an SMS, or a voicemail (its recording in `media`).
    pub channel: Channel,
    pub guest: GuestIds,
    /// The guest's WhatsApp profile name (or username).
    pub guest_name: Option<String>,
    /// For a message with a file, the media id in it is replaced by the stored one.
    pub body: MessageBody,
    /// A quick-reply button's payload (a template button reply).
    pub payload: Option<String>,
    /// The guest's timestamp (their clock; clamped to now when stored).
    pub at: Timestamp,
    /// The file (picture, audio, video, document, sticker, recording), fetched from the
    /// provider, stored with the message.
    pub media: Option<ReceivedMedia>,
    /// What it answers, forwarding, the ad; for a kind the app cannot show, what was sent.
    pub about: MessageAbout,
}

/// A guest's file, fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// 0 when not a picture, or not readable.
    pub width: u32,
    pub height: u32,
}

/// A guest's reaction to a message (the business's or their own), or its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundReaction {
    pub guest: GuestIds,
    pub guest_name: Option<String>,
    /// The provider id of the message reacted to.
    pub target: String,
    /// None: removed.
    pub emoji: Option<String>,
    pub at: Timestamp,
}

/// A delivery status from a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub wamid: String,
    pub state: DeliveryState,
    /// For `failed`: the provider's code and the sentence to show, put into words by the
    /// provider's layer.
    pub error: Option<(u32, String)>,
    /// The message the send named in its callback data (WhatsApp's
    /// `biz_opaque_callback_data`), when the status carried it.
    pub callback: Option<MessageId>,
}

/// A problem the provider reports with the line's account or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub code: u32,
    pub title: String,
    pub details: Option<String>,
}

/// What one webhook brought, to apply in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arrivals {
    pub messages: Vec<Inbound>,
    pub reactions: Vec<InboundReaction>,
    pub statuses: Vec<StatusUpdate>,
    /// Voicemail transcripts: (recording id, text).
    pub transcripts: Vec<(String, String)>,
    pub problems: Vec<LineProblem>,
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
    for r in &arrivals.reactions {
        tell(&mut told, react(tx, line, r, env.now)?);
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
    for p in &arrivals.problems {
        tell(&mut told, problem(tx, line, p, env.now)?);
    }
    Ok(told)
}

/// Stores one guest message (in its own transaction): seeding and tests.
pub fn receive(env: &Env<'_>, line: &Line, inbound: &Inbound) -> Result<Told> {
    env.store.write(|tx| ingest(env, tx, line, inbound))
}

/// The guest's name as a thread shows it: the contact's, else their WhatsApp profile
/// name, else their number.
fn guest_display_name(tx: &mut dyn Tx, thread: ThreadId) -> Result<String> {
    let t = tx.thread(thread)?;
    if let Some(contact) = t.contact_id
        && let Ok(c) = tx.contact(t.org_id, contact)
    {
        return Ok(c.name);
    }
    Ok(t.guest_name
        .or_else(|| t.guest.phone.map(|p| p.to_string()))
        .unwrap_or_else(|| "The guest".to_owned()))
}

/// The guest's open thread on the message's channel, told what it did not know of them;
/// or a new thread for the line's owner.
fn thread_for(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    line: &Line,
    channel: Channel,
    guest: &GuestIds,
    guest_name: Option<&str>,
) -> Result<ThreadId> {
    if let Some(id) = tx.open_thread_of(line.id, channel, guest)? {
        tx.learn_guest(id, guest, guest_name)?;
        return Ok(id);
    }
    let id: ThreadId = env.ids.new();
    let contact = match &guest.phone {
        Some(phone) => tx.contact_by_phone(line.org_id, phone)?,
        None => None,
    };
    tx.insert_thread(&NewThread {
        id,
        org: line.org_id,
        line: line.id,
        channel,
        guest: guest.clone(),
        guest_name: guest_name.map(str::to_owned),
        contact,
        participants: vec![line.owner_user_id],
        window: WindowFacts::default(),
        template_required: false,
        created_at: env.now,
    })?;
    audit(
        tx,
        line.org_id,
        env.now,
        &guest_actor(guest),
        "thread.opened",
        Some(id),
        serde_json::json!({}),
    )?;
    Ok(id)
}

fn guest_actor(guest: &GuestIds) -> String {
    format!("guest:{}", guest.key)
}

/// Stores a guest's message once (by its provider id) in the guest's open thread on its
/// channel, or a new thread for the line's owner. A notice about the guest (a new number,
/// a first chat) is a system line: it opens no window and counts as nothing unread.
fn ingest(env: &Env<'_>, tx: &mut dyn Tx, line: &Line, inbound: &Inbound) -> Result<Told> {
    let now = env.now;
    if tx.wamid_known(&inbound.wamid)? {
        return Ok(Vec::new());
    }
    // A guest's clock may run ahead: a future timestamp must not stretch the window.
    let at = inbound.at.min(now);
    let guest_actor = guest_actor(&inbound.guest);
    let thread = thread_for(
        env,
        tx,
        line,
        inbound.channel,
        &inbound.guest,
        inbound.guest_name.as_deref(),
    )?;
    // Read while the thread is as it was found (a backend may have it at hand then).
    let guest_key = tx.thread(thread)?.guest.key;
    let body = store_media(env, tx, line, thread, inbound)?;
    let (body, direction) = match body {
        MessageBody::Notice { notice, text } => {
            let name = guest_display_name(tx, thread)?;
            let text = notice_sentence(&notice, &name, &text);
            (MessageBody::Notice { notice, text }, Direction::System)
        }
        body => (body, Direction::Inbound),
    };
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
        direction,
        author: None,
        client_id: None,
        wamid: Some(inbound.wamid.clone()),
        body: body.clone(),
        state: DeliveryState::Delivered,
        created_at: sort_at,
        about: inbound.about.clone(),
    })?;
    if direction == Direction::Inbound {
        tx.guest_message_arrived(thread, at, &body.preview())?;
    } else {
        tx.set_preview(thread, &body.preview())?;
    }
    audit(
        tx,
        line.org_id,
        now,
        &guest_actor,
        "message.received",
        Some(thread),
        serde_json::json!({ "message_id": id, "wamid": inbound.wamid, "body": body }),
    )?;
    if direction == Direction::Inbound {
        // Every guest message is delivered; it may also change consent (F5, F6), or whether
        // texts may be sent (an SMS STOP or START, F22).
        let text = body.words();
        if let Some(kind) = Standing::of(inbound.channel) {
            let key = guest_key;
            let before = tx.standing(kind, line.id, &key)?;
            let after = match kind {
                Standing::Whatsapp => {
                    let keywords = tx.organization(line.org_id)?.consent_keywords;
                    before.guest_replied(&keywords, text, inbound.payload.as_deref(), now)
                }
                Standing::Sms => multiline_domain::sms::after_guest_text(&before, text, now),
            };
            if after != before {
                tx.set_standing(kind, line.id, &key, &after, now)?;
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

/// The system line for a notice about the guest, with their name.
fn notice_sentence(notice: &Notice, name: &str, provider_words: &str) -> String {
    match notice {
        Notice::NumberChanged {
            new_phone: Some(phone),
            ..
        } => format!("{name} changed their number to {phone}"),
        Notice::NumberChanged {
            new_phone: None, ..
        } => format!("{name} changed their number"),
        Notice::OpenedChat => format!("{name} opened a chat with you"),
        Notice::UserIdChanged => format!("{name}'s WhatsApp account changed"),
        Notice::Other { what } if what == "customer_identity_changed" => {
            format!("{name}'s security code changed")
        }
        Notice::Other { .. } if !provider_words.trim().is_empty() => provider_words.to_owned(),
        Notice::Other { what } => format!("WhatsApp notice: {what}"),
    }
}

/// A guest's reaction: kept by the reacted message's provider id, shown on it (changed or
/// removed in place) and in the thread's summary. A reaction is not a message: it opens no
/// window and counts as nothing unread.
fn react(tx: &mut dyn Tx, line: &Line, r: &InboundReaction, now: Timestamp) -> Result<Told> {
    let target = tx.message_by_wamid(line.id, &r.target)?;
    let by = match target {
        Some(id) => {
            let thread = tx.message(id)?.thread_id;
            guest_display_name(tx, thread)?
        }
        None => r
            .guest_name
            .clone()
            .or_else(|| r.guest.phone.as_ref().map(|p| p.to_string()))
            .unwrap_or_else(|| "The guest".into()),
    };
    tx.set_reaction(
        line.id,
        &r.target,
        &NewReaction {
            emoji: r.emoji.clone(),
            by: by.clone(),
            at: r.at.min(now),
        },
    )?;
    // A reaction to a message not known (yet) waits for it, kept by its id.
    let Some(id) = target else {
        return Ok(Vec::new());
    };
    let msg = tx.message(id)?;
    audit(
        tx,
        line.org_id,
        now,
        &guest_actor(&r.guest),
        if r.emoji.is_some() {
            "reaction.set"
        } else {
            "reaction.removed"
        },
        Some(msg.thread_id),
        serde_json::json!({ "message_id": id, "emoji": r.emoji }),
    )?;
    if let Some(emoji) = &r.emoji {
        let quoted: String = msg.body.preview().chars().take(60).collect();
        tx.set_preview(
            msg.thread_id,
            &format!("{by} reacted {emoji} to \u{201c}{quoted}\u{201d}"),
        )?;
    }
    announce(tx, msg.thread_id, Some(&msg), now)
}

/// A problem WhatsApp reports with the line's account: audited, logged, and told to the
/// line's owner.
fn problem(tx: &mut dyn Tx, line: &Line, p: &LineProblem, now: Timestamp) -> Result<Told> {
    tracing::warn!(line = %line.id, code = p.code, title = %p.title, details = ?p.details, "WhatsApp reports a problem with the line");
    audit(
        tx,
        line.org_id,
        now,
        "whatsapp",
        "line.problem",
        None,
        serde_json::json!({ "line": line.id, "code": p.code, "title": p.title, "details": p.details }),
    )?;
    let mut text = format!(
        "WhatsApp reports a problem with the line {}: {} (error {})",
        line.display_phone_number, p.title, p.code
    );
    if let Some(details) = &p.details {
        text.push_str(&format!(". {details}"));
    }
    tx.push_event(line.owner_user_id, &Event::LineProblem { text }, now)?;
    Ok(vec![line.owner_user_id])
}

/// The body to store: a file's bytes stored first, under their new id, put in the body.
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
    Ok(with_media(&inbound.body, media_id, media))
}

/// `body` with its file: the stored id, the type and size as received.
pub fn with_media(body: &MessageBody, media_id: MediaId, media: &ReceivedMedia) -> MessageBody {
    let size = media.bytes.len() as u64;
    let mime_type = media.mime_type.clone();
    match body.clone() {
        MessageBody::Picture { caption, .. } => MessageBody::Picture {
            media_id,
            caption,
            width: media.width,
            height: media.height,
        },
        MessageBody::Audio { voice, .. } => MessageBody::Audio {
            media_id,
            duration_secs: crate::media_facts::ogg_opus_duration_secs(&media.bytes),
            mime_type,
            size,
            voice,
        },
        MessageBody::Video { caption, .. } => MessageBody::Video {
            media_id,
            mime_type,
            size,
            caption,
        },
        MessageBody::Document {
            filename, caption, ..
        } => MessageBody::Document {
            media_id,
            mime_type,
            size,
            filename,
            caption,
        },
        MessageBody::Sticker { animated, .. } => MessageBody::Sticker {
            media_id,
            mime_type,
            animated,
        },
        MessageBody::Voicemail {
            duration_secs,
            transcript,
            ..
        } => MessageBody::Voicemail {
            media_id,
            duration_secs,
            transcript,
            heard_at: None,
        },
        other => other,
    }
}

/// Applies a status report: states never move backwards (a late `delivered` after `read` is
/// ignored). Only the line's own messages: a webhook signed for one line never touches
/// another's. A status for a wamid not recorded yet names its message in its callback data
/// (the connector's sends do): that message is sent, as that wamid (its answer may still be
/// on its way, or lost). Without it, the status is kept and applied when the answer comes.
fn apply_status(
    tx: &mut dyn Tx,
    line: Uuid,
    update: &StatusUpdate,
    now: Timestamp,
) -> Result<Told> {
    match tx.outbound_by_wamid(line, &update.wamid)? {
        Some(id) => status_of(tx, id, update, now),
        None if let Some(id) = update.callback
            && let Some(mut told) =
                deliver::settle_by_callback(tx, line, id, &update.wamid, now)? =>
        {
            tell(&mut told, status_of(tx, id, update, now)?);
            Ok(told)
        }
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
        let failure =
            deliver::Failure::whatsapp(Some(code), cloud_errors::disposition(code), reason);
        return deliver::fail_message(tx, id, &failure, now);
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
