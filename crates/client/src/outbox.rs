//! The outbox: messages written in the app are in the cache before any network call, then
//! sent to the connector in the order they were written. The client id is the connector's
//! idempotency key, so a retry after a lost answer never sends twice. Transient failures
//! (offline, 5xx) wait and retry; a refusal marks that message failed with the reason and
//! the next one goes on. Threads are sent to in parallel; a thread's messages in order.
//! A session the connector no longer accepts stops the outbox with the queue intact.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::ThreadId;

use crate::Inner;
use crate::cache::{OutboxRequest, Pending};
use crate::connector::ApiError;
use crate::view::{SyncState, UiEvent, UploadProgress};

const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// Threads sent to at once. Each thread's messages still go one after the other.
const PARALLEL_THREADS: usize = 4;

/// What a pass over the outbox left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Everything queued was sent or refused.
    Drained,
    /// Something waits on a transient error (offline, 5xx): try again after a backoff.
    Waiting,
    /// The connector no longer accepts the session: nothing is sent until the user signs in
    /// again (a new core, same cache: the queue is still there).
    SignedOut,
}

pub(crate) async fn run(inner: Arc<Inner>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let outcome = drain(&inner).await.unwrap_or_else(|error| {
            tracing::error!(%error, "outbox");
            Outcome::Waiting
        });
        match outcome {
            Outcome::SignedOut => {
                inner.set_sync(SyncState::SignedOut);
                return;
            }
            Outcome::Waiting => {
                tokio::select! {
                    _ = inner.outbox_wake.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Outcome::Drained => {
                backoff = Duration::from_millis(200);
                inner.outbox_wake.notified().await;
            }
        }
    }
}

/// Sends what is queued: threads in parallel, each thread's messages in the order written.
async fn drain(inner: &Arc<Inner>) -> Result<Outcome, crate::ClientError> {
    let pending = inner.cache(|c| c.pending()).await?;
    let mut threads: Vec<(ThreadId, Vec<Pending>)> = Vec::new();
    for p in pending {
        match threads.iter_mut().find(|(t, _)| *t == p.thread_id) {
            Some((_, queue)) => queue.push(p),
            None => threads.push((p.thread_id, vec![p])),
        }
    }
    let outcomes: Vec<_> = futures_util::stream::iter(threads)
        .map(|(_, queue)| send_thread(inner, queue))
        .buffer_unordered(PARALLEL_THREADS)
        .collect()
        .await;
    let mut worst = Outcome::Drained;
    for outcome in outcomes {
        worst = worst.max(outcome?);
    }
    Ok(worst)
}

/// Uploads a prepared picture (once: its media id is kept with the queued request), then
/// sends it.
async fn send_picture(
    inner: &Arc<Inner>,
    p: &Pending,
    prepared: &str,
    caption: Option<String>,
    media_id: Option<multiline_domain::ids::MediaId>,
) -> Result<multiline_domain::api::Message, ApiError> {
    let remember = |id| OutboxRequest::Picture {
        prepared: prepared.to_owned(),
        caption: caption.clone(),
        media_id: Some(id),
    };
    let media_id = upload_once(inner, p, prepared, "image/jpeg", media_id, remember).await?;
    inner
        .api
        .send_picture(p.thread_id, p.client_id, media_id, caption)
        .await
}

/// Uploads a prepared document (once), then sends it under its name.
async fn send_document(
    inner: &Arc<Inner>,
    p: &Pending,
    (prepared, filename, mime_type): (&str, &str, &str),
    caption: Option<String>,
    media_id: Option<multiline_domain::ids::MediaId>,
) -> Result<multiline_domain::api::Message, ApiError> {
    let remember = |id| OutboxRequest::Document {
        prepared: prepared.to_owned(),
        filename: filename.to_owned(),
        mime_type: mime_type.to_owned(),
        caption: caption.clone(),
        media_id: Some(id),
    };
    let media_id = upload_once(inner, p, prepared, mime_type, media_id, remember).await?;
    inner
        .api
        .send_document(
            p.thread_id,
            p.client_id,
            media_id,
            filename.to_owned(),
            caption,
        )
        .await
}

/// The connector's id of a prepared file: the one kept with the queued request, or else the
/// file uploaded now (with `upload_progress` events) and its id kept (`remember`).
async fn upload_once(
    inner: &Arc<Inner>,
    p: &Pending,
    prepared: &str,
    mime_type: &str,
    media_id: Option<multiline_domain::ids::MediaId>,
    remember: impl FnOnce(multiline_domain::ids::MediaId) -> OutboxRequest,
) -> Result<multiline_domain::ids::MediaId, ApiError> {
    Ok(match media_id {
        Some(id) => id,
        None => {
            let id = prepared.to_owned();
            let file = inner
                .cache(move |c| c.media_file(&id))
                .await
                .map_err(|e| refused(ErrorCode::PictureMissing, e.to_string()))?
                .ok_or_else(|| {
                    refused(
                        ErrorCode::PictureMissing,
                        "The file is no longer on this device.".into(),
                    )
                })?;
            let bytes = tokio::fs::read(&file).await.map_err(|e| {
                refused(
                    ErrorCode::PictureMissing,
                    format!("The file could not be read: {e}"),
                )
            })?;
            let (events, thread_id, client_id) = (inner.events.clone(), p.thread_id, p.client_id);
            let mut last = None;
            let progress = move |sent: u64, total: u64| {
                let percent = (sent * 100 / total.max(1)) as u8;
                if last.replace(percent) != Some(percent) {
                    let _ = events.send(UiEvent::UploadProgress {
                        progress: UploadProgress {
                            thread_id,
                            client_id,
                            percent,
                        },
                    });
                }
            };
            let info = inner.api.upload_media(bytes, mime_type, progress).await?;
            let request = remember(info.id);
            let client_id = p.client_id;
            // Best effort: without it a retry uploads again, which is harmless.
            let _ = inner
                .cache(move |c| c.update_request(client_id, &request))
                .await;
            info.id
        }
    })
}

fn refused(code: ErrorCode, message: String) -> ApiError {
    ApiError::Refused {
        status: 0,
        code,
        message,
    }
}

/// One thread's queue, in order. A transient error stops the thread here (its later messages
/// wait behind it); a refusal marks that message failed and the next one goes on.
async fn send_thread(
    inner: &Arc<Inner>,
    queue: Vec<Pending>,
) -> Result<Outcome, crate::ClientError> {
    for p in queue {
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
            OutboxRequest::Picture {
                prepared,
                caption,
                media_id,
            } => send_picture(inner, &p, prepared, caption.clone(), *media_id).await,
            OutboxRequest::Document {
                prepared,
                filename,
                mime_type,
                caption,
                media_id,
            } => {
                let file = (prepared.as_str(), filename.as_str(), mime_type.as_str());
                send_document(inner, &p, file, caption.clone(), *media_id).await
            }
        };
        match sent {
            Ok(message) => {
                let m = message.clone();
                inner.cache(move |c| c.accepted(&m)).await?;
                inner.emit(UiEvent::MessageUpserted { message });
            }
            Err(ApiError::Unauthorized) => return Ok(Outcome::SignedOut),
            Err(e) if e.is_transient() => return Ok(Outcome::Waiting),
            Err(e) => {
                let reason = e.to_string();
                if let Some(message) = inner.cache(move |c| c.refused(id, &reason)).await? {
                    inner.emit(UiEvent::MessageUpserted { message });
                }
            }
        }
    }
    Ok(Outcome::Drained)
}
