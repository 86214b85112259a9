//! What a request handler or a worker runs with: the store, the clock and the ids, the
//! providers, and the signals between the parts of a running connector.

use std::sync::Arc;

use multiline_domain::ids::{ClockIds, IdSource, UserId};
use multiline_domain::time::Clock;
use tokio::sync::{Notify, broadcast};

use crate::error::Result;
use crate::providers::Carriers;
use crate::providers::whatsapp::{CloudApi, WhatsApp};
use crate::store::Store;
use crate::usecases::Env;

/// The Cloud API's default throughput per business phone number (messages per second).
pub const SENDS_PER_SECOND: std::num::NonZeroU32 = std::num::NonZeroU32::new(80).unwrap();

/// How long a claim on a message in flight holds by default on a store several instances
/// share ([`Ctx::claim_lease`]): a send takes at most the Cloud API's timeout (20 s) and an
/// upload; a claim older than this is a dead instance's.
pub const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(2);

#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Where new ids come from (stamped with `clock`).
    pub ids: Arc<dyn IdSource>,
    /// "user U has new events": wakes U's WebSockets.
    pub live: broadcast::Sender<UserId>,
    /// Wakes the dispatch worker.
    pub dispatch: Arc<Notify>,
    /// Wakes the inbox worker.
    pub inbox: Arc<Notify>,
    pub whatsapp: Arc<dyn WhatsApp>,
    /// SMS and voice providers (F22).
    pub carriers: Arc<Carriers>,
    /// The connector's address as its carrier reaches it (`--public-url`; else the address
    /// it listens on): status callback URLs and webhook signatures are built on it.
    pub public_url: String,
    /// Sends per second and business number: the Cloud API's default throughput (80).
    pub send_rate: Arc<governor::DefaultKeyedRateLimiter<uuid::Uuid>>,
    /// Counts wrong passwords per account and address (see [`crate::throttle`]).
    pub sign_in_throttle: Arc<crate::throttle::SignInThrottle>,
    /// Where passwords are checked, a few at once in memory kept for it (see
    /// [`crate::passwords`]).
    pub password_slots: Arc<crate::passwords::Slots>,
    /// Moves when sessions may have ended (a sign-out here, or an admin command's write to
    /// the store): open event sockets re-check theirs at once.
    pub sessions_changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// The HTTP server's timeouts and connection cap.
    pub server_limits: crate::serve::ServerLimits,
    /// Becomes true when the connector shuts down: long-lived work (event sockets) ends.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// What the connector tells its monitoring (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// When set, `GET /metrics` wants `Authorization: Bearer` this (`--metrics-token`).
    pub metrics_token: Option<String>,
    /// The background workers, for `GET /readyz`.
    pub workers: Arc<Workers>,
    /// Moves when events may have been committed that nobody was told of (the store's feed
    /// of other instances' commits reconnected): every event socket reads again.
    pub events_missed: Arc<tokio::sync::watch::Sender<u64>>,
    /// How often a store shared by several instances is searched for claims whose lease ran
    /// out (a dead instance's sends).
    pub lease_check_every: std::time::Duration,
    /// This process among the instances sharing a store: what its leases are held by.
    pub instance: uuid::Uuid,
    /// How long a claim on a send in flight holds on a store several instances share (a
    /// line's inbox: half as long, renewed with each batch); [`CLAIM_LEASE`]
    /// unless set (`serve --claim-lease`).
    pub claim_lease: chrono::Duration,
    /// The lines webhooks were last checked against (see [`crate::lines_seen`]).
    pub lines_seen: Arc<crate::lines_seen::SeenLines>,
}

/// The background workers of a running connector, by name: `GET /readyz` says whether each
/// still runs.
#[derive(Default)]
pub struct Workers(std::sync::Mutex<Vec<(&'static str, tokio::task::AbortHandle)>>);

impl Workers {
    pub fn add(&self, name: &'static str, task: &tokio::task::JoinHandle<()>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, task.abort_handle()));
    }

    /// The workers that ended (each runs until the connector stops, so none should).
    pub fn stopped(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, task)| task.is_finished())
            .map(|(name, _)| *name)
            .collect()
    }
}

impl Ctx {
    /// A context on `store`, whose transactions are timed into the context's metrics.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Ctx {
        let metrics = Arc::new(crate::metrics::Metrics::default());
        Ctx {
            store: Arc::new(crate::metrics::TimedStore {
                inner: store,
                metrics: metrics.clone(),
            }),
            ids: Arc::new(ClockIds::new(clock.clone())),
            clock,
            live: broadcast::channel(1024).0,
            dispatch: Arc::new(Notify::new()),
            inbox: Arc::new(Notify::new()),
            whatsapp: Arc::new(CloudApi::default()),
            carriers: Arc::new(Carriers::default()),
            public_url: String::new(),
            send_rate: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_second(
                SENDS_PER_SECOND,
            ))),
            sign_in_throttle: Arc::default(),
            password_slots: Arc::default(),
            sessions_changed: Arc::new(tokio::sync::watch::channel(0).0),
            server_limits: crate::serve::ServerLimits::default(),
            stopping: tokio::sync::watch::channel(false).1,
            metrics,
            metrics_token: None,
            workers: Arc::default(),
            events_missed: Arc::new(tokio::sync::watch::channel(0).0),
            lease_check_every: std::time::Duration::from_secs(5),
            instance: uuid::Uuid::new_v4(),
            claim_lease: CLAIM_LEASE,
            lines_seen: Arc::default(),
        }
    }

    /// The use cases' environment now (on the calling thread: blocking).
    pub fn env(&self) -> Env<'_> {
        Env {
            store: &*self.store,
            ids: &*self.ids,
            now: self.clock.now(),
        }
    }

    /// Runs a use case on a blocking thread, with the time it started at, in the caller's
    /// span (what it logs carries the request's id).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Env<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let ctx = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&ctx.env())))
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

    /// Tells open event sockets to re-check their sessions.
    pub fn sessions_may_have_ended(&self) {
        self.sessions_changed
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// `{public_url}/webhooks/carrier/{line}/{kind}`.
    pub fn carrier_webhook_url(&self, line: uuid::Uuid, kind: &str) -> String {
        format!(
            "{}/webhooks/carrier/{line}/{kind}",
            self.public_url.trim_end_matches('/')
        )
    }
}
