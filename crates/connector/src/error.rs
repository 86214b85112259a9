//! The connector's one error type, from the store to the use cases: the API maps it to its
//! answers (`api::ApiError`), the workers log it.

use multiline_domain::errors::ErrorCode;
use multiline_domain::participants::ParticipantError;
use multiline_domain::policy::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not there, or not the caller's to see (the API answers both the same way).
    #[error("not found")]
    NotFound,
    /// The rules say no (the domain's one decision).
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The request cannot be done as asked: its code and a sentence for the user.
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    /// A unique record exists already (an email, a client id used for another thread).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The backend failed (I/O, a lock, a broken connection): not the caller's fault.
    #[error("store backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// What was stored cannot be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn corrupt(e: impl std::fmt::Display) -> Error {
        Error::Corrupt(e.to_string())
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(r)
    }
}

impl From<ParticipantError> for Error {
    fn from(e: ParticipantError) -> Error {
        match e {
            // Not in the thread: it does not exist for them.
            ParticipantError::NotAParticipant => Error::NotFound,
            other => Error::invalid(other.code(), other.to_string()),
        }
    }
}
