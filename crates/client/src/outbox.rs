//! The outbox: messages written in the app are in the cache before any network call, then
//! sent to the connector in the order they were written. The client id is the connector's
//! idempotency key, so a retry after a lost answer never sends twice. Transient failures
//! (offline, 5xx) wait and retry; a refusal marks that message failed with the reason and
//! the next one goes on.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::Inner;
use crate::cache::OutboxRequest;
use crate::connector::ApiError;
use crate::view::UiEvent;

const MAX_BACKOFF: Duration = Duration::from_secs(15);

pub(crate) async fn run(inner: Arc<Inner>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let blocked = match drain(&inner).await {
            Ok(blocked) => blocked,
            Err(error) => {
                tracing::error!(%error, "outbox");
                true
            }
        };
        if blocked {
            tokio::select! {
                _ = inner.outbox_wake.notified() => {}
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        } else {
            backoff = Duration::from_millis(200);
            inner.outbox_wake.notified().await;
        }
    }
}

/// Sends what is queued. Returns true when something is still waiting on a transient error.
async fn drain(inner: &Arc<Inner>) -> Result<bool, crate::ClientError> {
    let pending = inner.cache(|c| c.pending()).await?;
    // Per-thread order: once a thread's message waits, its later ones wait too.
    let mut waiting = HashSet::new();
    for p in pending {
        if waiting.contains(&p.thread_id) {
            continue;
        }
        let id = p.client_id;
        inner.cache(move |c| c.count_attempt(id)).await?;
        let sent = match &p.request {
            OutboxRequest::Text { text } => {
                inner.api.send_text(p.thread_id, p.client_id, text).await
            }
            OutboxRequest::Template {
                name,
                language,
                values,
            } => {
                inner
                    .api
                    .send_template(p.thread_id, p.client_id, name, language, values)
                    .await
            }
            OutboxRequest::OptIn => inner.api.send_opt_in(p.thread_id, p.client_id).await,
        };
        match sent {
            Ok(message) => {
                let m = message.clone();
                inner.cache(move |c| c.accepted(&m)).await?;
                inner.emit(UiEvent::MessageUpserted { message });
            }
            Err(e) if e.is_transient() || matches!(e, ApiError::Unauthorized) => {
                waiting.insert(p.thread_id);
            }
            Err(e) => {
                let reason = e.to_string();
                if let Some(message) = inner.cache(move |c| c.refused(id, &reason)).await? {
                    inner.emit(UiEvent::MessageUpserted { message });
                }
            }
        }
    }
    Ok(!waiting.is_empty())
}
