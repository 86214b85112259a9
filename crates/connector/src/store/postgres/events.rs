//! Per-user event logs and the audit record.

use multiline_domain::api::{Event, EventEnvelope};
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::time::Timestamp;
use postgres::Row;

use super::{PgTx, col, json, json_at, micros, time_at};
use crate::store::{AuditEntry, AuditTx, EventTx, Result, audit_chain};

/// An event from the columns (seq, payload).
fn envelope_row(row: &Row) -> Result<EventEnvelope> {
    Ok(EventEnvelope {
        seq: col::<i64>(row, 0)? as u64,
        event: json_at(row, 1)?,
    })
}

/// An audit record with its links, from the columns (id, at, actor, action, thread_id,
/// detail, prev_hash, hash).
fn link_row(row: &Row) -> Result<audit_chain::AuditLink> {
    Ok(audit_chain::AuditLink {
        id: col(row, 0)?,
        at_micros: col(row, 1)?,
        actor: col(row, 2)?,
        action: col(row, 3)?,
        thread: col(row, 4)?,
        detail: col(row, 5)?,
        prev_hash: col(row, 6)?,
        hash: col(row, 7)?,
    })
}

/// An audit record as shown, from the columns (id, at, actor, action, thread_id, detail).
fn audit_row(row: &Row) -> Result<serde_json::Value> {
    let detail: &str = col(row, 5)?;
    Ok(serde_json::json!({
        "id": col::<i64>(row, 0)?,
        "at": time_at(row, 1)?,
        "actor": col::<String>(row, 2)?,
        "action": col::<String>(row, 3)?,
        "thread_id": col::<Option<String>>(row, 4)?,
        "detail": serde_json::from_str::<serde_json::Value>(detail)
            .unwrap_or(serde_json::Value::Null),
    }))
}

impl EventTx for PgTx<'_> {
    fn held_views(&mut self) -> &mut Option<Vec<multiline_domain::ids::ThreadId>> {
        &mut self.held_views
    }

    fn push_event(&mut self, user: UserId, event: &Event, now: Timestamp) -> Result<u64> {
        let user_id = user;
        let user = user.to_string();
        // The user's next number and the event, in one statement (one round trip).
        let row = self.one(
            "INSERT INTO events (user_id, seq, payload, created_at)
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM events WHERE user_id = $1
             RETURNING seq",
            &[&user, &json(event), &micros(now)],
        )?;
        let seq: i64 = col(&row, 0)?;
        // Every instance's sockets of this user hear of it when the transaction commits.
        if self.announced.insert(user_id) {
            self.exec("SELECT pg_notify($1, $2)", &[&super::EVENTS_CHANNEL, &user])?;
        }
        Ok(seq as u64)
    }

    fn push_events(&mut self, user: UserId, events: &[&Event], now: Timestamp) -> Result<()> {
        let user_id = user;
        let user = user.to_string();
        let payloads: Vec<String> = events.iter().map(json).collect();
        // The user's next numbers and the events, in one statement, held: sent with the
        // next statement (see `conn`).
        self.later(
            "INSERT INTO events (user_id, seq, payload, created_at)
             SELECT $1, head.seq + p.n, p.payload, $3
             FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE user_id = $1) head,
                  unnest($2::text[]) WITH ORDINALITY AS p(payload, n)",
            vec![
                Box::new(user.clone()),
                Box::new(payloads),
                Box::new(micros(now)),
            ],
            false,
        )?;
        if !events.is_empty() && self.announced.insert(user_id) {
            self.later(
                "SELECT pg_notify($1, $2)",
                vec![Box::new(super::EVENTS_CHANNEL), Box::new(user)],
                false,
            )?;
        }
        Ok(())
    }

    fn head_seq(&mut self, user: UserId) -> Result<u64> {
        let row = self.one(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE user_id = $1",
            &[&user.to_string()],
        )?;
        Ok(col::<i64>(&row, 0)? as u64)
    }

    fn events_after(
        &mut self,
        user: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        // PostgreSQL refuses a negative LIMIT where SQLite reads it as none: a limit too
        // large for i64 is as good as none.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.all(
            "SELECT seq, payload FROM events WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&user.to_string(), &after, &limit],
        )?
        .iter()
        .map(envelope_row)
        .collect()
    }
}

impl AuditTx for PgTx<'_> {
    fn append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let org = e.org.to_string();
        let (records, prev) = match self.remembered.audit_heads.get(&e.org) {
            Some(head) => head.clone(),
            None => match self.opt(
                "SELECT records, hash FROM audit_heads WHERE org_id = $1",
                &[&org],
            )? {
                Some(row) => (col::<i64>(&row, 0)?, col::<String>(&row, 1)?),
                None => (0, audit_chain::GENESIS.to_owned()),
            },
        };
        let at = micros(e.at);
        let detail = e.detail.to_string();
        let hash = audit_chain::hash_entry(&prev, e, at, &detail);
        // The id is the database's own (an identity column), in the order records are added;
        // the record and the chain's new head in one statement (one round trip).
        // Held: sent with the next statement (see `conn`).
        self.later(
            "WITH added AS (
                 INSERT INTO audit (org_id, at, actor, action, thread_id, detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING org_id)
             INSERT INTO audit_heads (org_id, records, hash) SELECT org_id, $9, $8 FROM added
             ON CONFLICT (org_id) DO UPDATE SET records = excluded.records, hash = excluded.hash",
            vec![
                Box::new(org),
                Box::new(at),
                Box::new(e.actor.clone()),
                Box::new(e.action.clone()),
                Box::new(e.thread.map(|t| t.to_string())),
                Box::new(detail),
                Box::new(prev),
                Box::new(hash.clone()),
                Box::new(records + 1),
            ],
            false,
        )?;
        // The chain's new head, for this transaction's next record (the statement above
        // made it forget the old one).
        self.remembered
            .audit_heads
            .insert(e.org, (records + 1, hash));
        Ok(())
    }

    fn audit_links(
        &mut self,
        org: OrganizationId,
    ) -> Result<(Vec<audit_chain::AuditLink>, Option<audit_chain::Head>)> {
        let org = org.to_string();
        let links = self
            .all(
                "SELECT id, at, actor, action, thread_id, detail, prev_hash, hash FROM audit
                 WHERE org_id = $1 ORDER BY id",
                &[&org],
            )?
            .iter()
            .map(link_row)
            .collect::<Result<Vec<_>>>()?;
        let head = self
            .opt(
                "SELECT records, hash FROM audit_heads WHERE org_id = $1",
                &[&org],
            )?
            .map(|row| -> Result<audit_chain::Head> {
                Ok(audit_chain::Head {
                    records: col(&row, 0)?,
                    hash: col(&row, 1)?,
                })
            })
            .transpose()?;
        Ok((links, head))
    }

    fn audit(&mut self, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
        self.all(
            "SELECT id, at, actor, action, thread_id, detail FROM audit WHERE org_id = $1 ORDER BY id",
            &[&org.to_string()],
        )?
        .iter()
        .map(audit_row)
        .collect()
    }
}
