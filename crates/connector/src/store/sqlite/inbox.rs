//! The webhook inbox, and transcripts that came before their voicemail.

use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteTx, from_micros, micros, uuid_col};
use crate::store::{
    Backlog, DeadLetter, Error, InboxBacklog, InboxRow, InboxSource, InboxTx, Result,
};

fn source_str(source: InboxSource) -> &'static str {
    match source {
        InboxSource::Whatsapp => "whatsapp",
        InboxSource::Carrier => "carrier",
    }
}

fn source_col(s: String) -> rusqlite::Result<InboxSource> {
    match s.as_str() {
        "whatsapp" => Ok(InboxSource::Whatsapp),
        "carrier" => Ok(InboxSource::Carrier),
        _ => Err(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            Box::new(Error::Corrupt(format!("inbox source {s:?}"))),
        )),
    }
}

impl InboxTx for SqliteTx<'_> {
    fn inbox_push(
        &mut self,
        line: Uuid,
        source: InboxSource,
        body: &[u8],
        now: Timestamp,
    ) -> Result<i64> {
        self.exec(
            "INSERT INTO webhook_inbox (line_id, source, received_at, next_attempt_at, body)
             VALUES (?1, ?2, ?3, ?3, ?4)",
            params![line.to_string(), source_str(source), micros(now), body],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn inbox_pending(&mut self, now: Timestamp, limit: usize) -> Result<Vec<InboxRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, line_id, source, body, attempts FROM webhook_inbox
             WHERE processed_at IS NULL AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![micros(now), limit as i64], |r| {
            Ok(InboxRow {
                id: r.get(0)?,
                line: uuid_col(r.get(1)?)?,
                source: source_col(r.get(2)?)?,
                body: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn inbox_next_due(&mut self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = self.row(
            "SELECT MIN(next_attempt_at) FROM webhook_inbox WHERE processed_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(at.map(from_micros))
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
            "UPDATE webhook_inbox SET attempts = attempts + 1, error = ?2, next_attempt_at = ?3
             WHERE id = ?1 AND processed_at IS NULL",
            params![id, error, micros(retry_at)],
        )?;
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = ?2, dead_at = ?2
             WHERE id = ?1 AND attempts >= ?3 AND processed_at IS NULL",
            params![id, micros(now), max],
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
        self.exec(
            "INSERT INTO webhook_inbox (line_id, source, received_at, next_attempt_at, body,
                 processed_at, dead_at, error)
             VALUES (?1, ?2, ?3, ?3, ?4, ?3, ?3, ?5)",
            params![
                line.to_string(),
                source_str(source),
                micros(now),
                body,
                error
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn inbox_dead_letters(&mut self, limit: usize) -> Result<Vec<DeadLetter>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, line_id, source, received_at, dead_at, attempts, COALESCE(error, ''), body
             FROM webhook_inbox WHERE dead_at IS NOT NULL ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(DeadLetter {
                id: r.get(0)?,
                line: uuid_col(r.get(1)?)?,
                source: source_col(r.get(2)?)?,
                received_at: from_micros(r.get(3)?),
                dead_at: from_micros(r.get(4)?),
                attempts: r.get(5)?,
                error: r.get(6)?,
                body: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn inbox_backlog(&mut self) -> Result<InboxBacklog> {
        // Both counts through their partial indexes.
        let (count, oldest): (i64, Option<i64>) = self.row(
            "SELECT COUNT(*), MIN(received_at) FROM webhook_inbox WHERE processed_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let set_aside: i64 = self.row(
            "SELECT COUNT(*) FROM webhook_inbox WHERE dead_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(InboxBacklog {
            waiting: Backlog {
                count: count as u64,
                oldest: oldest.map(from_micros),
            },
            set_aside: set_aside as u64,
        })
    }

    fn inbox_retry(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = NULL, dead_at = NULL, attempts = 0,
                 next_attempt_at = MIN(next_attempt_at, ?2)
             WHERE id = ?1 AND dead_at IS NOT NULL",
            params![id, micros(now)],
        )?;
        Ok(n > 0)
    }

    fn inbox_done(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "UPDATE webhook_inbox SET processed_at = ?2 WHERE id = ?1 AND processed_at IS NULL",
            params![id, micros(now)],
        )?;
        Ok(n > 0)
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
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET text = excluded.text",
            params![line.to_string(), recording, text, micros(now)],
        )?;
        Ok(())
    }

    fn take_early_transcript(&mut self, line: Uuid, recording: &str) -> Result<Option<String>> {
        Ok(self.row(
                "DELETE FROM early_transcripts WHERE line_id = ?1 AND recording_id = ?2 RETURNING text",
                params![line.to_string(), recording],
                |r| r.get(0),
            )
            .optional()?)
    }
}
