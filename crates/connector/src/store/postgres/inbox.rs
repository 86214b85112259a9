//! The webhook inbox, and transcripts that came before their voicemail.

use multiline_domain::time::Timestamp;
use postgres::Row;
use uuid::Uuid;

use super::{PgTx, col, micros, opt_time_at, time_at, uuid_at};
use crate::store::{
    Backlog, DeadLetter, Error, InboxBacklog, InboxRow, InboxSource, InboxTx, Result,
};

fn source_str(source: InboxSource) -> &'static str {
    match source {
        InboxSource::Whatsapp => "whatsapp",
        InboxSource::Carrier => "carrier",
    }
}

/// A source column.
fn source_at(row: &Row, i: usize) -> Result<InboxSource> {
    let s: &str = col(row, i)?;
    match s {
        "whatsapp" => Ok(InboxSource::Whatsapp),
        "carrier" => Ok(InboxSource::Carrier),
        _ => Err(Error::Corrupt(format!("inbox source {s:?}"))),
    }
}

/// An attempts column (a stored count that must fit a `u32`).
fn attempts_at(row: &Row, i: usize) -> Result<u32> {
    let n: i64 = col(row, i)?;
    u32::try_from(n).map_err(|_| Error::Corrupt(format!("inbox attempts {n}")))
}

/// A LIMIT: SQLite took `limit as i64`, where a limit past `i64::MAX` wraps negative and
/// means no limit; PostgreSQL refuses a negative LIMIT, so such a limit is `i64::MAX`.
fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A pending row (id, line_id, source, body, attempts).
fn inbox_row_at(row: &Row) -> Result<InboxRow> {
    Ok(InboxRow {
        id: col(row, 0)?,
        line: uuid_at(row, 1)?,
        source: source_at(row, 2)?,
        body: col(row, 3)?,
        attempts: attempts_at(row, 4)?,
    })
}

/// A dead letter (id, line_id, source, received_at, dead_at, attempts, error, body).
fn dead_letter_at(row: &Row) -> Result<DeadLetter> {
    Ok(DeadLetter {
        id: col(row, 0)?,
        line: uuid_at(row, 1)?,
        source: source_at(row, 2)?,
        received_at: time_at(row, 3)?,
        dead_at: time_at(row, 4)?,
        attempts: attempts_at(row, 5)?,
        error: col(row, 6)?,
        body: col(row, 7)?,
    })
}

impl InboxTx for PgTx<'_> {
    fn inbox_push(
        &mut self,
        line: Uuid,
        source: InboxSource,
        body: &[u8],
        now: Timestamp,
    ) -> Result<i64> {
        let row = self.one(
            "INSERT INTO webhook_inbox (line_id, source, received_at, next_attempt_at, body)
             VALUES ($1, $2, $3, $3, $4) RETURNING id",
            &[&line.to_string(), &source_str(source), &micros(now), &body],
        )?;
        col(&row, 0)
    }

    fn inbox_pending(&mut self, now: Timestamp, limit: usize) -> Result<Vec<InboxRow>> {
        let rows = self.all(
            "SELECT id, line_id, source, body, attempts FROM webhook_inbox
             WHERE processed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
            &[&micros(now), &limit_of(limit)],
        )?;
        rows.iter().map(inbox_row_at).collect()
    }

    fn inbox_claim(
        &mut self,
        holder: Uuid,
        now: Timestamp,
        until: Timestamp,
        limit: usize,
    ) -> Result<Vec<InboxRow>> {
        // The line of the oldest due row that no other holder leases: its lease taken (or
        // renewed) by an atomic upsert. Two instances upserting the same line at once: the
        // second waits for the first's commit, then finds the lease held and takes nothing.
        // The lines with waiting rows are found by skipping through the index of a line's
        // waiting rows (a step per line), and each line's first due row by one probe: an
        // instance asking while another holds a long backlog reads a few index entries, not
        // the backlog.
        let holder = holder.to_string();
        let Some(line) = self.opt(
            "WITH RECURSIVE waiting (line_id) AS (
                 (SELECT line_id FROM webhook_inbox WHERE processed_at IS NULL
                  ORDER BY line_id LIMIT 1)
                 UNION ALL
                 SELECT (SELECT i.line_id FROM webhook_inbox i
                         WHERE i.processed_at IS NULL AND i.line_id > w.line_id
                         ORDER BY i.line_id LIMIT 1)
                 FROM waiting w WHERE w.line_id IS NOT NULL
             )
             INSERT INTO inbox_leases (line_id, holder, until)
             SELECT w.line_id, $1, $3 FROM waiting w
             CROSS JOIN LATERAL (SELECT i.id FROM webhook_inbox i
                 WHERE i.line_id = w.line_id AND i.processed_at IS NULL
                   AND i.next_attempt_at <= $2
                 ORDER BY i.id LIMIT 1) first
             WHERE w.line_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM inbox_leases l
                   WHERE l.line_id = w.line_id AND l.holder <> $1 AND l.until > $2)
             ORDER BY first.id LIMIT 1
             ON CONFLICT (line_id) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
             WHERE inbox_leases.holder = EXCLUDED.holder OR inbox_leases.until <= $2
             RETURNING line_id",
            &[&holder, &micros(now), &micros(until)],
        )?
        else {
            return Ok(Vec::new());
        };
        let line: String = col(&line, 0)?;
        let rows = self.all(
            "SELECT id, line_id, source, body, attempts FROM webhook_inbox
             WHERE line_id = $1 AND processed_at IS NULL AND next_attempt_at <= $2
             ORDER BY id LIMIT $3",
            &[&line, &micros(now), &limit_of(limit)],
        )?;
        rows.iter().map(inbox_row_at).collect()
    }

    fn inbox_release(&mut self, holder: Uuid) -> Result<()> {
        self.exec(
            "DELETE FROM inbox_leases WHERE holder = $1",
            &[&holder.to_string()],
        )?;
        Ok(())
    }

    fn inbox_next_due(&mut self) -> Result<Option<Timestamp>> {
        let row = self.one(
            "SELECT MIN(next_attempt_at) FROM webhook_inbox WHERE processed_at IS NULL",
            &[],
        )?;
        opt_time_at(&row, 0)
    }

    fn inbox_failed(
        &mut self,
        id: i64,
        error: &str,
        max: u32,
        retry_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        self.exec(
            "UPDATE webhook_inbox SET attempts = attempts + 1, error = $2, next_attempt_at = $3
             WHERE id = $1 AND processed_at IS NULL",
            &[&id, &error, &micros(retry_at)],
        )?;
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = $2, dead_at = $2
             WHERE id = $1 AND attempts >= $3 AND processed_at IS NULL",
            &[&id, &micros(now), &i64::from(max)],
        )?;
        Ok(n > 0)
    }

    fn inbox_set_aside(
        &mut self,
        line: Uuid,
        source: InboxSource,
        body: &[u8],
        error: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let row = self.one(
            "INSERT INTO webhook_inbox (line_id, source, received_at, next_attempt_at, body,
                 processed_at, dead_at, error)
             VALUES ($1, $2, $3, $3, $4, $3, $3, $5) RETURNING id",
            &[
                &line.to_string(),
                &source_str(source),
                &micros(now),
                &body,
                &error,
            ],
        )?;
        col(&row, 0)
    }

    fn inbox_dead_letters(&mut self, limit: usize) -> Result<Vec<DeadLetter>> {
        let rows = self.all(
            "SELECT id, line_id, source, received_at, dead_at, attempts, COALESCE(error, ''), body
             FROM webhook_inbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT $1",
            &[&limit_of(limit)],
        )?;
        rows.iter().map(dead_letter_at).collect()
    }

    fn inbox_backlog(&mut self) -> Result<InboxBacklog> {
        // Both counts through their partial indexes.
        let waiting = self.one(
            "SELECT COUNT(*), MIN(received_at) FROM webhook_inbox WHERE processed_at IS NULL",
            &[],
        )?;
        let set_aside = self.one(
            "SELECT COUNT(*) FROM webhook_inbox WHERE dead_at IS NOT NULL",
            &[],
        )?;
        Ok(InboxBacklog {
            waiting: Backlog {
                count: col::<i64>(&waiting, 0)? as u64,
                oldest: opt_time_at(&waiting, 1)?,
            },
            set_aside: col::<i64>(&set_aside, 0)? as u64,
        })
    }

    fn inbox_retry(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = NULL, dead_at = NULL, attempts = 0,
                 next_attempt_at = LEAST(next_attempt_at, $2::bigint)
             WHERE id = $1 AND dead_at IS NOT NULL",
            &[&id, &micros(now)],
        )?;
        Ok(n > 0)
    }

    fn inbox_done(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = $2 WHERE id = $1 AND processed_at IS NULL",
            &[&id, &micros(now)],
        )?;
        Ok(n > 0)
    }

    fn inbox_done_all(&mut self, ids: &[i64], now: Timestamp) -> Result<Vec<i64>> {
        // One statement for a batch (one round trip).
        self.all(
            "UPDATE webhook_inbox SET processed_at = $2
             WHERE id = ANY($1) AND processed_at IS NULL RETURNING id",
            &[&ids, &micros(now)],
        )?
        .iter()
        .map(|r| col(r, 0))
        .collect()
    }

    fn keep_early_transcript(
        &mut self,
        line: Uuid,
        recording: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO early_transcripts (line_id, recording_id, text, received_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (line_id, recording_id) DO UPDATE SET text = excluded.text",
            &[&line.to_string(), &recording, &text, &micros(now)],
        )?;
        Ok(())
    }

    fn take_early_transcript(&mut self, line: Uuid, recording: &str) -> Result<Option<String>> {
        let row = self.opt(
            "DELETE FROM early_transcripts WHERE line_id = $1 AND recording_id = $2 RETURNING text",
            &[&line.to_string(), &recording],
        )?;
        row.map(|r| col::<String>(&r, 0)).transpose()
    }
}
