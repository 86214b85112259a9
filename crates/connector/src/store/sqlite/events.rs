//! Per-user event logs and the audit record.

use multiline_domain::api::{Event, EventEnvelope};
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{SqliteTx, from_micros, json, json_col, micros};
use crate::store::{AuditEntry, AuditTx, EventTx, Result, audit_chain};

impl EventTx for SqliteTx<'_> {
    fn held_views(&mut self) -> &mut Option<Vec<multiline_domain::ids::ThreadId>> {
        &mut self.held_views
    }

    fn push_event(&mut self, user: UserId, event: &Event, now: Timestamp) -> Result<u64> {
        let seq: i64 = self.row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE user_id = ?1",
            [user.to_string()],
            |r| r.get(0),
        )?;
        self.exec(
            "INSERT INTO events (user_id, seq, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![user.to_string(), seq, json(event), micros(now)],
        )?;
        Ok(seq as u64)
    }

    fn head_seq(&mut self, user: UserId) -> Result<u64> {
        let seq: i64 = self.row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE user_id = ?1",
            [user.to_string()],
            |r| r.get(0),
        )?;
        Ok(seq as u64)
    }

    fn events_after(
        &mut self,
        user: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, payload FROM events WHERE user_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![user.to_string(), after, limit as i64], |r| {
            Ok(EventEnvelope {
                seq: r.get::<_, i64>(0)? as u64,
                event: json_col(r.get(1)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl AuditTx for SqliteTx<'_> {
    fn append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let org = e.org.to_string();
        let (records, prev) = self
            .row(
                "SELECT records, hash FROM audit_heads WHERE org_id = ?1",
                [&org],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
            .unwrap_or((0, audit_chain::GENESIS.to_owned()));
        let at = micros(e.at);
        let detail = e.detail.to_string();
        let hash = audit_chain::hash_entry(&prev, e, at, &detail);
        self.exec(
            "INSERT INTO audit (org_id, at, actor, action, thread_id, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                org,
                at,
                e.actor,
                e.action,
                e.thread.map(|t| t.to_string()),
                detail,
                prev,
                hash
            ],
        )?;
        self.exec(
            "INSERT INTO audit_heads (org_id, records, hash) VALUES (?1, ?2, ?3)
             ON CONFLICT (org_id) DO UPDATE SET records = excluded.records, hash = excluded.hash",
            params![org, records + 1, hash],
        )?;
        Ok(())
    }

    fn audit_links(
        &mut self,
        org: OrganizationId,
    ) -> Result<(Vec<audit_chain::AuditLink>, Option<audit_chain::Head>)> {
        let mut stmt = self.tx.prepare(
            "SELECT id, at, actor, action, thread_id, detail, prev_hash, hash FROM audit
             WHERE org_id = ?1 ORDER BY id",
        )?;
        let links = stmt
            .query_map([org.to_string()], |r| {
                Ok(audit_chain::AuditLink {
                    id: r.get(0)?,
                    at_micros: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    thread: r.get(4)?,
                    detail: r.get(5)?,
                    prev_hash: r.get(6)?,
                    hash: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let head = self
            .row(
                "SELECT records, hash FROM audit_heads WHERE org_id = ?1",
                [org.to_string()],
                |r| {
                    Ok(audit_chain::Head {
                        records: r.get(0)?,
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()?;
        Ok((links, head))
    }

    fn audit(&mut self, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
        let mut stmt = self.tx.prepare(
            "SELECT id, at, actor, action, thread_id, detail FROM audit WHERE org_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([org.to_string()], |r| {
            let detail: String = r.get(5)?;
            Ok(serde_json::json!({
                "id": r.get::<_, i64>(0)?,
                "at": from_micros(r.get(1)?),
                "actor": r.get::<_, String>(2)?,
                "action": r.get::<_, String>(3)?,
                "thread_id": r.get::<_, Option<String>>(4)?,
                "detail": serde_json::from_str::<serde_json::Value>(&detail)
                    .unwrap_or(serde_json::Value::Null),
            }))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
