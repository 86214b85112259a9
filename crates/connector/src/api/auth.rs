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

#[utoipa::path(post, path = "/v1/session", tag = "session", request_body = SignInRequest, responses((status = 200, description = "Signed in: a bearer token and who the user is.", body = SignInResponse), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_credentials`, `invalid_json`, `invalid_body`.", body = super::ErrorBody)))]
pub async fn sign_in(
    State(ctx): State<Ctx>,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<SignInResponse>, ApiError> {
    let token = new_token();
    let t = token.clone();
    let session = ctx
        .run(move |env| accounts::sign_in(env, &req.email, &req.password, &t))
        .await?;
    match session {
        Some(session) => Ok(Json(SignInResponse { token, session })),
        None => Err(ApiError::BadRequest {
            code: ErrorCode::InvalidCredentials,
            message: "The email or password is wrong.".into(),
        }),
    }
}

#[utoipa::path(delete, path = "/v1/session", tag = "session", security(("bearer" = [])), responses((status = 204, description = "The session is revoked."), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unauthorized`.", body = super::ErrorBody)))]
pub async fn sign_out(
    State(ctx): State<Ctx>,
    auth: Auth,
) -> Result<axum::http::StatusCode, ApiError> {
    ctx.run(move |env| accounts::sign_out(env, &auth.token))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/me", tag = "session", security(("bearer" = [])), responses((status = 200, description = "The user, the organization, whether WhatsApp is enabled (F1).", body = Session), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unauthorized`.", body = super::ErrorBody)))]
pub async fn me(State(ctx): State<Ctx>, auth: Auth) -> Result<Json<Session>, ApiError> {
    let user = auth.caller.user_id;
    Ok(Json(
        ctx.run(move |env| accounts::session(env, user)).await?,
    ))
}
