//! The pool's connections, and the statements of a transaction on one.
//!
//! Each pooled connection is a `tokio_postgres` client with a runtime of its own (one
//! thread: the caller's, while it waits on an answer), as the synchronous `postgres` client
//! is underneath, driven directly so that a transaction can send several statements in one
//! round trip. A write whose answer the work does not need (it only has to succeed: a
//! thread's facts moved, an audit record, events) is *held* ([`PgTx::later`]) and sent
//! together with the next statement whose answer is needed, or before the commit. On a
//! network, round trips are what a message costs (docs/benchmarks.md).
//!
//! What a held write changes for the work: its failure is told by the next statement sent
//! (or the commit), not by the call that held it. The transaction fails either way: a
//! statement PostgreSQL refused aborts it ([`PgTx::noted`]), and a held write that had to
//! touch a row and touched none fails the commit too ([`PgTx::late`]).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;

use futures_util::future::{MaybeDone, maybe_done};
use multiline_domain::ids::UserId;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Row, Statement};
use tokio::runtime::Runtime;

use super::remember::Remembered;
use super::tls;
use crate::store::secrets::Sealer;
use crate::store::{Error, Result};

/// A pooled connection: its runtime, its client, and the statements it has prepared.
pub struct Conn {
    /// Both there until the connection is dropped.
    runtime: Option<Runtime>,
    client: Option<tokio_postgres::Client>,
    statements: HashMap<String, Statement>,
    /// A transaction was begun and not ended (its work panicked): the pool drops the
    /// connection rather than hand out a session inside it.
    in_transaction: bool,
    /// When a statement last came back on it: a connection that worked a moment ago is
    /// handed out without a check of its own (see [`Connector::is_valid`]).
    last_answer: Option<std::time::Instant>,
}

/// How recently a connection must have answered to be handed out unchecked (HikariCP's
/// "alive bypass window" is 500 ms): a busy connector does not pay a round trip for each
/// transaction's check, an idle connection (the one a restarted server or a NAT closed) is
/// checked.
const CHECKED_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

impl Conn {
    /// Opens a connection to `config` with `tls`.
    fn open(config: &tokio_postgres::Config, tls: &tls::Tls) -> Result<Conn, tls::ConnectError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| tls::ConnectError::from_io(&e))?;
        let client = runtime.block_on(tls.open(config))?;
        Ok(Conn {
            runtime: Some(runtime),
            client: Some(client),
            statements: HashMap::new(),
            in_transaction: false,
            last_answer: None,
        })
    }

    /// Runs `work` with the client, waiting here for its answer. Not on an async thread
    /// (the store is called on blocking threads).
    pub(super) fn call<T>(
        &mut self,
        work: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T> {
        let (runtime, client) = self.parts();
        Ok(runtime.block_on(work(client))?)
    }

    /// Closes the connection: the pool drops it rather than hand it out again (a session
    /// that may still hold a lock or be inside a transaction).
    pub(super) fn close(&mut self) {
        self.client = None;
    }

    fn parts(&self) -> (&Runtime, &tokio_postgres::Client) {
        match (&self.runtime, &self.client) {
            (Some(runtime), Some(client)) => (runtime, client),
            _ => panic!("a pooled connection has its client until dropped"),
        }
    }

    /// A transaction on this connection, begun with `begin` (`START TRANSACTION ...`), held
    /// to go with its first statement; after `before` (a statement outside the transaction
    /// with its parameters, such as taking a lock), when given.
    pub(super) fn begin<'c>(
        &'c mut self,
        before: Option<(&str, Owned)>,
        begin: &str,
        sealer: &'c Sealer,
    ) -> Result<PgTx<'c>> {
        let Conn {
            runtime: Some(runtime),
            client: Some(client),
            statements,
            in_transaction,
            last_answer,
        } = self
        else {
            panic!("a pooled connection has its client until dropped")
        };
        *in_transaction = true;
        let mut tx = PgTx {
            runtime,
            client,
            statements,
            in_transaction,
            last_answer,
            sent: false,
            held: Vec::new(),
            late: false,
            sealer,
            announced: HashSet::new(),
            aborted: None,
            remembered: Remembered::default(),
            held_views: None,
        };
        if let Some((sql, params)) = before {
            tx.later(sql, params, false)?;
        }
        tx.later(begin, Vec::new(), false)?;
        Ok(tx)
    }
}

impl Drop for Conn {
    /// A runtime may not be dropped on an async thread (where the last handle on the store
    /// may be dropped): there, the connection is closed on a thread of its own.
    fn drop(&mut self) {
        let (runtime, client) = (self.runtime.take(), self.client.take());
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::spawn(move || drop((client, runtime)));
        } else {
            drop((client, runtime));
        }
    }
}

/// Opens connections for the pool.
#[derive(Debug)]
pub struct Connector {
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: tls::Tls,
}

impl r2d2::ManageConnection for Connector {
    type Connection = Conn;
    type Error = tls::ConnectError;

    fn connect(&self) -> std::result::Result<Conn, tls::ConnectError> {
        Conn::open(&self.config, &self.tls)
    }

    /// Checks a connection before it is handed out, unless it answered within
    /// [`CHECKED_AFTER`]: one that died since fails its transaction's first statement, and
    /// the pool then drops it ([`Connector::has_broken`]).
    #[allow(clippy::disallowed_methods)] // A connection's age, not the domain's time.
    fn is_valid(&self, conn: &mut Conn) -> std::result::Result<(), tls::ConnectError> {
        if conn
            .last_answer
            .is_some_and(|at| at.elapsed() < CHECKED_AFTER)
        {
            return Ok(());
        }
        let (runtime, client) = conn.parts();
        runtime.block_on(client.simple_query(""))?;
        conn.last_answer = Some(std::time::Instant::now());
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.in_transaction
            || conn
                .client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
    }
}

/// A statement's parameters.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A held statement's parameters (owned: it is sent later).
pub(crate) type Owned = Vec<Box<dyn ToSql + Sync + Send>>;

/// A write held until the next statement is sent (see the module's docs).
struct Held {
    statement: Statement,
    params: Owned,
    /// It must touch a row (`touched`): none is `NotFound`.
    touch: bool,
}

/// A transaction on the PostgreSQL store: what [`crate::store::Tx`] is for this backend.
pub struct PgTx<'c> {
    runtime: &'c Runtime,
    client: &'c tokio_postgres::Client,
    statements: &'c mut HashMap<String, Statement>,
    /// Set until the transaction ends (see [`Conn`]).
    in_transaction: &'c mut bool,
    /// See [`Conn`]: set when a statement's answer comes back.
    last_answer: &'c mut Option<std::time::Instant>,
    /// Whether anything was sent (the held `START TRANSACTION` at least).
    sent: bool,
    /// Writes not sent yet, in order.
    held: Vec<Held>,
    /// A held write that had to touch a row touched none: the transaction cannot commit.
    late: bool,
    pub(crate) sealer: &'c Sealer,
    /// The users this transaction announced events to (each is notified once, at commit).
    pub(crate) announced: HashSet<UserId>,
    /// The first statement that failed (see [`PgTx::noted`]).
    pub(super) aborted: Option<Aborted>,
    /// Reads answered from memory after the first time (see [`super::remember`]).
    pub(super) remembered: Remembered,
    /// See [`crate::store::EventTx::held_views`].
    pub(super) held_views: Option<Vec<multiline_domain::ids::ThreadId>>,
}

impl PgTx<'_> {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        self.remembered.forget_for(sql);
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.runtime.block_on(self.client.prepare(sql));
        let statement = self.noted(statement)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// A statement's outcome; its error noted first. After any error PostgreSQL takes
    /// nothing more in the transaction and turns its COMMIT into a ROLLBACK without an
    /// error: work that went on after one (a `NotFound` it expected) must not be reported
    /// as committed ([`super::PgStore::run`] checks).
    pub(super) fn noted<T>(
        &mut self,
        outcome: std::result::Result<T, tokio_postgres::Error>,
    ) -> Result<T> {
        outcome.map_err(|e| {
            if self.aborted.is_none() {
                self.aborted = Some(Aborted {
                    code: e.code().cloned(),
                    // PostgreSQL's own words and code ("db error" alone says nothing).
                    message: e.as_db_error().map_or_else(
                        || e.to_string(),
                        |db| format!("{} ({})", db.message(), db.code().code()),
                    ),
                });
            }
            e.into()
        })
    }

    /// Sends the held writes with `last` (one round trip), then answers `last`'s outcome;
    /// or the first held write's failure.
    fn with_held<T>(
        &mut self,
        last: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        let (failure, last) = self.send_held(last);
        match failure {
            Some(error) => Err(error),
            None => last,
        }
    }

    /// [`PgTx::with_held`]'s round trip: the first held write's failure, and `last`'s
    /// outcome (both noted).
    fn send_held<T>(
        &mut self,
        last: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> (Option<Error>, Result<T>) {
        let held = std::mem::take(&mut self.held);
        self.sent = true;
        let (outcomes, last) = self.runtime.block_on(together(self.client, &held, last));
        self.answered();
        let mut failure = None;
        for (h, outcome) in held.iter().zip(outcomes) {
            match self.noted(outcome) {
                Ok(0) if h.touch => {
                    self.late = true;
                    failure.get_or_insert(Error::NotFound);
                }
                Ok(_) => {}
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
        let last = self.noted(last);
        (failure, last)
    }

    /// Runs a statement: the rows it touched.
    pub(crate) fn exec(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.statement(sql)?;
        let client = self.client;
        self.with_held(client.execute(&statement, params))
    }

    /// Holds a write to send with the next statement (see the module's docs); with `touch`,
    /// it must touch a row.
    pub(crate) fn later(&mut self, sql: &str, params: Owned, touch: bool) -> Result<()> {
        let statement = self.statement(sql)?;
        self.held.push(Held {
            statement,
            params,
            touch,
        });
        Ok(())
    }

    /// The one row of a query, if any.
    pub(crate) fn opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        let client = self.client;
        self.with_held(client.query_opt(&statement, params))
    }

    /// The one row of a query (`NotFound` when there is none).
    pub(crate) fn one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        self.opt(sql, params)?.ok_or(Error::NotFound)
    }

    /// Every row of a query.
    pub(crate) fn all(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let client = self.client;
        self.with_held(client.query(&statement, params))
    }

    /// Every row of one query for each of `each` parameters, all sent at once (one round
    /// trip, with what is held): a list's reads that do not depend on one another.
    pub(crate) fn all_each(
        &mut self,
        sql: &str,
        each: &[Vec<&(dyn ToSql + Sync)>],
    ) -> Result<Vec<Vec<Row>>> {
        if each.is_empty() {
            return Ok(Vec::new());
        }
        let statement = self.statement(sql)?;
        let client = self.client;
        let queries = each.iter().map(|params| client.query(&statement, params));
        self.with_held(futures_util::future::try_join_all(queries))
    }

    /// Notes that the connection answered now.
    #[allow(clippy::disallowed_methods)] // A connection's age, not the domain's time.
    fn answered(&mut self) {
        *self.last_answer = Some(std::time::Instant::now());
    }

    /// Sends what is held and commits, then runs `then` (statements outside the
    /// transaction, such as giving back a lock; none when empty), in one round trip; or,
    /// when a held write must touch a row (its count is checked before anything commits),
    /// in two. Ended either way (a COMMIT that fails, or that follows a failed statement,
    /// rolls back). Also whether `then` ran: a COMMIT that fails skips it, a COMMIT that
    /// rolls back does not.
    pub(super) fn commit(mut self, then: &str) -> (Result<()>, bool) {
        if self.held.iter().any(|h| h.touch) {
            let sent = self.with_held(std::future::ready(Ok(())));
            if let Err(error) = sent {
                self.rollback();
                return (Err(error), false);
            }
        }
        let client = self.client;
        let sql = match then {
            "" => "COMMIT".to_owned(),
            then => format!("COMMIT; {then}"),
        };
        let (failure, ended) = self.send_held(client.simple_query(&sql));
        *self.in_transaction = false;
        let then_ran = ended.is_ok();
        match (failure, ended) {
            (Some(error), _) | (None, Err(error)) => (Err(error), then_ran),
            (None, Ok(_)) => (Ok(()), then_ran),
        }
    }

    /// Ends the transaction without its changes (what is held is not sent).
    pub(super) fn rollback(self) {
        if !self.sent {
            // Not even begun on the server.
            *self.in_transaction = false;
            return;
        }
        let client = self.client;
        match self.runtime.block_on(client.batch_execute("ROLLBACK")) {
            Ok(()) => *self.in_transaction = false,
            // The connection stays marked: the pool drops it.
            Err(error) => tracing::warn!(%error, "rolling back a store transaction"),
        }
    }

    /// Whether a held write that had to touch a row touched none (told by the call that
    /// sent it; the transaction must not commit even if the work went on).
    pub(super) fn late(&self) -> bool {
        self.late
    }
}

/// Sends `held` in order, then `last`, and waits for every answer. Each future sends its
/// statement when first polled; all are polled in order, so the server gets them in order
/// (and answers in order, each after the one before).
async fn together<T>(
    client: &tokio_postgres::Client,
    held: &[Held],
    last: impl Future<Output = T>,
) -> (Vec<std::result::Result<u64, tokio_postgres::Error>>, T) {
    let params: Vec<Vec<&(dyn ToSql + Sync)>> = held
        .iter()
        .map(|h| {
            h.params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect()
        })
        .collect();
    let mut sent: Vec<Pin<Box<MaybeDone<_>>>> = held
        .iter()
        .zip(&params)
        .map(|(h, p)| Box::pin(maybe_done(client.execute(&h.statement, p))))
        .collect();
    let mut last = pin!(maybe_done(last));
    std::future::poll_fn(|cx| {
        let mut done = true;
        for f in &mut sent {
            done &= f.as_mut().poll(cx).is_ready();
        }
        done &= last.as_mut().poll(cx).is_ready();
        if done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    let outcomes = sent
        .iter_mut()
        .map(|f| f.as_mut().take_output().expect("polled to the end"))
        .collect();
    (outcomes, last.take_output().expect("polled to the end"))
}

/// The first statement that failed in a transaction: PostgreSQL aborted the transaction
/// there, whatever the work did with the error.
#[derive(Debug)]
pub(super) struct Aborted {
    pub(super) code: Option<SqlState>,
    message: String,
}

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Aborted {}
