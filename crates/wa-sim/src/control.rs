//! The control API for tests and the demo (not part of Meta's API): drive simulated guests
//! (text, a template's button, off the network), read what they received, inject faults
//! into the next Graph API calls, duplicate or reorder the next webhooks, add templates and
//! change their status, move the clock.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{Fault, Received, SimState};

/// Guards `/control`: the run's token in `X-Sim-Token` (or, for a `GET` such as an `<img>`'s,
/// `?token=`), and for a `POST` a JSON or picture body, never a type a cross-site "simple"
/// request can carry (`text/plain`, forms). Other paths pass.
pub(crate) async fn guard(
    token: String,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !request.uri().path().starts_with("/control/") {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get("x-sim-token")
        .and_then(|v| v.to_str().ok());
    let query = (request.method() == axum::http::Method::GET)
        .then(|| {
            request.uri().query().and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("token="))
                    .map(str::to_owned)
            })
        })
        .flatten();
    let given = header.map(str::to_owned).or(query);
    if given.as_deref() != Some(token.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            "the simulator's control API needs this run's token (X-Sim-Token)",
        )
            .into_response();
    }
    if request.method() == axum::http::Method::POST {
        let kind = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let allowed = kind.starts_with("application/json")
            || kind.starts_with("image/")
            || (kind.is_empty() && body_is_empty(&request));
        if !allowed {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send JSON (Content-Type: application/json) or a picture",
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// A request that declares no body (`Content-Length: 0` or none).
fn body_is_empty(request: &axum::extract::Request) -> bool {
    request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|n| n.trim() == "0")
}

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/guest", get(guest_page))
        .route("/control/guests", get(guests))
        .route("/control/media/{id}", get(media))
        .route("/control/guests", post(add_guest))
        .route("/control/guests/{wa_id}/send", post(guest_sends))
        .route("/control/guests/{wa_id}/message", post(guest_sends_message))
        .route("/control/guests/{wa_id}/read", post(guest_reads))
        .route("/control/guests/{wa_id}/received", get(received))
        .route("/control/guests/{wa_id}/button", post(guest_presses_button))
        .route("/control/guests/{wa_id}/image", post(guest_sends_image))
        .route("/control/guests/{wa_id}/reachable", post(set_reachable))
        .route(
            "/control/guests/{wa_id}/last-message",
            post(set_last_message),
        )
        .route("/control/faults", post(inject_fault).delete(clear_faults))
        .route("/control/templates", post(add_template))
        .route(
            "/control/templates/{name}/status",
            post(set_template_status),
        )
        .route("/control/webhooks", post(plan_webhooks))
        .route("/control/clock/advance", post(advance_clock))
        // A guest's picture may be as large as the Cloud API allows.
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::state::IMAGE_LIMIT * 2,
        ))
        .with_state(state)
}

#[derive(Deserialize)]
struct Button {
    payload: String,
    text: String,
}

async fn guest_presses_button(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    Json(body): Json<Button>,
) -> Result<Json<Value>, (StatusCode, String)> {
    state
        .guest_presses_button(&wa_id, &body.payload, &body.text)
        .map(|wamid| Json(json!({ "wamid": wamid })))
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

#[derive(Deserialize)]
struct Caption {
    caption: Option<String>,
}

/// The body is the picture itself (`content-type: image/jpeg` or `image/png`);
/// `?caption=...` is optional.
async fn guest_sends_image(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Caption>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, (StatusCode, String)> {
    let mime = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("image/jpeg");
    state
        .guest_sends_image(&wa_id, body.to_vec(), mime, query.caption.as_deref())
        .map(|wamid| Json(json!({ "wamid": wamid })))
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

#[derive(Deserialize)]
struct Reachable {
    reachable: bool,
}

#[derive(Deserialize)]
struct LastMessage {
    /// How long ago Meta saw the guest's last message (its own record of the window).
    hours_ago: i64,
}

/// Meta's record of when the guest last wrote, set back: its 24-hour rule then refuses
/// free-form sends the connector (whose record is newer) still lets through, as when the
/// two disagree by a race.
async fn set_last_message(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    Json(body): Json<LastMessage>,
) -> StatusCode {
    let at = state.clock.now() - chrono::Duration::hours(body.hours_ago);
    state.set_guest_last_message_at(&wa_id, at);
    StatusCode::NO_CONTENT
}

async fn set_reachable(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    Json(body): Json<Reachable>,
) -> StatusCode {
    state.set_reachable(&wa_id, body.reachable);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct PlannedFault {
    #[serde(flatten)]
    fault: Fault,
    /// How many calls it takes (1 unless said).
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// `{"kind": "server_error" | "rate_limit" | "error" (+ "code") | "delay" (+ "ms"), "count": N}`
#[derive(Deserialize)]
struct TemplateStatus {
    /// APPROVED, PAUSED, DISABLED, REJECTED, ARCHIVED...
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct NewGuest {
    wa_id: String,
    name: String,
}

/// A phone with WhatsApp, reachable from now on (the simulator knows only its guests: a
/// send to any other number fails with 131026, as to a number not on WhatsApp).
async fn add_guest(State(state): State<Arc<SimState>>, Json(guest): Json<NewGuest>) -> StatusCode {
    state.add_guest(&guest.wa_id, &guest.name);
    StatusCode::NO_CONTENT
}

/// The business creates a template in WhatsApp Manager (and Meta reviews it): the listing
/// has it from now on, in the status given. The body is the template in Meta's listing shape.
async fn add_template(
    State(state): State<Arc<SimState>>,
    Json(template): Json<crate::state::Template>,
) -> StatusCode {
    state.add_template(template);
    StatusCode::NO_CONTENT
}

/// Meta changes a template's status (pauses it for low quality, disables it, approves it
/// again): the listing says so from now on, and a `message_template_status_update` webhook
/// tells the business.
async fn set_template_status(
    State(state): State<Arc<SimState>>,
    Path(name): Path<String>,
    Json(body): Json<TemplateStatus>,
) -> Result<StatusCode, (StatusCode, String)> {
    state
        .template_status(&name, &body.status, body.reason.as_deref())
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

async fn inject_fault(
    State(state): State<Arc<SimState>>,
    Json(body): Json<PlannedFault>,
) -> StatusCode {
    state.inject_fault(body.fault, body.count);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(state): State<Arc<SimState>>) -> StatusCode {
    state.world().faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct WebhookPlan {
    #[serde(default)]
    duplicate: u32,
    #[serde(default)]
    reorder: u32,
}

/// `{"duplicate": N}`: the next N webhooks are delivered twice. `{"reorder": N}`: the next N
/// are held and then delivered newest first.
async fn plan_webhooks(
    State(state): State<Arc<SimState>>,
    Json(body): Json<WebhookPlan>,
) -> StatusCode {
    let mut world = state.world();
    world.duplicate_next += body.duplicate;
    world.reorder_next += body.reorder;
    StatusCode::NO_CONTENT
}

/// The guest phone: a page to play the customers by hand in the demo.
async fn guest_page() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("guest.html"))
}

/// The simulated guests, by name.
async fn guests(State(state): State<Arc<SimState>>) -> Json<Value> {
    let mut guests: Vec<Value> = state
        .world()
        .guests
        .values()
        .map(|g| json!({ "wa_id": g.wa_id, "name": g.name, "username": g.username }))
        .collect();
    guests.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Json(Value::Array(guests))
}

/// A stored picture, for the guest phone to show what the business sent.
async fn media(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
) -> Result<axum::response::Response, StatusCode> {
    use axum::response::IntoResponse;
    let world = state.world();
    let media = world.media.get(&id).ok_or(StatusCode::NOT_FOUND)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, media.mime_type.clone())],
        media.bytes.clone(),
    )
        .into_response())
}

/// Any kind of message (`{"kind": "voice"}`, `{"kind": "location", ...}`: see
/// [`crate::GuestMessage`]).
async fn guest_sends_message(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    Json(body): Json<crate::GuestMessage>,
) -> Result<Json<Value>, (StatusCode, String)> {
    state
        .guest_sends(&wa_id, body)
        .map(|wamid| Json(json!({ "wamid": wamid })))
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

/// The guest phone shows the guest's chat: what they received is read now.
async fn guest_reads(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
) -> Result<Json<Value>, (StatusCode, String)> {
    state
        .guest_reads(&wa_id)
        .map(|read| Json(json!({ "read": read })))
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

#[derive(Deserialize)]
struct GuestText {
    text: String,
}

async fn guest_sends(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
    Json(body): Json<GuestText>,
) -> Result<Json<Value>, (StatusCode, String)> {
    state
        .guest_sends_text(&wa_id, &body.text)
        .map(|wamid| Json(json!({ "wamid": wamid })))
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))
}

async fn received(
    State(state): State<Arc<SimState>>,
    Path(wa_id): Path<String>,
) -> Json<Vec<Received>> {
    Json(state.received(&wa_id))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

/// Moves the shared clock forward by `seconds` (only where the embedder allowed it).
async fn advance_clock(
    State(state): State<Arc<SimState>>,
    Json(body): Json<Advance>,
) -> Result<Json<Value>, (StatusCode, String)> {
    if body.seconds < 0 {
        return Err((StatusCode::BAD_REQUEST, "time only moves forward".into()));
    }
    let control = state
        .clock_control
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(control) = control else {
        return Err((
            StatusCode::CONFLICT,
            "this simulator's clock cannot be moved".into(),
        ));
    };
    control(chrono::Duration::seconds(body.seconds));
    Ok(Json(json!({ "now": state.clock.now() })))
}
