//! Threads, participants, and the guests' standing.

use multiline_domain::api::{Channel, Thread, User};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{ContactId, OrganizationId, ThreadId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{
    SqliteTx, enum_col, enum_str, from_micros, json, json_col, micros, phone_col, touched,
    user_row, uuid_col,
};
use crate::store::{
    Caller, Error, GuestIds, NewThread, Result, Standing, ThreadRecord, ThreadTx, ViewFacts,
};

fn standing_table(kind: Standing) -> &'static str {
    match kind {
        Standing::Whatsapp => "consents",
        Standing::Sms => "sms_consents",
    }
}

impl SqliteTx<'_> {
    fn thread_ids(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<ThreadId>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| Ok(ThreadId(uuid_col(r.get(0)?)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn participant_users(&self, thread: ThreadId) -> Result<Vec<User>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT u.id, u.name, u.email FROM participants p JOIN users u ON u.id = p.user_id
             WHERE p.thread_id = ?1 AND p.left_at IS NULL ORDER BY p.joined_at, u.name",
        )?;
        let rows = stmt.query_map([thread.to_string()], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl ThreadTx for SqliteTx<'_> {
    fn insert_thread(&mut self, t: &NewThread) -> Result<()> {
        self.exec(
            "INSERT INTO threads (id, org_id, line_id, channel, guest, guest_phone, guest_user_id,
                 guest_name, contact_id, status, template_required, last_message_at,
                 last_guest_message_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?11, ?12, ?13, ?6, 'open', ?7, ?8, ?9, ?10)",
            params![
                t.id.to_string(),
                t.org.to_string(),
                t.line.to_string(),
                enum_str(&t.channel),
                t.guest.key,
                t.contact.map(|c| c.to_string()),
                t.template_required,
                t.window.last_message_at.map(micros),
                t.window.last_guest_message_at.map(micros),
                micros(t.created_at),
                t.guest.phone.as_ref().map(|p| p.as_str()),
                t.guest.user_id,
                t.guest_name
            ],
        )?;
        for user in &t.participants {
            self.join(t.id, *user, t.created_at)?;
        }
        Ok(())
    }

    fn thread(&mut self, id: ThreadId) -> Result<ThreadRecord> {
        self.row(
            "SELECT org_id, line_id, channel, guest, contact_id, status, template_required,
                        last_message_at, last_guest_message_at, guest_phone, guest_user_id,
                        guest_name
                 FROM threads WHERE id = ?1",
            [id.to_string()],
            |r| {
                let contact: Option<String> = r.get(4)?;
                Ok(ThreadRecord {
                    id,
                    org_id: OrganizationId(uuid_col(r.get(0)?)?),
                    line_id: uuid_col(r.get(1)?)?,
                    channel: enum_col(r.get(2)?)?,
                    guest: GuestIds {
                        key: r.get(3)?,
                        phone: r.get::<_, Option<String>>(9)?.map(phone_col).transpose()?,
                        user_id: r.get(10)?,
                    },
                    guest_name: r.get(11)?,
                    contact_id: contact.map(uuid_col).transpose()?.map(ContactId),
                    status: enum_col(r.get(5)?)?,
                    template_required: r.get(6)?,
                    window: WindowFacts {
                        last_message_at: r.get::<_, Option<i64>>(7)?.map(from_micros),
                        last_guest_message_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
                    },
                })
            },
        )
        .optional()?
        .ok_or(Error::NotFound)
    }

    fn thread_view(&mut self, id: ThreadId, user: UserId) -> Result<Thread> {
        let row = self.row(
                "SELECT c.name, t.last_message_preview, o.window_rule,
                        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.direction = 'inbound'
                            AND m.created_at > COALESCE(p.last_read_at, 0)),
                        t.created_at
                 FROM threads t
                 JOIN organizations o ON o.id = t.org_id
                 LEFT JOIN contacts c ON c.id = t.contact_id
                 LEFT JOIN participants p ON p.thread_id = t.id AND p.user_id = ?2
                 WHERE t.id = ?1",
                params![id.to_string(), user.to_string()],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        enum_col(r.get(2)?)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()?
            .ok_or(Error::NotFound)?;
        let (contact_name, preview, window_rule, unread, opened_at) = row;
        let t = self.thread(id)?;
        let consent = match Standing::of(t.channel) {
            Some(kind) => self.standing(kind, t.line_id, &t.guest.key)?,
            None => Consent::None,
        };
        let participants = self.participant_users(id)?;
        Ok(t.view(ViewFacts {
            contact_name,
            preview,
            window_rule,
            unread,
            opened_at: from_micros(opened_at),
            consent,
            participants,
        }))
    }

    fn threads_of(&mut self, caller: Caller) -> Result<Vec<Thread>> {
        let ids = self.thread_ids(
            "SELECT t.id FROM threads t JOIN participants p ON p.thread_id = t.id
             WHERE p.user_id = ?1 AND p.left_at IS NULL AND t.org_id = ?2
             ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC",
            params![caller.user_id.to_string(), caller.org_id.to_string()],
        )?;
        ids.into_iter()
            .map(|id| self.thread_view(id, caller.user_id))
            .collect()
    }

    fn open_thread_of(
        &mut self,
        line: Uuid,
        channel: Channel,
        guest: &GuestIds,
    ) -> Result<Option<ThreadId>> {
        // By key first (the unique open thread), then by either id it knows.
        Ok(self
            .row(
                "SELECT id FROM threads WHERE line_id = ?1 AND channel = ?2 AND status = 'open'
                   AND (guest = ?3 OR guest_phone = ?4 OR guest_user_id = ?5)
                 ORDER BY guest = ?3 DESC, created_at LIMIT 1",
                params![
                    line.to_string(),
                    enum_str(&channel),
                    guest.key,
                    guest.phone.as_ref().map(|p| p.as_str()),
                    guest.user_id
                ],
                |r| Ok(ThreadId(uuid_col(r.get(0)?)?)),
            )
            .optional()?)
    }

    fn learn_guest(&mut self, id: ThreadId, guest: &GuestIds, name: Option<&str>) -> Result<()> {
        // Written only when something is new (most messages bring nothing new).
        self.exec(
            "UPDATE threads SET guest_phone = COALESCE(guest_phone, ?2),
                 guest_user_id = COALESCE(?3, guest_user_id),
                 guest_name = COALESCE(?4, guest_name)
             WHERE id = ?1
               AND ((?2 IS NOT NULL AND guest_phone IS NULL)
                 OR (?3 IS NOT NULL AND guest_user_id IS NOT ?3)
                 OR (?4 IS NOT NULL AND guest_name IS NOT ?4))",
            params![
                id.to_string(),
                guest.phone.as_ref().map(|p| p.as_str()),
                guest.user_id,
                name
            ],
        )?;
        Ok(())
    }

    fn set_guest_phone(&mut self, id: ThreadId, phone: &E164) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET guest_phone = ?2 WHERE id = ?1",
            params![id.to_string(), phone.as_str()],
        )?;
        touched(n)
    }

    fn threads_of_guest(
        &mut self,
        line: Uuid,
        guest: &str,
        channel: Option<Channel>,
    ) -> Result<Vec<ThreadId>> {
        self.thread_ids(
            "SELECT id FROM threads WHERE line_id = ?1 AND guest = ?2
               AND (?3 IS NULL OR channel = ?3) ORDER BY created_at, id",
            params![line.to_string(), guest, channel.map(|c| enum_str(&c))],
        )
    }

    fn last_guest_messages(&mut self, line: Uuid) -> Result<Vec<(E164, Timestamp)>> {
        let mut stmt = self.tx.prepare(
            "SELECT guest_phone, MAX(last_guest_message_at) FROM threads
             WHERE line_id = ?1 AND last_guest_message_at IS NOT NULL AND guest_phone IS NOT NULL
             GROUP BY guest_phone ORDER BY guest_phone",
        )?;
        let rows = stmt.query_map([line.to_string()], |r| {
            Ok((phone_col(r.get(0)?)?, from_micros(r.get(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn close_thread(&mut self, id: ThreadId) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET status = 'closed' WHERE id = ?1",
            [id.to_string()],
        )?;
        touched(n)
    }

    fn reopen_thread(&mut self, id: ThreadId) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET status = 'open' WHERE id = ?1",
            [id.to_string()],
        )?;
        touched(n)
    }

    fn set_template_required(&mut self, id: ThreadId, required: bool) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET template_required = ?2 WHERE id = ?1",
            params![id.to_string(), required],
        )?;
        touched(n)
    }

    fn set_preview(&mut self, id: ThreadId, preview: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET last_message_preview = ?2 WHERE id = ?1",
            params![id.to_string(), preview],
        )?;
        touched(n)
    }

    fn record_activity(&mut self, id: ThreadId, at: Timestamp, from_guest: bool) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET last_message_at = MAX(COALESCE(last_message_at, 0), ?2),
                 last_guest_message_at = CASE WHEN ?3
                     THEN MAX(COALESCE(last_guest_message_at, 0), ?2) ELSE last_guest_message_at END
             WHERE id = ?1",
            params![id.to_string(), micros(at), from_guest],
        )?;
        touched(n)
    }

    fn is_participant(&mut self, caller: Caller, thread: ThreadId) -> Result<bool> {
        Ok(self
            .row(
                "SELECT 1 FROM participants p JOIN threads t ON t.id = p.thread_id
                 WHERE p.thread_id = ?1 AND p.user_id = ?2 AND p.left_at IS NULL AND t.org_id = ?3",
                params![
                    thread.to_string(),
                    caller.user_id.to_string(),
                    caller.org_id.to_string()
                ],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn participants(&mut self, thread: ThreadId) -> Result<Vec<UserId>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT user_id FROM participants WHERE thread_id = ?1 AND left_at IS NULL
             ORDER BY joined_at, user_id",
        )?;
        let rows = stmt.query_map([thread.to_string()], |r| Ok(UserId(uuid_col(r.get(0)?)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn join(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "INSERT INTO participants (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (thread_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at
             WHERE participants.left_at IS NOT NULL",
            params![thread.to_string(), user.to_string(), micros(now)],
        )?;
        Ok(n > 0)
    }

    fn leave(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE participants SET left_at = ?3 WHERE thread_id = ?1 AND user_id = ?2 AND left_at IS NULL",
            params![thread.to_string(), user.to_string(), micros(now)],
        )?;
        Ok(())
    }

    fn set_last_read(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE participants SET last_read_at = ?3 WHERE thread_id = ?1 AND user_id = ?2",
            params![thread.to_string(), user.to_string(), micros(now)],
        )?;
        Ok(())
    }

    fn standing(&mut self, kind: Standing, line: Uuid, guest: &str) -> Result<Consent> {
        // The table name is one of our own literals, never input.
        let sql = format!(
            "SELECT state FROM {} WHERE line_id = ?1 AND guest = ?2",
            standing_table(kind)
        );
        let state: Option<String> = self
            .row(&sql, params![line.to_string(), guest], |r| r.get(0))
            .optional()?;
        Ok(state.map(json_col).transpose()?.unwrap_or(Consent::None))
    }

    fn set_standing(
        &mut self,
        kind: Standing,
        line: Uuid,
        guest: &str,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (line_id, guest, state, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (line_id, guest) DO UPDATE SET state = excluded.state,
                 updated_at = excluded.updated_at",
            standing_table(kind)
        );
        self.exec(
            &sql,
            params![line.to_string(), guest, json(consent), micros(now)],
        )?;
        Ok(())
    }
}
