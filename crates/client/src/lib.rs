//! The app's core: everything the MultiLine app does that is not drawing. It knows no Tauri
//! and is tested headless against the real connector and simulator.
//!
//! By use case, each an `impl Client` block in its module:
//! - [`contacts`]: the address book (F2-F3);
//! - [`threads`]: the lists, the open thread, reading, participants (F10-F13, F19-F20);
//! - [`sending`]: text, pictures, templates and the opt-in, decided by the domain's one rule
//!   before they reach the outbox (F4-F9, F15-F18);
//! - [`account`]: the connector's address, signing in and out, the keychain.
//!
//! And what runs behind them:
//! - [`connector`]: the `/v1` API client (the bearer token stays in Rust).
//! - [`cache`]: the local SQLite cache the UI reads first.
//! - [`sync`]: first sync, then one WebSocket whose events are applied in order, the last
//!   sequence number stored with each change, resumed after reconnects.
//! - [`outbox`]: messages are written locally before any network call, then sent in order;
//!   the client id is the connector's idempotency key, so a retry never duplicates.
//! - [`keychain`]: the session token in the OS keychain.
//! - [`photo`]: pictures through the photo pipeline, off the async runtime.
//! - [`view`]: what the UI renders, rules already applied.

pub mod account;
pub mod cache;
pub mod connector;
pub mod consent;
pub mod contacts;
pub mod documents;
mod errors;
pub mod keychain;
pub mod media;
pub mod outbox;
pub mod photo;
pub mod search;
pub mod sending;
pub mod sync;
pub mod threads;
pub mod view;
mod windows;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use multiline_domain::api::Session;
use multiline_domain::ids::{ClockIds, IdSource};
use multiline_domain::time::{Clock, Timestamp};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use crate::cache::{Cache, CacheError};
use crate::connector::ConnectorApi;
use crate::view::{SyncState, ThreadSummary, UiEvent};

pub use account::connector_url;
pub use errors::{ClientError, Result};

/// Where the app keeps its files and which connector it talks to.
#[derive(Clone)]
pub struct ClientConfig {
    pub data_dir: PathBuf,
    pub connector_url: String,
    pub clock: Arc<dyn Clock>,
    /// Where new ids come from (client message ids, prepared pictures).
    pub ids: Arc<dyn IdSource>,
    /// The version the app names to the connector (this build's; tests name others).
    pub app_version: String,
}

impl ClientConfig {
    /// A configuration whose ids follow `clock`.
    pub fn new(data_dir: PathBuf, connector_url: String, clock: Arc<dyn Clock>) -> ClientConfig {
        ClientConfig {
            data_dir,
            connector_url,
            ids: Arc::new(ClockIds::new(clock.clone())),
            clock,
            app_version: multiline_domain::version::THIS.to_owned(),
        }
    }
}

pub(crate) struct Inner {
    pub api: ConnectorApi,
    /// The account's folder (cache file, `media/`).
    pub dir: PathBuf,
    pub cache: Arc<Cache>,
    pub session: Session,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub events: broadcast::Sender<UiEvent>,
    pub sync: Mutex<SyncState>,
    pub outbox_wake: Notify,
    /// Wakes the window timer for a pass over every thread (the clock jumped).
    pub windows_wake: Notify,
    /// A changed thread's next moment, for the window timer to wake at (no pass needed now).
    pub windows_moment: Mutex<Option<Timestamp>>,
    pub windows_moment_wake: Notify,
}

impl Inner {
    /// Runs a cache call on a blocking thread.
    pub async fn cache<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Cache) -> std::result::Result<T, CacheError> + Send + 'static,
    ) -> Result<T> {
        let cache = self.cache.clone();
        Ok(tokio::task::spawn_blocking(move || f(&cache))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?)
    }

    pub fn emit(&self, event: UiEvent) {
        // Nobody listening (no window yet) is fine: the UI loads from the cache.
        let _ = self.events.send(event);
    }

    pub fn set_sync(&self, state: SyncState) {
        let mut current = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if *current != state {
            *current = state.clone();
            drop(current);
            self.emit(UiEvent::SyncStateChanged { sync: state });
        }
    }

    pub fn summary(&self, thread: &multiline_domain::api::Thread) -> ThreadSummary {
        view::summary(
            thread,
            self.session.organization.whatsapp_enabled,
            self.clock.now(),
        )
    }
}

/// A signed-in app core. Dropping it stops its background work (what is queued stays queued
/// in the cache and resumes with the next `Client`).
pub struct Client {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Client {
    /// Signs in to the connector and starts syncing. The cache is one SQLite file per account.
    pub async fn sign_in(config: ClientConfig, email: &str, password: &str) -> Result<Client> {
        let (api, session) =
            ConnectorApi::sign_in(&config.connector_url, &config.app_version, email, password)
                .await?;
        Self::start(config, api, session).await
    }

    /// Resumes with a token from an earlier sign-in.
    pub async fn resume(config: ClientConfig, token: String) -> Result<Client> {
        let api = ConnectorApi::with_token(&config.connector_url, &config.app_version, token);
        let session = api.me().await?;
        Self::start(config, api, session).await
    }

    async fn start(config: ClientConfig, api: ConnectorApi, session: Session) -> Result<Client> {
        let dir = config
            .data_dir
            .join("accounts")
            .join(session.user.id.to_string());
        let account_dir = dir.clone();
        let cache =
            tokio::task::spawn_blocking(move || -> std::result::Result<Cache, CacheError> {
                Cache::open(&dir.join("cache.sqlite3"))
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        let inner = Arc::new(Inner {
            api,
            dir: account_dir,
            cache: Arc::new(cache),
            session,
            clock: config.clock,
            ids: config.ids,
            events: broadcast::channel(1024).0,
            sync: Mutex::new(SyncState::Connecting),
            outbox_wake: Notify::new(),
            windows_wake: Notify::new(),
            windows_moment: Mutex::new(None),
            windows_moment_wake: Notify::new(),
        });
        let tasks = vec![
            tokio::spawn(sync::run(inner.clone())),
            tokio::spawn(outbox::run(inner.clone())),
            tokio::spawn(windows::run(inner.clone())),
        ];
        Ok(Client { inner, tasks })
    }

    /// Signs out: the connector forgets the token and this client stops syncing and sending.
    /// The account's cache stays on disk (its queued messages go out at the next sign-in).
    /// A connector that cannot be reached is not an error: the token is forgotten here anyway,
    /// and expires there.
    pub async fn sign_out(&self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Err(error) = self.inner.api.sign_out().await {
            tracing::info!(%error, "the connector was not told of the sign-out");
        }
        self.inner.set_sync(SyncState::SignedOut);
    }

    /// The core's clock (the demo's can be moved).
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Re-evaluates every thread's composer now (after the clock moved).
    pub fn clock_moved(&self) {
        self.inner.windows_wake.notify_one();
        self.inner.emit(UiEvent::ClockMoved {
            now: self.inner.clock.now(),
        });
    }

    /// Live changes for the UI.
    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.inner.events.subscribe()
    }

    pub fn session(&self) -> Session {
        self.inner.session.clone()
    }

    /// The bearer token (for the keychain; never for the webview).
    pub fn token(&self) -> String {
        self.inner.api.token().to_owned()
    }

    pub fn sync_state(&self) -> SyncState {
        self.inner
            .sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the first sync has filled the cache (or failed).
    pub async fn wait_synced(&self) {
        let mut events = self.subscribe();
        loop {
            match self.sync_state() {
                SyncState::Online | SyncState::Error { .. } | SyncState::SignedOut => return,
                _ => {}
            }
            if events.recv().await.is_err() {
                return;
            }
        }
    }
}
