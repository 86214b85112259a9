//! Private notes: a participant writes to the colleagues in a thread, in the thread, and the
//! guest never receives it (no outbox row, no provider call). Audited like a message, seen
//! by the thread's participants through their events. Any thread the caller is in, open or
//! closed (a note on a past conversation is still worth keeping).

use multiline_domain::api::{DeliveryState, Direction, Message, MessageBody};
use multiline_domain::ids::{ClientMessageId, MessageId, ThreadId};
use multiline_domain::policy::{MAX_WHATSAPP_TEXT_CHARS, Refusal};

use super::send::existing;
use super::{Env, Told, actor, announce, audit};
use crate::error::Result;
use crate::store::{Caller, NewMessage, StoreExt};

/// Adds the caller's note to `thread`; idempotent on `client_id` (the same note once).
/// `empty_message`, `message_too_long` (4,096 characters, as a text), `not_found` for a
/// thread the caller is not in.
pub fn add_note(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    client_id: ClientMessageId,
    text: &str,
) -> Result<(Message, Told)> {
    let text = text.trim_end();
    env.store.write(|tx| {
        if let Some(done) = existing(tx, caller, thread, client_id)? {
            return Ok((done, Vec::new()));
        }
        if text.trim().is_empty() {
            return Err(Refusal::EmptyMessage.into());
        }
        if text.chars().count() > MAX_WHATSAPP_TEXT_CHARS {
            return Err(Refusal::WhatsappTextTooLong.into());
        }
        let id: MessageId = env.ids.new();
        let body = MessageBody::Text {
            text: text.to_owned(),
        };
        tx.insert_message(&NewMessage {
            id,
            thread,
            direction: Direction::Note,
            author: Some(caller.user_id),
            client_id: Some(client_id),
            wamid: None,
            body: body.clone(),
            state: DeliveryState::Delivered,
            created_at: env.now,
            about: Default::default(),
        })?;
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            "note.added",
            Some(thread),
            serde_json::json!({ "message_id": id, "body": body }),
        )?;
        let note = tx.message(id)?;
        let told = announce(tx, thread, Some(&note), env.now)?;
        Ok((note, told))
    })
}
