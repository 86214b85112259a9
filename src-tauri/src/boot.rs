//! Starting the core: the app's data folder (the OS's, unless `MULTILINE_DATA_DIR` says),
//! the account's lifecycle (`multiline_client::account`), events forwarded to the window
//! for every client that signs in, and the embedded demo ([`crate::demo`]) when no connector
//! is configured.

use std::sync::Arc;

use multiline_client::account::{Account, BootOptions};
use tauri::{AppHandle, Manager};

/// The app's account, managed as Tauri state: commands reach the core through it.
pub fn account(app: &AppHandle) -> Arc<Account> {
    let handle = app.clone();
    Arc::new(Account::new(Box::new(move |client| {
        crate::events::forward(&handle, client);
    })))
}

/// Boots the core in the background.
pub async fn boot(app: AppHandle) {
    let account = app.state::<Arc<Account>>().inner().clone();
    let data_dir = match app.path().app_data_dir() {
        Ok(dir) => dir,
        Err(error) => {
            tracing::warn!(%error, "no app data folder: using the working folder");
            std::path::PathBuf::from("multiline-data")
        }
    };
    account
        .boot(BootOptions::from_env(data_dir), &crate::demo::EmbeddedDemo)
        .await;
}
