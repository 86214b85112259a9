//! The dispatch queue, and statuses that came before their send's answer.

use multiline_domain::ids::{MessageId, ThreadId};
use multiline_domain::time::Timestamp;
use postgres::Row;
use uuid::Uuid;

use super::{PgTx, col, enum_at, enum_str, micros, opt_time_at, uuid_at};
use crate::store::{Backlog, Claimed, EarlyStatus, Error, OutboxTx, Result};

/// Heads of their thread's queue: nothing of the same thread was queued before them.
/// And not of a WhatsApp thread whose line is paused (`blocked_told`): those wait.
const HEAD: &str = "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.thread_id = o.thread_id AND e.position < o.position)
     AND NOT EXISTS (SELECT 1 FROM threads pt JOIN lines pl ON pl.id = pt.line_id
         WHERE pt.id = o.thread_id AND pt.channel = 'whatsapp' AND pl.blocked_told IS NOT NULL)";

/// A stored count that must fit a `u32` (a larger one is `Corrupt`).
fn u32_of(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::Corrupt(format!("{v} is out of range for a u32")))
}

/// A claimed row (message_id, thread_id, attempts before this one).
fn claimed_at(row: &Row) -> Result<Claimed> {
    let attempts = u32_of(col(row, 2)?)?
        .checked_add(1)
        .ok_or_else(|| Error::Corrupt("outbox attempts out of range".to_owned()))?;
    Ok(Claimed {
        message: MessageId(uuid_at(row, 0)?),
        thread: ThreadId(uuid_at(row, 1)?),
        attempts,
    })
}

/// A line's backlog row (line_id, COUNT(*), MIN(created_at)).
fn backlog_at(row: &Row) -> Result<(Uuid, Backlog)> {
    Ok((
        uuid_at(row, 0)?,
        Backlog {
            count: col::<i64>(row, 1)? as u64,
            oldest: opt_time_at(row, 2)?,
        },
    ))
}

/// A kept status row (state, error_code, error_title) for `wamid`.
fn early_status_at(row: &Row, wamid: &str) -> Result<EarlyStatus> {
    let code: Option<i64> = col(row, 1)?;
    let title: Option<String> = col(row, 2)?;
    let error = match code {
        Some(code) => Some((u32_of(code)?, title.unwrap_or_default())),
        None => None,
    };
    Ok(EarlyStatus {
        wamid: wamid.to_owned(),
        state: enum_at(row, 0)?,
        error,
    })
}

impl OutboxTx for PgTx<'_> {
    fn queue(&mut self, message: MessageId, thread: ThreadId, due: Timestamp) -> Result<()> {
        self.exec(
            "INSERT INTO outbox (message_id, thread_id, next_attempt_at) VALUES ($1, $2, $3)",
            &[&message.to_string(), &thread.to_string(), &micros(due)],
        )?;
        Ok(())
    }

    fn claim_next(&mut self, now: Timestamp) -> Result<Option<Claimed>> {
        // Run in a claim (READ COMMITTED): a head another instance is claiming right now is
        // skipped, not waited for, and this one takes the next (another thread's: a later
        // message of the same thread is no head while the first is in the outbox). The
        // claim's lease is `in_flight_since` (see `in_flight`).
        let sql = format!(
            "SELECT o.message_id, o.thread_id, o.attempts FROM outbox o
             WHERE o.in_flight_since IS NULL AND o.next_attempt_at <= $1 AND {HEAD}
             ORDER BY o.position LIMIT 1 FOR UPDATE OF o SKIP LOCKED"
        );
        let Some(row) = self.opt(&sql, &[&micros(now)])? else {
            return Ok(None);
        };
        let claimed = claimed_at(&row)?;
        let n = self.exec(
            "UPDATE outbox SET in_flight_since = $2, attempts = attempts + 1
             WHERE message_id = $1 AND in_flight_since IS NULL",
            &[&claimed.message.to_string(), &micros(now)],
        )?;
        // The row is locked since the SELECT: nobody claimed it in between.
        Ok((n == 1).then_some(claimed))
    }

    fn next_due(&mut self) -> Result<Option<Timestamp>> {
        // Only heads of their thread's queue count: a later message of a thread whose first
        // one waits for its retry is not due, however old.
        let sql = format!(
            "SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.in_flight_since IS NULL AND {HEAD}"
        );
        let row = self.one(&sql, &[])?;
        opt_time_at(&row, 0)
    }

    fn retry_at(&mut self, message: MessageId, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE outbox SET in_flight_since = NULL, next_attempt_at = $2 WHERE message_id = $1",
            &[&message.to_string(), &micros(at)],
        )?;
        Ok(())
    }

    fn dequeue(&mut self, message: MessageId) -> Result<()> {
        self.exec(
            "DELETE FROM outbox WHERE message_id = $1",
            &[&message.to_string()],
        )?;
        Ok(())
    }

    fn in_flight(&mut self, claimed_before: Timestamp) -> Result<Vec<MessageId>> {
        let rows = self.all(
            "SELECT message_id FROM outbox WHERE in_flight_since < $1
             ORDER BY in_flight_since, position",
            &[&micros(claimed_before)],
        )?;
        rows.iter().map(|r| uuid_at(r, 0).map(MessageId)).collect()
    }

    fn renew_claim(
        &mut self,
        message: MessageId,
        claimed_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self.exec(
            "UPDATE outbox SET in_flight_since = $3 WHERE message_id = $1 AND in_flight_since = $2",
            &[&message.to_string(), &micros(claimed_at), &micros(now)],
        )?;
        Ok(n > 0)
    }

    fn outbox_backlog(&mut self) -> Result<Vec<(Uuid, Backlog)>> {
        // `COLLATE "C"`: ordered by bytes, as SQLite orders text, whatever the database's
        // collation.
        let rows = self.all(
            "SELECT t.line_id, COUNT(*), MIN(m.created_at) FROM outbox o
             JOIN threads t ON t.id = o.thread_id JOIN messages m ON m.id = o.message_id
             GROUP BY t.line_id ORDER BY t.line_id COLLATE \"C\"",
            &[],
        )?;
        rows.iter().map(backlog_at).collect()
    }

    fn keep_early_status(
        &mut self,
        line: Uuid,
        status: &EarlyStatus,
        now: Timestamp,
    ) -> Result<()> {
        let code: Option<i64> = status.error.as_ref().map(|e| i64::from(e.0));
        let title: Option<&str> = status.error.as_ref().map(|e| e.1.as_str());
        self.exec(
            "INSERT INTO early_statuses (line_id, wamid, state, error_code, error_title, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &line.to_string(),
                &status.wamid,
                &enum_str(&status.state),
                &code,
                &title,
                &micros(now),
            ],
        )?;
        Ok(())
    }

    fn take_early_statuses(&mut self, line: Uuid, wamid: &str) -> Result<Vec<EarlyStatus>> {
        let line = line.to_string();
        let rows = self.all(
            "SELECT state, error_code, error_title FROM early_statuses
             WHERE wamid = $1 AND line_id = $2 ORDER BY seq",
            &[&wamid, &line],
        )?;
        let kept = rows
            .iter()
            .map(|r| early_status_at(r, wamid))
            .collect::<Result<Vec<_>>>()?;
        self.exec(
            "DELETE FROM early_statuses WHERE wamid = $1 AND line_id = $2",
            &[&wamid, &line],
        )?;
        Ok(kept)
    }
}
