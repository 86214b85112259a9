//! The MultiLine WhatsApp connector: the organization's server and the authority on every
//! rule. It owns users, contacts, threads, messages and consent; sends through the WhatsApp
//! Cloud API from a durable queue; takes the Cloud API's signed webhooks; and pushes every
//! change a user may see over one WebSocket per app, numbered per user so that nothing is
//! missed or seen twice.
//!
//! - [`store`]: SQLite, the transactional heart: a change and its events commit together.
//! - [`api`]: `/v1` (JSON, bearer tokens) and `/v1/events` (WebSocket).
//! - [`webhooks`]: verification and the durable webhook inbox.
//! - [`carrier`]: SMS and voicemail through the line's carrier (Twilio), F22.
//! - [`dispatch`]: the outbound worker.
//! - [`admin`]: what the admin commands of the binary do.
//! - [`demo`]: the embedded demo (connector + simulator, seeded) used by `make run` and tests.

pub mod admin;
pub mod api;
pub mod carrier;
pub mod cloud;
pub mod demo;
pub mod dispatch;
pub mod store;
pub mod templates;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use multiline_domain::ids::UserId;
use multiline_domain::time::Clock;
use tokio::net::TcpListener;
use tokio::sync::{Notify, broadcast};

use crate::store::Store;

/// Everything a request handler or worker needs.
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// "user U has new events": wakes U's WebSockets.
    pub live: broadcast::Sender<UserId>,
    /// Wakes the dispatch worker.
    pub dispatch: Arc<Notify>,
    /// Wakes the webhook processor.
    pub inbox: Arc<Notify>,
    pub cloud: cloud::CloudApi,
    /// SMS and voice providers (F22).
    pub carriers: Arc<carrier::Carriers>,
    /// The connector's address as its carrier reaches it (`--public-url`; else the address
    /// it listens on): status callback URLs and webhook signatures are built on it.
    pub public_url: String,
    /// Sends per second and business number: the Cloud API's default throughput (80).
    pub send_rate: Arc<governor::DefaultKeyedRateLimiter<uuid::Uuid>>,
    /// Becomes true when the connector shuts down: long-lived work (event sockets) ends.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The Cloud API's default throughput per business phone number (messages per second).
pub const SENDS_PER_SECOND: std::num::NonZeroU32 = std::num::NonZeroU32::new(80).unwrap();

impl Ctx {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Ctx {
        Ctx {
            store,
            clock,
            live: broadcast::channel(1024).0,
            dispatch: Arc::new(Notify::new()),
            inbox: Arc::new(Notify::new()),
            cloud: cloud::CloudApi::default(),
            carriers: Arc::new(carrier::Carriers::default()),
            public_url: String::new(),
            send_rate: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_second(
                SENDS_PER_SECOND,
            ))),
            stopping: tokio::sync::watch::channel(false).1,
        }
    }

    /// Runs a store call on a blocking thread.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> store::Result<T> + Send + 'static,
    ) -> store::Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Wakes the WebSockets of users who have new events.
    pub fn tell(&self, users: impl IntoIterator<Item = UserId>) {
        for user in users {
            // No receivers is fine: nobody of that user is connected.
            let _ = self.live.send(user);
        }
    }
}

/// `{public_url}/webhooks/carrier/{line}/{kind}`.
pub fn carrier_webhook_url(public_url: &str, line: uuid::Uuid, kind: &str) -> String {
    format!(
        "{}/webhooks/carrier/{line}/{kind}",
        public_url.trim_end_matches('/')
    )
}

/// Waits until [`Connector::shutdown`] is called; forever if it never is (dropping the
/// last `Connector` handle does not stop the server).
pub async fn until_stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A running connector.
#[derive(Clone)]
pub struct Connector {
    pub ctx: Ctx,
    addr: SocketAddr,
    stop: Arc<Stop>,
}

/// What [`Connector::shutdown`] stops.
struct Stop {
    signal: tokio::sync::watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Connector {
    /// Starts the HTTP server on `listener`, the dispatch worker and the webhook processor.
    /// Messages that were in flight when a previous process died are failed first (never
    /// re-sent: see [`store::Store::recover_in_flight`]).
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> anyhow::Result<Connector> {
        Connector::start_with(store, clock, listener, None).await
    }

    /// [`Connector::start`], with the address the carrier reaches the connector at (its
    /// webhooks are signed over it); without one, the address it listens on.
    pub async fn start_with(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
        public_url: Option<String>,
    ) -> anyhow::Result<Connector> {
        let mut ctx = Ctx::new(store, clock);
        ctx.public_url = public_url.unwrap_or_default();
        let (signal, stopped) = tokio::sync::watch::channel(false);
        ctx.stopping = stopped.clone();
        let now = ctx.clock.now();
        let told = ctx.db(move |s| s.recover_in_flight(now)).await?;
        ctx.tell(told);
        let addr = listener.local_addr()?;
        if ctx.public_url.is_empty() {
            ctx.public_url = format!("http://{addr}");
        }
        let app = api::router(ctx.clone());
        let mut stopped = stopped;
        let server = tokio::spawn(async move {
            let shutdown = async move { until_stopped(&mut stopped).await };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "connector server stopped");
            }
        });
        let tasks = vec![
            server,
            dispatch::spawn(ctx.clone()),
            webhooks::spawn_processor(ctx.clone()),
        ];
        let stop = Arc::new(Stop {
            signal,
            tasks: std::sync::Mutex::new(tasks),
        });
        Ok(Connector { ctx, addr, stop })
    }

    /// Stops serving and working, as a process exit would (what is queued stays in the
    /// store). Open event sockets end too.
    pub async fn shutdown(&self) {
        let _ = self.stop.signal.send(true);
        let tasks = std::mem::take(&mut *self.stop.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
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
        carrier_webhook_url(&self.ctx.public_url, line, kind)
    }
}
