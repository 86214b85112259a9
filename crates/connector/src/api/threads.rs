//! Threads and messages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use multiline_domain::api::{
    Message, OpenThreadRequest, ParticipantsRequest, ParticipantsResponse, SendOptInRequest,
    SendTemplateRequest, SendTextRequest, Thread, User,
};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::ThreadId;
use multiline_domain::templates::Template;

use super::{ApiError, ApiJson, ApiPath, Auth};
use crate::ctx::Ctx;
use crate::usecases::{deliver, participants, send, templates, threads};

#[utoipa::path(get, path = "/v1/threads", tag = "threads", security(("bearer" = [])), responses((status = 200, description = "The caller's threads, newest activity first.", body = Vec<Thread>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code.", body = super::ErrorBody)))]
pub async fn list(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Vec<Thread>>, ApiError> {
    Ok(Json(
        ctx.run(move |env| threads::threads(env, auth.caller))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/threads/{id}", tag = "threads", security(("bearer" = [])), params(("id" = ThreadId, Path)), responses((status = 200, body = Thread), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found` (also for a thread the caller is not in).", body = super::ErrorBody)))]
pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(
        ctx.run(move |env| threads::thread(env, auth.caller, id))
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/threads", tag = "threads", security(("bearer" = [])), request_body = OpenThreadRequest, responses((status = 200, description = "The caller's open thread with that number, or a new one.", body = Thread), (status = 409, description = "`join_requested`: colleagues hold the open conversation with this guest; they were asked (in the thread) to add the caller.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `unknown_number`, `sms_unavailable`, `voicemail_thread`.", body = super::ErrorBody)))]
pub async fn open(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiJson(req): ApiJson<OpenThreadRequest>,
) -> Result<Json<Thread>, ApiError> {
    let opened = ctx
        .run(move |env| {
            threads::open_thread(
                env,
                auth.caller,
                req.contact_id,
                &req.phone,
                req.channel,
                req.opt_in,
            )
        })
        .await?;
    answer(&ctx, opened)
}

/// The thread to write in, or that colleagues hold it and were asked to add the caller.
fn answer(ctx: &Ctx, opened: threads::Opened) -> Result<Json<Thread>, ApiError> {
    match opened {
        threads::Opened::Thread { thread, told } => {
            ctx.tell(told);
            Ok(Json(*thread))
        }
        threads::Opened::AskedToJoin { holders, told } => {
            ctx.tell(told);
            Err(ApiError::Taken {
                code: ErrorCode::JoinRequested,
                message: format!(
                    "{} {} this conversation open: they were asked to add you.",
                    holders.join(" and "),
                    if holders.len() == 1 { "has" } else { "have" }
                ),
            })
        }
    }
}

#[utoipa::path(post, path = "/v1/threads/{id}/reply", tag = "threads", security(("bearer" = [])), params(("id" = ThreadId, Path)), responses((status = 200, description = "The thread to reply in: this one if open; else the guest's open conversation on the line and channel; else this one, reopened.", body = Thread), (status = 409, description = "`join_requested`: colleagues hold the guest's open conversation; they were asked (in the thread) to add the caller.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `voicemail_thread`.", body = super::ErrorBody)))]
pub async fn reply(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<Json<Thread>, ApiError> {
    let opened = ctx
        .run(move |env| threads::reply_in(env, auth.caller, id))
        .await?;
    answer(&ctx, opened)
}

#[utoipa::path(get, path = "/v1/threads/{id}/messages", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), responses((status = 200, description = "Oldest first.", body = Vec<Message>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`.", body = super::ErrorBody)))]
pub async fn messages(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(
        ctx.run(move |env| send::messages(env, auth.caller, id))
            .await?,
    ))
}

/// Queues a text; answers 202 with the stored message (`sending`). Idempotent on `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/messages", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = SendTextRequest, responses((status = 202, description = "Queued (`sending`).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `whatsapp_disabled`, `consent_missing`, `consent_pending`, `opted_out`, `window_closed_use_template`, `thread_closed`, `empty_message`, `message_too_long`, `not_found`.", body = super::ErrorBody)))]
pub async fn send_text(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendTextRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (message, told) = ctx
        .run(move |env| send::send_text(env, auth.caller, id, req.client_id, &req.text))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// A private note to the colleagues in the thread; never sent to the guest. Idempotent on
/// `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/notes", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = multiline_domain::api::AddNoteRequest, responses((status = 201, description = "Kept (direction `note`), shown to the thread's participants; nothing goes to the guest.", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `empty_message`, `message_too_long`, `not_found`.", body = super::ErrorBody)))]
pub async fn add_note(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<multiline_domain::api::AddNoteRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (note, told) = ctx
        .run(move |env| {
            crate::usecases::notes::add_note(env, auth.caller, id, req.client_id, &req.text)
        })
        .await?;
    ctx.tell(told);
    Ok((StatusCode::CREATED, Json(note)))
}

/// `GET /v1/templates`: the templates the picker lists (F15): approved and paused ones, never
/// the opt-in request.
#[utoipa::path(get, path = "/v1/templates", tag = "templates", security(("bearer" = [])), responses((status = 200, description = "Approved and paused templates (F15), by name; paused ones are shown, not offered; the opt-in request is left out.", body = Vec<Template>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code.", body = super::ErrorBody)))]
pub async fn templates(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<Json<Vec<Template>>, ApiError> {
    let org = auth.caller.org_id;
    Ok(Json(ctx.run(move |env| templates::listed(env, org)).await?))
}

/// Queues an approved template (F9). Idempotent on `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/templates", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = SendTemplateRequest, responses((status = 202, description = "Queued (`sending`).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unknown_template`, `template_not_approved`, `invalid_template_values` (a missing, extra or multi-line variable), `opted_out`, `whatsapp_disabled`, `not_found`.", body = super::ErrorBody)))]
pub async fn send_template(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendTemplateRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let values = multiline_domain::api::template_values(&req.values);
    let (message, told) = ctx
        .run(move |env| {
            send::send_template(
                env,
                auth.caller,
                id,
                req.client_id,
                (&req.name, &req.language),
                &values,
            )
        })
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// Queues the organization's opt-in request (F4). Idempotent on `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/opt-in", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = SendOptInRequest, responses((status = 202, description = "The opt-in request, queued (F4).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `opt_in_too_soon`, `already_consented`, `opt_in_template_missing`, `not_found`.", body = super::ErrorBody)))]
pub async fn send_opt_in(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendOptInRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (message, told) = ctx
        .run(move |env| send::send_opt_in(env, auth.caller, id, req.client_id))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// `POST /v1/threads/{id}/read`: the caller read the thread; the guest's phone shows it read.
#[utoipa::path(post, path = "/v1/threads/{id}/read", tag = "threads", security(("bearer" = [])), params(("id" = ThreadId, Path)), responses((status = 204, description = "Read up to now; the guest's phone shows it read."), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`.", body = super::ErrorBody)))]
pub async fn mark_read(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
) -> Result<StatusCode, ApiError> {
    let read = ctx
        .run(move |env| threads::mark_read(env, auth.caller, id))
        .await?;
    ctx.tell(read.told);
    if let Some(wamid) = read.wamid {
        // A read receipt is a courtesy: its failure changes nothing here.
        let (ctx, line) = (ctx.clone(), read.line);
        tokio::spawn(async move {
            let Ok(line) = ctx
                .run(move |env| crate::usecases::accounts::line(env, line))
                .await
            else {
                return;
            };
            if let Err(error) = ctx.whatsapp.mark_read(&line, &wamid).await {
                tracing::info!(%error, "read receipt not sent");
            }
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/messages/{id}/heard`: the caller played a voicemail (F22).
#[utoipa::path(post, path = "/v1/messages/{id}/heard", tag = "messages", security(("bearer" = [])), params(("id" = multiline_domain::ids::MessageId, Path)), responses((status = 200, description = "The voicemail, with when it was first heard.", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `not_a_voicemail`.", body = super::ErrorBody)))]
pub async fn mark_heard(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<multiline_domain::ids::MessageId>,
) -> Result<axum::Json<Message>, ApiError> {
    let (message, told) = ctx
        .run(move |env| send::mark_heard(env, auth.caller, id))
        .await?;
    ctx.tell(told);
    Ok(axum::Json(message))
}

/// `POST /v1/messages/{id}/retry`: send a failed message again: the same message (same
/// client id), queued once however often this is called.
#[utoipa::path(post, path = "/v1/messages/{id}/retry", tag = "messages", security(("bearer" = [])), params(("id" = multiline_domain::ids::MessageId, Path)), responses((status = 202, description = "The message, `sending` again (or as it is, when it was not failed).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `not_retryable`, or what a new message of its kind would be refused for (`window_closed_use_template`, `opted_out`, ...).", body = super::ErrorBody)))]
pub async fn retry(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<multiline_domain::ids::MessageId>,
) -> Result<(StatusCode, axum::Json<Message>), ApiError> {
    let (message, told) = ctx
        .run(move |env| deliver::retry(env, auth.caller, id))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, axum::Json(message)))
}

/// `POST /v1/messages/{id}/use-number`: the caller confirms WhatsApp's notice that the guest
/// changed their number (F23): the thread writes to the new one from now on.
#[utoipa::path(post, path = "/v1/messages/{id}/use-number", tag = "threads", security(("bearer" = [])), params(("id" = multiline_domain::ids::MessageId, Path)), responses((status = 200, description = "The notice, applied; the thread follows as an event.", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `invalid_request` (not a notice of a new number).", body = super::ErrorBody)))]
pub async fn use_new_number(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<multiline_domain::ids::MessageId>,
) -> Result<axum::Json<Message>, ApiError> {
    let (message, told) = ctx
        .run(move |env| send::use_new_number(env, auth.caller, id))
        .await?;
    ctx.tell(told);
    Ok(axum::Json(message))
}

/// `POST /v1/threads/{id}/participants`: add, remove, leave, transfer, restart (F20).
#[utoipa::path(post, path = "/v1/threads/{id}/participants", tag = "threads", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = ParticipantsRequest, responses((status = 200, description = "The thread as the caller now sees it (none after leaving or transferring; the new one after a restart).", body = ParticipantsResponse), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found`, `already_participant`, `target_not_participant`, `target_is_self`, `not_a_colleague`, `thread_closed`.", body = super::ErrorBody)))]
pub async fn participants(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<ParticipantsRequest>,
) -> Result<Json<ParticipantsResponse>, ApiError> {
    let (thread, told) = ctx
        .run(move |env| participants::change_participants(env, auth.caller, id, req.into()))
        .await?;
    ctx.tell(told);
    Ok(Json(ParticipantsResponse { thread }))
}

/// `GET /v1/users`: the organization's users (colleagues to add or transfer to).
#[utoipa::path(get, path = "/v1/users", tag = "threads", security(("bearer" = [])), responses((status = 200, description = "The organization's users.", body = Vec<User>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code.", body = super::ErrorBody)))]
pub async fn colleagues(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(
        ctx.run(move |env| participants::colleagues(env, auth.caller))
            .await?,
    ))
}
