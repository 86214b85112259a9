//! Sign-in, sign-out and the bearer-token extractor.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use base64::Engine;
use multiline_domain::api::{Session, SignInRequest, SignInResponse};
use multiline_domain::errors::ErrorCode;
use rand::RngCore;

use super::{ApiError, ApiJson};
use crate::ctx::Ctx;
use crate::store::Caller;
use crate::usecases::accounts;

/// The authenticated caller of a `/v1` request, with their token.
pub struct Auth {
    pub caller: Caller,
    pub token: String,
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

impl FromRequestParts<Ctx> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let t = token.clone();
        let caller = ctx
            .run(move |env| accounts::caller(env, &t))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Auth { caller, token })
    }
}

/// A fresh opaque token: 32 random bytes, base64url.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[utoipa::path(post, path = "/v1/session", tag = "session", request_body = SignInRequest, responses((status = 200, description = "Signed in: a bearer token and who the user is.", body = SignInResponse), (status = 429, description = "Too many wrong passwords for this account or from this address (`too_many_attempts`), or too many sign-ins at once (`busy`): try again after `Retry-After` seconds.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_credentials`, `invalid_json`, `invalid_body`.", body = super::ErrorBody)))]
pub async fn sign_in(
    State(ctx): State<Ctx>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SignInResponse>, ApiError> {
    let ip = addr.map(|a| a.ip());
    let locked = |wait: chrono::Duration| ApiError::TooMany {
        code: ErrorCode::TooManyAttempts,
        message: format!("Too many wrong passwords: try again in {}.", in_words(wait)),
        retry_after: wait.to_std().unwrap_or_default(),
    };
    ctx.sign_in_throttle
        .check(&req.email, ip, ctx.clock.now())
        .map_err(locked)?;
    // At most `PASSWORD_SLOTS` hashes at once; a flood waits its turn, briefly.
    let mut slot = ctx
        .password_slots
        .take(PASSWORD_WAIT)
        .await
        .ok_or_else(|| ApiError::TooMany {
            code: ErrorCode::Busy,
            message: "The server is busy signing people in: try again in a moment.".into(),
            retry_after: std::time::Duration::from_secs(1),
        })?;
    // A lock may have started while this attempt waited.
    ctx.sign_in_throttle
        .check(&req.email, ip, ctx.clock.now())
        .map_err(locked)?;
    let token = new_token();
    let t = token.clone();
    let email = req.email.clone();
    let session = ctx
        .run(move |env| accounts::sign_in(env, &email, &req.password, &t, slot.memory()))
        .await;
    match session? {
        Some(session) => {
            ctx.sign_in_throttle.succeeded(&req.email);
            Ok(Json(SignInResponse { token, session }))
        }
        None => {
            let lockouts = ctx.sign_in_throttle.failed(&req.email, ip, ctx.clock.now());
            if !lockouts.is_empty() {
                let email = req.email.clone();
                ctx.run(move |env| accounts::sign_in_locked(env, &email, &lockouts))
                    .await?;
            }
            Err(ApiError::BadRequest {
                code: ErrorCode::InvalidCredentials,
                message: "The email or password is wrong.".into(),
            })
        }
    }
}

/// "30 seconds", "1 minute", "15 minutes": a wait as the sign-in screen says it.
fn in_words(wait: chrono::Duration) -> String {
    let secs = wait.num_seconds().max(1);
    let (n, unit) = if secs < 60 {
        (secs, "second")
    } else {
        ((secs + 59) / 60, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// How long a sign-in waits for a password slot before it is answered `busy`.
const PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The client's address, when the request came over the network (see [`crate::serve`]).
pub struct ClientAddr(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(crate::serve::client_addr(parts)))
    }
}

#[utoipa::path(delete, path = "/v1/session", tag = "session", security(("bearer" = [])), responses((status = 204, description = "The session is revoked."), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unauthorized`.", body = super::ErrorBody)))]
pub async fn sign_out(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<axum::http::StatusCode, ApiError> {
    ctx.run(move |env| accounts::sign_out(env, &auth.token))
        .await?;
    ctx.sessions_may_have_ended();
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "session", security(("bearer" = [])), responses((status = 200, description = "The user, the organization, whether WhatsApp is enabled (F1).", body = Session), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unauthorized`.", body = super::ErrorBody)))]
pub async fn me(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Session>, ApiError> {
    let user = auth.caller.user_id;
    Ok(Json(
        ctx.run(move |env| accounts::session(env, user)).await?,
    ))
}
