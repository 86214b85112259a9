//! Per-user event log: every change a user may see, numbered 1, 2, 3... per user.

use multiline_domain::api::{Event, EventEnvelope};
use multiline_domain::ids::{ThreadId, UserId};
use multiline_domain::time::Timestamp;
use rusqlite::{Transaction, params};

use super::{EventStore, Result, SqliteStore, StoreError, micros, threads};

/// Appends `event` to `user`'s log inside the caller's transaction.
pub(crate) fn push(
    tx: &Transaction<'_>,
    user: UserId,
    event: &Event,
    now: Timestamp,
) -> Result<u64> {
    let seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE user_id = ?1",
        [user.to_string()],
        |r| r.get(0),
    )?;
    let payload = serde_json::to_string(event).expect("events serialize");
    tx.execute(
        "INSERT INTO events (user_id, seq, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user.to_string(), seq, payload, micros(now)],
    )?;
    Ok(seq as u64)
}

/// The current participants of a thread: who is told about its changes.
pub(crate) fn participants(tx: &Transaction<'_>, thread: ThreadId) -> Result<Vec<UserId>> {
    let mut stmt = tx.prepare_cached(
        "SELECT user_id FROM participants WHERE thread_id = ?1 AND left_at IS NULL ORDER BY joined_at",
    )?;
    let rows = stmt.query_map([thread.to_string()], |r| {
        Ok(UserId(super::uuid_col(r.get(0)?)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Adds `users` to `told`, each user once (several threads announced in one change).
pub(crate) fn tell(told: &mut Vec<UserId>, users: Vec<UserId>) {
    for user in users {
        if !told.contains(&user) {
            told.push(user);
        }
    }
}

/// Tells every participant that the thread (and, if given, one message of it) changed.
/// Returns who was told, for the live notifier.
pub(crate) fn announce(
    tx: &Transaction<'_>,
    thread: ThreadId,
    message: Option<&multiline_domain::api::Message>,
    now: Timestamp,
) -> Result<Vec<UserId>> {
    let users = participants(tx, thread)?;
    for &user in &users {
        if let Some(message) = message {
            push(
                tx,
                user,
                &Event::MessageUpserted {
                    message: message.clone(),
                },
                now,
            )?;
        }
        let thread = threads::thread_for(tx, thread, user)?;
        push(tx, user, &Event::ThreadUpserted { thread }, now)?;
    }
    Ok(users)
}

impl EventStore for SqliteStore {
    /// The user's latest event number (0: none yet).
    fn head_seq(&self, user: UserId) -> Result<u64> {
        let seq: i64 = self.conn().query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE user_id = ?1",
            [user.to_string()],
            |r| r.get(0),
        )?;
        Ok(seq as u64)
    }

    /// Up to `limit` events of `user` after sequence number `after`, in order.
    fn events_after(&self, user: UserId, after: u64, limit: usize) -> Result<Vec<EventEnvelope>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, payload FROM events WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![user.to_string(), after as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (seq, payload) = row?;
            let event =
                serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(EventEnvelope {
                seq: seq as u64,
                event,
            })
        })
        .collect()
    }
}
