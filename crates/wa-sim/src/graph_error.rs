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
    /// `OAuthException` for most, `GraphMethodException` for an unknown object.
    kind: &'static str,
    subcode: Option<u32>,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            kind: "OAuthException",
            subcode: None,
        }
    }

    /// An id that names nothing this token may see: HTTP 400, `GraphMethodException`, code
    /// 100, subcode 33, as Meta answers it.
    pub(crate) fn unknown_object(method: &str, id: &str) -> Self {
        GraphError {
            kind: "GraphMethodException",
            subcode: Some(33),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                100,
                format!(
                    "Unsupported {method} request. Object with ID '{id}' does not exist, cannot \
                     be loaded due to missing permissions, or does not support this operation."
                ),
            )
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
        let mut body = json!({
            "error": {
                "message": message,
                "type": self.kind,
                "code": self.code,
                "error_data": { "messaging_product": "whatsapp", "details": self.message },
                "fbtrace_id": "AsimTrace000"
            }
        });
        if let Some(subcode) = self.subcode {
            body["error"]["error_subcode"] = json!(subcode);
        }
        (self.status, Json(body)).into_response()
    }
}
