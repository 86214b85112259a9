//! Starting the core. With `MULTILINE_CONNECTOR_URL` set, the app signs in to that connector,
//! resuming with the token kept in the OS keychain when it is still valid (credentials from
//! `MULTILINE_EMAIL` / `MULTILINE_PASSWORD` until the sign-in screen lands).
//! Otherwise it runs the embedded demo: a connector on SQLite and the Cloud API simulator on
//! loopback, in this process, and signs in as the demo's first user (or
//! `MULTILINE_DEMO_USER`).
//!
//! Environment (all optional): `MULTILINE_DATA_DIR` (default: the OS app-data folder),
//! `MULTILINE_DEMO_SIM_ADDR` (the simulator's address, so tests can drive the guests).

use std::path::PathBuf;
use std::sync::Arc;

use multiline_client::keychain::{self, Keychain};
use multiline_client::view::AppError;
use multiline_client::{Client, ClientConfig};
use multiline_domain::time::{OffsetClock, SystemClock};
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

/// Where the demo's simulator (and its guest phone page) listens when the port is free.
const DEMO_SIM_ADDR: &str = "127.0.0.1:8090";

/// The core, once booted.
#[derive(Clone)]
pub enum BootState {
    Booting,
    Ready(Arc<Client>),
    Failed(AppError),
}

pub struct Core {
    state: watch::Sender<BootState>,
    /// The embedded demo's servers, kept for the life of the app.
    demo: std::sync::Mutex<Option<multiline_connector::demo::Demo>>,
}

impl Default for Core {
    fn default() -> Self {
        Core {
            state: watch::channel(BootState::Booting).0,
            demo: std::sync::Mutex::new(None),
        }
    }
}

impl Core {
    /// The client, waiting for the boot to finish.
    pub async fn client(&self) -> Result<Arc<Client>, AppError> {
        let mut rx = self.state.subscribe();
        let state = rx
            .wait_for(|s| !matches!(s, BootState::Booting))
            .await
            .map_err(|_| AppError {
                code: "shutting_down".into(),
                message: "The app is closing.".into(),
            })?
            .clone();
        match state {
            BootState::Ready(client) => Ok(client),
            BootState::Failed(error) => Err(error),
            BootState::Booting => unreachable!("waited for a booted state"),
        }
    }
}

pub async fn boot(app: AppHandle) {
    let result = start(&app).await;
    let core = app.state::<Core>();
    match result {
        Ok((client, demo)) => {
            *core.demo.lock().unwrap_or_else(|e| e.into_inner()) = demo;
            crate::events::forward(&app, &client);
            core.state.send_replace(BootState::Ready(client));
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "the app could not start");
            core.state.send_replace(BootState::Failed(AppError {
                code: "boot_failed".into(),
                message: "The app could not start. See the log for details, then restart it."
                    .into(),
            }));
        }
    }
}

async fn start(
    app: &AppHandle,
) -> anyhow::Result<(Arc<Client>, Option<multiline_connector::demo::Demo>)> {
    let data_dir = match std::env::var_os("MULTILINE_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    let clock = Arc::new(SystemClock);
    if let Ok(url) = std::env::var("MULTILINE_CONNECTOR_URL") {
        let email = std::env::var("MULTILINE_EMAIL").unwrap_or_default();
        let password = std::env::var("MULTILINE_PASSWORD").unwrap_or_default();
        let config = ClientConfig {
            data_dir,
            connector_url: url.clone(),
            clock,
        };
        return Ok((Arc::new(connect(config, &email, &password).await?), None));
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
    tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), "demo running");
    println!(
        "MultiLine demo: play the customers on the guest phone at {}/guest",
        demo.sim.base_url()
    );
    let (_, default_email, password) = multiline_connector::demo::USERS[0];
    let email = std::env::var("MULTILINE_DEMO_USER").unwrap_or_else(|_| default_email.to_owned());
    let config = ClientConfig {
        data_dir,
        connector_url: demo.connector.url(),
        clock: demo_clock.clone(),
    };
    let client = Arc::new(Client::sign_in(config, &email, password).await?);
    let weak = Arc::downgrade(&client);
    demo.sim.set_clock_control(Arc::new(move |by| {
        demo_clock.advance(by);
        if let Some(client) = weak.upgrade() {
            client.clock_moved();
        }
    }));
    Ok((client, Some(demo)))
}

/// Signs in to a configured connector: with the token the OS keychain holds for this
/// account if it is still valid, otherwise with the password, keeping the new token in the
/// keychain. A keychain that cannot be reached is logged, not fatal (the token then lives
/// only in memory for this run).
async fn connect(config: ClientConfig, email: &str, password: &str) -> anyhow::Result<Client> {
    let keychain = Keychain::default();
    let account = keychain::account(&config.connector_url, email);
    let (k, a) = (keychain.clone(), account.clone());
    let saved = tokio::task::spawn_blocking(move || k.load(&a)).await?;
    match saved {
        Ok(Some(token)) => match Client::resume(config.clone(), token).await {
            Ok(client) => return Ok(client),
            Err(error) => {
                tracing::info!(%error, "the stored session is no longer valid; signing in")
            }
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "the OS keychain is not available"),
    }
    let client = Client::sign_in(config, email, password).await?;
    let token = client.token();
    if let Err(error) = tokio::task::spawn_blocking(move || keychain.save(&account, &token)).await?
    {
        tracing::warn!(%error, "could not keep the session in the OS keychain");
    }
    Ok(client)
}
