//! The control API for tests and the demo (not part of Meta's API): drive simulated guests
//! and read what they received.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{Received, SimState};

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/control/guests/{wa_id}/send", post(guest_sends))
        .route("/control/guests/{wa_id}/received", get(received))
        .route("/control/clock/advance", post(advance_clock))
        .with_state(state)
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
