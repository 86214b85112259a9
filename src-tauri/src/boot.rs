//! Starting the core, signing in and out.
//!
//! Which connector: `MULTILINE_CONNECTOR_URL` if set, else the one the user last signed in
//! to (`settings.json` in the data folder), else the embedded demo: a connector on SQLite and
//! the Cloud API simulator on loopback, in this process.
//!
//! A configured connector resumes with the token kept in the OS keychain while the connector
//! still accepts it; otherwise the app shows the sign-in screen (or, for scripts, signs in
//! with `MULTILINE_EMAIL` / `MULTILINE_PASSWORD`). The demo signs in by itself as its first
//! user (or `MULTILINE_DEMO_USER`); its sign-in screen lists the demo accounts.
//!
//! Environment (all optional): `MULTILINE_DATA_DIR` (default: the OS app-data folder),
//! `MULTILINE_DEMO_SIM_ADDR` (the simulator's address, so tests can drive the guests),
//! `MULTILINE_DEMO_WHATSAPP` (`off`: the demo's organization has WhatsApp turned off),
//! `MULTILINE_DEMO_VOLUME` (`<threads>,<messages>`: benchmark data added to the demo).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use multiline_client::keychain::{self, Keychain};
use multiline_client::view::{AccountState, AppError, DemoAccount, SyncState};
use multiline_client::{Client, ClientConfig};
use multiline_domain::errors::ErrorCode;
use multiline_domain::time::{Clock, OffsetClock, SystemClock};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

/// Where the demo's simulator (and its guest phone page) listens when the port is free.
const DEMO_SIM_ADDR: &str = "127.0.0.1:8090";

/// The core's state.
#[derive(Clone)]
pub enum BootState {
    Booting,
    Ready(Arc<Client>),
    SignedOut,
    Failed(AppError),
}

/// What the app remembers between runs (`settings.json`): never a password or a token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Settings {
    /// The connector signed in to last; `None`: the demo.
    connector_url: Option<String>,
    email: String,
}

/// Fixed once booted.
struct Env {
    data_dir: PathBuf,
    /// The embedded demo, when no connector is configured, and its movable clock.
    demo: Option<(multiline_connector::demo::Demo, Arc<OffsetClock>)>,
}

pub struct Core {
    state: watch::Sender<BootState>,
    env: Mutex<Option<Arc<Env>>>,
    settings: Mutex<Settings>,
    /// Why the user was signed out, when it was not their choice.
    reason: Mutex<Option<String>>,
}

impl Default for Core {
    fn default() -> Self {
        Core {
            state: watch::channel(BootState::Booting).0,
            env: Mutex::new(None),
            settings: Mutex::new(Settings::default()),
            reason: Mutex::new(None),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn signed_out_error() -> AppError {
    AppError::new(ErrorCode::SignedOut, "Sign in to continue.")
}

impl Core {
    /// The client, waiting for the boot to finish.
    pub async fn client(&self) -> Result<Arc<Client>, AppError> {
        let mut rx = self.state.subscribe();
        let state = rx
            .wait_for(|s| !matches!(s, BootState::Booting))
            .await
            .map_err(|_| AppError::new(ErrorCode::ShuttingDown, "The app is closing."))?
            .clone();
        match state {
            BootState::Ready(client) => Ok(client),
            BootState::SignedOut => Err(signed_out_error()),
            BootState::Failed(error) => Err(error),
            BootState::Booting => unreachable!("waited for a booted state"),
        }
    }

    /// The signed-in client, if there is one now (no waiting).
    fn current(&self) -> Option<Arc<Client>> {
        match &*self.state.borrow() {
            BootState::Ready(client) => Some(client.clone()),
            _ => None,
        }
    }

    fn env(&self) -> Option<Arc<Env>> {
        lock(&self.env).clone()
    }

    /// What the UI shows: the inbox, the sign-in screen, or why the app cannot start.
    pub async fn account(&self) -> AccountState {
        let mut rx = self.state.subscribe();
        let state = rx
            .wait_for(|s| !matches!(s, BootState::Booting))
            .await
            .map(|s| s.clone())
            .unwrap_or(BootState::Booting);
        let env = self.env();
        let demo_url = env
            .as_ref()
            .and_then(|e| e.demo.as_ref())
            .map(|(d, _)| d.connector.url());
        match state {
            BootState::Booting => AccountState::Booting,
            BootState::Failed(error) => AccountState::Failed { error },
            BootState::Ready(client) if client.sync_state() != SyncState::SignedOut => {
                let settings = lock(&self.settings).clone();
                AccountState::SignedIn {
                    session: client.session(),
                    connector_url: settings.connector_url.or(demo_url).unwrap_or_default(),
                    demo: settings_is_demo(&lock(&self.settings)),
                }
            }
            BootState::Ready(_) | BootState::SignedOut => {
                let settings = lock(&self.settings).clone();
                let reason = lock(&self.reason).clone().or_else(|| {
                    matches!(&*self.state.borrow(), BootState::Ready(_))
                        .then(|| "Your session ended. Sign in again.".to_owned())
                });
                AccountState::SignedOut {
                    connector_url: settings
                        .connector_url
                        .or(demo_url.clone())
                        .unwrap_or_default(),
                    email: settings.email,
                    demo_accounts: if demo_url.is_some() {
                        multiline_connector::demo::USERS
                            .iter()
                            .map(|(name, email, password)| DemoAccount {
                                name: (*name).to_owned(),
                                email: (*email).to_owned(),
                                password: (*password).to_owned(),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    reason,
                }
            }
        }
    }

    /// Signs in from the sign-in screen, replacing any earlier session.
    pub async fn sign_in(
        &self,
        app: &AppHandle,
        connector_url: &str,
        email: &str,
        password: &str,
    ) -> Result<AccountState, AppError> {
        let env = self.env().ok_or_else(|| {
            AppError::new(
                ErrorCode::Booting,
                "The app is still starting. Try again in a moment.",
            )
        })?;
        let url = multiline_client::connector_url(connector_url)?;
        let email = email.trim();
        let demo = env
            .demo
            .as_ref()
            .filter(|(d, _)| d.connector.url() == url)
            .map(|(_, clock)| clock.clone());
        let clock: Arc<dyn Clock> = match &demo {
            Some(clock) => clock.clone(),
            None => Arc::new(SystemClock),
        };
        let config = ClientConfig::new(env.data_dir.clone(), url.clone(), clock);
        let client = Arc::new(Client::sign_in(config, email, password).await?);
        if demo.is_none() {
            keep_token(&url, email, client.token()).await;
        }
        if let Some(old) = self.current() {
            old.sign_out().await;
        }
        let settings = Settings {
            connector_url: demo.is_none().then_some(url),
            email: email.to_owned(),
        };
        save_settings(&env.data_dir, &settings);
        *lock(&self.settings) = settings;
        *lock(&self.reason) = None;
        self.ready(app, client);
        Ok(self.account().await)
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
        self.account().await
    }

    fn ready(&self, app: &AppHandle, client: Arc<Client>) {
        crate::events::forward(app, &client);
        self.state.send_replace(BootState::Ready(client));
    }
}

fn settings_is_demo(settings: &Settings) -> bool {
    settings.connector_url.is_none()
}

fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

fn load_settings(data_dir: &Path) -> Settings {
    std::fs::read(settings_path(data_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn save_settings(data_dir: &Path, settings: &Settings) {
    let json = serde_json::to_vec_pretty(settings).expect("settings serialize");
    if let Err(error) = std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::write(settings_path(data_dir), json))
    {
        tracing::warn!(%error, "could not save the app's settings");
    }
}

pub async fn boot(app: AppHandle) {
    let core = app.state::<Core>();
    match start(&app, &core).await {
        Ok(Some(client)) => core.ready(&app, client),
        Ok(None) => {
            core.state.send_replace(BootState::SignedOut);
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "the app could not start");
            core.state.send_replace(BootState::Failed(AppError::new(
                ErrorCode::BootFailed,
                "The app could not start. See the log for details, then restart it.",
            )));
        }
    }
}

/// Starts what the app needs and signs in if it can; `None`: show the sign-in screen.
async fn start(app: &AppHandle, core: &Core) -> anyhow::Result<Option<Arc<Client>>> {
    let data_dir = match std::env::var_os("MULTILINE_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    let mut settings = load_settings(&data_dir);
    if let Ok(url) = std::env::var("MULTILINE_CONNECTOR_URL") {
        settings.connector_url = Some(url);
        if let Ok(email) = std::env::var("MULTILINE_EMAIL") {
            settings.email = email;
        }
    }
    *lock(&core.settings) = settings.clone();
    if let Some(url) = settings.connector_url.clone() {
        *lock(&core.env) = Some(Arc::new(Env {
            data_dir: data_dir.clone(),
            demo: None,
        }));
        let config = ClientConfig::new(
            data_dir,
            multiline_client::connector_url(&url)?,
            Arc::new(SystemClock),
        );
        return Ok(connect(config, &settings.email).await.map(Arc::new));
    }

    // A known port when it is free, so the guest phone page has an address to bookmark.
    let sim_addr = match std::env::var("MULTILINE_DEMO_SIM_ADDR") {
        Ok(addr) => addr.parse()?,
        Err(_) if std::net::TcpListener::bind(DEMO_SIM_ADDR).is_ok() => DEMO_SIM_ADDR.parse()?,
        Err(_) => "127.0.0.1:0".parse()?,
    };
    // The demo's clock is the system clock plus an offset the simulator's control API can
    // move (`POST /control/clock/advance`), shared by the connector, the simulator and the
    // core, so the 24-hour window can be tried without waiting a day.
    let demo_clock = Arc::new(OffsetClock::default());
    let demo = multiline_connector::demo::start(multiline_connector::demo::DemoOptions {
        data_dir: data_dir.join("demo-connector"),
        connector_addr: "127.0.0.1:0".parse()?,
        sim_addr,
        clock: demo_clock.clone(),
    })
    .await?;
    // `MULTILINE_DEMO_WHATSAPP=off|on`: an admin turning WhatsApp off or on for the demo's
    // organization before the app signs in (F1: the app then shows no WhatsApp icon).
    if let Ok(choice) = std::env::var("MULTILINE_DEMO_WHATSAPP") {
        let enabled = match choice.as_str() {
            "on" => true,
            "off" => false,
            other => anyhow::bail!("MULTILINE_DEMO_WHATSAPP is {other:?}: use on or off"),
        };
        multiline_connector::admin::set_whatsapp_enabled(
            &*demo.connector.ctx.store,
            &*demo_clock,
            demo.org,
            enabled,
        )?;
    }
    // `MULTILINE_DEMO_VOLUME=<threads>,<messages>` (benchmarks): that many more conversations,
    // and one of that many messages, added once to the demo's store.
    if let Ok(volume) = std::env::var("MULTILINE_DEMO_VOLUME") {
        let volume = multiline_connector::demo::parse_volume(&volume)
            .map_err(|e| anyhow::anyhow!("MULTILINE_DEMO_VOLUME is {e}"))?;
        demo.add_volume(volume).await?;
    }
    tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), "demo running");
    println!(
        "MultiLine demo: play the customers on the guest phone at {}/guest",
        demo.sim.base_url()
    );
    let (clock, handle) = (demo_clock.clone(), app.clone());
    demo.sim.set_clock_control(Arc::new(move |by| {
        clock.advance(by);
        if let Some(client) = handle.state::<Core>().current() {
            client.clock_moved();
        }
    }));
    let demo_user = |email: &str| {
        multiline_connector::demo::USERS
            .iter()
            .find(|(_, e, _)| *e == email)
            .copied()
    };
    let user = std::env::var("MULTILINE_DEMO_USER")
        .ok()
        .and_then(|e| demo_user(&e))
        .or_else(|| demo_user(&settings.email))
        .unwrap_or(multiline_connector::demo::USERS[0]);
    let config = ClientConfig::new(data_dir.clone(), demo.connector.url(), demo_clock.clone());
    *lock(&core.env) = Some(Arc::new(Env {
        data_dir,
        demo: Some((demo, demo_clock)),
    }));
    lock(&core.settings).email = user.1.to_owned();
    Ok(Some(Arc::new(
        Client::sign_in(config, user.1, user.2).await?,
    )))
}

/// Resumes a configured connector's session with the token the OS keychain holds for this
/// account; else, for scripted runs, signs in with `MULTILINE_PASSWORD`; else `None` (the
/// sign-in screen). A keychain that cannot be reached is logged, not fatal.
async fn connect(config: ClientConfig, email: &str) -> Option<Client> {
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
    let password = std::env::var("MULTILINE_PASSWORD").ok()?;
    match Client::sign_in(config.clone(), email, &password).await {
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
