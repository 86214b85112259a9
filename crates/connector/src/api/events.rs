//! `GET /v1/events?after=N`: one WebSocket per signed-in app. Sends every event of the user
//! with a sequence number above `after`, in order, then each new one as it commits. Events
//! are read from the store, never from memory, so a reconnect misses nothing and repeats
//! nothing.

use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::UserId;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{ApiQuery, Auth};
use crate::ctx::Ctx;
use crate::usecases::{accounts, events};

/// How often an idle event socket is pinged.
pub const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Deserialize)]
pub struct Resume {
    #[serde(default)]
    after: u64,
}

/// `GET /v1/events/head`: `{"seq": N}`, the caller's latest event number (0: none).
#[utoipa::path(get, path = "/v1/events/head", tag = "events", security(("bearer" = [])), responses((status = 200, description = "`{\"seq\": N}`: the caller's latest event number (0: none).", body = Object), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code.", body = super::ErrorBody)))]
pub async fn head(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<axum::Json<serde_json::Value>, super::ApiError> {
    let user = auth.caller.user_id;
    let seq = ctx.run(move |env| events::head(env, user)).await?;
    Ok(axum::Json(serde_json::json!({ "seq": seq })))
}

#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])), params(("after" = Option<u64>, Query, description = "The last event number the client has; every later one is sent, in order, once.")), responses((status = 101, description = "A WebSocket of text frames, each an `EventEnvelope` as JSON.", body = multiline_domain::api::EventEnvelope), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unauthorized`.", body = super::ErrorBody)))]
pub async fn subscribe(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiQuery(resume): ApiQuery<Resume>,
    ws: WebSocketUpgrade,
) -> Response {
    // Event numbers are stored as SQL integers: a larger one names no event.
    if i64::try_from(resume.after).is_err() {
        return super::ApiError::BadRequest {
            code: ErrorCode::InvalidQuery,
            message: format!("after={} is beyond any event number.", resume.after),
        }
        .into_response();
    }
    let user = auth.caller.user_id;
    // Counted from the answer on: a client that has its socket is in the count.
    let open = Open::new(&ctx);
    ws.on_upgrade(move |socket| stream(ctx, user, auth.token, resume.after, socket, open))
}

/// Is the session behind `token` still valid (not signed out, not expired)?
async fn still_signed_in(ctx: &Ctx, token: &str) -> bool {
    let token = token.to_owned();
    matches!(
        ctx.run(move |env| accounts::caller(env, &token)).await,
        Ok(Some(_))
    )
}

/// Counts an open event socket in the metrics while it lives.
struct Open(prometheus_client::metrics::gauge::Gauge);

impl Open {
    fn new(ctx: &Ctx) -> Open {
        ctx.metrics.event_sockets.inc();
        Open(ctx.metrics.event_sockets.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

async fn stream(
    ctx: Ctx,
    user: UserId,
    token: String,
    mut after: u64,
    mut socket: WebSocket,
    _open: Open,
) {
    // Subscribe before the first read so nothing committed in between is missed.
    let mut live = ctx.live.subscribe();
    let mut stopping = ctx.stopping.clone();
    let mut sessions = ctx.sessions_changed.subscribe();
    let mut missed = ctx.events_missed.subscribe();
    loop {
        // A signed-out or expired session stops receiving at once.
        if !still_signed_in(&ctx, &token).await {
            let _ = socket.send(WsMessage::Close(None)).await;
            return;
        }
        let batch = match ctx
            .run(move |env| events::after(env, user, after, 500))
            .await
        {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(%error, "reading events");
                return;
            }
        };
        let full = batch.len() == 500;
        for envelope in batch {
            after = envelope.seq;
            let text = serde_json::to_string(&envelope).expect("events serialize");
            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        // Wait until this user has news, noticing a close meanwhile. A ping every
        // `KEEPALIVE` lets both sides notice a connection that died silently.
        loop {
            tokio::select! {
                _ = crate::serve::until_stopped(&mut stopping) => return,
                Ok(()) = sessions.changed() => {
                    if !still_signed_in(&ctx, &token).await {
                        let _ = socket.send(WsMessage::Close(None)).await;
                        return;
                    }
                },
                _ = tokio::time::sleep(KEEPALIVE) => {
                    if !still_signed_in(&ctx, &token).await
                        || socket.send(WsMessage::Ping(Default::default())).await.is_err()
                    {
                        let _ = socket.send(WsMessage::Close(None)).await;
                        return;
                    }
                },
                Ok(()) = missed.changed() => break,
                news = live.recv() => match news {
                    Ok(u) if u == user => break,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                },
            }
        }
    }
}
