//! The dispatch queue, and statuses that came before their send's answer.

use multiline_domain::ids::{MessageId, ThreadId};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteTx, enum_col, enum_str, from_micros, micros, uuid_col};
use crate::store::{Backlog, Claimed, EarlyStatus, OutboxTx, Result};

/// Heads of their thread's queue: nothing of the same thread was queued before them.
/// And not of a WhatsApp thread whose line is paused (`blocked_told`): those wait.
const HEAD: &str = "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.thread_id = o.thread_id AND e.position < o.position)
     AND NOT EXISTS (SELECT 1 FROM threads pt JOIN lines pl ON pl.id = pt.line_id
         WHERE pt.id = o.thread_id AND pt.channel = 'whatsapp' AND pl.blocked_told IS NOT NULL)";

impl OutboxTx for SqliteTx<'_> {
    fn queue(&mut self, message: MessageId, thread: ThreadId, due: Timestamp) -> Result<()> {
        self.exec(
            "INSERT INTO outbox (message_id, thread_id, next_attempt_at) VALUES (?1, ?2, ?3)",
            params![message.to_string(), thread.to_string(), micros(due)],
        )?;
        Ok(())
    }

    fn claim_next(&mut self, now: Timestamp) -> Result<Option<Claimed>> {
        let sql = format!(
            "SELECT o.message_id, o.thread_id, o.attempts FROM outbox o
             WHERE o.in_flight_since IS NULL AND o.next_attempt_at <= ?1 AND {HEAD}
             ORDER BY o.position LIMIT 1"
        );
        let row = self
            .row(&sql, [micros(now)], |r| {
                Ok(Claimed {
                    message: MessageId(uuid_col(r.get(0)?)?),
                    thread: ThreadId(uuid_col(r.get(1)?)?),
                    attempts: r.get::<_, u32>(2)? + 1,
                })
            })
            .optional()?;
        if let Some(claimed) = &row {
            self.exec(
                "UPDATE outbox SET in_flight_since = ?2, attempts = attempts + 1 WHERE message_id = ?1",
                params![claimed.message.to_string(), micros(now)],
            )?;
        }
        Ok(row)
    }

    fn next_due(&mut self) -> Result<Option<Timestamp>> {
        // Only heads of their thread's queue count: a later message of a thread whose first
        // one waits for its retry is not due, however old.
        let sql = format!(
            "SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.in_flight_since IS NULL AND {HEAD}"
        );
        let at: Option<i64> = self.row(&sql, [], |r| r.get(0))?;
        Ok(at.map(from_micros))
    }

    fn retry_at(&mut self, message: MessageId, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE outbox SET in_flight_since = NULL, next_attempt_at = ?2 WHERE message_id = ?1",
            params![message.to_string(), micros(at)],
        )?;
        Ok(())
    }

    fn dequeue(&mut self, message: MessageId) -> Result<()> {
        self.exec(
            "DELETE FROM outbox WHERE message_id = ?1",
            [message.to_string()],
        )?;
        Ok(())
    }

    fn in_flight(&mut self, claimed_before: Timestamp) -> Result<Vec<MessageId>> {
        let mut stmt = self.tx.prepare(
            "SELECT message_id FROM outbox WHERE in_flight_since < ?1
             ORDER BY in_flight_since, position",
        )?;
        let rows = stmt.query_map([micros(claimed_before)], |r| {
            Ok(MessageId(uuid_col(r.get(0)?)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn renew_claim(
        &mut self,
        message: MessageId,
        claimed_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self.exec(
            "UPDATE outbox SET in_flight_since = ?3 WHERE message_id = ?1 AND in_flight_since = ?2",
            params![message.to_string(), micros(claimed_at), micros(now)],
        )?;
        Ok(n > 0)
    }

    fn outbox_backlog(&mut self) -> Result<Vec<(Uuid, Backlog)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT t.line_id, COUNT(*), MIN(m.created_at) FROM outbox o
             JOIN threads t ON t.id = o.thread_id JOIN messages m ON m.id = o.message_id
             GROUP BY t.line_id ORDER BY t.line_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                uuid_col(r.get(0)?)?,
                Backlog {
                    count: r.get::<_, i64>(1)? as u64,
                    oldest: r.get::<_, Option<i64>>(2)?.map(from_micros),
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn keep_early_status(
        &mut self,
        line: Uuid,
        status: &EarlyStatus,
        now: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO early_statuses (line_id, wamid, state, error_code, error_title, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                line.to_string(),
                status.wamid,
                enum_str(&status.state),
                status.error.as_ref().map(|e| e.0),
                status.error.as_ref().map(|e| e.1.clone()),
                micros(now)
            ],
        )?;
        Ok(())
    }

    fn take_early_statuses(&mut self, line: Uuid, wamid: &str) -> Result<Vec<EarlyStatus>> {
        let kept = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT state, error_code, error_title FROM early_statuses
                 WHERE wamid = ?1 AND line_id = ?2 ORDER BY rowid",
            )?;
            stmt.query_map(params![wamid, line.to_string()], |r| {
                let code: Option<u32> = r.get(1)?;
                let title: Option<String> = r.get(2)?;
                Ok(EarlyStatus {
                    wamid: wamid.to_owned(),
                    state: enum_col(r.get(0)?)?,
                    error: code.map(|c| (c, title.unwrap_or_default())),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        self.exec(
            "DELETE FROM early_statuses WHERE wamid = ?1 AND line_id = ?2",
            params![wamid, line.to_string()],
        )?;
        Ok(kept)
    }
}
