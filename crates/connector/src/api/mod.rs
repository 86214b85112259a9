//! The HTTP API: `/v1` (JSON, bearer tokens), `/v1/events` (WebSocket) and the Cloud API
//! webhook endpoints. One error type, [`ApiError`], answers `{"error": {"code", "message"}}`
//! with stable codes; server-side details go to the log, never to the client.

mod auth;
mod carrier;
mod contacts;
mod events;
mod media;
mod ops;
mod threads;
mod version;
mod webhook;

use axum::Router;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use multiline_domain::api::{ErrorBody, ErrorDetail};
use multiline_domain::errors::ErrorCode;
use multiline_domain::policy::Refusal;
use serde::de::DeserializeOwned;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ctx::Ctx;
use crate::error::Error;

pub use auth::Auth;
pub use version::MIN_APP_VERSION;

/// The largest request body accepted on `/v1` (JSON) and on the carrier's webhooks.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The largest Cloud API webhook body accepted: Meta sends up to 3 MB (1,000 updates).
pub const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

/// The API's routes, each documented by its handler's `#[utoipa::path]`: the router and the
/// OpenAPI document come from the same list, so neither can miss a route of the other.
fn routes() -> (OpenApiRouter<Ctx>, OpenApiRouter<Ctx>, OpenApiRouter<Ctx>) {
    let json = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::sign_in, auth::sign_out))
        .routes(routes!(auth::me))
        .routes(routes!(version::get))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(threads::list, threads::open))
        .routes(routes!(threads::get))
        .routes(routes!(threads::reply))
        .routes(routes!(threads::add_note))
        .routes(routes!(threads::messages, threads::send_text))
        .routes(routes!(threads::send_template))
        .routes(routes!(threads::send_opt_in))
        .routes(routes!(threads::mark_read))
        .routes(routes!(threads::participants))
        .routes(routes!(threads::colleagues))
        .routes(routes!(threads::templates))
        .routes(routes!(events::subscribe))
        .routes(routes!(events::head))
        .routes(routes!(carrier::sms))
        .routes(routes!(carrier::status))
        .routes(routes!(carrier::voice))
        .routes(routes!(carrier::hangup))
        .routes(routes!(carrier::recording))
        .routes(routes!(carrier::transcription))
        .routes(routes!(threads::mark_heard))
        .routes(routes!(threads::use_new_number))
        .routes(routes!(threads::retry))
        .routes(routes!(media::send))
        .routes(routes!(media::send_document))
        .routes(routes!(media::download));
    // Uploads read their body themselves, up to the picture limit.
    let uploads = OpenApiRouter::new().routes(routes!(media::upload));
    // The Cloud API's webhooks, up to Meta's size.
    let webhooks = OpenApiRouter::new().routes(routes!(webhook::verify, webhook::receive));
    (json, uploads, webhooks)
}

/// The OpenAPI 3.1 document of the API (`GET /v1/openapi.json`, `docs/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (json, uploads, webhooks) = routes();
    let mut doc = json.into_openapi();
    doc.merge(uploads.into_openapi());
    doc.merge(webhooks.into_openapi());
    doc
}

pub fn router(ctx: Ctx) -> Router {
    let (json, uploads, webhooks) = routes();
    let (json, mut doc) = json.split_for_parts();
    let (uploads, upload_doc) = uploads.split_for_parts();
    let (webhooks, webhook_doc) = webhooks.split_for_parts();
    doc.merge(upload_doc);
    doc.merge(webhook_doc);
    let doc = std::sync::Arc::new(doc);
    json.route(
        "/v1/openapi.json",
        get(move || async move { axum::Json(doc.as_ref().clone()) }),
    )
    .fallback(|| async { ApiError::NotFound })
    // Extractors stop reading at the limit; a JSON body over it is answered 413 in the
    // API's error shape (see `ApiJson`).
    .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
    // An oversized upload is answered in the API's error shape by its handler.
    .merge(uploads.layer(axum::extract::DefaultBodyLimit::disable()))
    .merge(webhooks.layer(axum::extract::DefaultBodyLimit::max(MAX_WEBHOOK_BYTES)))
    .route_layer(axum::middleware::from_fn(ops::note_route))
    // First of all: an app too old for this connector is told so whatever it asks.
    .layer(axum::middleware::from_fn(version::refuse_old_apps))
    // For the load balancer and the monitoring, whatever the app's version.
    .merge(
        Router::new()
            .route("/healthz", get(ops::healthz))
            .route("/readyz", get(ops::readyz))
            .route("/metrics", get(ops::metrics))
            .route_layer(axum::middleware::from_fn(ops::note_route)),
    )
    .layer(axum::middleware::from_fn_with_state(
        ctx.clone(),
        ops::count_requests,
    ))
    // Each request has an id (the load balancer's `x-request-id`, else a new one): it is on
    // every log line written while it is served, and on its response.
    .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
    .layer(
        tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
        }),
    )
    .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
        tower_http::request_id::MakeRequestUuid,
    ))
    .with_state(ctx)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "MultiLine connector API",
        description = "The organization's WhatsApp connector: sign-in, contacts, threads, \
            messages, templates, pictures, voicemail, participants, the event stream, and the \
            Cloud API's and the SMS carrier's webhooks. Every refusal is `{\"error\": {\"code\", \"message\"}}` with a stable code."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorDetail, multiline_domain::api::Event)),
    tags(
        (name = "session", description = "Sign-in, sign-out and who am I."),
        (name = "contacts", description = "The organization's address book (F2-F3)."),
        (name = "threads", description = "Conversations and who is in them (F10-F13, F19-F20)."),
        (name = "messages", description = "Sending: text, template, opt-in, picture (F4-F9, F18)."),
        (name = "templates", description = "Approved templates (F15)."),
        (name = "media", description = "Pictures (F16-F18) and documents."),
        (name = "events", description = "The per-user event stream."),
        (name = "webhooks", description = "The Cloud API's and the carrier's callbacks."),
    )
)]
struct ApiDoc;

/// The bearer token from `POST /v1/session`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("unauthorized")]
    Unauthorized,
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("{0}")]
    Refused(Refusal),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("{message}")]
    TooLarge { code: ErrorCode, message: String },
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
    /// `409` with its own code: the request cannot be done as the world now is.
    #[error("{message}")]
    Taken { code: ErrorCode, message: String },
    /// `426`: the caller must be upgraded first (an app older than the connector serves).
    #[error("{message}")]
    UpgradeRequired { code: ErrorCode, message: String },
    /// The body stopped arriving (`ServerLimits::body_timeout`) or broke off.
    #[error("the request body did not arrive")]
    BodyTimeout,
    /// `429` with `Retry-After`.
    #[error("{message}")]
    TooMany {
        code: ErrorCode,
        message: String,
        retry_after: std::time::Duration,
    },
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => ApiError::NotFound,
            Error::Refused(r) => ApiError::Refused(r),
            Error::Invalid { code, message } => ApiError::BadRequest { code, message },
            Error::Conflict(what) => ApiError::Conflict(what),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(format!("{e:#}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "Not found.".to_owned(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "Sign in again: your session is missing, expired or revoked.".to_owned(),
            ),
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, *code, message.clone())
            }
            ApiError::Refused(r) => (refusal_status(*r), r.code(), r.to_string()),
            ApiError::TooLarge { code, message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, *code, message.clone())
            }
            ApiError::Forbidden { code, message } => {
                (StatusCode::FORBIDDEN, *code, message.clone())
            }
            ApiError::Taken { code, message } => (StatusCode::CONFLICT, *code, message.clone()),
            ApiError::UpgradeRequired { code, message } => {
                (StatusCode::UPGRADE_REQUIRED, *code, message.clone())
            }
            ApiError::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::BodyTimeout,
                "The request body did not arrive in time.".to_owned(),
            ),
            ApiError::TooMany {
                code,
                message,
                retry_after,
            } => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: *code,
                        message: message.clone(),
                    },
                };
                // Whole seconds, rounded up: never "retry after 0".
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, secs.max(1).to_string())],
                    axum::Json(body),
                )
                    .into_response();
            }
            ApiError::Conflict(what) => (
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("Conflict: {what}."),
            ),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::InternalError,
                    "Something went wrong on the server.".to_owned(),
                )
            }
        };
        let body = ErrorBody {
            error: ErrorDetail { code, message },
        };
        (status, axum::Json(body)).into_response()
    }
}

/// The status of a refusal by the rules: 422 for what the guest's standing or the window
/// forbids, 400 for a draft to fix or a thread that takes nothing (as since the first
/// release: API clients branch on these).
fn refusal_status(r: Refusal) -> StatusCode {
    match r {
        Refusal::ThreadClosed
        | Refusal::WhatsappDisabled
        | Refusal::EmptyMessage
        | Refusal::WhatsappTextTooLong
        | Refusal::SmsTooLong
        | Refusal::CaptionTooLong
        | Refusal::MmsUnsupported
        | Refusal::NotAnImage
        | Refusal::NotADocument => StatusCode::BAD_REQUEST,
        Refusal::ImageTooLarge | Refusal::DocumentTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::ConsentMissing
        | Refusal::ConsentPending
        | Refusal::OptedOut
        | Refusal::WindowClosedUseTemplate
        | Refusal::OptInTooSoon
        | Refusal::AlreadyConsented
        | Refusal::SmsStopped
        | Refusal::WhatsappOnly
        | Refusal::VoicemailOnly => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// `Path<T>` whose rejections are [`ApiError`]s: a malformed id is a 404, like a missing one.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|_| ApiError::NotFound)
    }
}

/// `Query<T>` whose rejections are [`ApiError`]s with a stable code.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::BadRequest {
                code: ErrorCode::InvalidQuery,
                message: e.body_text(),
            })
    }
}

/// `Json<T>` whose rejections are [`ApiError`]s with stable codes.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => ApiError::BadRequest {
                    code: ErrorCode::InvalidBody,
                    message: e.body_text(),
                },
                JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest {
                    code: ErrorCode::InvalidJson,
                    message: "The body is not valid JSON.".into(),
                },
                JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                    code: ErrorCode::UnsupportedMediaType,
                    message: "Send JSON with Content-Type: application/json.".into(),
                },
                JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(
                    FailedToBufferBody::UnknownBodyError(_),
                )) => ApiError::BodyTimeout,
                JsonRejection::BytesRejection(_) => ApiError::TooLarge {
                    code: ErrorCode::BodyTooLarge,
                    message: format!(
                        "The request body is too large (at most {} KB).",
                        MAX_BODY_BYTES / 1024
                    ),
                },
                _ => ApiError::BadRequest {
                    code: ErrorCode::InvalidBody,
                    message: "The request body could not be read.".into(),
                },
            }),
        }
    }
}
