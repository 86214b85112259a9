//! `GET /v1/events?after=N`: one WebSocket per signed-in app. Sends every event of the user
//! with a sequence number above `after`, in order, then each new one as it commits. Events
//! are read from the store, never from memory, so a reconnect misses nothing and repeats
//! nothing.

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use multiline_domain::ids::UserId;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::Auth;
use crate::Ctx;

#[derive(Deserialize)]
pub struct Resume {
    #[serde(default)]
    after: u64,
}

/// `GET /v1/events/head`: `{"seq": N}`, the caller's latest event number (0: none).
pub async fn head(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<axum::Json<serde_json::Value>, super::ApiError> {
    let user = auth.caller.user_id;
    let seq = ctx.db(move |s| s.head_seq(user)).await?;
    Ok(axum::Json(serde_json::json!({ "seq": seq })))
}

pub async fn subscribe(
    State(ctx): State<Ctx>,
    auth: Auth,
    Query(resume): Query<Resume>,
    ws: WebSocketUpgrade,
) -> Response {
    let user = auth.caller.user_id;
    ws.on_upgrade(move |socket| stream(ctx, user, resume.after, socket))
}

async fn stream(ctx: Ctx, user: UserId, mut after: u64, mut socket: WebSocket) {
    // Subscribe before the first read so nothing committed in between is missed.
    let mut live = ctx.live.subscribe();
    loop {
        let batch = match ctx.db(move |s| s.events_after(user, after, 500)).await {
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
        // Wait until this user has news, answering pings and noticing a close meanwhile.
        loop {
            tokio::select! {
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
