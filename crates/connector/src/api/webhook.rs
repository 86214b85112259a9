//! The Cloud API's callback: `GET` verification and signed `POST`s, per line
//! (`/webhooks/whatsapp/{line id}`: each line has its own app secret and verify token).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use multiline_domain::errors::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use super::{ApiError, ApiPath, ApiQuery};
use multiline_whatsapp_webhook::{phone_number_ids, signature_valid};

use crate::ctx::Ctx;
use crate::inbox;
use crate::lines_seen;
use crate::store::{InboxSource, Line};
use crate::usecases::accounts;

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
#[utoipa::path(get, path = "/webhooks/whatsapp/{line}", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("hub.mode" = Option<String>, Query), ("hub.verify_token" = Option<String>, Query), ("hub.challenge" = Option<String>, Query)), responses((status = 200, description = "The challenge, echoed."), (status = 403, description = "Wrong verify token.")))]
pub async fn verify(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<Verify>,
) -> Result<(StatusCode, String), ApiError> {
    let line = ctx.run(move |env| accounts::line(env, line)).await?;
    let token_ok = q.verify_token.as_deref().is_some_and(|t| {
        subtle::ConstantTimeEq::ct_eq(t.as_bytes(), line.verify_token.as_bytes()).into()
    });
    match (q.mode.as_deref(), token_ok, q.challenge) {
        (Some("subscribe"), true, Some(challenge)) => Ok((StatusCode::OK, challenge)),
        _ => Ok((StatusCode::FORBIDDEN, "verification failed".into())),
    }
}

/// A webhook delivery: signature first, then the numbers it is for (each change's
/// `metadata.phone_number_id` must be this line's: one app may call one URL for several
/// numbers, and a body for another is refused, audited, and kept nowhere), then keep it and
/// answer. Bodies up to Meta's 3 MB.
#[utoipa::path(post, path = "/webhooks/whatsapp/{line}", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("X-Hub-Signature-256" = String, Header, description = "sha256=HMAC of the raw body with the app secret.")), request_body(content = Object, description = "The Cloud API's webhook payload."), responses((status = 200, description = "Kept; processed durably."), (status = 401, description = "Missing or wrong signature: nothing stored.", body = super::ErrorBody), (status = 403, description = "`wrong_line`: the body is for another WhatsApp number than this line's; nothing stored, audited.", body = super::ErrorBody), (status = 413, description = "`body_too_large`: over 4 MiB.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_json`, `not_found`.", body = super::ErrorBody)))]
pub async fn receive(
    State(ctx): State<Ctx>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let mut kept = ctx.lines_seen.get(id, lines_seen::now());
    let line = loop {
        let (line, fresh) = match kept.take() {
            Some(line) => (line, false),
            None => {
                let line = ctx.run(move |env| accounts::line(env, id)).await?;
                ctx.lines_seen.keep(&line, lines_seen::now());
                (line, true)
            }
        };
        match refusal(&line, header, &body) {
            None => break line,
            // The line as kept may be older than the secret or number the body was sent
            // for: read again before refusing.
            Some(_) if !fresh => {}
            Some(refused) => return refuse(&ctx, &line, refused).await,
        }
    };
    inbox::keep(&ctx, line.id, InboxSource::Whatsapp, body.to_vec()).await?;
    Ok(StatusCode::OK)
}

/// Why `line` refuses a webhook.
enum Refused {
    Signature,
    NotJson(String),
    OtherNumber(String),
}

/// Whether `line` refuses a webhook with this signature `header` and `body`: signature
/// first, then the numbers it is for.
fn refusal(line: &Line, header: Option<&str>, body: &[u8]) -> Option<Refused> {
    if !signature_valid(&line.app_secret, body, header) {
        return Some(Refused::Signature);
    }
    match phone_number_ids(body) {
        Err(e) => Some(Refused::NotJson(e.to_string())),
        Ok(numbers) => numbers
            .into_iter()
            .find(|n| *n != line.phone_number_id)
            .map(Refused::OtherNumber),
    }
}

/// The answer to a refused webhook; a body for another number is audited.
async fn refuse(ctx: &Ctx, line: &Line, refused: Refused) -> Result<StatusCode, ApiError> {
    match refused {
        Refused::Signature => {
            tracing::warn!(line = %line.id, "webhook with a missing or wrong signature refused");
            Err(ApiError::Unauthorized)
        }
        Refused::NotJson(e) => Err(ApiError::BadRequest {
            code: ErrorCode::InvalidJson,
            message: format!("The body is not a WhatsApp webhook: {e}"),
        }),
        Refused::OtherNumber(other) => {
            tracing::warn!(line = %line.id, number = %other, "webhook for another number refused");
            let (org, id) = (line.org_id, line.id);
            ctx.run(move |env| accounts::webhook_refused(env, org, id, &other))
                .await?;
            Err(ApiError::Forbidden {
                code: ErrorCode::WrongLine,
                message: "This webhook is for another WhatsApp number than this line's.".into(),
            })
        }
    }
}
