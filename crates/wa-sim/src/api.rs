//! The Graph API endpoints: `POST /{version}/{phone-number-id}/messages` and
//! `GET /{version}/{waba-id}/message_templates`, with Meta's error shapes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use multiline_domain::window::WINDOW;
use serde_json::{Value, json};

use crate::state::{Received, SimState};

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/{version}/{phone_number_id}/messages", post(send))
        .route("/{version}/{waba_id}/message_templates", get(templates))
        .with_state(state)
}

/// A Graph API error: `{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}`.
pub(crate) struct GraphError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl GraphError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
        }
    }
    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, message)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "message": self.message,
                "type": "OAuthException",
                "code": self.code,
                "error_data": { "messaging_product": "whatsapp", "details": self.message },
                "fbtrace_id": "AsimTrace000"
            }
        });
        (self.status, Json(body)).into_response()
    }
}

fn check_token(state: &SimState, headers: &HeaderMap) -> Result<(), GraphError> {
    let expected = format!("Bearer {}", state.config.access_token);
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(got) if got == expected => Ok(()),
        _ => Err(GraphError::new(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )),
    }
}

async fn send(
    State(state): State<Arc<SimState>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    if phone_number_id != state.config.phone_number_id {
        return Err(GraphError::invalid(format!(
            "Unsupported post request. Object with ID '{phone_number_id}' does not exist"
        )));
    }
    let request: Value = serde_json::from_slice(&body)
        .map_err(|_| GraphError::invalid("The request body is not valid JSON"))?;
    if request["messaging_product"] != "whatsapp" {
        return Err(GraphError::invalid(
            "(#100) The parameter messaging_product is required.",
        ));
    }
    // Mark-as-read shares the endpoint.
    if request["status"] == "read" {
        return Ok(Json(json!({ "success": true })));
    }
    let to = request["to"]
        .as_str()
        .map(|to| to.trim_start_matches('+').to_owned())
        .filter(|to| !to.is_empty())
        .ok_or_else(|| GraphError::invalid("(#100) The parameter to is required."))?;
    let kind = request["type"].as_str().unwrap_or("text").to_owned();
    let text = match kind.as_str() {
        "text" => request["text"]["body"]
            .as_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| GraphError::invalid("(#100) The parameter text['body'] is required."))?
            .to_owned(),
        "template" => check_template(&state, &request["template"])?,
        other => {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                131051,
                format!("Unsupported message type: {other}"),
            ));
        }
    };
    let now = state.clock.now();
    let wamid = {
        let mut world = state.world();
        let wamid = world.wamid();
        let Some(guest) = world.guests.get_mut(&to) else {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                131026,
                "Message undeliverable: the recipient is not a WhatsApp user",
            ));
        };
        // Meta's rule: free-form only within 24 h of the guest's last message.
        let in_window = guest.last_message_at.is_some_and(|at| now < at + WINDOW);
        if kind != "template" && !in_window {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                131047,
                "Re-engagement message: more than 24 hours have passed since the recipient last replied",
            ));
        }
        guest.received.push(Received {
            wamid: wamid.clone(),
            at: now,
            kind: kind.clone(),
            text,
            request: request.clone(),
        });
        wamid
    };
    // Acceptance is not delivery: statuses follow as webhooks, in order.
    state.status(&wamid, &to, "sent");
    state.status(&wamid, &to, "delivered");
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": request["to"], "wa_id": to }],
        "messages": [{ "id": wamid }]
    })))
}

/// Looks the template up like Meta does (name + language, APPROVED) and checks the body's
/// parameter count. Returns the template's name for the guest's inbox.
fn check_template(state: &SimState, template: &Value) -> Result<String, GraphError> {
    let name = template["name"].as_str().unwrap_or_default();
    let language = template["language"]["code"].as_str().unwrap_or_default();
    let world = state.world();
    let found = world
        .templates
        .iter()
        .find(|t| t.name == name && t.language == language)
        .ok_or_else(|| {
            GraphError::new(
                StatusCode::NOT_FOUND,
                132001,
                format!("Template name does not exist in the translation: {name} ({language})"),
            )
        })?;
    if found.status != "APPROVED" {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            132015,
            format!("Template is {}", found.status),
        ));
    }
    let body_text = found
        .components
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|c| {
            (c["type"] == "BODY").then(|| c["text"].as_str().unwrap_or_default().to_owned())
        });
    let expected = body_text.as_deref().map(count_variables).unwrap_or(0);
    let given = template["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "body")
        .map(|c| c["parameters"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    if given != expected {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            132000,
            format!(
                "Number of parameters does not match the expected number of params ({expected})"
            ),
        ));
    }
    Ok(name.to_owned())
}

/// The number of distinct `{{...}}` variables in a template text.
fn count_variables(text: &str) -> usize {
    let mut seen = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !seen.contains(&name) {
            seen.push(name);
        }
        rest = &after[end + 2..];
    }
    seen.len()
}

async fn templates(
    State(state): State<Arc<SimState>>,
    Path((_version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    if waba_id != state.config.waba_id {
        return Err(GraphError::invalid(format!(
            "Object with ID '{waba_id}' does not exist"
        )));
    }
    let data = serde_json::to_value(&state.world().templates).expect("templates serialize");
    Ok(Json(
        json!({ "data": data, "paging": { "cursors": { "before": "", "after": "" } } }),
    ))
}
