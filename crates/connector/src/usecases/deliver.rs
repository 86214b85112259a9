//! What happens to a queued message: the dispatch worker claims it, hands it to the Cloud API
//! or the line's carrier, and records the answer here: sent (with its provider id, moving
//! the window and, for the opt-in, consent), failed for good (with a sentence a user reads),
//! or back in the queue for a retry. A message in flight when the connector died is failed,
//! never sent again: the providers have no idempotency key, and a guest must never get a
//! message twice.

use multiline_domain::api::{Channel, DeliveryState, Direction, Message, MessageBody};
use multiline_domain::cloud_errors::{self, Disposition};
use multiline_domain::ids::{MessageId, OrganizationId, ThreadId};
use multiline_domain::messages::Remedy;
use multiline_domain::time::Timestamp;

use super::{Env, Told, announce, audit, receive, tell};
use crate::error::Result;
use crate::store::{GuestIds, Line, Standing, StoreExt, Tx};

/// What a user reads for a message that was in flight when the connector stopped.
pub const RESTARTED_WHILE_SENDING: &str = "Not confirmed: the connector restarted while sending this message, and WhatsApp may have delivered it. Check with the guest before you send it again.";

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
    /// When the claim was taken (renewed just before the send: [`renew_claim`]).
    pub claimed_at: Timestamp,
}

/// Takes the next due message (the oldest of a thread with nothing earlier queued or in
/// flight), marking it in flight.
pub fn claim_next(env: &Env<'_>) -> Result<Option<OutboundJob>> {
    env.store.queue(|tx| {
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
            claimed_at: env.now,
        }))
    })
}

/// Just before the provider is called: renews the job's claim to `env.now` if it is still
/// the one taken at `claimed_at`. `false` when it is not (another instance recovered it
/// after its lease ran out while this one waited for a slot or for the store): the send
/// must not happen.
pub fn renew_claim(env: &Env<'_>, id: MessageId, claimed_at: Timestamp) -> Result<bool> {
    env.store
        .write(|tx| tx.renew_claim(id, claimed_at, env.now))
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
    env.store.write(|tx| sent_in(tx, id, wamid, env.now))
}

/// [`complete_sent`] in the caller's transaction.
pub(crate) fn sent_in(tx: &mut dyn Tx, id: MessageId, wamid: &str, now: Timestamp) -> Result<Told> {
    {
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
                callback: None,
            };
            tell(&mut told, receive::status_of(tx, id, &update, now)?);
        }
        Ok(told)
    }
}

/// A status names, by its callback data, message `id` of `line`, whose wamid was never
/// recorded: the send did reach WhatsApp, as `wamid`, and the message becomes what it is
/// (sent, then the status applied). Either its send's answer is not recorded yet (on its
/// way, or lost with an instance that died in the middle of the send): whoever records it
/// later finds it done, an instance taking over the dead one's claim finds it no longer in
/// flight (not "not confirmed"), a retry planned after an unknown outcome never happens. Or
/// the answer was lost (failed with an unknown outcome, offering Retry): Retry is no longer
/// offered, and nothing is sent twice. `None` when `id` is no such message.
pub(crate) fn settle_by_callback(
    tx: &mut dyn Tx,
    line: uuid::Uuid,
    id: MessageId,
    wamid: &str,
    now: Timestamp,
) -> Result<Option<Told>> {
    let Ok(msg) = tx.message(id) else {
        return Ok(None);
    };
    if msg.direction != Direction::Outbound {
        return Ok(None);
    }
    let thread = tx.thread(msg.thread_id)?;
    if thread.line_id != line {
        return Ok(None);
    }
    let in_flight = msg.state == DeliveryState::Sending;
    let lost = matches!(
        msg.state,
        DeliveryState::Failed | DeliveryState::Unconfirmed
    ) && msg.remedy == Some(Remedy::Retry);
    if lost && tx.unfail_message(id)? {
        audit(
            tx,
            thread.org_id,
            now,
            "connector",
            "message.recovered",
            Some(msg.thread_id),
            serde_json::json!({ "message_id": id, "wamid": wamid }),
        )?;
    } else if !in_flight {
        return Ok(None);
    }
    sent_in(tx, id, wamid, now).map(Some)
}

/// Why a message will not be sent, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// In words a user understands.
    pub reason: String,
    /// Puts the thread into "template required" (Cloud API 131047).
    pub template_required: bool,
    pub remedy: Option<Remedy>,
}

impl Failure {
    /// A WhatsApp failure with Meta's `code`, as the error table says.
    pub fn whatsapp(code: Option<u32>, disposition: Disposition, reason: String) -> Failure {
        Failure {
            reason,
            template_required: disposition == Disposition::TemplateRequired || code == Some(131047),
            remedy: cloud_errors::remedy(disposition, code),
        }
    }
}

/// The message will not be sent: `failed` with a reason a user understands. Unless it is
/// no longer being sent: WhatsApp's status, naming it, said it has it while the answer was
/// on its way (a timeout's, say), or another instance recovered it: then the answer
/// changes nothing.
pub fn complete_failed(env: &Env<'_>, id: MessageId, failure: &Failure) -> Result<Told> {
    env.store.write(|tx| {
        if tx.message(id)?.state != DeliveryState::Sending {
            return Ok(Told::new());
        }
        fail_message(tx, id, failure, env.now)
    })
}

/// Retry (the user's): the same failed message queued again, with its client id; nothing
/// is sent twice, and a message that is not failed (already retried) is left as it is.
/// Only a participant of the thread may, and only what may be sent now.
pub fn retry(env: &Env<'_>, caller: super::Caller, id: MessageId) -> Result<(Message, Told)> {
    env.store.write(|tx| {
        let msg = tx.message(id)?;
        super::send::check_can_resend(env, tx, caller, &msg)?;
        if !tx.unfail_message(id)? {
            return Ok((msg, Told::new()));
        }
        tx.queue(id, msg.thread_id, env.now)?;
        let org = tx.thread(msg.thread_id)?.org_id;
        audit(
            tx,
            org,
            env.now,
            &caller.user_id.to_string(),
            "message.retried",
            Some(msg.thread_id),
            serde_json::json!({ "message_id": id }),
        )?;
        let msg = tx.message(id)?;
        let told = announce(tx, msg.thread_id, Some(&msg), env.now)?;
        Ok((msg, told))
    })
}

/// Puts an in-flight message back in the queue, due at `at`.
pub fn retry_at(env: &Env<'_>, id: MessageId, at: Timestamp) -> Result<()> {
    env.store.write(|tx| tx.retry_at(id, at))
}

/// After a crash: messages left in flight (claimed before `claimed_before`: at the start of
/// the one process on its store, all of them; with several instances, those whose claim's
/// lease ran out, an instance that died) may or may not have reached the provider. They
/// are "not confirmed" ([`DeliveryState::Unconfirmed`]), never re-sent: a status webhook
/// that names them (their callback data) settles them; a user who checked with the guest
/// can send one again.
pub fn recover_in_flight(env: &Env<'_>, claimed_before: Timestamp) -> Result<Told> {
    env.store.write(|tx| {
        let mut told = Vec::new();
        for id in tx.in_flight(claimed_before)? {
            let msg = tx.message(id)?;
            tx.set_message_state(
                id,
                DeliveryState::Unconfirmed,
                Some(RESTARTED_WHILE_SENDING),
            )?;
            tx.set_message_remedy(id, Some(Remedy::Retry))?;
            tx.dequeue(id)?;
            let org = tx.thread(msg.thread_id)?.org_id;
            audit(
                tx,
                org,
                env.now,
                "connector",
                "message.unconfirmed",
                Some(msg.thread_id),
                serde_json::json!({ "message_id": id, "reason": RESTARTED_WHILE_SENDING }),
            )?;
            let msg = tx.message(id)?;
            tell(&mut told, announce(tx, msg.thread_id, Some(&msg), env.now)?);
        }
        Ok(told)
    })
}

/// Fails a message for good, in the caller's transaction: its state and reason, out of the
/// queue, the thread template-only if asked, audited, announced.
pub(crate) fn fail_message(
    tx: &mut dyn Tx,
    id: MessageId,
    failure: &Failure,
    now: Timestamp,
) -> Result<Told> {
    let msg = tx.message(id)?;
    let reason = failure.reason.as_str();
    tx.set_message_state(id, DeliveryState::Failed, Some(reason))?;
    tx.set_message_remedy(id, failure.remedy)?;
    tx.dequeue(id)?;
    if failure.template_required {
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
/// registration problem, a policy block, an ended API version): the line is **paused**
/// (nothing more of its WhatsApp queue is tried; every queued message waits, none is lost),
/// its owner is told once, with what it means (`sentence`), and it is audited. It sends
/// again when an admin resumes it ([`resume`], `multiline-connector line resume`), when
/// its version is moved to a current one, or when the connector sees the cause fixed
/// ([`PROBED_CODES`]).
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
            "WhatsApp refuses to send from the line {} (error {code}): {sentence} The line is \
             paused: messages to guests wait and go out once it is fixed and resumed \
             (multiline-connector line resume).",
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
    unpause(env, line, "connector").map(|_| ())
}

/// The codes whose cause a read with the line's token shows fixed (authentication and
/// permission: 0, 3, 10, 190, 200): while a line is paused for one of these, the connector
/// tries such a read now and then and resumes the line when it succeeds. A payment,
/// registration or policy block is only lifted by an admin.
pub const PROBED_CODES: &[&str] = &["0", "3", "10", "190", "200"];

/// The paused lines the connector may probe (see [`PROBED_CODES`]).
pub fn probed_lines(env: &Env<'_>) -> Result<Vec<Line>> {
    let orgs = env.store.read(|tx| tx.organizations())?;
    let mut out = Vec::new();
    for org in orgs {
        let Ok(line) = env.store.read(|tx| tx.line_of_org(org.id)) else {
            continue;
        };
        if line
            .blocked_told
            .as_deref()
            .is_some_and(|c| PROBED_CODES.contains(&c))
        {
            out.push(line);
        }
    }
    Ok(out)
}

/// An admin resumes the organization's paused line (`multiline-connector line resume`): its
/// queued messages go out, in order, once each. Audited; a line that was not paused is left
/// as it is.
pub fn resume(env: &Env<'_>, org: OrganizationId) -> Result<Line> {
    let line = env.store.read(|tx| tx.line_of_org(org))?;
    unpause(env, line.id, "admin")
}

/// Clears the pause of `line`, audited as `by`.
pub fn unpause(env: &Env<'_>, line: uuid::Uuid, by: &str) -> Result<Line> {
    env.store.write(|tx| {
        let line = tx.line(line)?;
        let Some(code) = &line.blocked_told else {
            return Ok(line);
        };
        tx.set_line_blocked_told(line.id, None)?;
        audit(
            tx,
            line.org_id,
            env.now,
            by,
            "line.resumed",
            None,
            serde_json::json!({ "line": line.id, "code": code }),
        )?;
        tx.line(line.id)
    })
}
