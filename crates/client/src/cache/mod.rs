//! The local cache: one SQLite file per signed-in account (WAL, numbered migrations). The UI
//! reads from here first, so the app opens at once and reads offline. The last applied
//! event number is written in the same transaction as the change it brought.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use multiline_domain::api::{Contact, DeliveryState, Event, Message, MessageBody, Session, Thread};
use multiline_domain::ids::{ContactId, MessageId, ThreadId};
use multiline_domain::templates::Template;
use multiline_domain::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("cache migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("cached data is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("the cache's folder could not be made private: {0}")]
    Files(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, CacheError>;

mod queue;
mod search;

pub use queue::{OutboxRequest, Pending};
pub use search::{Hit, MATCH_END, MATCH_START};

fn data_column(row: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    row.get(0)
}

/// Where a page of a thread's messages ends: its oldest message's time and id. Crosses the
/// IPC as one value (`list_messages`' `before`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MessageCursor {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub id: MessageId,
}

impl MessageCursor {
    pub fn before(message: &Message) -> MessageCursor {
        MessageCursor {
            created_at: message.created_at,
            id: message.id,
        }
    }
}

/// Where a page of the thread list ends: its last row's activity time and id (a thread
/// without messages sorts as the oldest). Crosses the IPC as one value (`list_threads`'
/// `after`): the row itself has both fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ThreadCursor {
    pub last_message_at: Option<Timestamp>,
    pub id: ThreadId,
}

impl ThreadCursor {
    /// After the thread `id` whose last message was at `last_message_at`.
    pub fn new(last_message_at: Option<Timestamp>, id: ThreadId) -> ThreadCursor {
        ThreadCursor {
            last_message_at,
            id,
        }
    }

    pub fn after(thread: &Thread) -> ThreadCursor {
        ThreadCursor::new(thread.last_message_at, thread.id)
    }
}

pub struct Cache {
    conn: Mutex<Connection>,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/001_cache.sql")),
        M::up(include_str!("../../migrations/002_search_and_paging.sql")),
        M::up(include_str!("../../migrations/003_media.sql")),
        M::up(include_str!("../../migrations/004_message_cursor.sql")),
    ])
}

fn message_key(m: &Message) -> String {
    m.client_id
        .map(|c| c.to_string())
        .unwrap_or_else(|| m.id.to_string())
}

/// Stores a message; a copy of one already stored never moves its delivery state backwards
/// (events replayed after a snapshot, or a send answer that arrives after a status event).
fn upsert_message(tx: &Transaction<'_>, m: &Message) -> Result<()> {
    let current: Option<String> = tx
        .query_row(
            "SELECT data FROM messages WHERE key = ?1",
            [message_key(m)],
            |r| r.get(0),
        )
        .optional()?;
    let mut m = m.clone();
    if let Some(current) = current {
        let current: Message = serde_json::from_str(&current)?;
        if current.id == m.id {
            m.state = current.state.advance(m.state);
            if m.state == DeliveryState::Failed && m.failure.is_none() {
                m.failure = current.failure;
            }
        }
    }
    let m = &m;
    // What a search finds the message by.
    let text = match &m.body {
        MessageBody::Text { text }
        | MessageBody::Template { text, .. }
        | MessageBody::Choice { text, .. }
        | MessageBody::System { text, .. }
        | MessageBody::Notice { text, .. } => Some(text.clone()),
        MessageBody::Picture { caption, .. } | MessageBody::Video { caption, .. } => {
            caption.clone()
        }
        MessageBody::Document {
            filename, caption, ..
        } => Some(
            [Some(filename.as_str()), caption.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        MessageBody::Location { name, address, .. } => {
            let words: Vec<&str> = [name.as_deref(), address.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!words.is_empty()).then(|| words.join(" "))
        }
        MessageBody::Contacts { cards } => Some(
            cards
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        MessageBody::Form { text, fields } => Some(
            std::iter::once(text.as_str())
                .chain(fields.iter().map(|f| f.value.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        MessageBody::Audio { .. }
        | MessageBody::Sticker { .. }
        | MessageBody::Unsupported { .. } => None,
        MessageBody::Voicemail { transcript, .. } => transcript.clone(),
    };
    tx.execute(
        "INSERT INTO messages (key, thread_id, created_at, data, body_text, message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at, data = excluded.data,
             body_text = excluded.body_text, message_id = excluded.message_id",
        params![
            message_key(m),
            m.thread_id.to_string(),
            m.created_at.timestamp_micros(),
            serde_json::to_string(m)?,
            text,
            m.id.to_string()
        ],
    )?;
    Ok(())
}

fn upsert_thread(tx: &Transaction<'_>, t: &Thread) -> Result<()> {
    tx.execute(
        "INSERT INTO threads (id, last_message_at, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET last_message_at = excluded.last_message_at, data = excluded.data",
        params![t.id.to_string(), t.last_message_at.map(|d| d.timestamp_micros()), serde_json::to_string(t)?],
    )?;
    Ok(())
}

/// A thread as the connector describes it. Its latest message never moves back: a
/// description read before a message was queued here (a command's answer, an event in
/// flight) keeps the cached, newer preview and time.
fn upsert_described_thread(tx: &Transaction<'_>, thread: &Thread) -> Result<()> {
    let cached: Option<String> = tx
        .query_row(
            "SELECT data FROM threads WHERE id = ?1",
            [thread.id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let cached = cached
        .map(|data| serde_json::from_str::<Thread>(&data))
        .transpose()?;
    match cached {
        Some(c) if c.last_message_at > thread.last_message_at => {
            let mut merged = thread.clone();
            merged.last_message_at = c.last_message_at;
            merged.last_message_preview = c.last_message_preview;
            upsert_thread(tx, &merged)
        }
        _ => upsert_thread(tx, thread),
    }
}

fn upsert_contact(tx: &Transaction<'_>, c: &Contact) -> Result<()> {
    tx.execute(
        "INSERT INTO contacts (id, name, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
        params![c.id.to_string(), c.name, serde_json::to_string(c)?],
    )?;
    Ok(())
}

impl Cache {
    /// Opens (creating if needed) the account's cache at `path`. It holds the account's
    /// messages: the file is the user's alone (0600, and SQLite gives its WAL the same
    /// mode), and so is its folder (0700), where the account's pictures and documents are
    /// kept too.
    pub fn open(path: &Path) -> Result<Cache> {
        owner_only(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn session(&self) -> Result<Option<Session>> {
        self.meta("session")?
            .map(|s| serde_json::from_str(&s).map_err(Into::into))
            .transpose()
    }

    /// The number of the last event applied (0: none yet).
    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .meta("last_seq")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Replaces the cache's view with a full snapshot from the connector (first sync).
    /// `seq` is the event number the snapshot is at least as new as.
    pub fn store_snapshot(
        &self,
        session: &Session,
        contacts: &[Contact],
        threads: &[Thread],
        messages: &[Message],
        templates: &[Template],
        seq: u64,
    ) -> Result<()> {
        self.write(|tx| {
            Self::set_meta(tx, "session", &serde_json::to_string(session)?)?;
            Self::set_meta(tx, "templates", &serde_json::to_string(templates)?)?;
            tx.execute("DELETE FROM contacts", [])?;
            for c in contacts {
                upsert_contact(tx, c)?;
            }
            for t in threads {
                upsert_thread(tx, t)?;
            }
            for m in messages {
                upsert_message(tx, m)?;
            }
            Self::set_meta(tx, "last_seq", &seq.to_string())?;
            Ok(())
        })
    }

    /// Applies one event and records its number, atomically. Events at or below the last
    /// applied number are ignored (returns false).
    pub fn apply_event(&self, seq: u64, event: &Event) -> Result<bool> {
        self.write(|tx| {
            let last: u64 = tx
                .query_row("SELECT value FROM meta WHERE key = 'last_seq'", [], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if seq <= last {
                return Ok(false);
            }
            match event {
                Event::MessageUpserted { message } => upsert_message(tx, message)?,
                Event::ThreadUpserted { thread } => upsert_described_thread(tx, thread)?,
                Event::ContactsChanged | Event::TemplatesChanged | Event::LineProblem { .. } => {}
                // No longer in it: its messages go too (the outbox keeps what was queued
                // there; the connector will refuse it, and it shows as failed).
                Event::ThreadRemoved { thread_id } => {
                    tx.execute(
                        "DELETE FROM messages WHERE thread_id = ?1
                         AND key NOT IN (SELECT client_id FROM outbox)",
                        [thread_id.to_string()],
                    )?;
                    tx.execute("DELETE FROM threads WHERE id = ?1", [thread_id.to_string()])?;
                }
            }
            Self::set_meta(tx, "last_seq", &seq.to_string())?;
            Ok(true)
        })
    }

    pub fn replace_contacts(&self, contacts: &[Contact]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM contacts", [])?;
            contacts.iter().try_for_each(|c| upsert_contact(tx, c))
        })
    }

    pub fn put_contact(&self, contact: &Contact) -> Result<()> {
        self.write(|tx| upsert_contact(tx, contact))
    }

    pub fn remove_contact(&self, id: ContactId) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM contacts WHERE id = ?1", [id.to_string()])?;
            Ok(())
        })
    }

    /// Stores a thread as the connector describes it (see [`upsert_described_thread`]).
    pub fn put_thread(&self, thread: &Thread) -> Result<()> {
        self.write(|tx| upsert_described_thread(tx, thread))
    }

    pub fn put_message(&self, message: &Message) -> Result<()> {
        self.write(|tx| upsert_message(tx, message))
    }

    /// Stores many messages in one transaction (a thread's history).
    pub fn put_messages(&self, messages: &[Message]) -> Result<()> {
        self.write(|tx| messages.iter().try_for_each(|m| upsert_message(tx, m)))
    }

    /// Contacts by name; `query` matches name, company or a number's digits.
    pub fn contacts(&self, query: Option<&str>) -> Result<Vec<Contact>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT data FROM contacts ORDER BY name COLLATE NOCASE")?;
        let all = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|row| Ok(serde_json::from_str::<Contact>(&row?)?))
            .collect::<Result<Vec<_>>>()?;
        let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(all);
        };
        let q = q.to_lowercase();
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        Ok(all
            .into_iter()
            .filter(|c| {
                c.name.to_lowercase().contains(&q)
                    || c.company
                        .as_deref()
                        .is_some_and(|co| co.to_lowercase().contains(&q))
                    || (!digits.is_empty()
                        && c.phones.iter().any(|p| p.number.as_str().contains(&digits)))
            })
            .collect())
    }

    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM contacts WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| serde_json::from_str(&d).map_err(Into::into))
            .transpose()
    }

    /// Threads, most recent activity first.
    pub fn threads(&self) -> Result<Vec<Thread>> {
        self.filter_map_threads(Some)
    }

    /// Threads, most recent activity first, each handed to `f` as it is read, keeping what
    /// `f` returns: a list row, or the few threads a pass is looking for, without holding
    /// 10,000 whole threads at once.
    pub fn filter_map_threads<T>(&self, mut f: impl FnMut(Thread) -> Option<T>) -> Result<Vec<T>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM threads ORDER BY COALESCE(last_message_at, 0) DESC, id DESC",
        )?;
        let mut rows = stmt.query([])?;
        let mut kept = Vec::new();
        while let Some(row) = rows.next()? {
            let data = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            if let Some(t) = f(serde_json::from_str(data)?) {
                kept.push(t);
            }
        }
        Ok(kept)
    }

    pub fn thread(&self, id: ThreadId) -> Result<Option<Thread>> {
        let data: Option<String> = self
            .conn()
            .query_row(
                "SELECT data FROM threads WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        data.map(|d| serde_json::from_str(&d).map_err(Into::into))
            .transpose()
    }

    /// A thread's messages, oldest first.
    pub fn messages(&self, thread: ThreadId) -> Result<Vec<Message>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM messages WHERE thread_id = ?1 ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([thread.to_string()], |r| r.get::<_, String>(0))?;
        rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
    }

    /// A page of the thread list, most recent activity first: the `limit` threads after
    /// `after` (the last thread of the previous page), read through the index alone.
    pub fn threads_page(&self, after: Option<&ThreadCursor>, limit: usize) -> Result<Vec<Thread>> {
        let conn = self.conn();
        let mut stmt;
        let rows = match after {
            None => {
                stmt = conn.prepare_cached(
                    "SELECT data FROM threads
                     ORDER BY COALESCE(last_message_at, 0) DESC, id DESC LIMIT ?1",
                )?;
                stmt.query_map(params![limit as i64], data_column)?
            }
            Some(c) => {
                stmt = conn.prepare_cached(
                    "SELECT data FROM threads WHERE (COALESCE(last_message_at, 0), id) < (?1, ?2)
                     ORDER BY COALESCE(last_message_at, 0) DESC, id DESC LIMIT ?3",
                )?;
                let at = c.last_message_at.map_or(0, |t| t.timestamp_micros());
                stmt.query_map(params![at, c.id.to_string(), limit as i64], data_column)?
            }
        };
        rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
    }

    /// A thread's newest `limit` messages before `before` (the newest of all when `None`),
    /// oldest first, as the thread shows them: by time, then in the order they were stored.
    /// The cursor names a message, not only a time: WhatsApp dates messages to the second, so
    /// several can share the oldest loaded message's time, and paging by time alone would
    /// skip those not yet loaded.
    pub fn messages_page(
        &self,
        thread: ThreadId,
        before: Option<&MessageCursor>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let conn = self.conn();
        // The cursor's place among messages sharing its time is its rowid; a cursor message
        // no longer here pages from the start of its time.
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM messages
             WHERE thread_id = ?1 AND (created_at, rowid) < (?2, COALESCE(
                 (SELECT rowid FROM messages
                  WHERE thread_id = ?1 AND created_at = ?2 AND message_id = ?3), ?4))
             ORDER BY created_at DESC, rowid DESC LIMIT ?5",
        )?;
        let (at, id, missing) = match before {
            Some(c) => (c.created_at.timestamp_micros(), c.id.to_string(), 0),
            None => (i64::MAX, String::new(), i64::MAX),
        };
        let rows = stmt.query_map(
            params![thread.to_string(), at, id, missing, limit as i64],
            |r| r.get::<_, String>(0),
        )?;
        let mut page = rows
            .map(|row| Ok(serde_json::from_str(&row?)?))
            .collect::<Result<Vec<Message>>>()?;
        page.reverse();
        Ok(page)
    }

    /// Records a picture prepared on this device.
    #[allow(clippy::too_many_arguments)]
    pub fn put_media(
        &self,
        id: &str,
        file: &Path,
        thumbnail: &Path,
        width: u32,
        height: u32,
        bytes: usize,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO media (id, file, thumbnail, width, height, bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                file.to_string_lossy(),
                thumbnail.to_string_lossy(),
                width,
                height,
                bytes as i64,
                at.timestamp_micros()
            ],
        )?;
        Ok(())
    }

    /// A prepared picture's width, height and size in bytes, if it is known.
    pub fn media_size(&self, id: &str) -> Result<Option<(u32, u32, u64)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT width, height, bytes FROM media WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64)),
            )
            .optional()?)
    }

    /// A prepared picture's file, if it is known.
    pub fn media_file(&self, id: &str) -> Result<Option<std::path::PathBuf>> {
        Ok(self
            .conn()
            .query_row("SELECT file FROM media WHERE id = ?1", [id], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(std::path::PathBuf::from))
    }

    /// The approved templates, as last fetched.
    pub fn templates(&self) -> Result<Vec<Template>> {
        Ok(self
            .meta("templates")?
            .map(|t| serde_json::from_str(&t))
            .transpose()?
            .unwrap_or_default())
    }

    pub fn put_templates(&self, templates: &[Template]) -> Result<()> {
        self.write(|tx| Self::set_meta(tx, "templates", &serde_json::to_string(templates)?))
    }
}

/// `path`'s folder (created if needed) 0700, the file (created empty if needed) 0600.
#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let mode = |m| std::fs::Permissions::from_mode(m);
    if let Some(folder) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)?;
        std::fs::set_permissions(folder, mode(0o700))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(mode(0o600))?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        if side.exists() {
            std::fs::set_permissions(side, mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    // Windows and macOS keep app data under the user's profile, theirs by its ACL.
    Ok(())
}
