//! What a use case of the core can fail with, and the one shape every command answers
//! ([`AppError`]: a typed code, a sentence, and the form field it is about).

use multiline_domain::errors::ErrorCode;
use multiline_domain::policy::Refusal;

use crate::cache::CacheError;
use crate::connector::ApiError;
use crate::view::AppError;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the local cache failed: {0}")]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    /// A form's field is wrong: `field` names it ("phones.1").
    #[error("{message}")]
    InvalidField {
        code: ErrorCode,
        message: String,
        field: String,
    },
    /// The rules say no (the domain's one decision, as the connector takes it).
    #[error(transparent)]
    Refused(#[from] Refusal),
}

pub type Result<T> = std::result::Result<T, ClientError>;

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> AppError {
        let (code, message) = match &e {
            ClientError::Cache(_) => (
                ErrorCode::CacheFailed,
                "The app's local storage failed. Restart the app.".to_owned(),
            ),
            ClientError::Api(ApiError::Unreachable(_)) => (
                ErrorCode::Offline,
                "The connector cannot be reached. Check your connection.".to_owned(),
            ),
            ClientError::Api(ApiError::Unauthorized) => (
                ErrorCode::SignedOut,
                "Your session ended. Sign in again.".to_owned(),
            ),
            ClientError::Api(ApiError::Refused { code, message, .. }) => (*code, message.clone()),
            ClientError::Api(ApiError::Server { .. }) => (
                ErrorCode::ServerError,
                "The connector had a problem. Try again in a moment.".to_owned(),
            ),
            ClientError::NotFound(what) => (
                ErrorCode::NotFound,
                format!("That {what} no longer exists."),
            ),
            ClientError::Invalid { code, message }
            | ClientError::InvalidField { code, message, .. } => (*code, message.clone()),
            ClientError::Refused(refusal) => (refusal.code(), refusal.to_string()),
        };
        if matches!(e, ClientError::Cache(_)) {
            tracing::error!(error = %e, "cache");
        }
        let field = match &e {
            ClientError::InvalidField { field, .. } => Some(field.clone()),
            // The connector's refusals of a contact's fields (F2).
            ClientError::Api(ApiError::Refused { code, .. }) => match code {
                ErrorCode::InvalidName => Some("name".to_owned()),
                ErrorCode::InvalidNotes => Some("notes".to_owned()),
                _ => None,
            },
            _ => None,
        };
        AppError {
            code,
            message,
            field,
        }
    }
}
