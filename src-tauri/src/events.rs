//! The one place that emits to the webview: every core event as `ui-event`; and, for a
//! guest's new message while the window is in the background, a desktop notification.

use std::sync::Arc;

use multiline_client::Client;
use multiline_domain::api::Message;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

/// The event name the UI listens to (ui/src/lib/ipc/events.ts).
pub const UI_EVENT: &str = "ui-event";

pub fn forward(app: &AppHandle, client: &Arc<Client>) {
    let mut events = client.subscribe();
    let app = app.clone();
    let client = Arc::downgrade(client);
    tauri::async_runtime::spawn(async move {
        let mut seen = crate::notify::Seen::default();
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = app.emit(UI_EVENT, &event) {
                        tracing::warn!(%error, "emitting to the webview");
                    }
                    if let Some(client) = client.upgrade() {
                        let focused = || {
                            app.get_webview_window("main")
                                .and_then(|w| w.is_focused().ok())
                                .unwrap_or(true)
                        };
                        if let Some(message) =
                            crate::notify::worth_notifying(&event, focused, client.now(), &mut seen)
                        {
                            notify(&app, &client, message).await;
                        }
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

/// Shows "Ana Silva: Is my car ready?" (the thread's contact; the guest's number if the
/// thread is not cached). A system without a notification service only logs it.
async fn notify(app: &AppHandle, client: &Client, message: &Message) {
    let title = match client.thread_summary(message.thread_id).await {
        Ok(Some(thread)) => thread.row.contact_name,
        _ => "New message".to_owned(),
    };
    if let Err(error) = app
        .notification()
        .builder()
        .title(title)
        .body(message.body.preview())
        .show()
    {
        tracing::info!(%error, "no desktop notification");
    }
}
