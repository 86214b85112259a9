//! The account: which connector, who is signed in, and the session token kept in the OS
//! keychain. [`Account`] is the app core's state from start to exit: booting, signed in (a
//! [`Client`]), signed out (what the sign-in screen needs), or failed to start.
//!
//! Which connector: `MULTILINE_CONNECTOR_URL` if set, else the one the user last signed in
//! to (`settings.json` in the data folder), else the embedded demo, which the app provides
//! ([`DemoStarter`]: a connector and the Cloud API simulator on loopback, in the app's
//! process). A configured connector resumes with the token kept in the OS keychain while
//! the connector still accepts it; otherwise the app shows the sign-in screen (or, for
//! scripts, signs in with `MULTILINE_EMAIL` / `MULTILINE_PASSWORD`). The demo signs in by
//! itself as its first user (or `MULTILINE_DEMO_USER`); its sign-in screen lists the demo
//! accounts.

mod settings;
mod url;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use multiline_domain::errors::ErrorCode;
use multiline_domain::time::{Clock, OffsetClock, SystemClock};
use tokio::sync::watch;

use crate::keychain::{self, Keychain};
use crate::view::{AccountState, AppError, DemoAccount, SyncState};
use crate::{Client, ClientConfig};
use settings::Settings;
pub use url::connector_url;

/// The demo the app runs when no connector is configured: started by the app (which links
/// the connector and the simulator; the core does not), seeded, on loopback.
pub struct Demo {
    /// Where its connector listens.
    pub connector_url: String,
    /// Its users, with the password the demo publishes.
    pub accounts: Vec<DemoAccount>,
    /// Keeps the demo running while the app does.
    pub running: Box<dyn std::any::Any + Send + Sync>,
}

/// A demo's failure to start, in words for the log.
pub type DemoError = Box<dyn std::error::Error + Send + Sync>;

/// Starts the demo: its connector's data under `data_dir`, on `clock` (the system's plus
/// an offset the demo's guest phone can move; `clock_moved` is to be called when it does).
pub trait DemoStarter: Send + Sync {
    fn start(
        &self,
        data_dir: PathBuf,
        clock: Arc<OffsetClock>,
        clock_moved: Arc<dyn Fn() + Send + Sync>,
    ) -> Pin<Box<dyn Future<Output = Result<Demo, DemoError>> + Send + '_>>;
}

/// How the app starts: its data folder and what the environment asks for.
#[derive(Debug, Clone, Default)]
pub struct BootOptions {
    /// The app's data folder (`MULTILINE_DATA_DIR`, else the OS's app data folder).
    pub data_dir: PathBuf,
    /// `MULTILINE_CONNECTOR_URL`: this connector, not the demo.
    pub connector_url: Option<String>,
    /// `MULTILINE_EMAIL`, with the connector above.
    pub email: Option<String>,
    /// `MULTILINE_PASSWORD`: signs in by itself when there is no kept session (scripts).
    pub password: Option<String>,
    /// `MULTILINE_DEMO_USER`: the demo user to sign in as.
    pub demo_user: Option<String>,
}

impl BootOptions {
    /// The options the environment gives, with `default_data_dir` when it names none.
    pub fn from_env(default_data_dir: PathBuf) -> BootOptions {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        BootOptions {
            data_dir: var("MULTILINE_DATA_DIR").map_or(default_data_dir, PathBuf::from),
            connector_url: var("MULTILINE_CONNECTOR_URL"),
            email: var("MULTILINE_EMAIL"),
            password: var("MULTILINE_PASSWORD"),
            demo_user: var("MULTILINE_DEMO_USER"),
        }
    }
}

/// The core's state.
#[derive(Clone)]
enum BootState {
    Booting,
    Ready(Arc<Client>),
    SignedOut,
    Failed(AppError),
}

/// Fixed once booted.
struct Booted {
    data_dir: PathBuf,
    /// The embedded demo, when no connector is configured, and its movable clock.
    demo: Option<(Demo, Arc<OffsetClock>)>,
}

/// Called with each client that signs in (the app forwards its events to the window).
pub type OnReady = Box<dyn Fn(&Arc<Client>) + Send + Sync>;

/// The app core from start to exit.
pub struct Account {
    state: watch::Sender<BootState>,
    booted: Mutex<Option<Arc<Booted>>>,
    settings: Mutex<Settings>,
    /// Why the user was signed out, when it was not their choice.
    reason: Mutex<Option<String>>,
    on_ready: OnReady,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Account {
    pub fn new(on_ready: OnReady) -> Account {
        Account {
            state: watch::channel(BootState::Booting).0,
            booted: Mutex::new(None),
            settings: Mutex::new(Settings::default()),
            reason: Mutex::new(None),
            on_ready,
        }
    }

    /// The signed-in client, waiting for the boot to finish.
    pub async fn client(&self) -> Result<Arc<Client>, AppError> {
        match self.settled().await {
            BootState::Ready(client) => Ok(client),
            BootState::SignedOut => {
                Err(AppError::new(ErrorCode::SignedOut, "Sign in to continue."))
            }
            BootState::Failed(error) => Err(error),
            BootState::Booting => Err(AppError::new(
                ErrorCode::ShuttingDown,
                "The app is closing.",
            )),
        }
    }

    /// The state once the boot has finished (`Booting` only if the app is closing).
    async fn settled(&self) -> BootState {
        let mut rx = self.state.subscribe();
        rx.wait_for(|s| !matches!(s, BootState::Booting))
            .await
            .map(|s| s.clone())
            .unwrap_or(BootState::Booting)
    }

    /// The signed-in client, if there is one now (no waiting).
    pub fn current(&self) -> Option<Arc<Client>> {
        match &*self.state.borrow() {
            BootState::Ready(client) => Some(client.clone()),
            _ => None,
        }
    }

    fn booted(&self) -> Option<Arc<Booted>> {
        lock(&self.booted).clone()
    }

    fn demo_url(&self) -> Option<String> {
        self.booted()
            .and_then(|b| b.demo.as_ref().map(|(d, _)| d.connector_url.clone()))
    }

    /// What the UI shows: the inbox, the sign-in screen, or why the app cannot start.
    pub async fn state(&self) -> AccountState {
        let state = self.settled().await;
        let demo_url = self.demo_url();
        let settings = lock(&self.settings).clone();
        match state {
            BootState::Booting => AccountState::Booting,
            BootState::Failed(error) => AccountState::Failed { error },
            BootState::Ready(client) if client.sync_state() != SyncState::SignedOut => {
                AccountState::SignedIn {
                    session: client.session(),
                    demo: settings.is_demo(),
                    connector_url: settings.connector_url.or(demo_url).unwrap_or_default(),
                }
            }
            BootState::Ready(_) | BootState::SignedOut => {
                let reason = lock(&self.reason).clone().or_else(|| {
                    matches!(&*self.state.borrow(), BootState::Ready(_))
                        .then(|| "Your session ended. Sign in again.".to_owned())
                });
                let demo_accounts = self
                    .booted()
                    .and_then(|b| b.demo.as_ref().map(|(d, _)| d.accounts.clone()))
                    .unwrap_or_default();
                AccountState::SignedOut {
                    connector_url: settings.connector_url.or(demo_url).unwrap_or_default(),
                    email: settings.email,
                    demo_accounts,
                    reason,
                }
            }
        }
    }

    /// Signs in from the sign-in screen, replacing any earlier session.
    pub async fn sign_in(
        &self,
        connector_url: &str,
        email: &str,
        password: &str,
    ) -> Result<AccountState, AppError> {
        let booted = self.booted().ok_or_else(|| {
            AppError::new(
                ErrorCode::Booting,
                "The app is still starting. Try again in a moment.",
            )
        })?;
        let url = url::connector_url(connector_url)?;
        let email = email.trim();
        let demo_clock = booted
            .demo
            .as_ref()
            .filter(|(d, _)| d.connector_url == url)
            .map(|(_, clock)| clock.clone());
        let clock: Arc<dyn Clock> = match &demo_clock {
            Some(clock) => clock.clone(),
            None => Arc::new(SystemClock),
        };
        let config = ClientConfig::new(booted.data_dir.clone(), url.clone(), clock);
        let client = Arc::new(Client::sign_in(config, email, password).await?);
        if demo_clock.is_none() {
            keep_token(&url, email, client.token()).await;
        }
        if let Some(old) = self.current() {
            old.sign_out().await;
        }
        let settings = Settings {
            connector_url: demo_clock.is_none().then_some(url),
            email: email.to_owned(),
        };
        settings.save(&booted.data_dir);
        *lock(&self.settings) = settings;
        *lock(&self.reason) = None;
        self.ready(client);
        Ok(self.state().await)
    }

    /// Signs out: the connector forgets the session, the keychain its token.
    pub async fn sign_out(&self) -> AccountState {
        if let Some(client) = self.current() {
            client.sign_out().await;
            let settings = lock(&self.settings).clone();
            if let Some(url) = settings.connector_url {
                let account = keychain::account(&url, &settings.email);
                let deleted =
                    tokio::task::spawn_blocking(move || Keychain::default().delete(&account)).await;
                if let Ok(Err(error)) = deleted {
                    tracing::warn!(%error, "could not remove the session from the OS keychain");
                }
            }
        }
        *lock(&self.reason) = None;
        self.state.send_replace(BootState::SignedOut);
        self.state().await
    }

    fn ready(&self, client: Arc<Client>) {
        (self.on_ready)(&client);
        self.state.send_replace(BootState::Ready(client));
    }

    /// Starts what the app needs and signs in if it can; otherwise the sign-in screen. A
    /// failure to start is shown with what to do, its details logged.
    pub async fn boot(self: &Arc<Self>, options: BootOptions, demo: &dyn DemoStarter) {
        match self.start(options, demo).await {
            Ok(Some(client)) => self.ready(client),
            Ok(None) => {
                self.state.send_replace(BootState::SignedOut);
            }
            Err(error) => {
                tracing::error!(%error, "the app could not start");
                self.state.send_replace(BootState::Failed(AppError::new(
                    ErrorCode::BootFailed,
                    "The app could not start. See the log for details, then restart it.",
                )));
            }
        }
    }

    async fn start(
        self: &Arc<Self>,
        options: BootOptions,
        starter: &dyn DemoStarter,
    ) -> Result<Option<Arc<Client>>, DemoError> {
        let data_dir = options.data_dir.clone();
        let mut settings = Settings::load(&data_dir);
        if let Some(url) = options.connector_url.clone() {
            settings.connector_url = Some(url);
            if let Some(email) = options.email.clone() {
                settings.email = email;
            }
        }
        *lock(&self.settings) = settings.clone();
        if let Some(url) = settings.connector_url.clone() {
            *lock(&self.booted) = Some(Arc::new(Booted {
                data_dir: data_dir.clone(),
                demo: None,
            }));
            let config =
                ClientConfig::new(data_dir, url::connector_url(&url)?, Arc::new(SystemClock));
            return Ok(
                connect(config, &settings.email, options.password.as_deref())
                    .await
                    .map(Arc::new),
            );
        }

        // The demo's clock is the system clock plus an offset its guest phone can move, shared
        // by the connector, the simulator and the core, so the 24-hour window can be tried
        // without waiting a day.
        let clock = Arc::new(OffsetClock::default());
        let me = Arc::downgrade(self);
        let clock_moved: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(client) = me.upgrade().and_then(|a| a.current()) {
                client.clock_moved();
            }
        });
        let demo = starter
            .start(data_dir.join("demo-connector"), clock.clone(), clock_moved)
            .await?;
        let pick = |email: &str| demo.accounts.iter().find(|a| a.email == email).cloned();
        let user = options
            .demo_user
            .as_deref()
            .and_then(pick)
            .or_else(|| pick(&settings.email))
            .or_else(|| demo.accounts.first().cloned())
            .ok_or("the demo has no users")?;
        let config = ClientConfig::new(data_dir.clone(), demo.connector_url.clone(), clock.clone());
        *lock(&self.booted) = Some(Arc::new(Booted {
            data_dir,
            demo: Some((demo, clock)),
        }));
        lock(&self.settings).email = user.email.clone();
        Ok(Some(Arc::new(
            Client::sign_in(config, &user.email, &user.password).await?,
        )))
    }
}

/// Resumes a configured connector's session with the token the OS keychain holds for this
/// account; else, for scripted runs, signs in with `password`; else `None` (the sign-in
/// screen). A keychain that cannot be reached is logged, not fatal.
async fn connect(config: ClientConfig, email: &str, password: Option<&str>) -> Option<Client> {
    let account = keychain::account(&config.connector_url, email);
    let saved = tokio::task::spawn_blocking(move || Keychain::default().load(&account))
        .await
        .ok()?;
    match saved {
        Ok(Some(token)) => match Client::resume(config.clone(), token).await {
            Ok(client) => return Some(client),
            Err(error) => {
                tracing::info!(%error, "the stored session is no longer valid; sign in again")
            }
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "the OS keychain is not available"),
    }
    let password = password?;
    match Client::sign_in(config.clone(), email, password).await {
        Ok(client) => {
            keep_token(&config.connector_url, email, client.token()).await;
            Some(client)
        }
        Err(error) => {
            tracing::warn!(%error, "signing in with MULTILINE_PASSWORD failed");
            None
        }
    }
}

/// Keeps a session token in the OS keychain; failing that, it lives in memory for this run.
async fn keep_token(url: &str, email: &str, token: String) {
    let account = keychain::account(url, email);
    let saved =
        tokio::task::spawn_blocking(move || Keychain::default().save(&account, &token)).await;
    if let Ok(Err(error)) = saved {
        tracing::warn!(%error, "could not keep the session in the OS keychain");
    }
}
