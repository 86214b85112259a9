//! The backend for several connector instances: PostgreSQL (the synchronous `postgres`
//! client, an `r2d2` pool, `refinery` migrations in `migrations/postgres/`, applied at
//! connect). The same records as the SQLite backend, in PostgreSQL's types (see
//! `V1__initial.sql`).
//!
//! How it keeps the contract ([`super`]):
//! - a write is one SERIALIZABLE transaction: two instances' writes behave as if one ran
//!   after the other, or one fails with a serialization failure and its work is run again
//!   (the contract allows it: work has no effects of its own); a read is one REPEATABLE READ,
//!   READ ONLY transaction (a consistent snapshot); a queue write (taking queued work or
//!   adding to a queue, see [`Store::queue_with`]) is one READ COMMITTED transaction whose
//!   rows are locked `FOR UPDATE SKIP LOCKED` or leased by an atomic upsert: instances
//!   claiming at once take different work rather than fail and run again; other writes
//!   queue on one advisory lock ([`WRITES_LOCK`]) rather than fail each other on the rows
//!   every write touches;
//! - unique indexes make wamids and client ids unique (a second insert is `Conflict`);
//! - triggers refuse any change to the audit table;
//! - every statement is prepared once per connection and kept.
//!
//! One file per concern: the transaction type's impl of each trait.

mod accounts;
mod conn;
mod contacts;
mod events;
mod feed;
mod inbox;
mod media;
mod messages;
mod outbox;
mod remember;
mod templates;
mod threads;
mod tls;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use multiline_domain::time::Timestamp;
use postgres::Row;
use postgres::error::SqlState;
use postgres::types::FromSql;
use uuid::Uuid;

use super::secrets::Sealer;
use super::{Error, Result, Store, Tx};
pub(crate) use crate::store::sqlite::{enum_str, from_micros, json, micros};
use conn::Aborted;
pub use conn::{Conn, Connector};
pub(crate) use conn::{Params, PgTx};
pub(crate) use feed::EVENTS_CHANNEL;
use feed::{StopOnDrop, follow};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// How many connections an instance keeps at most, unless set (`--database-pool`):
/// HikariCP's default. Each busy webhook or request holds one for a transaction's round
/// trips; more than the database has cores to run them only queue inside it, and N
/// instances' pools must fit its `max_connections` together.
pub const POOL: u32 = 10;

/// The advisory lock held while migrations run (any number; this one spells "multilin").
const MIGRATIONS_LOCK: i64 = 0x6d75_6c74_696c_696e;

/// The advisory lock a write transaction holds from before it starts until after it ends
/// (any number; this one spells "mlwrites"). Every write touches hot rows (the per-user
/// event numbers, a thread's activity): run side by side under SERIALIZABLE, they fail
/// each other in storms; queued on this lock, they run one after another, each seeing what
/// the one before committed. Reads and queue writes do not take it.
const WRITES_LOCK: i64 = 0x6d6c_7772_6974_6573;

/// How many times a write that lost a serialization conflict is run again.
const WRITE_ATTEMPTS: u32 = 10;

/// The PostgreSQL store. Callers run its transactions on blocking threads, never on the
/// async runtime.
pub struct PgStore {
    pool: r2d2::Pool<Connector>,
    /// Where the pool connects: the feed of events ([`Store::follow_events`]) connects there
    /// too, on a connection of its own.
    config: tokio_postgres::Config,
    tls: tls::Tls,
    /// Seals the lines' and carriers' secrets (see [`crate::store::secrets`]).
    sealer: Sealer,
}

/// Whether PostgreSQL's `code` says a transaction lost to a concurrent one.
fn is_race(code: &SqlState) -> bool {
    *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        match e.code() {
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => {
                Error::Conflict("a record with this key exists")
            }
            // A text holding U+0000, which PostgreSQL's text cannot store (SQLite can):
            // said as what it is, not as a failure of the store. Webhooks never bring one
            // (their reader puts U+FFFD in its place).
            Some(code) if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE => Error::invalid(
                multiline_domain::errors::ErrorCode::InvalidBody,
                "The text holds a NUL character (U+0000), which cannot be stored.",
            ),
            _ => Error::Backend(Box::new(e)),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Error {
        Error::Backend(Box::new(e))
    }
}

impl From<refinery::Error> for Error {
    fn from(e: refinery::Error) -> Error {
        Error::Backend(Box::new(e))
    }
}

/// Whether `error` is PostgreSQL saying a transaction lost to a concurrent one (its work may
/// be run again).
fn lost_a_race(error: &Error) -> bool {
    let Error::Backend(e) = error else {
        return false;
    };
    if let Some(aborted) = e.downcast_ref::<Aborted>() {
        return aborted.code.as_ref().is_some_and(is_race);
    }
    e.downcast_ref::<postgres::Error>()
        .and_then(postgres::Error::code)
        .is_some_and(is_race)
}

/// What a transaction is for (its isolation: see the module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
    Queue,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`),
    /// applies the migrations it lacks, and seals every secret not sealed with `sealer`'s
    /// current key. Over TLS when the URL says `sslmode=require` (see [`tls`]).
    pub fn connect(url: &str, sealer: Sealer) -> Result<PgStore> {
        PgStore::connect_pooled(url, sealer, POOL)
    }

    /// [`PgStore::connect`] with at most `pool` connections (besides the events feed's).
    pub fn connect_pooled(url: &str, sealer: Sealer, pool: u32) -> Result<PgStore> {
        let (config, tls) = tls::parse(url)?;
        // One connection first: a refusal (a password, a certificate) is said at once, with
        // its cause, rather than after the pool's wait for connections that cannot come.
        let mut client = tls
            .connect(&postgres::Config::from(config.clone()))
            .map_err(|e| Error::Backend(Box::new(tls::ConnectError::from(e))))?;
        // Instances starting together: one applies what is missing, the others wait and
        // find it applied. Each migration commits with its record (grouped); a migration
        // this build does not know (a newer instance's) does not stop it.
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATIONS_LOCK])?;
        let ran = embedded::migrations::runner()
            .set_grouped(true)
            .set_abort_missing(false)
            .run(&mut client);
        client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATIONS_LOCK])?;
        ran?;
        drop(client);
        let pool = r2d2::Pool::builder()
            .max_size(pool)
            .min_idle(Some(2))
            .connection_timeout(Duration::from_secs(10))
            .build(Connector {
                config: config.clone(),
                tls: tls.clone(),
            })?;
        let store = PgStore {
            pool,
            config,
            tls,
            sealer,
        };
        store.seal_secrets_again()?;
        Ok(store)
    }

    /// Seals every secret not sealed with the current key (see the SQLite backend's).
    fn seal_secrets_again(&self) -> Result<()> {
        self.run(Mode::Write, &mut |tx| {
            let rows = tx.all(
                "SELECT id, access_token, app_secret, verify_token, carrier FROM lines",
                &[],
            )?;
            for row in rows {
                let id: String = col(&row, 0)?;
                let secrets: [String; 3] = [col(&row, 1)?, col(&row, 2)?, col(&row, 3)?];
                let carrier: Option<String> = col(&row, 4)?;
                let carrier: Option<super::CarrierAccount> =
                    carrier.as_deref().map(json_str).transpose()?;
                let current = secrets.iter().all(|s| tx.sealer.is_current(s))
                    && carrier
                        .as_ref()
                        .is_none_or(|c| tx.sealer.is_current(&c.auth_token));
                if current {
                    continue;
                }
                let mut again = Vec::with_capacity(3);
                for s in &secrets {
                    again.push(tx.sealer.seal(&tx.sealer.open(s)?));
                }
                let carrier = carrier
                    .map(|mut c| -> Result<super::CarrierAccount> {
                        c.auth_token = tx.sealer.seal(&tx.sealer.open(&c.auth_token)?);
                        Ok(c)
                    })
                    .transpose()?;
                tx.exec(
                    "UPDATE lines SET access_token = $2, app_secret = $3, verify_token = $4,
                         carrier = $5 WHERE id = $1",
                    &[
                        &id,
                        &again[0],
                        &again[1],
                        &again[2],
                        &carrier.as_ref().map(json),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Runs `work` with a connection of the pool, outside the store's transactions (what
    /// only moving a whole store does: `migrate-store`).
    pub(crate) fn with_client<T>(
        &self,
        work: impl FnOnce(&mut postgres::Client) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut client = self
            .tls
            .connect(&postgres::Config::from(self.config.clone()))
            .map_err(tls::ConnectError::from)?;
        work(&mut client)
    }

    /// Runs `work` in one transaction (see the module's docs), again after a lost race; a
    /// write holds [`WRITES_LOCK`] meanwhile.
    fn run(&self, mode: Mode, work: &mut dyn FnMut(&mut PgTx<'_>) -> Result<()>) -> Result<()> {
        let mut conn = self.pool.get()?;
        let (done, holding) = self.attempts(mode, &mut conn, work);
        if holding {
            // The lock was not given back with a commit (the work failed, or its COMMIT).
            let unlocked = conn.call(async |c| {
                c.execute("SELECT pg_advisory_unlock($1)", &[&WRITES_LOCK])
                    .await
            });
            if let Err(error) = unlocked {
                // A session that may still hold the lock must not go back to the pool.
                tracing::warn!(%error, "releasing the writes lock; the connection is closed");
                conn.close();
            }
        }
        done
    }

    /// [`PgStore::run`]'s transaction, run again after a lost race; and whether the
    /// connection may still hold [`WRITES_LOCK`]. A write takes the lock before its
    /// transaction begins, so that its snapshot comes after the previous write's commit
    /// (sent with its `START` and first statement: the server takes them in order), and
    /// gives it back after its `COMMIT` (sent together). A connection that breaks drops
    /// the lock with its session.
    fn attempts(
        &self,
        mode: Mode,
        conn: &mut Conn,
        work: &mut dyn FnMut(&mut PgTx<'_>) -> Result<()>,
    ) -> (Result<()>, bool) {
        let begin = match mode {
            Mode::Write => "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            Mode::Read => "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            Mode::Queue => "START TRANSACTION ISOLATION LEVEL READ COMMITTED",
        };
        let (lock, unlock) = match mode {
            Mode::Write => (
                "SELECT pg_advisory_lock($1)",
                format!("SELECT pg_advisory_unlock({WRITES_LOCK})"),
            ),
            Mode::Read | Mode::Queue => ("", String::new()),
        };
        let mut holding = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let before: Option<(&str, conn::Owned)> = match (mode, holding) {
                (Mode::Write, false) => Some((lock, vec![Box::new(WRITES_LOCK)])),
                _ => None,
            };
            holding |= before.is_some();
            let mut tx = match conn.begin(before, begin, &self.sealer) {
                Ok(tx) => tx,
                Err(error) => return (Err(error), holding),
            };
            let worked = work(&mut tx);
            let aborted = tx.aborted.take();
            let done = match (worked, aborted) {
                // A held write that had to touch a row touched none, and the work went on.
                (Ok(()), None) if tx.late() => {
                    tx.rollback();
                    Err(Error::NotFound)
                }
                (Ok(()), None) => {
                    let (committed, unlocked) = tx.commit(&unlock);
                    holding &= !unlocked;
                    committed
                }
                // A lost race anywhere in the work: it runs again.
                (_, Some(aborted)) if aborted.code.as_ref().is_some_and(is_race) => {
                    tx.rollback();
                    Err(Error::Backend(Box::new(aborted)))
                }
                // The work's own refusal (a `Conflict` from a unique key...).
                (Err(error), _) => {
                    tx.rollback();
                    Err(error)
                }
                // A statement failed and the work went on: nothing can commit, and the
                // first failure says why.
                (Ok(()), Some(aborted)) => {
                    tx.rollback();
                    Err(Error::Backend(Box::new(aborted)))
                }
            };
            match done {
                Err(error) if attempt < WRITE_ATTEMPTS && lost_a_race(&error) => {
                    // Rolled back: run the work again, after a pause that grows and
                    // differs between instances.
                    let pause = rand::random_range(1..=2u64 << attempt.min(6));
                    std::thread::sleep(Duration::from_millis(pause));
                }
                done => return (done, holding),
            }
        }
    }
}

impl Store for PgStore {
    fn write_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(Mode::Write, &mut |tx| work(tx))
    }

    fn queue_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(Mode::Queue, &mut |tx| work(tx))
    }

    fn read_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(Mode::Read, &mut |tx| work(tx))
    }

    fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut conn = self.pool.get()?;
        let tables: Vec<String> = conn
            .call(async |c| {
                c.query(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                       AND NOT (table_name = ANY($1))
                     ORDER BY table_name",
                    &[&BOOKKEEPING],
                )
                .await
            })?
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables
            .into_iter()
            .map(|t| {
                // `t` is a table name the schema itself listed, never input.
                let sql = format!("SELECT COUNT(*) FROM \"{t}\"");
                let n: i64 = conn.call(async |c| c.query_one(&sql, &[]).await)?.get(0);
                Ok((t, n))
            })
            .collect()
    }

    fn outside_writes(&self) -> Result<u64> {
        let mut conn = self.pool.get()?;
        let n: i64 = conn
            .call(async |c| c.query_one("SELECT n FROM access_changes", &[]).await)?
            .get(0);
        Ok(n as u64)
    }

    fn shared(&self) -> bool {
        true
    }

    fn follow_events(&self, tell: super::EventTell) -> Result<Option<Box<dyn Send + Sync>>> {
        let stop = Arc::new(AtomicBool::new(false));
        let config = postgres::Config::from(self.config.clone());
        let (tls, stopped) = (self.tls.clone(), stop.clone());
        std::thread::Builder::new()
            .name("store-events".to_owned())
            .spawn(move || follow(&config, &tls, &tell, &stopped))
            .map_err(|e| Error::Backend(Box::new(e)))?;
        Ok(Some(Box::new(StopOnDrop(stop))))
    }

    fn take_send_slot(
        &self,
        line: Uuid,
        per_second: std::num::NonZeroU32,
    ) -> Result<Option<Duration>> {
        // A generic cell rate algorithm on the line's theoretical arrival time (TAT), in one
        // statement on the database's clock: each send moves the TAT one interval on; a send
        // may go while the TAT is no more than a burst's worth of intervals ahead of now.
        // Outside the store's serializable transactions: the row lock orders the instances.
        let interval = 1_000_000 / i64::from(per_second.get());
        let tolerance = interval * (i64::from(per_second.get()) - 1);
        let line = line.to_string();
        let mut conn = self.pool.get()?;
        let wait = conn.call(async |c| {
            c.execute(
                "INSERT INTO line_rates (line_id, tat) VALUES ($1, 0) ON CONFLICT DO NOTHING",
                &[&line],
            )
            .await?;
            let taken = c
                .query_opt(
                    "UPDATE line_rates r SET tat = GREATEST(r.tat, n.us) + $2
                     FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us) n
                     WHERE r.line_id = $1 AND GREATEST(r.tat, n.us) - $3 <= n.us
                     RETURNING r.tat",
                    &[&line, &interval, &tolerance],
                )
                .await?;
            if taken.is_some() {
                return Ok(None);
            }
            let wait: i64 = c
                .query_one(
                    "SELECT GREATEST(r.tat, n.us) - $2 - n.us FROM line_rates r,
                        (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us) n
                     WHERE r.line_id = $1",
                    &[&line, &tolerance],
                )
                .await?
                .get(0);
            Ok(Some(wait))
        })?;
        Ok(wait.map(|wait| Duration::from_micros(wait.max(1) as u64)))
    }

    fn claim_periodic(&self, job: &str, every: Duration) -> Result<bool> {
        let every = i64::try_from(every.as_micros()).unwrap_or(i64::MAX);
        let mut conn = self.pool.get()?;
        let started = conn.call(async |c| {
            c.query_opt(
                "INSERT INTO periodic_runs AS p (job, started_at)
                 SELECT $1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                 ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at
                     WHERE p.started_at <= excluded.started_at - $2
                 RETURNING p.started_at",
                &[&job, &every],
            )
            .await
        })?;
        Ok(started.is_some())
    }

    fn schema_current(&self) -> Result<bool> {
        let mut conn = self.pool.get()?;
        let applied: Option<i32> = conn
            .call(async |c| {
                c.query_one("SELECT MAX(version) FROM refinery_schema_history", &[])
                    .await
            })?
            .get(0);
        let known = embedded::migrations::runner()
            .get_migrations()
            .iter()
            .map(refinery::Migration::version)
            .max()
            .unwrap_or(0);
        Ok(applied.and_then(|v| u32::try_from(v).ok()).unwrap_or(0) >= known)
    }
}

/// The database's tables that keep no records of the store (row counts and `migrate-store`
/// leave them out): the migrations' history, the access counter, the lines' send rates, the
/// periodic work's last runs, the instances' leases on lines' inboxes.
pub const BOOKKEEPING: &[&str] = &[
    "refinery_schema_history",
    "access_changes",
    "line_rates",
    "periodic_runs",
    "inbox_leases",
];

/// Column `i` of `row`, as `T` (a stored value of another type is `Corrupt`).
pub(crate) fn col<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T> {
    row.try_get(i).map_err(|e| Error::Corrupt(e.to_string()))
}

/// A UUID column.
pub(crate) fn uuid_at(row: &Row, i: usize) -> Result<Uuid> {
    let s: &str = col(row, i)?;
    Uuid::parse_str(s).map_err(|e| Error::Corrupt(format!("{s:?}: {e}")))
}

/// A nullable UUID column.
pub(crate) fn opt_uuid_at(row: &Row, i: usize) -> Result<Option<Uuid>> {
    let s: Option<&str> = col(row, i)?;
    s.map(|s| Uuid::parse_str(s).map_err(|e| Error::Corrupt(format!("{s:?}: {e}"))))
        .transpose()
}

/// A time column (microseconds).
pub(crate) fn time_at(row: &Row, i: usize) -> Result<Timestamp> {
    Ok(from_micros(col(row, i)?))
}

/// A nullable time column.
pub(crate) fn opt_time_at(row: &Row, i: usize) -> Result<Option<Timestamp>> {
    Ok(col::<Option<i64>>(row, i)?.map(from_micros))
}

/// An enum column (its serde name).
pub(crate) fn enum_at<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> Result<T> {
    let s: &str = col(row, i)?;
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| Error::Corrupt(format!("{s:?}: {e}")))
}

/// A JSON document column.
pub(crate) fn json_at<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> Result<T> {
    json_str(col(row, i)?)
}

/// A nullable JSON document column.
pub(crate) fn opt_json_at<T: serde::de::DeserializeOwned>(
    row: &Row,
    i: usize,
) -> Result<Option<T>> {
    col::<Option<&str>>(row, i)?.map(json_str).transpose()
}

/// A stored JSON document.
pub(crate) fn json_str<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Corrupt(format!("{e}: {s}")))
}

/// A stored E.164 number.
pub(crate) fn phone_at(row: &Row, i: usize) -> Result<multiline_domain::phone::E164> {
    let s: &str = col(row, i)?;
    multiline_domain::phone::E164::from_stored(s).map_err(|e| Error::Corrupt(format!("{s:?}: {e}")))
}

/// A user from the columns (id, name, email) starting at `i`.
pub(crate) fn user_at(row: &Row, i: usize) -> Result<multiline_domain::api::User> {
    Ok(multiline_domain::api::User {
        id: multiline_domain::ids::UserId(uuid_at(row, i)?),
        name: col(row, i + 1)?,
        email: col(row, i + 2)?,
    })
}

/// `NotFound` when an UPDATE or DELETE touched nothing.
pub(crate) fn touched(n: u64) -> Result<()> {
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}
