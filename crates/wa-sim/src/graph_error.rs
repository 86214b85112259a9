//! A Graph API error in Meta's shape: `{"error": {"message": "(#code) title", "type",
//! "code", "error_data": {"details"}, "fbtrace_id"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Graph API error: `{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}`.
pub(crate) struct GraphError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
        }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, message)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        // Meta's shape: `message` is "(#code) title", the details in `error_data`.
        let message = if self.message.starts_with("(#") {
            self.message.clone()
        } else {
            format!("(#{}) {}", self.code, self.message)
        };
        let body = json!({
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": self.code,
                "error_data": { "messaging_product": "whatsapp", "details": self.message },
                "fbtrace_id": "AsimTrace000"
            }
        });
        (self.status, Json(body)).into_response()
    }
}
