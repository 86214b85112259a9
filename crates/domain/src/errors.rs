//! Every error code the connector's API and the app's commands answer, in one list: the UI
//! switches on the generated union type (`ErrorCode.ts`), so a code misspelt on either side
//! is a compile error, not a branch never taken.
//!
//! Codes are stable: an API client branches on them. A code the app does not know (a newer
//! connector's) reads as [`ErrorCode::Unknown`]; its message is still shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares [`ErrorCode`] and its wire names from one list of `Variant = "name"` pairs.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// A stable, machine-readable error code (`{"error": {"code", "message"}}` on the
        /// connector's API; `AppError.code` in the app).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
        #[ts(export)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
            /// A code this build does not know (from a newer connector), or a failure with no
            /// code of its own.
            #[serde(rename = "unknown")]
            Unknown,
        }

        impl ErrorCode {
            /// The code named `name`; [`ErrorCode::Unknown`] for a name this build does not
            /// know.
            pub fn from_name(name: &str) -> ErrorCode {
                match name {
                    $($name => ErrorCode::$variant,)*
                    _ => ErrorCode::Unknown,
                }
            }
        }

        impl<'de> Deserialize<'de> for ErrorCode {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok(ErrorCode::from_name(&name))
            }
        }

        impl ErrorCode {
            /// Every code, [`ErrorCode::Unknown`] last.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)* ErrorCode::Unknown];

            /// The code as it crosses the wire: `window_closed_use_template`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // ---- sessions and the connection ----
    /// The bearer token is missing, expired or revoked (connector).
    Unauthorized = "unauthorized",
    /// Wrong email or password.
    InvalidCredentials = "invalid_credentials",
    /// Too many wrong passwords for this account or from this address: wait (`Retry-After`).
    TooManyAttempts = "too_many_attempts",
    /// The connector is checking too many passwords at once: try again in a moment.
    Busy = "busy",
    /// Nobody is signed in, or the connector ended the session (app).
    SignedOut = "signed_out",
    /// The connector cannot be reached (app).
    Offline = "offline",
    /// The connector failed; try again (app).
    ServerError = "server_error",
    /// The connector failed; details are in its log (connector).
    InternalError = "internal_error",
    /// The app is still starting.
    Booting = "booting",
    /// This app is older than the connector accepts (`426`): install a newer one.
    AppTooOld = "app_too_old",
    /// The app could not start.
    BootFailed = "boot_failed",
    /// The app is closing.
    ShuttingDown = "shutting_down",
    /// The app's local storage failed.
    CacheFailed = "cache_failed",
    /// Not a connector address.
    InvalidConnectorUrl = "invalid_connector_url",
    /// Tauri itself refused a call (unknown command, bad arguments): made by the UI.
    Ipc = "ipc",

    // ---- the shape of a request ----
    InvalidBody = "invalid_body",
    InvalidJson = "invalid_json",
    InvalidQuery = "invalid_query",
    UnsupportedMediaType = "unsupported_media_type",
    /// The request's body did not arrive in time (`408`).
    BodyTimeout = "body_timeout",
    BodyTooLarge = "body_too_large",
    InvalidForm = "invalid_form",
    InvalidWebhook = "invalid_webhook",
    /// A webhook signed for one line names another WhatsApp number (connector).
    WrongLine = "wrong_line",
    /// The system could not open a file or a link (app).
    OpenFailed = "open_failed",
    /// No app on this computer makes phone calls (`tel:` has no handler) (app).
    NoDialer = "no_dialer",
    InvalidRequest = "invalid_request",
    /// A page's cursor is incomplete.
    InvalidCursor = "invalid_cursor",
    NotFound = "not_found",
    Conflict = "conflict",

    // ---- what may be sent (policy::Refusal) ----
    ThreadClosed = "thread_closed",
    WhatsappDisabled = "whatsapp_disabled",
    ConsentMissing = "consent_missing",
    ConsentPending = "consent_pending",
    OptedOut = "opted_out",
    WindowClosedUseTemplate = "window_closed_use_template",
    OptInTooSoon = "opt_in_too_soon",
    AlreadyConsented = "already_consented",
    SmsStopped = "sms_stopped",
    WhatsappOnly = "whatsapp_only",
    VoicemailOnly = "voicemail_only",
    EmptyMessage = "empty_message",
    MessageTooLong = "message_too_long",
    CaptionTooLong = "caption_too_long",
    MmsUnsupported = "mms_unsupported",
    NotAnImage = "not_an_image",
    ImageTooLarge = "image_too_large",
    /// Not a file WhatsApp takes as a document (PDF, Word, Excel, PowerPoint, text).
    NotADocument = "not_a_document",
    /// A document over WhatsApp's 100 MB.
    DocumentTooLarge = "document_too_large",

    // ---- templates ----
    UnknownTemplate = "unknown_template",
    TemplateNotApproved = "template_not_approved",
    InvalidTemplateValues = "invalid_template_values",
    OptInTemplateMissing = "opt_in_template_missing",
    OptInTemplateInvalid = "opt_in_template_invalid",

    // ---- failed messages ----
    /// Only a message the business sent can be sent again.
    NotRetryable = "not_retryable",

    // ---- threads and participants ----
    UnknownNumber = "unknown_number",
    SmsUnavailable = "sms_unavailable",
    VoicemailThread = "voicemail_thread",
    NotAVoicemail = "not_a_voicemail",
    NotAParticipant = "not_a_participant",
    AlreadyParticipant = "already_participant",
    TargetNotParticipant = "target_not_participant",
    TargetIsSelf = "target_is_self",
    NotAColleague = "not_a_colleague",
    /// A colleague holds the open conversation with this guest: they were asked to add the
    /// caller (`409`).
    JoinRequested = "join_requested",

    // ---- contacts ----
    InvalidName = "invalid_name",
    InvalidNotes = "invalid_notes",
    InvalidPhone = "invalid_phone",
    DuplicatePhone = "duplicate_phone",

    // ---- pictures ----
    UnknownMedia = "unknown_media",
    MediaAlreadySent = "media_already_sent",
    CorruptImage = "corrupt_image",
    UnsupportedImage = "unsupported_image",
    ImageFileTooLarge = "image_file_too_large",
    PictureMissing = "picture_missing",
    MediaWriteFailed = "media_write_failed",
    FileUnreadable = "file_unreadable",
}

/// The OpenAPI schema: a string, one of the codes (written by hand: the derive does not read
/// the names the list macro gives the variants).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A stable, machine-readable error code; a client reads one it does not know as `unknown`.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_crosses_the_wire_as_its_name_and_back() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().into()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
    }

    #[test]
    fn a_code_this_build_does_not_know_reads_as_unknown() {
        let code: ErrorCode = serde_json::from_str(r#""quota_exceeded""#).unwrap();
        assert_eq!(code, ErrorCode::Unknown);
    }
}
