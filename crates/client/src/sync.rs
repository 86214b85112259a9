//! Sync: a first snapshot over REST, then one WebSocket of events applied in order. The
//! cache stores the last applied sequence number with each change, so a reconnect (after
//! a network drop, a connector restart or an app restart) resumes exactly where it stopped.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use multiline_domain::api::{Event, EventEnvelope};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

use crate::connector::ApiError;
use crate::view::{SyncState, UiEvent};
use crate::{ClientError, Inner};

/// Reconnect delays: 250 ms doubling to 10 s.
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a live socket may stay silent before it counts as dropped.
const SILENCE: Duration = Duration::from_secs(60);

pub(crate) async fn run(inner: Arc<Inner>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        inner.set_sync(SyncState::Connecting);
        match connect_and_follow(&inner).await {
            Ok(()) => backoff = MIN_BACKOFF,
            Err(ClientError::Api(ApiError::Unauthorized)) => {
                inner.set_sync(SyncState::SignedOut);
                return;
            }
            Err(error) => tracing::warn!(%error, "sync interrupted"),
        }
        let since = inner.clock.now();
        if !matches!(
            *inner.sync.lock().unwrap_or_else(|e| e.into_inner()),
            SyncState::Offline { .. }
        ) {
            inner.set_sync(SyncState::Offline { since });
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The first sync: everything the user can see, in one cache transaction.
async fn snapshot(inner: &Inner) -> Result<(), ClientError> {
    let head = inner.api.events_head().await?;
    let session = inner.api.me().await?;
    let contacts = inner.api.contacts().await?;
    let threads = inner.api.threads().await?;
    let mut messages = Vec::new();
    for t in &threads {
        messages.extend(inner.api.messages(t.id).await?);
    }
    let templates = inner.api.templates().await?;
    inner
        .cache(move |c| {
            c.store_snapshot(&session, &contacts, &threads, &messages, &templates, head)
        })
        .await?;
    // One reload, not an event per thread: an organization's 10,000 threads would otherwise
    // be 10,000 upserts into the list. The window timer reads them all again.
    inner.windows_wake.notify_one();
    inner.emit(UiEvent::Resync);
    Ok(())
}

async fn connect_and_follow(inner: &Arc<Inner>) -> Result<(), ClientError> {
    if inner.cache(|c| c.session()).await?.is_none() {
        snapshot(inner).await?;
    }
    let after = inner.cache(|c| c.last_seq()).await?;
    let mut request = inner
        .api
        .events_url(after)
        .into_client_request()
        .map_err(|e| ApiError::Unreachable(e.to_string()))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", inner.api.token()))
        .map_err(|e| ApiError::Unreachable(e.to_string()))?;
    request.headers_mut().insert("authorization", bearer);
    if let Ok(version) = HeaderValue::from_str(inner.api.app_version()) {
        request
            .headers_mut()
            .insert(multiline_domain::api::APP_VERSION_HEADER, version);
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(r)
                if r.status() == StatusCode::UNAUTHORIZED =>
            {
                ApiError::Unauthorized
            }
            e => ApiError::Unreachable(e.to_string()),
        })?;
    inner.set_sync(SyncState::Online);
    // The outbox may have been waiting for the connector.
    inner.outbox_wake.notify_one();
    // The connector pings an idle socket every 20 s: a minute of silence is a dead link.
    while let Some(frame) = tokio::time::timeout(SILENCE, socket.next())
        .await
        .map_err(|_| ApiError::Unreachable("no word from the connector for a minute".into()))?
    {
        let frame = frame.map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let Ok(text) = frame.to_text() else { continue };
        if text.is_empty() {
            continue;
        }
        let envelope: EventEnvelope = match serde_json::from_str(text) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(%error, "unreadable event skipped");
                continue;
            }
        };
        apply(inner, envelope).await?;
    }
    Ok(())
}

async fn apply(inner: &Arc<Inner>, envelope: EventEnvelope) -> Result<(), ClientError> {
    let EventEnvelope { seq, event } = envelope;
    match &event {
        Event::ContactsChanged => {
            let contacts = inner.api.contacts().await?;
            inner.cache(move |c| c.replace_contacts(&contacts)).await?;
        }
        Event::TemplatesChanged => {
            let templates = inner.api.templates().await?;
            inner.cache(move |c| c.put_templates(&templates)).await?;
        }
        // A thread this app has not seen (the user was added to it): bring its history.
        Event::ThreadUpserted { thread } => {
            let id = thread.id;
            if inner.cache(move |c| c.thread(id)).await?.is_none() {
                let messages = inner.api.messages(id).await?;
                inner.cache(move |c| c.put_messages(&messages)).await?;
            }
        }
        Event::MessageUpserted { .. } | Event::ThreadRemoved { .. } | Event::LineProblem { .. } => {
        }
    }
    let e = event.clone();
    if !inner.cache(move |c| c.apply_event(seq, &e)).await? {
        return Ok(());
    }
    inner.emit(match event {
        Event::MessageUpserted { message } => UiEvent::MessageUpserted { message },
        Event::ThreadUpserted { thread } => {
            // Its window may now close at another time.
            crate::windows::thread_changed(inner, &thread);
            UiEvent::ThreadUpserted {
                thread: inner.summary(&thread),
            }
        }
        Event::ContactsChanged => UiEvent::ContactsChanged,
        Event::TemplatesChanged => UiEvent::TemplatesChanged,
        Event::ThreadRemoved { thread_id } => UiEvent::ThreadRemoved { thread_id },
        Event::LineProblem { text } => UiEvent::LineProblem { text },
    });
    Ok(())
}
