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
