//! Threads and messages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use multiline_domain::api::{Message, OpenThreadRequest, SendTextRequest, Thread};
use multiline_domain::ids::ThreadId;

use super::{ApiError, ApiJson, Auth};
use crate::Ctx;

pub async fn list(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Vec<Thread>>, ApiError> {
    Ok(Json(ctx.db(move |s| s.threads(auth.caller)).await?))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth,
    Path(id): Path<ThreadId>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(ctx.db(move |s| s.thread(auth.caller, id)).await?))
}

pub async fn open(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiJson(req): ApiJson<OpenThreadRequest>,
) -> Result<Json<Thread>, ApiError> {
    let now = ctx.clock.now();
    let (thread, told) = ctx
        .db(move |s| s.open_whatsapp_thread(auth.caller, req.contact_id, &req.phone, now))
        .await?;
    ctx.tell(told);
    Ok(Json(thread))
}

pub async fn messages(
    State(ctx): State<Ctx>,
    auth: Auth,
    Path(id): Path<ThreadId>,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(ctx.db(move |s| s.messages(auth.caller, id)).await?))
}

/// Queues a text; answers 202 with the stored message (`sending`). Idempotent on `client_id`.
pub async fn send_text(
    State(ctx): State<Ctx>,
    auth: Auth,
    Path(id): Path<ThreadId>,
    ApiJson(req): ApiJson<SendTextRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let now = ctx.clock.now();
    let (message, told) = ctx
        .db(move |s| s.enqueue_text(auth.caller, id, req.client_id, &req.text, now))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}
