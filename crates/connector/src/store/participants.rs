//! Group threads (F19-F20): who is in a thread, changed by its participants. The domain
//! decides what is allowed ([`multiline_domain::participants::apply`]); this applies it: the
//! participant rows, a system line in the thread for each change, the audit, the events
//! (the users who lost access are told to forget the thread), and for a restart the new
//! thread.

use std::collections::HashMap;

use multiline_domain::api::{Direction, Event, MessageBody, Thread, User};
use multiline_domain::ids::{MessageId, ThreadId, UserId};
use multiline_domain::participants::{self, Operation, ParticipantError, SystemEvent};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::events;
use super::threads::{create_thread, thread_for};
use super::{Caller, ParticipantStore, Result, SqliteStore, StoreError, micros, uuid_col};

impl From<ParticipantError> for StoreError {
    fn from(e: ParticipantError) -> StoreError {
        match e {
            // Not in the thread: it does not exist for them.
            ParticipantError::NotAParticipant => StoreError::NotFound,
            other => StoreError::Invalid {
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

struct ThreadRow {
    open: bool,
    line: String,
    guest: String,
    contact: Option<String>,
    last_message_at: Option<i64>,
    last_guest_message_at: Option<i64>,
    template_required: bool,
    channel: multiline_domain::api::Channel,
}

impl ParticipantStore for SqliteStore {
    /// The organization's users: the colleagues a thread's participant may add or transfer
    /// to.
    fn colleagues(&self, caller: Caller) -> Result<Vec<User>> {
        self.read(|tx| users_of(tx, caller))
    }

    /// Applies one change to a thread's participants. Answers the thread as the caller now
    /// sees it (a restart: the new thread; none when the caller left it) and who to tell.
    fn change_participants(
        &self,
        caller: Caller,
        thread: ThreadId,
        op: Operation,
        now: Timestamp,
    ) -> Result<(Option<Thread>, Vec<UserId>)> {
        self.write(|tx| {
            let row: ThreadRow = tx
                .query_row(
                    "SELECT status, line_id, guest_phone, contact_id, last_message_at,
                            last_guest_message_at, template_required, channel
                     FROM threads WHERE id = ?1 AND org_id = ?2",
                    params![thread.to_string(), caller.org_id.to_string()],
                    |r| {
                        Ok(ThreadRow {
                            open: r.get::<_, String>(0)? == "open",
                            line: r.get(1)?,
                            guest: r.get(2)?,
                            contact: r.get(3)?,
                            last_message_at: r.get(4)?,
                            last_guest_message_at: r.get(5)?,
                            template_required: r.get(6)?,
                            channel: super::messages::enum_parse(r.get(7)?)?,
                        })
                    },
                )
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let before = events::participants(tx, thread)?;
            let names: HashMap<UserId, String> = users_of(tx, caller)?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect();
            let outcome = participants::apply(&before, row.open, caller.user_id, op, |u| {
                names.contains_key(&u)
            })?;
            let name = |u: UserId| names.get(&u).cloned().unwrap_or_else(|| "Someone".into());

            // Who is in the thread now.
            if !outcome.opens_new_thread {
                for user in outcome.participants.iter().filter(|u| !before.contains(u)) {
                    tx.execute(
                        "INSERT INTO participants (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (thread_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at",
                        params![thread.to_string(), user.to_string(), micros(now)],
                    )?;
                }
                for user in before.iter().filter(|u| !outcome.participants.contains(u)) {
                    tx.execute(
                        "UPDATE participants SET left_at = ?3 WHERE thread_id = ?1 AND user_id = ?2",
                        params![thread.to_string(), user.to_string(), micros(now)],
                    )?;
                }
            }
            if outcome.closes {
                tx.execute(
                    "UPDATE threads SET status = 'closed' WHERE id = ?1",
                    [thread.to_string()],
                )?;
            }

            // A system line and an audit entry per change, in the old thread.
            let mut told = Vec::new();
            let mut lines = Vec::new();
            for event in &outcome.events {
                let text = event.sentence(name);
                lines.push(system_line(tx, thread, event, &text, now)?);
                super::audit(
                    tx,
                    caller.org_id,
                    now,
                    &caller.user_id.to_string(),
                    event.action(),
                    Some(thread),
                    serde_json::json!({ "event": event, "text": text }),
                )?;
            }
            // Everyone still in it sees the thread and its new lines (a restarted thread
            // stays, closed, with its history); the others are told to forget it.
            let still: Vec<UserId> = if outcome.opens_new_thread {
                before.clone()
            } else if outcome.closes {
                Vec::new()
            } else {
                outcome.participants.clone()
            };
            if !still.is_empty() {
                for line in &lines {
                    let message = super::messages::message(tx, *line)?;
                    told.extend(events::announce(tx, thread, Some(&message), now)?);
                }
            }
            for user in before.iter().filter(|u| !still.contains(u)) {
                events::push(
                    tx,
                    *user,
                    &Event::ThreadRemoved { thread_id: thread },
                    now,
                )?;
                told.push(*user);
            }

            // A restart: a new thread with the same guest and participants. Consent is the
            // guest's, and the window's facts carry over: the rules decide whether the first
            // message must be a template.
            let mut visible = if still.contains(&caller.user_id) {
                Some(thread_for(tx, thread, caller.user_id)?)
            } else {
                None
            };
            if outcome.opens_new_thread {
                let org = caller.org_id;
                let line = uuid::Uuid::parse_str(&row.line)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let guest = multiline_domain::phone::E164::from_stored(&row.guest)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let contact = row
                    .contact
                    .as_deref()
                    .map(|c| uuid::Uuid::parse_str(c).map(multiline_domain::ids::ContactId))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let new = create_thread(tx, org, line, row.channel, &guest, contact, &outcome.participants, now)?;
                tx.execute(
                    "UPDATE threads SET last_message_at = ?2, last_guest_message_at = ?3,
                            template_required = ?4
                     WHERE id = ?1",
                    params![
                        new.to_string(),
                        row.last_message_at,
                        row.last_guest_message_at,
                        row.template_required
                    ],
                )?;
                let restarted = SystemEvent::Restarted {
                    by: caller.user_id,
                };
                let opened = system_line(tx, new, &restarted, &restarted.sentence(name), now)?;
                super::audit(
                    tx,
                    caller.org_id,
                    now,
                    &caller.user_id.to_string(),
                    "thread.opened",
                    Some(new),
                    serde_json::json!({ "restart_of": thread }),
                )?;
                let message = super::messages::message(tx, opened)?;
                told.extend(events::announce(tx, new, Some(&message), now)?);
                visible = Some(thread_for(tx, new, caller.user_id)?);
            }
            told.sort();
            told.dedup();
            Ok((visible, told))
        })
    }
}

fn users_of(tx: &Transaction<'_>, caller: Caller) -> Result<Vec<User>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, name, email FROM users WHERE org_id = ?1 ORDER BY name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([caller.org_id.to_string()], |r| {
        Ok(User {
            id: UserId(uuid_col(r.get(0)?)?),
            name: r.get(1)?,
            email: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A line the thread shows about itself. It changes the preview, never the window.
fn system_line(
    tx: &Transaction<'_>,
    thread: ThreadId,
    event: &SystemEvent,
    text: &str,
    now: Timestamp,
) -> Result<MessageId> {
    let id = MessageId::random();
    let body = MessageBody::System {
        event: event.clone(),
        text: text.to_owned(),
    };
    tx.execute(
        "INSERT INTO messages (id, thread_id, direction, body, state, created_at)
         VALUES (?1, ?2, ?3, ?4, 'delivered', ?5)",
        params![
            id.to_string(),
            thread.to_string(),
            super::messages::enum_str(&Direction::System),
            serde_json::to_string(&body).expect("serializes"),
            micros(now)
        ],
    )?;
    tx.execute(
        "UPDATE threads SET last_message_preview = ?2 WHERE id = ?1",
        params![thread.to_string(), text],
    )?;
    Ok(id)
}
