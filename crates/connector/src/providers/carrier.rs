//! SMS and voicemail through the line's carrier (F22), behind [`Carrier`]: what the connector
//! needs of a provider, in its terms. [`super::twilio::Twilio`] implements it for Twilio's
//! Programmable Messaging and Voice recordings; another provider is another implementation
//! and a name in [`super::Carriers::get`].
//!
//! The flow, whatever the provider:
//! - a text goes out from the dispatch worker ([`Carrier::send_text`]), with a status callback
//!   URL; delivery statuses come back to `/webhooks/carrier/{line}/status`;
//! - a guest's text arrives at `/webhooks/carrier/{line}/sms`; its first picture (MMS) is
//!   fetched by the inbox worker and stored like a WhatsApp picture;
//! - a call to the line is answered at `/webhooks/carrier/{line}/voice` with "leave a
//!   message" ([`Carrier::answer_call`]); the finished recording is reported to
//!   `/webhooks/carrier/{line}/recording`, fetched by the inbox worker
//!   ([`Carrier::fetch_recording`]) and stored as a voicemail; a transcript, when the
//!   provider makes one, follows at `/webhooks/carrier/{line}/transcription`.
//!
//! Every webhook is checked with the provider's request signature before anything is read,
//! then kept in the durable inbox and answered (`crate::inbox`): nothing is fetched while
//! the carrier waits for the answer.

use multiline_domain::api::DeliveryState;
use multiline_domain::phone::E164;
use serde::{Deserialize, Serialize};

use super::ProviderError;
use crate::store::CarrierAccount;

/// A webhook as received: the URL the provider called (as it signed it), the form's fields in
/// order, and the signature header.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    pub url: String,
    pub params: Vec<(String, String)>,
    pub signature: Option<String>,
}

impl WebhookRequest {
    /// A field's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field that must be there.
    pub fn require(&self, name: &str) -> Result<&str, WebhookError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| WebhookError(format!("the field {name} is missing")))
    }

    /// A phone number field, as E.164.
    pub fn phone(&self, name: &str) -> Result<E164, WebhookError> {
        let v = self.require(name)?;
        E164::parse(v, None).map_err(|e| WebhookError(format!("{name} is not a phone number: {e}")))
    }
}

/// A webhook whose fields do not make sense (after its signature was checked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhookError(pub String);

/// A guest's text, with what came with it by MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText {
    /// The provider's id of the message: stored once.
    pub id: String,
    pub from: E164,
    pub text: String,
    pub media: Vec<InboundMedia>,
}

/// A file sent with a text (MMS): where the provider keeps it, and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub url: String,
    pub content_type: String,
}

/// A sent text's delivery status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextStatus {
    pub id: String,
    pub state: DeliveryState,
    /// For a failure: the provider's code and the sentence to show.
    pub error: Option<(u32, String)>,
}

/// A finished voicemail recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The provider's id of the recording: stored once.
    pub id: String,
    /// Where the audio is (fetched with the account's credentials).
    pub url: String,
    pub duration_secs: u32,
    /// False when the provider reports the recording failed or is absent.
    pub completed: bool,
}

/// A recording's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub recording_id: String,
    /// `None` when transcription failed.
    pub text: Option<String>,
}

/// What the connector needs of an SMS and voice provider.
#[async_trait::async_trait]
pub trait Carrier: Send + Sync {
    /// The request header that carries the provider's signature.
    fn signature_header(&self) -> &'static str;

    /// Whether `request` comes from the provider for this account (its signature).
    fn verify(&self, config: &CarrierAccount, request: &WebhookRequest) -> bool;

    /// Sends `text` to `to` from the line's number; answers the provider's message id.
    /// Errors say whether to retry, as the Cloud API's do.
    async fn send_text(
        &self,
        config: &CarrierAccount,
        to: &E164,
        text: &str,
        status_callback: &str,
    ) -> Result<String, ProviderError>;

    /// A file sent with a guest's text (MMS) and its MIME type, from the account's own API.
    async fn fetch_media(
        &self,
        config: &CarrierAccount,
        media: &InboundMedia,
    ) -> Result<(Vec<u8>, String), ProviderError>;

    /// A recording's audio and its MIME type.
    async fn fetch_recording(
        &self,
        config: &CarrierAccount,
        recording: &Recording,
    ) -> Result<(Vec<u8>, String), ProviderError>;

    /// The answer to a call to the line: say `greeting`, record a message, report it to
    /// `recording_callback` and its transcript to `transcript_callback`, then go to `after`
    /// (which hangs up). (MIME type, body).
    fn answer_call(
        &self,
        greeting: &str,
        after: &str,
        recording_callback: &str,
        transcript_callback: &str,
    ) -> (&'static str, String);

    /// The answer that ends a call, after saying `say` if given. (MIME type, body).
    fn hang_up(&self, say: Option<&str>) -> (&'static str, String);

    /// Whether the provider's error `code` means the number opted out of texts (Twilio:
    /// 21610), so that the next texts are refused before they are tried.
    fn means_opted_out(&self, code: u32) -> bool;

    /// The sentence a user reads for the provider's error `code`.
    fn describe_failure(&self, code: u32, message: &str) -> String;

    /// The answer to any other webhook: nothing to do. (MIME type, body).
    fn acknowledge(&self) -> (&'static str, String);

    fn inbound_text(&self, request: &WebhookRequest) -> Result<InboundText, WebhookError>;
    fn text_status(&self, request: &WebhookRequest) -> Result<TextStatus, WebhookError>;
    /// The caller of an incoming call.
    fn caller(&self, request: &WebhookRequest) -> Result<E164, WebhookError>;
    fn recording(&self, request: &WebhookRequest) -> Result<Recording, WebhookError>;
    fn transcript(&self, request: &WebhookRequest) -> Result<Transcript, WebhookError>;
}

/// A text whose send may or may not have reached the carrier (the connection broke after
/// the request went out): never re-sent, since a guest must not get it twice.
pub const UNKNOWN_OUTCOME: &str = "The connection to the SMS carrier broke while sending, so this text may not have been delivered. Send it again if needed.";
