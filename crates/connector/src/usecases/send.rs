//! What a user sends (F4-F9, F18): decided by the domain's one rule ([`policy::decide`], the
//! same the app applies), then stored as `sending` with its outbox row, audited and
//! announced, in one transaction. The app's client id is the idempotency key: sending the
//! same one again answers the first message. Also reading a thread's messages, playing a
//! voicemail, and using a guest's new number.

use multiline_domain::api::{
    DeliveryState, Direction, MediaInfo, Message, MessageBody, Notice, SendDocumentRequest,
};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, MediaId, MessageId, ThreadId};
use multiline_domain::messages::TemplateFile;
use multiline_domain::policy::{self, Attachment, Draft, OutboundKind, SendFacts};
use multiline_domain::templates::{
    self, HeaderMedia, Part, Template, TemplateStatus, TemplateValues,
};

use super::{Env, Told, actor, announce, audit, check_participant};
use crate::error::{Error, Result};
use crate::store::{Caller, NewMessage, StoreExt, Tx};

/// A thread's messages, oldest first (the caller must be a participant).
pub fn messages(env: &Env<'_>, caller: Caller, thread: ThreadId) -> Result<Vec<Message>> {
    env.store.read(|tx| {
        check_participant(tx, caller, thread)?;
        tx.messages(thread)
    })
}

/// A text, as typed (trailing white space is not sent).
pub fn send_text(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    text: &str,
) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        if let Some(done) = existing(tx, caller, thread, client_id)? {
            return Ok((done, Vec::new()));
        }
        let body = MessageBody::Text {
            text: policy::text_to_send(text).to_owned(),
        };
        enqueue(env, tx, caller, thread, client_id, Draft::Text(text), body)
    })
}

/// A picture the caller uploaded (`POST /v1/media`), with an optional caption: a free-form
/// message, under the same rules as a text.
pub fn send_picture(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    media: MediaId,
    caption: Option<&str>,
) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        if let Some(done) = existing(tx, caller, thread, client_id)? {
            return Ok((done, Vec::new()));
        }
        let info = claim_upload(tx, caller, thread, media)?;
        let draft = Draft::Picture {
            caption,
            attachment: Some(Attachment {
                mime_type: &info.mime_type,
                bytes: info.size,
            }),
        };
        let body = MessageBody::Picture {
            media_id: info.id,
            caption: policy::caption_to_send(caption).map(str::to_owned),
            width: info.width,
            height: info.height,
        };
        enqueue(env, tx, caller, thread, client_id, draft, body)
    })
}

/// A document the caller uploaded (`POST /v1/media`), under the name the guest sees, with an
/// optional caption: a free-form message, under the same rules as a text.
pub fn send_document(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    req: &SendDocumentRequest,
) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        if let Some(done) = existing(tx, caller, thread, req.client_id)? {
            return Ok((done, Vec::new()));
        }
        let filename = req.filename.trim();
        if filename.is_empty() || filename.chars().count() > 240 || filename.contains(['/', '\\']) {
            return Err(Error::invalid(
                ErrorCode::InvalidRequest,
                "A document needs a file name (at most 240 characters, no folders).",
            ));
        }
        let info = claim_upload(tx, caller, thread, req.media_id)?;
        let draft = Draft::Document {
            caption: req.caption.as_deref(),
            attachment: Some(Attachment {
                mime_type: &info.mime_type,
                bytes: info.size,
            }),
        };
        let body = MessageBody::Document {
            media_id: info.id,
            mime_type: info.mime_type.clone(),
            size: info.size,
            filename: filename.to_owned(),
            caption: policy::caption_to_send(req.caption.as_deref()).map(str::to_owned),
        };
        enqueue(env, tx, caller, thread, req.client_id, draft, body)
    })
}

/// The upload `media` for a message in `thread`: `existing` checked the thread (not found,
/// not a participant); only its uploader may send it, once, in one conversation.
fn claim_upload(
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    media: MediaId,
) -> Result<MediaInfo> {
    let record = tx
        .media_record(caller.org_id, media)?
        .filter(|m| m.uploader == Some(caller.user_id))
        .ok_or_else(|| {
            Error::invalid(
                ErrorCode::UnknownMedia,
                "There is no such file: upload it first.",
            )
        })?;
    match record.thread {
        Some(t) if t != thread => {
            return Err(Error::invalid(
                ErrorCode::MediaAlreadySent,
                "That file was sent in another conversation: upload it again.",
            ));
        }
        Some(_) => {}
        None => tx.attach_media(media, thread)?,
    }
    Ok(record.info)
}

/// An approved template (F9, F15), looked up by name and language, its values checked as the
/// Cloud API will check them. The organization's opt-in template counts as the opt-in
/// request (F4).
pub fn send_template(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    (name, language): (&str, &str),
    values: &TemplateValues,
) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        if let Some(done) = existing(tx, caller, thread, client_id)? {
            return Ok((done, Vec::new()));
        }
        let org = tx.organization(caller.org_id)?;
        let draft = if org.opt_in_template == (name.to_owned(), language.to_owned()) {
            Draft::OptIn
        } else {
            Draft::Template
        };
        // Whether a template may go at all, before anything about this one is looked up
        // (a template in an SMS thread is `whatsapp_only`, not `unknown_template`).
        decide(env, tx, caller, thread, draft)?;
        let body = template_body(tx, caller, name, language, values)?;
        enqueue(env, tx, caller, thread, client_id, draft, body)
    })
}

/// The opt-in request (F4): the organization's opt-in template to the thread's guest, filled
/// by the connector with the guest's first name and the organization's name.
pub fn send_opt_in(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
) -> Result<(Message, Told)> {
    env.store
        .write(|tx| opt_in_within(env, tx, caller, thread, client_id))
}

/// [`send_opt_in`] within a transaction (opening a thread sends it in the same one).
pub(super) fn opt_in_within(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
) -> Result<(Message, Told)> {
    if let Some(done) = existing(tx, caller, thread, client_id)? {
        return Ok((done, Vec::new()));
    }
    decide(env, tx, caller, thread, Draft::OptIn)?;
    let org = tx.organization(caller.org_id)?;
    let (name, language) = &org.opt_in_template;
    let template = tx.template(caller.org_id, name, language)?.ok_or_else(|| {
        Error::invalid(
            ErrorCode::OptInTemplateMissing,
            format!(
                "The opt-in template \"{name}\" ({language}) is not available. Ask an admin to sync templates."
            ),
        )
    })?;
    let view = tx.thread_view(thread, caller.user_id)?;
    let first_name = view
        .contact_name
        .split_whitespace()
        .next()
        .unwrap_or("there")
        .to_owned();
    let values = templates::opt_in_values(&template, &first_name, &org.name)
        .map_err(|e| Error::invalid(ErrorCode::OptInTemplateInvalid, e.to_string()))?;
    let body = template_body(tx, caller, name, language, &values)?;
    enqueue(env, tx, caller, thread, client_id, Draft::OptIn, body)
}

/// A voicemail was played by the caller (F22): when it was first heard is kept, once;
/// audited and announced. `not_a_voicemail` for any other message.
pub fn mark_heard(env: &Env<'_>, caller: Caller, id: MessageId) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        let msg = tx.message(id)?;
        check_participant(tx, caller, msg.thread_id)?;
        let MessageBody::Voicemail {
            media_id,
            duration_secs,
            transcript,
            heard_at,
        } = msg.body.clone()
        else {
            return Err(Error::invalid(
                ErrorCode::NotAVoicemail,
                "Only a voicemail can be marked as heard.",
            ));
        };
        if heard_at.is_some() {
            return Ok((msg, Vec::new()));
        }
        tx.set_message_body(
            id,
            &MessageBody::Voicemail {
                media_id,
                duration_secs,
                transcript,
                heard_at: Some(env.now),
            },
        )?;
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            "voicemail.heard",
            Some(msg.thread_id),
            serde_json::json!({ "message_id": id }),
        )?;
        let msg = tx.message(id)?;
        let told = announce(tx, msg.thread_id, Some(&msg), env.now)?;
        Ok((msg, told))
    })
}

/// A user confirms WhatsApp's notice that the guest changed their number: the thread writes
/// to the new number from now on (its consent and history stay: the same guest), and the
/// notice says it was applied. Audited, announced. Once only.
pub fn use_new_number(env: &Env<'_>, caller: Caller, id: MessageId) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        let msg = tx.message(id)?;
        check_participant(tx, caller, msg.thread_id)?;
        let MessageBody::Notice {
            notice:
                Notice::NumberChanged {
                    new_phone: Some(phone),
                    applied,
                },
            text,
        } = msg.body.clone()
        else {
            return Err(Error::invalid(
                ErrorCode::InvalidRequest,
                "This message has no new number to use.",
            ));
        };
        if applied {
            return Ok((msg, Vec::new()));
        }
        let before = tx.thread(msg.thread_id)?.guest.phone;
        tx.set_guest_phone(msg.thread_id, &phone)?;
        tx.set_message_body(
            id,
            &MessageBody::Notice {
                notice: Notice::NumberChanged {
                    new_phone: Some(phone.clone()),
                    applied: true,
                },
                text,
            },
        )?;
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            "guest.number_changed",
            Some(msg.thread_id),
            serde_json::json!({ "message_id": id, "from": before, "to": phone }),
        )?;
        let msg = tx.message(id)?;
        let told = announce(tx, msg.thread_id, Some(&msg), env.now)?;
        Ok((msg, told))
    })
}

/// The message this author already sent with `client_id` (the idempotency key), if any.
pub(super) fn existing(
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
) -> Result<Option<Message>> {
    check_participant(tx, caller, thread)?;
    let Some((id, sent_in)) = tx.message_by_client_id(caller.user_id, client_id)? else {
        return Ok(None);
    };
    if sent_in != thread {
        return Err(Error::Conflict(
            "this client id was used for another thread",
        ));
    }
    tx.message(id).map(Some)
}

/// Whether `msg` may be sent again now (Retry): the caller is in its thread, it is the
/// business's, and the rules allow its kind in the thread today (a closed window refuses a
/// text, as for a new one).
pub(super) fn check_can_resend(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    caller: Caller,
    msg: &Message,
) -> Result<()> {
    check_participant(tx, caller, msg.thread_id)?;
    let draft = match (&msg.direction, &msg.body) {
        (Direction::Outbound, MessageBody::Text { text }) => Draft::Text(text),
        (Direction::Outbound, MessageBody::Picture { caption, .. }) => Draft::Picture {
            caption: caption.as_deref(),
            attachment: None,
        },
        (Direction::Outbound, MessageBody::Document { caption, .. }) => Draft::Document {
            caption: caption.as_deref(),
            attachment: None,
        },
        (Direction::Outbound, MessageBody::Template { name, language, .. }) => {
            let org = tx.organization(caller.org_id)?;
            if org.opt_in_template == (name.clone(), language.clone()) {
                Draft::OptIn
            } else {
                Draft::Template
            }
        }
        _ => {
            return Err(Error::invalid(
                ErrorCode::NotRetryable,
                "Only a message sent from MultiLine can be sent again.",
            ));
        }
    };
    decide(env, tx, caller, msg.thread_id, draft)
}

/// The rules' answer for `draft` in `thread` now: the thread's facts, the organization's
/// WhatsApp switch, the domain's one decision.
fn decide(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    draft: Draft<'_>,
) -> Result<()> {
    let view = tx.thread_view(thread, caller.user_id)?;
    let enabled = tx.organization(caller.org_id)?.whatsapp_enabled;
    policy::decide(&SendFacts::of(&view, enabled), &draft, env.now)?;
    Ok(())
}

/// A template message's body: the template must exist and be approved, the values valid.
fn template_body(
    tx: &mut dyn Tx,
    caller: Caller,
    name: &str,
    language: &str,
    values: &TemplateValues,
) -> Result<MessageBody> {
    let template = tx.template(caller.org_id, name, language)?.ok_or_else(|| {
        Error::invalid(
            ErrorCode::UnknownTemplate,
            format!("There is no template \"{name}\" in {language}."),
        )
    })?;
    if template.status != TemplateStatus::Approved {
        return Err(Error::invalid(
            ErrorCode::TemplateNotApproved,
            format!("The template \"{name}\" is not approved for sending."),
        ));
    }
    let components = template.send_components(values).map_err(|errors| {
        Error::invalid(
            ErrorCode::InvalidTemplateValues,
            templates::describe(&errors),
        )
    })?;
    let text = Template::fill(&template.body, Part::Body, values);
    let text = match template.header_text() {
        Some(header) => format!("{}\n{text}", Template::fill(header, Part::Header, values)),
        None => text,
    };
    let header = match template.header_file(values) {
        Some(file) => Some(Box::new(checked_header_file(tx, caller, file)?)),
        None => None,
    };
    Ok(MessageBody::Template {
        name: name.to_owned(),
        language: language.to_owned(),
        text,
        components,
        header,
        buttons: template.button_labels(),
    })
}

/// A template header's file: a link (the template's sample) as it is, or a picture the
/// caller uploaded (`POST /v1/media`), which the dispatch worker uploads to the Cloud API.
fn checked_header_file(
    tx: &mut dyn Tx,
    caller: Caller,
    file: TemplateFile,
) -> Result<TemplateFile> {
    let Some(id) = file.media_id else {
        return Ok(file);
    };
    let record = tx
        .media_record(caller.org_id, id)?
        .filter(|m| m.uploader == Some(caller.user_id))
        .ok_or_else(|| {
            Error::invalid(
                ErrorCode::UnknownMedia,
                "There is no such file for the template's header: attach it again.",
            )
        })?;
    // What Meta takes as a header by id: a picture (JPEG, PNG) for IMAGE, a PDF for
    // DOCUMENT; a video or a GIF header goes by its sample link.
    let mime = record.info.mime_type.as_str();
    let (fits, wanted) = match file.kind {
        HeaderMedia::Image => (mime.starts_with("image/"), "a picture"),
        HeaderMedia::Document => (mime == "application/pdf", "a PDF"),
        HeaderMedia::Video | HeaderMedia::Gif => (false, "the template's sample"),
    };
    if !fits {
        return Err(Error::invalid(
            ErrorCode::InvalidTemplateValues,
            format!("{} must be {wanted} here.", capitalized(file.kind.what())),
        ));
    }
    Ok(file)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Decides, then queues `body`: stored as `sending` with its outbox row, the thread's
/// preview, the audit record, the events, in the caller's transaction.
fn enqueue(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    draft: Draft<'_>,
    body: MessageBody,
) -> Result<(Message, Told)> {
    decide(env, tx, caller, thread, draft)?;
    let id: MessageId = env.ids.new();
    tx.insert_message(&NewMessage {
        id,
        thread,
        direction: Direction::Outbound,
        author: Some(caller.user_id),
        client_id: Some(client_id),
        wamid: None,
        body: body.clone(),
        state: DeliveryState::Sending,
        created_at: env.now,
        about: Default::default(),
    })?;
    tx.queue(id, thread, env.now)?;
    tx.set_preview(thread, &body.preview())?;
    let action = match draft.kind() {
        OutboundKind::FreeForm => "message.queued",
        OutboundKind::Template => "template.queued",
        OutboundKind::OptInTemplate => "opt_in.queued",
    };
    audit(
        tx,
        caller.org_id,
        env.now,
        &actor(caller),
        action,
        Some(thread),
        serde_json::json!({ "message_id": id, "body": body }),
    )?;
    let msg = tx.message(id)?;
    let told = announce(tx, thread, Some(&msg), env.now)?;
    Ok((msg, told))
}
