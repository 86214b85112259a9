//! Threads and messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use multiline_domain::api::{
    Message, OpenThreadRequest, ParticipantsRequest, ParticipantsResponse, SendOptInRequest,
    SendTemplateRequest, SendTextRequest, Thread, User,
};
use multiline_domain::ids::ThreadId;
use multiline_domain::templates::Template;

use super::{ApiError, ApiJson, ApiPath, Auth};
use crate::Ctx;

pub async fn list(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Vec<Thread>>, ApiError> {
    Ok(Json(ctx.db(move |s| s.threads(auth.caller)).await?))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
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
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(ctx.db(move |s| s.messages(auth.caller, id)).await?))
}

/// Queues a text; answers 202 with the stored message (`sending`). Idempotent on `client_id`.
pub async fn send_text(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
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

/// `GET /v1/templates`: the organization's approved templates (F15).
pub async fn templates(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<Json<Vec<Template>>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(ctx.db(move |s| s.approved_templates(org)).await?))
}

/// Queues an approved template (F9). Idempotent on `client_id`.
pub async fn send_template(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendTemplateRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let now = ctx.clock.now();
    let values = multiline_domain::api::template_values(&req.values);
    let (message, told) = ctx
        .db(move |s| {
            s.enqueue_template(
                auth.caller,
                id,
                req.client_id,
                (&req.name, &req.language),
                &values,
                now,
            )
        })
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// Queues the organization's opt-in request (F4). Idempotent on `client_id`.
pub async fn send_opt_in(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendOptInRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let now = ctx.clock.now();
    let (message, told) = ctx
        .db(move |s| s.enqueue_opt_in(auth.caller, id, req.client_id, now))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// `POST /v1/threads/{id}/read`: the caller read the thread; the guest's phone shows it read.
pub async fn mark_read(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<StatusCode, ApiError> {
    let now = ctx.clock.now();
    let (wamid, line, told) = ctx.db(move |s| s.mark_read(auth.caller, id, now)).await?;
    ctx.tell(told);
    if let Some(wamid) = wamid {
        // A read receipt is a courtesy: its failure changes nothing here.
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let Ok(line) = ctx.db(move |s| s.line(line)).await else {
                return;
            };
            if let Err(error) = ctx.cloud.mark_read(&line, &wamid).await {
                tracing::info!(%error, "read receipt not sent");
            }
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/threads/{id}/participants`: add, remove, leave, transfer, restart (F20).
pub async fn participants(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<ParticipantsRequest>,
) -> Result<Json<ParticipantsResponse>, ApiError> {
    let now = ctx.clock.now();
    let (thread, told) = ctx
        .db(move |s| s.change_participants(auth.caller, id, req.into(), now))
        .await?;
    ctx.tell(told);
    Ok(Json(ParticipantsResponse { thread }))
}

/// `GET /v1/users`: the organization's users (colleagues to add or transfer to).
pub async fn colleagues(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(ctx.db(move |s| s.colleagues(auth.caller)).await?))
}
