//! Group threads (F19-F20): who is in a thread, changed by its participants. The domain
//! decides what is allowed ([`participants::apply`]); this writes it: the participant rows, a
//! system line in the thread for each change, the audit, the events (the users who lost
//! access are told to forget the thread), and for a restart the new thread.

use std::collections::HashMap;

use multiline_domain::api::{
    DeliveryState, Direction, Event, MessageBody, Thread, ThreadStatus, User,
};
use multiline_domain::ids::{MessageId, ThreadId, UserId};
use multiline_domain::participants::{self, Operation, SystemEvent};
use multiline_domain::time::Timestamp;

use super::{Env, Told, actor, announce, audit};
use crate::error::{Error, Result};
use crate::store::{Caller, NewMessage, NewThread, StoreExt, Tx};

/// The caller's organization's users (the caller included): whom a participant may add or
/// transfer to.
pub fn colleagues(env: &Env<'_>, caller: Caller) -> Result<Vec<User>> {
    env.store.read(|tx| tx.users_of_org(caller.org_id))
}

/// Applies add / remove / leave / transfer / restart as the domain allows. Answers the thread
/// as the caller now sees it (a restart: the new thread; none when the caller left it) and
/// who to tell (including those who lost access).
pub fn change_participants(
    env: &Env<'_>,
    caller: Caller,
    thread: ThreadId,
    op: Operation,
) -> Result<(Option<Thread>, Told)> {
    let now = env.now;
    env.store.write(|tx| {
        let row = tx.thread(thread)?;
        if row.org_id != caller.org_id {
            return Err(Error::NotFound);
        }
        let before = tx.participants(thread)?;
        let names: HashMap<UserId, String> = tx
            .users_of_org(caller.org_id)?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let open = row.status == ThreadStatus::Open;
        let outcome = participants::apply(&before, open, caller.user_id, op, |u| {
            names.contains_key(&u)
        })?;
        let name = |u: UserId| names.get(&u).cloned().unwrap_or_else(|| "Someone".into());

        // Who is in the thread now.
        if !outcome.opens_new_thread {
            for &user in outcome.participants.iter().filter(|u| !before.contains(u)) {
                tx.join(thread, user, now)?;
            }
            for &user in before.iter().filter(|u| !outcome.participants.contains(u)) {
                tx.leave(thread, user, now)?;
            }
        }
        if outcome.closes {
            tx.close_thread(thread)?;
        }

        // A system line and an audit entry per change, in the old thread.
        let mut told = Vec::new();
        let mut lines = Vec::new();
        for event in &outcome.events {
            let text = event.sentence(name);
            let id = env.ids.new();
            system_line(tx, id, thread, event, &text, now)?;
            lines.push(id);
            audit(
                tx,
                caller.org_id,
                now,
                &actor(caller),
                event.action(),
                Some(thread),
                serde_json::json!({ "event": event, "text": text }),
            )?;
        }
        // Everyone still in it sees the thread and its new lines (a restarted thread stays,
        // closed, with its history); the others are told to forget it.
        let still: Vec<UserId> = if outcome.opens_new_thread {
            before.clone()
        } else if outcome.closes {
            Vec::new()
        } else {
            outcome.participants.clone()
        };
        if !still.is_empty() {
            for line in &lines {
                let message = tx.message(*line)?;
                told.extend(announce(tx, thread, Some(&message), now)?);
            }
        }
        for &user in before.iter().filter(|u| !still.contains(u)) {
            tx.push_event(user, &Event::ThreadRemoved { thread_id: thread }, now)?;
            told.push(user);
        }

        // A restart: a new thread with the same guest and participants. Consent is the
        // guest's, and the window's facts carry over: the rules decide whether the first
        // message must be a template.
        let mut visible = if still.contains(&caller.user_id) {
            Some(tx.thread_view(thread, caller.user_id)?)
        } else {
            None
        };
        if outcome.opens_new_thread {
            let new_thread: ThreadId = env.ids.new();
            tx.insert_thread(&NewThread {
                id: new_thread,
                org: caller.org_id,
                line: row.line_id,
                channel: row.channel,
                guest: row.guest.clone(),
                guest_name: row.guest_name.clone(),
                contact: row.contact_id,
                participants: outcome.participants.clone(),
                window: row.window,
                template_required: row.template_required,
                created_at: now,
            })?;
            let restarted = SystemEvent::Restarted { by: caller.user_id };
            let id = env.ids.new();
            system_line(
                tx,
                id,
                new_thread,
                &restarted,
                &restarted.sentence(name),
                now,
            )?;
            audit(
                tx,
                caller.org_id,
                now,
                &actor(caller),
                "thread.opened",
                Some(new_thread),
                serde_json::json!({ "restart_of": thread }),
            )?;
            let message = tx.message(id)?;
            told.extend(announce(tx, new_thread, Some(&message), now)?);
            visible = Some(tx.thread_view(new_thread, caller.user_id)?);
        }
        told.sort();
        told.dedup();
        Ok((visible, told))
    })
}

/// A line the thread shows about itself. It changes the preview, never the window.
pub(crate) fn system_line(
    tx: &mut dyn Tx,
    id: MessageId,
    thread: ThreadId,
    event: &SystemEvent,
    text: &str,
    now: Timestamp,
) -> Result<()> {
    tx.insert_message(&NewMessage {
        id,
        thread,
        direction: Direction::System,
        author: None,
        client_id: None,
        wamid: None,
        body: MessageBody::System {
            event: event.clone(),
            text: text.to_owned(),
        },
        state: DeliveryState::Delivered,
        created_at: now,
        about: Default::default(),
    })?;
    tx.set_preview(thread, text)
}
