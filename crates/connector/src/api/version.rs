//! `GET /v1/version`, and the refusal of apps older than the connector serves.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use multiline_domain::api::{APP_VERSION_HEADER, VersionInfo};
use multiline_domain::errors::ErrorCode;
use multiline_domain::version;

/// The oldest app this connector serves. Raised only when a change to the API would make
/// older apps misbehave (a route removed, a field's meaning changed); adding routes and
/// fields never needs it (an older app ignores what it does not know). docs/operations.md
/// says how upgrades go.
pub const MIN_APP_VERSION: &str = "0.1.0";

#[utoipa::path(get, path = "/v1/version", tag = "session", responses((status = 200, description = "The connector's version and the oldest app version it serves; no session needed.", body = VersionInfo), (status = "4XX", description = "`426 app_too_old`: the request named an app version older than `min_app_version` (every route answers so).", body = super::ErrorBody)))]
pub async fn get() -> axum::Json<VersionInfo> {
    axum::Json(VersionInfo {
        version: version::THIS.to_owned(),
        min_app_version: MIN_APP_VERSION.to_owned(),
    })
}

/// Answers `426 app_too_old` to a request whose app version is below [`MIN_APP_VERSION`],
/// before anything else reads it. Requests that name no version (scripts, the providers'
/// webhooks) and newer apps pass.
pub async fn refuse_old_apps(request: Request, next: Next) -> Response {
    let named = request
        .headers()
        .get(APP_VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Some(app) = named
        && version::is_older(app, MIN_APP_VERSION)
    {
        return super::ApiError::UpgradeRequired {
            code: ErrorCode::AppTooOld,
            message: version::too_old_message(app, MIN_APP_VERSION),
        }
        .into_response();
    }
    next.run(request).await
}
