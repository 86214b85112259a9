//! The HTTP API: `/v1` (JSON, bearer tokens), `/v1/events` (WebSocket) and the Cloud API
//! webhook endpoints. One error type, [`ApiError`], answers `{"error": {"code", "message"}}`
//! with stable codes; server-side details go to the log, never to the client.

mod auth;
mod contacts;
mod events;
mod media;
mod threads;
mod webhook;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use multiline_domain::api::{ErrorBody, ErrorDetail};
use serde::de::DeserializeOwned;

use crate::Ctx;
use crate::store::StoreError;

pub use auth::Auth;

/// The largest request body accepted on `/v1` (JSON) and on webhooks.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/v1/session", post(auth::sign_in).delete(auth::sign_out))
        .route("/v1/me", get(auth::me))
        .route("/v1/contacts", get(contacts::list).post(contacts::create))
        .route(
            "/v1/contacts/{id}",
            get(contacts::get)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route("/v1/threads", get(threads::list).post(threads::open))
        .route("/v1/threads/{id}", get(threads::get))
        .route(
            "/v1/threads/{id}/messages",
            get(threads::messages).post(threads::send_text),
        )
        .route("/v1/threads/{id}/templates", post(threads::send_template))
        .route("/v1/threads/{id}/opt-in", post(threads::send_opt_in))
        .route("/v1/threads/{id}/read", post(threads::mark_read))
        .route("/v1/threads/{id}/participants", post(threads::participants))
        .route("/v1/users", get(threads::colleagues))
        .route("/v1/templates", get(threads::templates))
        .route("/v1/events", get(events::subscribe))
        .route("/v1/events/head", get(events::head))
        .route(
            "/webhooks/whatsapp/{line}",
            get(webhook::verify).post(webhook::receive),
        )
        .route("/v1/threads/{id}/pictures", post(media::send))
        .route("/v1/media/{id}", get(media::download))
        .fallback(|| async { ApiError::NotFound })
        // Extractors stop reading at the limit; a JSON body over it is answered 413 in the
        // API's error shape (see `ApiJson`).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Uploads read their body themselves, up to the picture limit, and answer an
        // oversized one in the API's error shape.
        .merge(
            Router::new()
                .route("/v1/media", post(media::upload))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .with_state(ctx)
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("unauthorized")]
    Unauthorized,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Refused(multiline_domain::policy::Refusal),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Refused(r) => ApiError::Refused(r),
            StoreError::Invalid { code, message } => ApiError::BadRequest { code, message },
            StoreError::Conflict(what) => ApiError::Conflict(what),
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
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found.".to_owned()),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Sign in again: your session is missing, expired or revoked.".to_owned(),
            ),
            ApiError::BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, *code, message.clone())
            }
            ApiError::Refused(r) => (StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string()),
            ApiError::TooLarge { code, message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, *code, message.clone())
            }
            ApiError::Conflict(what) => (
                StatusCode::CONFLICT,
                "conflict",
                format!("Conflict: {what}."),
            ),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on the server.".to_owned(),
                )
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, axum::Json(body)).into_response()
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
                code: "invalid_query",
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
                    code: "invalid_body",
                    message: e.body_text(),
                },
                JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest {
                    code: "invalid_json",
                    message: "The body is not valid JSON.".into(),
                },
                JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                    code: "unsupported_media_type",
                    message: "Send JSON with Content-Type: application/json.".into(),
                },
                JsonRejection::BytesRejection(_) => ApiError::TooLarge {
                    code: "body_too_large",
                    message: format!(
                        "The request body is too large (at most {} KB).",
                        MAX_BODY_BYTES / 1024
                    ),
                },
                _ => ApiError::BadRequest {
                    code: "invalid_body",
                    message: "The request body could not be read.".into(),
                },
            }),
        }
    }
}
