//! A running connector: the HTTP server, the dispatch worker, the inbox worker and the
//! API-version watch, started together and stopped together.

use std::net::SocketAddr;
use std::sync::Arc;

use multiline_domain::time::{Clock, Timestamp};
use tokio::net::TcpListener;

use crate::ctx::Ctx;
use crate::store::Store;
use crate::usecases::deliver;

/// A running connector.
#[derive(Clone)]
pub struct Connector {
    pub ctx: Ctx,
    addr: SocketAddr,
    stop: Arc<Stop>,
}

/// What [`Connector::shutdown`] and [`Connector::stop`] stop.
struct Stop {
    signal: tokio::sync::watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<(&'static str, tokio::task::JoinHandle<()>)>>,
    /// The store's feed of other instances' commits, while the connector runs.
    _following: Option<Box<dyn Send + Sync>>,
}

/// The tasks that end by themselves when the connector stops (after finishing what they
/// hold); the others are cut.
const SERVER: &str = "http server";
const DISPATCH: &str = "dispatch";
const INBOX: &str = "inbox";

/// How often the lines' Graph API versions are checked against Meta's schedule.
const VERSION_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 60 * 60);

/// At start, then every [`VERSION_CHECK_EVERY`]: tells the owners of lines whose Graph API
/// version ends soon (see `usecases::api_versions::watch`; each warning once, so checking
/// often costs nothing).
fn watch_api_versions(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if my_turn(&ctx, "api version watch", VERSION_CHECK_EVERY).await {
                match ctx.run(crate::usecases::api_versions::watch).await {
                    Ok(told) => ctx.tell(told),
                    Err(error) => {
                        tracing::warn!(%error, "checking the lines' API versions failed")
                    }
                }
            }
            tokio::time::sleep(pace(&ctx, VERSION_CHECK_EVERY)).await;
        }
    })
}

/// Whether this instance does the periodic `job` now (see [`Store::claim_periodic`]); if the
/// store cannot say, it does (the jobs are idempotent: twice is better than never).
pub(crate) async fn my_turn(ctx: &Ctx, job: &'static str, every: std::time::Duration) -> bool {
    let store = ctx.store.clone();
    match tokio::task::spawn_blocking(move || store.claim_periodic(job, every)).await {
        Ok(Ok(mine)) => mine,
        Ok(Err(error)) => {
            tracing::warn!(%error, job, "claiming a periodic run");
            true
        }
        Err(_) => true,
    }
}

/// How often a periodic job's turn is asked for: each period alone; several instances ask
/// six times a period, so that one of them starts it soon after the period ends.
fn pace(ctx: &Ctx, every: std::time::Duration) -> std::time::Duration {
    if ctx.store.shared() { every / 6 } else { every }
}

/// How often a line paused for its credentials is probed (see
/// `usecases::deliver::PROBED_CODES`).
const PROBE_PAUSED_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Every [`PROBE_PAUSED_EVERY`]: a line paused because WhatsApp refused its token is asked
/// for its templates (a read that sends nothing); when that works again, the line resumes
/// and its queue goes out.
fn probe_paused_lines(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(pace(&ctx, PROBE_PAUSED_EVERY)).await;
            if !my_turn(&ctx, "paused lines probe", PROBE_PAUSED_EVERY).await {
                continue;
            }
            if let Err(error) = crate::template_sync::probe_paused(&ctx).await {
                tracing::warn!(%error, "probing the paused lines failed");
            }
        }
    })
}

/// How often the store is asked whether an admin command wrote to it.
const OUTSIDE_WRITES_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Every [`OUTSIDE_WRITES_EVERY`]: when another process committed to the store (an admin
/// revoked sessions or disabled a user), open event sockets re-check their sessions, so a
/// revoked app is cut off within a second. One cheap read, whatever the number of sockets.
fn watch_outside_writes(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = None;
        loop {
            let store = ctx.store.clone();
            match tokio::task::spawn_blocking(move || store.outside_writes()).await {
                Ok(Ok(now)) => {
                    if seen.is_some_and(|seen| seen != now) {
                        ctx.sessions_may_have_ended();
                    }
                    seen = Some(now);
                }
                Ok(Err(error)) => tracing::warn!(%error, "reading the store's write counter"),
                Err(error) => tracing::warn!(%error, "reading the store's write counter"),
            }
            tokio::time::sleep(OUTSIDE_WRITES_EVERY).await;
        }
    })
}

pub use crate::ctx::CLAIM_LEASE;

/// Every [`Ctx::lease_check_every`], on a store several instances share: messages whose
/// claim's lease ran out (their instance died in the middle of the send) are recovered as
/// at the start of a lone connector: not confirmed, never sent again. Each instance looks;
/// the store's transactions make one of them do it.
fn watch_leases(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    let lease = ctx.claim_lease;
    tokio::spawn(async move {
        loop {
            match ctx
                .run(move |env| deliver::recover_in_flight(env, env.now - lease))
                .await
            {
                Ok(told) => ctx.tell(told),
                Err(error) => tracing::warn!(%error, "recovering expired claims failed"),
            }
            tokio::time::sleep(ctx.lease_check_every).await;
        }
    })
}

impl Connector {
    /// Starts the HTTP server on `listener`, the dispatch worker and the inbox worker.
    /// Messages that were in flight when a previous process died are failed first (never
    /// re-sent: see [`deliver::recover_in_flight`]).
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> anyhow::Result<Connector> {
        Connector::start_with(Ctx::new(store, clock), listener, None).await
    }

    /// [`Connector::start`] with a context made by the caller (its providers, its ids), and
    /// the address the carrier reaches the connector at (its webhooks are signed over it);
    /// without one, the address it listens on.
    pub async fn start_with(
        mut ctx: Ctx,
        listener: TcpListener,
        public_url: Option<String>,
    ) -> anyhow::Result<Connector> {
        let (signal, stopped) = tokio::sync::watch::channel(false);
        ctx.stopping = stopped.clone();
        if !ctx.store.shared() {
            // The one process on this store: whatever is in flight, a dead process left.
            let told = ctx
                .run(|env| deliver::recover_in_flight(env, Timestamp::MAX_UTC))
                .await?;
            ctx.tell(told);
        }
        let following = ctx.store.follow_events(Box::new({
            let (live, missed) = (ctx.live.clone(), ctx.events_missed.clone());
            move |user| match user {
                Some(user) => {
                    let _ = live.send(user);
                }
                None => missed.send_modify(|n| *n = n.wrapping_add(1)),
            }
        }))?;
        let addr = listener.local_addr()?;
        ctx.public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
        let app = crate::api::router(ctx.clone());
        let limits = ctx.server_limits.clone();
        let server = tokio::spawn(crate::serve::serve(listener, app, limits, stopped));
        let tasks = vec![
            (SERVER, server),
            (DISPATCH, crate::dispatch::spawn(ctx.clone())),
            (INBOX, crate::inbox::spawn(ctx.clone())),
            ("api version watch", watch_api_versions(ctx.clone())),
            ("paused lines probe", probe_paused_lines(ctx.clone())),
            ("outside writes watch", watch_outside_writes(ctx.clone())),
        ];
        let mut tasks = tasks;
        if ctx.store.shared() {
            tasks.push(("lease watch", watch_leases(ctx.clone())));
        }
        for (name, task) in &tasks {
            ctx.workers.add(name, task);
        }
        let stop = Arc::new(Stop {
            signal,
            tasks: std::sync::Mutex::new(tasks),
            _following: following,
        });
        Ok(Connector { ctx, addr, stop })
    }

    /// Stops serving and working at once, as a process killed would (what is queued stays
    /// in the store; a send in flight is failed at the next start). Open event sockets end.
    pub async fn shutdown(&self) {
        let _ = self.stop.signal.send(true);
        for (_, task) in self.take_tasks() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Stops gracefully, as `SIGTERM` asks: stops accepting connections, lets the requests
    /// in flight finish, lets the dispatch worker record the send it is making and the inbox
    /// worker apply the batch it holds (each within [`crate::serve::ServerLimits::drain_timeout`]),
    /// then stops the rest. Nothing is left claimed that a next start would have to fail.
    pub async fn stop(&self) {
        let _ = self.stop.signal.send(true);
        let deadline = tokio::time::Instant::now() + self.ctx.server_limits.drain_timeout;
        for (name, mut task) in self.take_tasks() {
            if [SERVER, DISPATCH, INBOX].contains(&name)
                && tokio::time::timeout_at(deadline, &mut task).await.is_ok()
            {
                continue;
            }
            if [DISPATCH, INBOX].contains(&name) {
                tracing::warn!(worker = name, "still working after the drain timeout: cut");
            }
            task.abort();
            let _ = task.await;
        }
    }

    fn take_tasks(&self) -> Vec<(&'static str, tokio::task::JoinHandle<()>)> {
        std::mem::take(&mut *self.stop.tasks.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The webhook callback URL of a line, to configure at Meta (or in the simulator).
    pub fn webhook_url(&self, line: uuid::Uuid) -> String {
        format!("{}/webhooks/whatsapp/{line}", self.url())
    }

    /// A line's carrier webhook URL for `kind` (`sms`, `status`, `voice`, `recording`,
    /// `transcription`), to configure at the carrier (or in the simulator).
    pub fn carrier_webhook_url(&self, line: uuid::Uuid, kind: &str) -> String {
        self.ctx.carrier_webhook_url(line, kind)
    }
}
