//! The Cloud API's callback: `GET` verification and signed `POST`s, per line
//! (`/webhooks/whatsapp/{line id}`: each line has its own app secret and verify token).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use uuid::Uuid;

use super::{ApiError, ApiPath, ApiQuery};
use crate::Ctx;
use crate::webhooks::signature_valid;

#[derive(Deserialize)]
pub struct Verify {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription check: echo the challenge when the verify token matches.
pub async fn verify(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<Verify>,
) -> Result<(StatusCode, String), ApiError> {
    let line = ctx.db(move |s| s.line(line)).await?;
    let token_ok = q.verify_token.as_deref().is_some_and(|t| {
        subtle::ConstantTimeEq::ct_eq(t.as_bytes(), line.verify_token.as_bytes()).into()
    });
    match (q.mode.as_deref(), token_ok, q.challenge) {
        (Some("subscribe"), true, Some(challenge)) => Ok((StatusCode::OK, challenge)),
        _ => Ok((StatusCode::FORBIDDEN, "verification failed".into())),
    }
}

/// A webhook delivery: signature first, then JSON well-formedness, then keep it and answer.
pub async fn receive(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let line = ctx.db(move |s| s.line(line)).await?;
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !signature_valid(&line.app_secret, &body, header) {
        tracing::warn!(line = %line.id, "webhook with a missing or wrong signature refused");
        return Err(ApiError::Unauthorized);
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
        return Err(ApiError::BadRequest {
            code: "invalid_json",
            message: "The body is not valid JSON.".into(),
        });
    }
    let now = ctx.clock.now();
    let line_id = line.id;
    ctx.db(move |s| s.inbox_push(line_id, &body, now)).await?;
    ctx.inbox.notify_one();
    Ok(StatusCode::OK)
}
