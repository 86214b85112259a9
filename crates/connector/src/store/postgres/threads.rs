//! Threads, participants, and the guests' standing.

use multiline_domain::api::{Channel, Thread, User};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{ContactId, OrganizationId, ThreadId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::{WindowFacts, WindowRule};
use postgres::Row;
use postgres::types::ToSql;
use uuid::Uuid;

use super::remember::{GUEST_MESSAGE_ARRIVED, SET_PREVIEW, would_learn};
use super::{
    Params, PgTx, col, enum_at, enum_str, from_micros, json, json_at, micros, opt_time_at,
    opt_uuid_at, phone_at, time_at, touched, user_at, uuid_at,
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

/// A nullable stored E.164 number.
fn opt_phone_at(row: &Row, i: usize) -> Result<Option<E164>> {
    match col::<Option<&str>>(row, i)? {
        Some(_) => phone_at(row, i).map(Some),
        None => Ok(None),
    }
}

/// A thread's record's columns, of `threads t` (read by [`thread_record_at`]); a macro, so
/// that the statements below are made from it once, when compiled.
macro_rules! thread_columns {
    () => {
        "t.org_id, t.line_id, t.channel, t.guest, t.contact_id, t.status, \
         t.template_required, t.last_message_at, t.last_guest_message_at, t.guest_phone, \
         t.guest_user_id, t.guest_name"
    };
}
const THREAD_COLUMN_COUNT: usize = 12;

/// `thread`'s statement.
const THREAD_BY_ID: &str = concat!(
    "SELECT ",
    thread_columns!(),
    " FROM threads t WHERE t.id = $1"
);

/// `thread_view`'s statement: the thread's record and what the view adds.
const THREAD_VIEW: &str = concat!(
    "SELECT ",
    thread_columns!(),
    ", c.name, t.last_message_preview, o.window_rule,
        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id
            AND m.direction = 'inbound'
            AND m.created_at > COALESCE(p.last_read_at, 0)),
        t.created_at
     FROM threads t
     JOIN organizations o ON o.id = t.org_id
     LEFT JOIN contacts c ON c.id = t.contact_id
     LEFT JOIN participants p ON p.thread_id = t.id AND p.user_id = $2
     WHERE t.id = $1"
);

/// `open_thread_of`'s statement: by key first (the unique open thread), then by either id
/// it knows; with what it knows of its guest (for `learn_guest`).
const OPEN_THREAD_OF: &str = concat!(
    "SELECT t.id, ",
    thread_columns!(),
    " FROM threads t
     WHERE t.line_id = $1 AND t.channel = $2 AND t.status = 'open'
       AND (t.guest = $3 OR t.guest_phone = $4 OR t.guest_user_id = $5)
     ORDER BY t.guest = $3 DESC, t.created_at LIMIT 1"
);

/// The thread `id`'s record from `thread_columns!` starting at column `i`.
fn thread_record_at(r: &Row, id: ThreadId, i: usize) -> Result<ThreadRecord> {
    Ok(ThreadRecord {
        id,
        org_id: OrganizationId(uuid_at(r, i)?),
        line_id: uuid_at(r, i + 1)?,
        channel: enum_at(r, i + 2)?,
        guest: GuestIds {
            key: col(r, i + 3)?,
            phone: opt_phone_at(r, i + 9)?,
            user_id: col(r, i + 10)?,
        },
        guest_name: col(r, i + 11)?,
        contact_id: opt_uuid_at(r, i + 4)?.map(ContactId),
        status: enum_at(r, i + 5)?,
        template_required: col(r, i + 6)?,
        window: WindowFacts {
            last_message_at: opt_time_at(r, i + 7)?,
            last_guest_message_at: opt_time_at(r, i + 8)?,
        },
    })
}

impl PgTx<'_> {
    fn thread_ids(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<ThreadId>> {
        self.all(sql, params)?
            .iter()
            .map(|r| uuid_at(r, 0).map(ThreadId))
            .collect()
    }

    fn participant_users(&mut self, thread: ThreadId) -> Result<Vec<User>> {
        if let Some(known) = self.remembered.participant_users.get(&thread) {
            return Ok(known.clone());
        }
        let users = self
            .all(PARTICIPANT_USERS, &[&thread.to_string()])?
            .iter()
            .map(|r| user_at(r, 0))
            .collect::<Result<Vec<_>>>()?;
        self.remembered
            .participant_users
            .insert(thread, users.clone());
        Ok(users)
    }

    /// The participants of each of `threads` not read yet, read at once and remembered.
    fn expect_participant_users(&mut self, threads: &[ThreadId]) -> Result<()> {
        let missing: Vec<ThreadId> = threads
            .iter()
            .filter(|t| !self.remembered.participant_users.contains_key(t))
            .copied()
            .collect();
        let keys: Vec<String> = missing.iter().map(ToString::to_string).collect();
        let each: Vec<Vec<&(dyn ToSql + Sync)>> = keys
            .iter()
            .map(|k| vec![k as &(dyn ToSql + Sync)])
            .collect();
        let read = self.all_each(PARTICIPANT_USERS, &each)?;
        for (thread, rows) in missing.into_iter().zip(read) {
            let users = rows
                .iter()
                .map(|r| user_at(r, 0))
                .collect::<Result<Vec<_>>>()?;
            self.remembered.participant_users.insert(thread, users);
        }
        Ok(())
    }

    /// The guest's standing of each of `threads` not read yet, read at once (a statement
    /// per kind) and remembered.
    fn expect_standings(&mut self, threads: &[ThreadRecord]) -> Result<()> {
        for kind in [Standing::Whatsapp, Standing::Sms] {
            let table = standing_table(kind);
            let mut missing: Vec<(&'static str, Uuid, String)> = threads
                .iter()
                .filter(|t| Standing::of(t.channel) == Some(kind))
                .map(|t| (table, t.line_id, t.guest.key.clone()))
                .filter(|key| !self.remembered.standings.contains_key(key))
                .collect();
            missing.sort();
            missing.dedup();
            let lines: Vec<String> = missing.iter().map(|(_, l, _)| l.to_string()).collect();
            let each: Vec<Vec<&(dyn ToSql + Sync)>> = missing
                .iter()
                .zip(&lines)
                .map(|((_, _, guest), line)| vec![line as &(dyn ToSql + Sync), guest])
                .collect();
            // The table name is one of our own literals, never input.
            let sql = format!("SELECT state FROM {table} WHERE line_id = $1 AND guest = $2");
            let read = self.all_each(&sql, &each)?;
            for (key, rows) in missing.into_iter().zip(read) {
                let standing = match rows.first() {
                    Some(r) => json_at(r, 0)?,
                    None => Consent::None,
                };
                self.remembered.standings.insert(key, standing);
            }
        }
        Ok(())
    }

    /// The view of the thread `t` from its [`THREAD_VIEW`] row `r`.
    fn view_of(&mut self, t: ThreadRecord, r: &Row) -> Result<Thread> {
        let i = THREAD_COLUMN_COUNT;
        let contact_name: Option<String> = col(r, i)?;
        let preview: Option<String> = col(r, i + 1)?;
        let window_rule: WindowRule = enum_at(r, i + 2)?;
        let unread: i64 = col(r, i + 3)?;
        let opened_at = time_at(r, i + 4)?;
        let consent = match Standing::of(t.channel) {
            Some(kind) => self.standing(kind, t.line_id, &t.guest.key)?,
            None => Consent::None,
        };
        let participants = self.participant_users(t.id)?;
        Ok(t.view(ViewFacts {
            contact_name,
            preview,
            window_rule,
            unread,
            opened_at,
            consent,
            participants,
        }))
    }
}

/// The participants a thread's view lists, in the order they joined. COLLATE "C": byte
/// order, as SQLite's BINARY compares names.
const PARTICIPANT_USERS: &str = "SELECT u.id, u.name, u.email FROM participants p
     JOIN users u ON u.id = p.user_id
     WHERE p.thread_id = $1 AND p.left_at IS NULL
     ORDER BY p.joined_at, u.name COLLATE \"C\"";

impl ThreadTx for PgTx<'_> {
    fn insert_thread(&mut self, t: &NewThread) -> Result<()> {
        self.exec(
            "INSERT INTO threads (id, org_id, line_id, channel, guest, guest_phone, guest_user_id,
                 guest_name, contact_id, status, template_required, last_message_at,
                 last_guest_message_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13)",
            &[
                &t.id.to_string(),
                &t.org.to_string(),
                &t.line.to_string(),
                &enum_str(&t.channel),
                &t.guest.key,
                &t.guest.phone.as_ref().map(|p| p.as_str()),
                &t.guest.user_id,
                &t.guest_name,
                &t.contact.map(|c| c.to_string()),
                &t.template_required,
                &t.window.last_message_at.map(micros),
                &t.window.last_guest_message_at.map(micros),
                &micros(t.created_at),
            ],
        )?;
        for user in &t.participants {
            self.join(t.id, *user, t.created_at)?;
        }
        Ok(())
    }

    fn thread(&mut self, id: ThreadId) -> Result<ThreadRecord> {
        if let Some(known) = self.remembered.threads.get(&id) {
            return Ok(known.clone());
        }
        let r = self.one(THREAD_BY_ID, &[&id.to_string()])?;
        let record = thread_record_at(&r, id, 0)?;
        self.remembered.threads.insert(id, record.clone());
        Ok(record)
    }

    fn thread_view(&mut self, id: ThreadId, user: UserId) -> Result<Thread> {
        let r = self.one(THREAD_VIEW, &[&id.to_string(), &user.to_string()])?;
        let record = thread_record_at(&r, id, 0)?;
        self.view_of(record, &r)
    }

    fn threads_of(&mut self, caller: Caller) -> Result<Vec<Thread>> {
        let ids = self.thread_ids(
            "SELECT t.id FROM threads t JOIN participants p ON p.thread_id = t.id
             WHERE p.user_id = $1 AND p.left_at IS NULL AND t.org_id = $2
             ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC",
            &[&caller.user_id.to_string(), &caller.org_id.to_string()],
        )?;
        // Each thread's row, then the standings and participants the views need: each
        // kind of read sent at once (a few round trips, whatever the number of threads).
        let (keys, user) = (
            ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            caller.user_id.to_string(),
        );
        let each: Vec<Vec<&(dyn ToSql + Sync)>> = keys
            .iter()
            .map(|id| vec![id as &(dyn ToSql + Sync), &user])
            .collect();
        let rows = self
            .all_each(THREAD_VIEW, &each)?
            .into_iter()
            .map(|mut rows| rows.pop().ok_or(Error::NotFound))
            .collect::<Result<Vec<_>>>()?;
        let records = ids
            .iter()
            .zip(&rows)
            .map(|(id, r)| thread_record_at(r, *id, 0))
            .collect::<Result<Vec<_>>>()?;
        self.expect_standings(&records)?;
        self.expect_participant_users(&ids)?;
        records
            .into_iter()
            .zip(&rows)
            .map(|(record, r)| self.view_of(record, r))
            .collect()
    }

    fn open_thread_of(
        &mut self,
        line: Uuid,
        channel: Channel,
        guest: &GuestIds,
    ) -> Result<Option<ThreadId>> {
        let remembered = (
            line,
            enum_str(&channel),
            guest.key.clone(),
            guest.phone.as_ref().map(|p| p.as_str().to_owned()),
            guest.user_id.clone(),
        );
        if let Some(known) = self.remembered.open_threads.get(&remembered) {
            return Ok(*known);
        }
        let Some(r) = self.opt(
            OPEN_THREAD_OF,
            &[
                &line.to_string(),
                &enum_str(&channel),
                &guest.key,
                &guest.phone.as_ref().map(|p| p.as_str()),
                &guest.user_id,
            ],
        )?
        else {
            self.remembered.open_threads.insert(remembered, None);
            return Ok(None);
        };
        let id = ThreadId(uuid_at(&r, 0)?);
        let record = thread_record_at(&r, id, 1)?;
        self.remembered.threads.insert(id, record);
        self.remembered.open_threads.insert(remembered, Some(id));
        Ok(Some(id))
    }

    fn learn_guest(&mut self, id: ThreadId, guest: &GuestIds, name: Option<&str>) -> Result<()> {
        let phone = guest.phone.as_ref().map(|p| p.as_str());
        if self
            .remembered
            .threads
            .get(&id)
            .is_some_and(|known| !would_learn(known, phone, guest.user_id.as_deref(), name))
        {
            // Nothing new (most messages): not even a round trip.
            return Ok(());
        }
        // Written only when something is new (most messages bring nothing new). The casts
        // give PostgreSQL the parameters' types where they are only tested for NULL.
        self.exec(
            "UPDATE threads SET guest_phone = COALESCE(guest_phone, $2),
                 guest_user_id = COALESCE($3, guest_user_id),
                 guest_name = COALESCE($4, guest_name)
             WHERE id = $1
               AND (($2::text IS NOT NULL AND guest_phone IS NULL)
                 OR ($3::text IS NOT NULL AND guest_user_id IS DISTINCT FROM $3)
                 OR ($4::text IS NOT NULL AND guest_name IS DISTINCT FROM $4))",
            &[
                &id.to_string(),
                &guest.phone.as_ref().map(|p| p.as_str()),
                &guest.user_id,
                &name,
            ],
        )?;
        Ok(())
    }

    fn set_guest_phone(&mut self, id: ThreadId, phone: &E164) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET guest_phone = $2 WHERE id = $1",
            &[&id.to_string(), &phone.as_str()],
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
            "SELECT id FROM threads WHERE line_id = $1 AND guest = $2
               AND ($3::text IS NULL OR channel = $3) ORDER BY created_at, id",
            &[&line.to_string(), &guest, &channel.map(|c| enum_str(&c))],
        )
    }

    fn last_guest_messages(&mut self, line: Uuid) -> Result<Vec<(E164, Timestamp)>> {
        self.all(
            "SELECT guest_phone, MAX(last_guest_message_at) FROM threads
             WHERE line_id = $1 AND last_guest_message_at IS NOT NULL AND guest_phone IS NOT NULL
             GROUP BY guest_phone ORDER BY guest_phone",
            &[&line.to_string()],
        )?
        .iter()
        .map(|r| Ok((phone_at(r, 0)?, time_at(r, 1)?)))
        .collect()
    }

    fn close_thread(&mut self, id: ThreadId) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET status = 'closed' WHERE id = $1",
            &[&id.to_string()],
        )?;
        touched(n)
    }

    fn reopen_thread(&mut self, id: ThreadId) -> Result<()> {
        // A second open thread of the guest breaks `threads_one_open`: a conflict.
        let n = self.exec(
            "UPDATE threads SET status = 'open' WHERE id = $1",
            &[&id.to_string()],
        )?;
        touched(n)
    }

    fn set_template_required(&mut self, id: ThreadId, required: bool) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET template_required = $2 WHERE id = $1",
            &[&id.to_string(), &required],
        )?;
        touched(n)
    }

    fn set_preview(&mut self, id: ThreadId, preview: &str) -> Result<()> {
        let n = self.exec(SET_PREVIEW, &[&id.to_string(), &preview])?;
        touched(n)
    }

    fn record_activity(&mut self, id: ThreadId, at: Timestamp, from_guest: bool) -> Result<()> {
        let n = self.exec(
            "UPDATE threads SET last_message_at = GREATEST(COALESCE(last_message_at, 0), $2::bigint),
                 last_guest_message_at = CASE WHEN $3::boolean
                     THEN GREATEST(COALESCE(last_guest_message_at, 0), $2::bigint)
                     ELSE last_guest_message_at END
             WHERE id = $1",
            &[&id.to_string(), &micros(at), &from_guest],
        )?;
        touched(n)
    }

    fn guest_message_arrived(&mut self, id: ThreadId, at: Timestamp, preview: &str) -> Result<()> {
        // `set_preview`, `record_activity` from the guest and `set_template_required(false)`
        // in one statement (one round trip).
        // The record this transaction read stays known, moved as the statement moves it.
        let known = self.remembered.threads.remove(&id);
        // Held: sent with the next statement, which tells a `NotFound` (see `conn`).
        self.later(
            GUEST_MESSAGE_ARRIVED,
            vec![
                Box::new(id.to_string()),
                Box::new(preview.to_owned()),
                Box::new(micros(at)),
            ],
            true,
        )?;
        if let Some(mut record) = known {
            // As the row keeps it: in whole microseconds.
            let at = from_micros(micros(at));
            let forward = |t: Option<Timestamp>| Some(t.map_or(at, |t| t.max(at)));
            record.window.last_message_at = forward(record.window.last_message_at);
            record.window.last_guest_message_at = forward(record.window.last_guest_message_at);
            record.template_required = false;
            self.remembered.threads.insert(id, record);
        }
        Ok(())
    }

    fn is_participant(&mut self, caller: Caller, thread: ThreadId) -> Result<bool> {
        Ok(self
            .opt(
                "SELECT 1 FROM participants p JOIN threads t ON t.id = p.thread_id
                 WHERE p.thread_id = $1 AND p.user_id = $2 AND p.left_at IS NULL AND t.org_id = $3",
                &[
                    &thread.to_string(),
                    &caller.user_id.to_string(),
                    &caller.org_id.to_string(),
                ],
            )?
            .is_some())
    }

    fn participants(&mut self, thread: ThreadId) -> Result<Vec<UserId>> {
        if let Some(known) = self.remembered.participants.get(&thread) {
            return Ok(known.clone());
        }
        let users = self
            .all(
                "SELECT user_id FROM participants WHERE thread_id = $1 AND left_at IS NULL
                 ORDER BY joined_at, user_id",
                &[&thread.to_string()],
            )?
            .iter()
            .map(|r| uuid_at(r, 0).map(UserId))
            .collect::<Result<Vec<_>>>()?;
        self.remembered.participants.insert(thread, users.clone());
        Ok(users)
    }

    fn join(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<bool> {
        let n = self.exec(
            "INSERT INTO participants (thread_id, user_id, joined_at) VALUES ($1, $2, $3)
             ON CONFLICT (thread_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at
             WHERE participants.left_at IS NOT NULL",
            &[&thread.to_string(), &user.to_string(), &micros(now)],
        )?;
        Ok(n > 0)
    }

    fn leave(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE participants SET left_at = $3 WHERE thread_id = $1 AND user_id = $2 AND left_at IS NULL",
            &[&thread.to_string(), &user.to_string(), &micros(now)],
        )?;
        Ok(())
    }

    fn set_last_read(&mut self, thread: ThreadId, user: UserId, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE participants SET last_read_at = $3 WHERE thread_id = $1 AND user_id = $2",
            &[&thread.to_string(), &user.to_string(), &micros(now)],
        )?;
        Ok(())
    }

    fn standing(&mut self, kind: Standing, line: Uuid, guest: &str) -> Result<Consent> {
        // The table name is one of our own literals, never input.
        let key = (standing_table(kind), line, guest.to_owned());
        if let Some(known) = self.remembered.standings.get(&key) {
            return Ok(known.clone());
        }
        let sql = format!(
            "SELECT state FROM {} WHERE line_id = $1 AND guest = $2",
            standing_table(kind)
        );
        let standing = match self.opt(&sql, &[&line.to_string(), &guest])? {
            Some(r) => json_at(&r, 0)?,
            None => Consent::None,
        };
        self.remembered.standings.insert(key, standing.clone());
        Ok(standing)
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
            "INSERT INTO {} (line_id, guest, state, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (line_id, guest) DO UPDATE SET state = excluded.state,
                 updated_at = excluded.updated_at",
            standing_table(kind)
        );
        self.exec(
            &sql,
            &[&line.to_string(), &guest, &json(consent), &micros(now)],
        )?;
        Ok(())
    }
}
