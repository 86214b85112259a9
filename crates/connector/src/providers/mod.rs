//! The services the connector speaks to, each behind the connector's own trait, in its own
//! terms: WhatsApp through Meta's Cloud API ([`whatsapp::WhatsApp`], [`whatsapp::CloudApi`])
//! and SMS and voicemail through the line's carrier ([`carrier::Carrier`], implemented for
//! Twilio by [`twilio::Twilio`]). A provider knows the store's records of a line (its
//! account and secrets), never the rules: the use cases decide, the workers (`dispatch`,
//! `inbox`) call the providers and hand their answers to the use cases.

pub mod carrier;
pub mod twilio;
pub mod whatsapp;

use std::time::Duration;

pub use multiline_domain::cloud_errors::Disposition;

/// A failed call to a provider, and what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("provider error {code:?}: {message}")]
pub struct ProviderError {
    /// The provider's error code, when it answered with one.
    pub code: Option<u32>,
    pub message: String,
    pub disposition: Disposition,
}

impl ProviderError {
    /// A transport error of a call that reaches a guest: only a failure to connect is known
    /// not to have sent (anything later may have, and is never tried again blindly).
    pub fn transport(e: reqwest::Error) -> ProviderError {
        ProviderError {
            code: None,
            message: e.to_string(),
            disposition: if e.is_connect() {
                Disposition::Retry
            } else {
                Disposition::Unknown
            },
        }
    }

    /// A failure that no retry will fix.
    pub fn permanent(message: impl Into<String>) -> ProviderError {
        ProviderError {
            code: None,
            message: message.into(),
            disposition: Disposition::Permanent,
        }
    }
}

/// The HTTP client for a provider's API: a call that has not answered in 20 s is given up
/// (and, having been sent, never retried blindly).
pub(crate) fn http_client() -> reqwest::Client {
    http_client_with(Duration::from_secs(20))
}

/// [`http_client`] giving a call up after `timeout`.
pub(crate) fn http_client_with(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .build()
        .expect("a TLS HTTP client builds")
}

/// The carriers the connector can use, by [`crate::store::CarrierAccount::provider`].
#[derive(Default)]
pub struct Carriers {
    twilio: twilio::Twilio,
}

impl Carriers {
    pub fn get(&self, provider: &str) -> Option<&dyn carrier::Carrier> {
        match provider {
            "twilio" => Some(&self.twilio),
            _ => None,
        }
    }
}

/// The carriers' names [`Carriers::get`] knows.
pub const PROVIDERS: &[&str] = &["twilio"];
