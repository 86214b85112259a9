//! Starting the core. With `MULTILINE_CONNECTOR_URL` set, the app signs in to that connector
//! (credentials from `MULTILINE_EMAIL` / `MULTILINE_PASSWORD` until the sign-in screen lands).
//! Otherwise it runs the embedded demo: a connector on SQLite and the Cloud API simulator on
//! loopback, in this process, and signs in as the demo's first user (or
//! `MULTILINE_DEMO_USER`).
//!
//! Environment (all optional): `MULTILINE_DATA_DIR` (default: the OS app-data folder),
//! `MULTILINE_DEMO_SIM_ADDR` (the simulator's address, so tests can drive the guests).

use std::path::PathBuf;
use std::sync::Arc;

use multiline_client::view::AppError;
use multiline_client::{Client, ClientConfig};
use multiline_domain::time::SystemClock;
use tauri::{AppHandle, Manager};
use tokio::sync::watch;

/// The core, once booted.
#[derive(Clone)]
pub enum BootState {
    Booting,
    Ready(Arc<Client>),
    Failed(AppError),
}

pub struct Core {
    state: watch::Sender<BootState>,
}

impl Default for Core {
    fn default() -> Self {
        Core {
            state: watch::channel(BootState::Booting).0,
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
        Ok(client) => {
            crate::events::forward(&app, &client);
            core.state.send_replace(BootState::Ready(client));
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "the app could not start");
            core.state.send_replace(BootState::Failed(AppError {
                code: "boot_failed".into(),
                message: format!("The app could not start: {error:#}"),
            }));
        }
    }
}

async fn start(app: &AppHandle) -> anyhow::Result<Arc<Client>> {
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
            connector_url: url,
            clock,
        };
        return Ok(Arc::new(Client::sign_in(config, &email, &password).await?));
    }
    let sim_addr = match std::env::var("MULTILINE_DEMO_SIM_ADDR") {
        Ok(addr) => addr.parse()?,
        Err(_) => "127.0.0.1:0".parse()?,
    };
    let demo = multiline_connector::demo::start(multiline_connector::demo::DemoOptions {
        data_dir: data_dir.join("demo-connector"),
        connector_addr: "127.0.0.1:0".parse()?,
        sim_addr,
        clock: clock.clone(),
    })
    .await?;
    tracing::info!(connector = %demo.connector.url(), simulator = %demo.sim.base_url(), "demo running");
    let (_, default_email, password) = multiline_connector::demo::USERS[0];
    let email = std::env::var("MULTILINE_DEMO_USER").unwrap_or_else(|_| default_email.to_owned());
    let config = ClientConfig {
        data_dir,
        connector_url: demo.connector.url(),
        clock,
    };
    let client = Client::sign_in(config, &email, password).await?;
    // The demo's servers run on the runtime's tasks for the life of the app.
    Ok(Arc::new(client))
}
