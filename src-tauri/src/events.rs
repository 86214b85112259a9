//! The one place that emits to the webview: every core event as `ui-event`.

use std::sync::Arc;

use multiline_client::Client;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

/// The event name the UI listens to (ui/src/lib/ipc/events.ts).
pub const UI_EVENT: &str = "ui-event";

pub fn forward(app: &AppHandle, client: &Arc<Client>) {
    let mut events = client.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = app.emit(UI_EVENT, &event) {
                        tracing::warn!(%error, "emitting to the webview");
                    }
                }
                // Some events were dropped in a burst: the cache has them all, so the UI
                // reloads what it shows instead of missing them.
                Err(RecvError::Lagged(_)) => {
                    let _ = app.emit(UI_EVENT, &multiline_client::view::UiEvent::Resync);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
