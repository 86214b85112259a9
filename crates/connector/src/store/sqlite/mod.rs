//! The embedded backend: one SQLite file (rusqlite, WAL, numbered migrations in
//! `migrations/sqlite/`). The right default for one connector process: the demo, a small
//! office.
//!
//! How it keeps the contract ([`super`]):
//! - a write is one IMMEDIATE transaction (the write lock taken up front: no deadlock between
//!   readers turning writers); a read is one deferred transaction, a consistent snapshot;
//! - one connection behind a mutex: writes are serial, which is what SQLite does anyway;
//! - unique indexes make wamids and client ids unique (a second insert is `Conflict`);
//! - triggers refuse any change to the audit table;
//! - times are integer microseconds (UTC), ids UUID strings, enums their serde names, the
//!   domain's documents (consent, message bodies) JSON.
//!
//! One file per concern: the transaction type's impl of each trait.

mod accounts;
pub mod backup;
mod contacts;
mod events;
mod inbox;
mod media;
mod messages;
mod outbox;
mod templates;
mod threads;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::store::CarrierAccount;
use crate::store::secrets::Sealer;
use std::sync::{Mutex, MutexGuard};

use chrono::DateTime;
use multiline_domain::time::Timestamp;
use rusqlite::{Connection, Transaction};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

use super::{Error, Result, Store, Tx};

/// The SQLite store. Callers run its transactions on blocking threads, never on the async
/// runtime.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Seals the lines' and carriers' secrets (see [`crate::store::secrets`]).
    sealer: Sealer,
}

/// A transaction on the SQLite store: what [`Tx`] is for this backend.
pub struct SqliteTx<'c> {
    tx: Transaction<'c>,
    pub(crate) sealer: &'c Sealer,
    /// See [`super::EventTx::held_views`].
    pub(crate) held_views: Option<Vec<multiline_domain::ids::ThreadId>>,
}

impl SqliteTx<'_> {
    /// Runs a statement, prepared once per connection (rusqlite's statement cache): the
    /// inbox applies thousands of messages a second, and parsing and planning SQL each time
    /// cost more than running it.
    pub(crate) fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    /// The one row of a query, prepared once per connection.
    pub(crate) fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.prepare_cached(sql)?.query_row(params, f)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                Error::Conflict("a record with this key exists")
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..) => Error::Corrupt(e.to_string()),
            e => Error::Backend(Box::new(e)),
        }
    }
}

impl From<rusqlite_migration::Error> for Error {
    fn from(e: rusqlite_migration::Error) -> Error {
        Error::Backend(Box::new(e))
    }
}

/// How many schema steps this build knows (a store opened by it is at this version).
pub(crate) fn schema_steps() -> usize {
    migrations_list().len()
}

fn migrations() -> Migrations<'static> {
    Migrations::new(migrations_list())
}

/// The schema's steps, oldest first.
fn migrations_list() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("../../../migrations/sqlite/001_initial.sql")),
        M::up(include_str!("../../../migrations/sqlite/002_templates.sql")),
        M::up(include_str!("../../../migrations/sqlite/003_media.sql")),
        M::up(include_str!(
            "../../../migrations/sqlite/004_consent_keywords.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/005_sms_and_voicemail.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/006_early_transcripts.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/007_one_road_in.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/008_every_kind.sql"
        )),
        M::up(include_str!(
            "../../../migrations/sqlite/009_line_warnings.sql"
        )),
        M::up(include_str!("../../../migrations/sqlite/010_remedies.sql")),
        M::up_with_hook(
            include_str!("../../../migrations/sqlite/011_audit_chain.sql"),
            chain_existing_audit,
        ),
        M::up(include_str!("../../../migrations/sqlite/012_sessions.sql")),
    ]
}

/// 011's hook: chains the records written before it, organization by organization in id
/// order, then makes the audit append-only again.
fn chain_existing_audit(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let mut heads: std::collections::HashMap<String, (i64, String)> = Default::default();
    let mut stmt = tx.prepare(
        "SELECT id, org_id, at, actor, action, thread_id, detail FROM audit ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, org): (i64, String) = (r.get(0)?, r.get(1)?);
        let thread: Option<String> = r.get(5)?;
        let (count, prev) = heads
            .entry(org.clone())
            .or_insert_with(|| (0, super::audit_chain::GENESIS.to_owned()));
        let hash = super::audit_chain::hash(
            prev,
            &org,
            r.get(2)?,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            thread.as_deref(),
            &r.get::<_, String>(6)?,
        );
        tx.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            rusqlite::params![id, prev.as_str(), hash],
        )?;
        *count += 1;
        *prev = hash;
    }
    drop(rows);
    drop(stmt);
    for (org, (count, hash)) in heads {
        tx.execute(
            "INSERT INTO audit_heads (org_id, records, hash) VALUES (?1, ?2, ?3)",
            rusqlite::params![org, count, hash],
        )?;
    }
    tx.execute_batch(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
             SELECT RAISE(ABORT, 'audit is append-only'); END;",
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date. The
    /// store holds every message and every line's credentials: its file is the owner's alone
    /// (0600; SQLite gives its WAL and shared-memory files the same mode), and so is the
    /// folder it is in (0700).
    pub fn open(path: &Path) -> Result<SqliteStore> {
        owner_only(path).map_err(|e| Error::Backend(Box::new(e)))?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Every statement the store runs stays prepared (see `SqliteTx::exec`).
        conn.set_prepared_statement_cache_capacity(256);
        migrations().to_latest(&mut conn)?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            sealer: Sealer::load(path)?,
        };
        store.seal_secrets_again()?;
        crate::store::secrets::forget_previous(path)?;
        Ok(store)
    }

    /// Seals every secret not sealed with the current key (stored before sealing, or by a
    /// previous key): at every open, so a new key takes over everything at once.
    fn seal_secrets_again(&self) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let rows: Vec<(String, [String; 3], Option<String>)> = tx
            .prepare("SELECT id, access_token, app_secret, verify_token, carrier FROM lines")?
            .query_map([], |r| {
                Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?], r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, secrets, carrier) in rows {
            let carrier: Option<CarrierAccount> = carrier.map(json_col).transpose()?;
            let stale = secrets.iter().any(|s| !self.sealer.is_current(s))
                || carrier
                    .as_ref()
                    .is_some_and(|c| !self.sealer.is_current(&c.auth_token));
            if !stale {
                continue;
            }
            let mut again = Vec::with_capacity(3);
            for s in &secrets {
                again.push(self.sealer.seal(&self.sealer.open(s)?));
            }
            let carrier = carrier
                .map(|mut c| -> Result<CarrierAccount> {
                    c.auth_token = self.sealer.seal(&self.sealer.open(&c.auth_token)?);
                    Ok(c)
                })
                .transpose()?;
            tx.execute(
                "UPDATE lines SET access_token = ?2, app_secret = ?3, verify_token = ?4,
                     carrier = ?5 WHERE id = ?1",
                rusqlite::params![id, again[0], again[1], again[2], carrier.as_ref().map(json)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(
        &self,
        behavior: rusqlite::TransactionBehavior,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(behavior)?;
        let mut tx = SqliteTx {
            tx,
            sealer: &self.sealer,
            held_views: None,
        };
        work(&mut tx)?;
        tx.tx.commit()?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn write_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(rusqlite::TransactionBehavior::Immediate, work)
    }

    fn read_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(rusqlite::TransactionBehavior::Deferred, work)
    }

    fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                 AND name != 'rusqlite_migration' ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tables
            .into_iter()
            .map(|t| {
                // `t` is a table name the schema itself listed, never input.
                let n: i64 =
                    conn.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))?;
                Ok((t, n))
            })
            .collect()
    }

    fn outside_writes(&self) -> Result<u64> {
        // SQLite's own counter: it moves when another connection commits.
        let version: i64 = self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(version as u64)
    }

    fn schema_current(&self) -> Result<bool> {
        let conn = self.conn();
        let applied = match migrations().current_version(&conn)? {
            rusqlite_migration::SchemaVersion::Inside(n)
            | rusqlite_migration::SchemaVersion::Outside(n) => n.get(),
            rusqlite_migration::SchemaVersion::NoneSet => 0,
        };
        Ok(applied >= migrations_list().len())
    }
}

// ---- how values are stored ---------------------------------------------------------------

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(v: i64) -> Timestamp {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

/// A UUID column, in a row mapper.
pub(crate) fn uuid_col(s: String) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// An enum as stored: its serde name.
pub(crate) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored enum, in a row mapper.
pub(crate) fn enum_col<T: serde::de::DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A stored JSON document, in a row mapper.
pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A document as stored.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("the store's documents serialize")
}

/// A stored E.164 number, in a row mapper.
pub(crate) fn phone_col(s: String) -> rusqlite::Result<multiline_domain::phone::E164> {
    multiline_domain::phone::E164::from_stored(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A user from the columns (id, name, email), in a row mapper.
pub(crate) fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<multiline_domain::api::User> {
    Ok(multiline_domain::api::User {
        id: multiline_domain::ids::UserId(uuid_col(r.get(0)?)?),
        name: r.get(1)?,
        email: r.get(2)?,
    })
}

/// `NotFound` when an UPDATE or DELETE touched nothing.
pub(crate) fn touched(n: usize) -> Result<()> {
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Makes `path`'s folder (created if needed) 0700 and the file itself (created empty if
/// needed) 0600, before SQLite opens it.
#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    for file in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{file}", path.display()));
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    // Windows: the data folder under the user's profile is the user's by its ACL.
    Ok(())
}
