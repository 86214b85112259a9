//! What happens to a queued message: the dispatch worker claims it, hands it to the Cloud API
//! or the line's carrier, and records the answer here: sent (with its provider id, moving
//! the window and, for the opt-in, consent), failed for good (with a sentence a user reads),
//! or back in the queue for a retry. A message in flight when the connector died is failed,
//! never sent again: the providers have no idempotency key, and a guest must never get a
//! message twice.

use multiline_domain::api::{Channel, DeliveryState, MessageBody};
use multiline_domain::ids::{MessageId, ThreadId};
use multiline_domain::time::Timestamp;

use super::{Env, Told, announce, audit, receive, tell};
use crate::error::Result;
use crate::store::{GuestIds, Line, Standing, StoreExt, Tx};

/// What a user reads for a message that was in flight when the connector stopped.
pub const RESTARTED_WHILE_SENDING: &str = "The connector restarted while sending this message, so it may not have been delivered. Send it again if needed.";

/// One message to hand to the Cloud API or the carrier.
#[derive(Debug, Clone)]
pub struct OutboundJob {
    pub message_id: MessageId,
    pub thread_id: ThreadId,
    pub line: Line,
    pub to: GuestIds,
    pub body: MessageBody,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// WhatsApp (the Cloud API) or SMS (the line's carrier).
    pub channel: Channel,
}

/// Takes the next due message (the oldest of a thread with nothing earlier queued or in
/// flight), marking it in flight.
pub fn claim_next(env: &Env<'_>) -> Result<Option<OutboundJob>> {
    env.store.write(|tx| {
        let Some(claimed) = tx.claim_next(env.now)? else {
            return Ok(None);
        };
        let message = tx.message(claimed.message)?;
        let thread = tx.thread(claimed.thread)?;
        Ok(Some(OutboundJob {
            message_id: claimed.message,
            thread_id: claimed.thread,
            line: tx.line(thread.line_id)?,
            to: thread.guest,
            body: message.body,
            attempts: claimed.attempts,
            channel: thread.channel,
        }))
    })
}

/// When the earliest queued message becomes due.
pub fn next_due(env: &Env<'_>) -> Result<Option<Timestamp>> {
    env.store.read(|tx| tx.next_due())
}

/// The provider accepted the message as `wamid`: it is `sent`, and (outbound counts once
/// accepted) it moves the thread's window. A template restarts the conversation (F9); the
/// opt-in template makes the guest's consent `Requested` (F4). Statuses that came before
/// this answer are applied now.
pub fn complete_sent(env: &Env<'_>, id: MessageId, wamid: &str) -> Result<Told> {
    let now = env.now;
    env.store.write(|tx| {
        let msg = tx.message(id)?;
        tx.set_message_wamid(id, wamid)?;
        tx.set_message_state(id, msg.state.advance(DeliveryState::Sent), None)?;
        tx.dequeue(id)?;
        tx.record_activity(msg.thread_id, now, false)?;
        let thread = tx.thread(msg.thread_id)?;
        if let MessageBody::Template { name, language, .. } = &msg.body {
            tx.set_template_required(msg.thread_id, false)?;
            let org = tx.organization(thread.org_id)?;
            if org.opt_in_template == (name.clone(), language.clone()) {
                let before = tx.standing(Standing::Whatsapp, thread.line_id, &thread.guest.key)?;
                let after = before.opt_in_sent(now);
                if after != before {
                    tx.set_standing(
                        Standing::Whatsapp,
                        thread.line_id,
                        &thread.guest.key,
                        &after,
                        now,
                    )?;
                    audit(
                        tx,
                        thread.org_id,
                        now,
                        "connector",
                        "consent.changed",
                        Some(msg.thread_id),
                        serde_json::json!({ "from": before, "to": after, "message_id": id }),
                    )?;
                }
            }
        }
        let msg = tx.message(id)?;
        let mut told = announce(tx, msg.thread_id, Some(&msg), now)?;
        for early in tx.take_early_statuses(thread.line_id, wamid)? {
            let update = receive::StatusUpdate {
                wamid: early.wamid,
                state: early.state,
                error: early.error,
            };
            tell(&mut told, receive::status_of(tx, id, &update, now)?);
        }
        Ok(told)
    })
}

/// The message will not be sent: `failed` with a reason a user understands.
/// `template_required` puts the thread into "template required" (Cloud API 131047).
pub fn complete_failed(
    env: &Env<'_>,
    id: MessageId,
    reason: &str,
    template_required: bool,
) -> Result<Told> {
    env.store
        .write(|tx| fail_message(tx, id, reason, template_required, env.now))
}

/// Puts an in-flight message back in the queue, due at `at`.
pub fn retry_at(env: &Env<'_>, id: MessageId, at: Timestamp) -> Result<()> {
    env.store.write(|tx| tx.retry_at(id, at))
}

/// After a crash: messages left in flight may or may not have reached the provider. They are
/// failed, never re-sent; the user sees why and can send again.
pub fn recover_in_flight(env: &Env<'_>) -> Result<Told> {
    env.store.write(|tx| {
        let mut told = Vec::new();
        for id in tx.in_flight()? {
            tell(
                &mut told,
                fail_message(tx, id, RESTARTED_WHILE_SENDING, false, env.now)?,
            );
        }
        Ok(told)
    })
}

/// Fails a message for good, in the caller's transaction: its state and reason, out of the
/// queue, the thread template-only if asked, audited, announced.
pub(crate) fn fail_message(
    tx: &mut dyn Tx,
    id: MessageId,
    reason: &str,
    template_required: bool,
    now: Timestamp,
) -> Result<Told> {
    let msg = tx.message(id)?;
    tx.set_message_state(id, DeliveryState::Failed, Some(reason))?;
    tx.dequeue(id)?;
    if template_required {
        tx.set_template_required(msg.thread_id, true)?;
    }
    let org = tx.thread(msg.thread_id)?.org_id;
    audit(
        tx,
        org,
        now,
        "connector",
        "message.failed",
        Some(msg.thread_id),
        serde_json::json!({ "message_id": id, "reason": reason }),
    )?;
    let msg = tx.message(id)?;
    announce(tx, msg.thread_id, Some(&msg), now)
}

/// The provider refuses to send anything from `line` (`code`: a bad token, a payment or
/// registration problem, a policy block, an ended API version): the line's owner is told
/// once, with what it means (`sentence`), and it is audited; the messages wait in the queue.
/// Telling again waits until the line has sent (see [`line_unblocked`]) or the code changes.
pub fn line_blocked(env: &Env<'_>, line: uuid::Uuid, code: u32, sentence: &str) -> Result<Told> {
    env.store.write(|tx| {
        let line = tx.line(line)?;
        let key = code.to_string();
        if line.blocked_told.as_deref() == Some(key.as_str()) {
            return Ok(Told::new());
        }
        tx.set_line_blocked_told(line.id, Some(&key))?;
        audit(
            tx,
            line.org_id,
            env.now,
            "connector",
            "line.blocked",
            None,
            serde_json::json!({ "line": line.id, "code": code, "sentence": sentence }),
        )?;
        let text = format!(
            "WhatsApp refuses to send from the line {} (error {code}): {sentence} Messages to \
             guests wait and go out once it is fixed.",
            line.number_for_people()
        );
        tx.push_event(
            line.owner_user_id,
            &multiline_domain::api::Event::LineProblem { text },
            env.now,
        )?;
        Ok(vec![line.owner_user_id])
    })
}

/// The line sent again after being blocked: a later block is told anew. Audited.
pub fn line_unblocked(env: &Env<'_>, line: uuid::Uuid) -> Result<()> {
    env.store.write(|tx| {
        let line = tx.line(line)?;
        let Some(code) = line.blocked_told else {
            return Ok(());
        };
        tx.set_line_blocked_told(line.id, None)?;
        audit(
            tx,
            line.org_id,
            env.now,
            "connector",
            "line.unblocked",
            None,
            serde_json::json!({ "line": line.id, "code": code }),
        )
    })
}
