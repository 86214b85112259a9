//! Meta's WhatsApp Cloud API webhooks as they arrive: `X-Hub-Signature-256` checked over
//! the exact bytes received, in constant time ([`signature_valid`]), the lines a body is for
//! ([`phone_number_ids`]), and the payload read into the connector's terms ([`parse`]):
//! guests' messages of every kind, reactions, delivery statuses, account-level errors.
//!
//! Pure: no network, no store, no clock. A crate of its own so that the fuzzer
//! (`fuzz/fuzz_targets/webhook_parse.rs`) builds it alone, and so that what Meta sends is
//! read in one place (the connector's inbox worker uses it).
//!
//! **Element by element.** A body may hold up to 1,000 updates in several entries and
//! changes. Each message and status is read on its own: one that cannot be read costs no
//! other. A message whose sender and id are known but whose content cannot be read, or of a
//! kind the app cannot show yet, is still a message ([`MessageBody::Unsupported`], its kind
//! named). What has no id or no sender, or a status of an unknown kind, is
//! [`Item::Unreadable`], with its reason; the caller keeps it as evidence. Every element keeps
//! its JSON exactly as Meta sent it ([`Element::raw`]), and [`Notification::envelope`] wraps
//! one element alone in a body of Meta's shape, so that it can be applied again by itself.
//!
//! **Guests as Meta identifies them.** `from`/`wa_id` (the number, not always a number a
//! phone library calls valid) and, since April 2026, `from_user_id`/`user_id` (the
//! business-scoped user id), either or both; a user with a username may come without a
//! number.
//!
//! **Checksums as bytes.** A media's `sha256` is base64 in webhooks and hex in the media
//! endpoint's answer: [`Sha256::parse`] reads either into the digest's bytes.

mod read;
mod wire;

#[cfg(test)]
mod tests;

use hmac::{Hmac, Mac};
use multiline_domain::api::{AdReferral, DeliveryState, Forwarded, MessageBody};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use serde::Deserialize;

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of `body` keyed with
/// the app secret. Constant-time comparison (`verify_slice`).
pub fn signature_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// What one webhook body brings, in the order Meta wrote it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Notification {
    pub elements: Vec<Element>,
    /// Problems with the business account or number (`value.errors[]`).
    pub account_errors: Vec<AccountError>,
    /// Changes of fields this crate does not read (`message_template_status_update`...).
    pub other_fields: Vec<String>,
    /// Where each element came from: its entry's id and its change's `metadata` and
    /// `contacts`, as sent.
    changes: Vec<ChangeContext>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct ChangeContext {
    entry_id: String,
    metadata: Option<String>,
    contacts: Option<String>,
}

/// One message or status, read, with its JSON as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub item: Item,
    /// The element's JSON exactly as Meta sent it (escapes and all).
    pub raw: String,
    /// Whether it is a `statuses[]` element (else `messages[]`).
    pub is_status: bool,
    change: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message(Box<Message>),
    Status(Box<Status>),
    /// Cannot be used (no id, no sender, an unknown status): kept as evidence, with why.
    Unreadable {
        reason: String,
    },
}

/// A guest's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub wamid: String,
    pub guest: Guest,
    /// The guest's timestamp; `None` when it could not be read (the receiver's clock then).
    pub at: Option<Timestamp>,
    pub content: Content,
    /// The wamid of the message this one answers (`context.id`).
    pub reply_to: Option<String>,
    pub forwarded: Option<Forwarded>,
    /// The click-to-WhatsApp ad the guest came from.
    pub ad: Option<AdReferral>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A message to keep in the thread. A body that carries a file has placeholders for it
    /// (a nil media id, size 0) until the file, named by `media`, is downloaded.
    Body {
        body: Box<MessageBody>,
        media: Option<MediaRef>,
        /// A template quick-reply button's payload.
        payload: Option<String>,
    },
    /// A reaction to the message `target`; no emoji: the reaction was removed.
    Reaction {
        target: String,
        emoji: Option<String>,
    },
}

/// Who a guest is, as Meta identifies them: at least one of `phone` and `user_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guest {
    /// From `wa_id`/`from`: the form checked, not the numbering plan.
    pub phone: Option<E164>,
    /// The business-scoped user id (`US.13491208655302741918`).
    pub user_id: Option<String>,
    /// The WhatsApp profile name.
    pub name: Option<String>,
    /// The WhatsApp username, for a user who has one.
    pub username: Option<String>,
}

/// A guest's file as a webhook names it: fetched with the media endpoints by `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub id: String,
    pub kind: MediaKind,
    pub mime_type: Option<String>,
    pub sha256: Option<Sha256>,
    /// The download link current webhooks carry (short-lived; the id can be looked up again).
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

impl MediaKind {
    /// Meta's name for it (the message `type`).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }

    /// The largest file of this kind WhatsApp carries (Meta's media limits: images 5 MB,
    /// audio and video 16 MB, documents 100 MB, animated stickers 500 KB).
    pub fn max_bytes(self) -> u64 {
        const MB: u64 = 1024 * 1024;
        match self {
            MediaKind::Image => 5 * MB,
            MediaKind::Audio | MediaKind::Video => 16 * MB,
            MediaKind::Document => 100 * MB,
            MediaKind::Sticker => 500 * 1024,
        }
    }

    /// What a person calls it.
    pub fn noun(self) -> &'static str {
        match self {
            MediaKind::Image => "photo",
            MediaKind::Audio => "audio message",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// A SHA-256 digest, however it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Reads a digest written in hex (the media endpoint) or base64 (webhooks, standard or
    /// URL-safe alphabet, padded or not).
    pub fn parse(text: &str) -> Option<Sha256> {
        use base64::Engine;
        let text = text.trim();
        let bytes = if text.len() == 64 {
            hex::decode(text).ok()
        } else {
            None
        }
        .or_else(|| {
            let padded = text.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(padded)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(padded))
                .ok()
        })?;
        Some(Sha256(bytes.try_into().ok()?))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        use sha2::Digest;
        Sha256(sha2::Sha256::digest(bytes).into())
    }
}

/// A delivery status of a message the business sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub wamid: String,
    pub state: DeliveryState,
    /// For `failed`: Meta's code and the sentence a user reads.
    pub error: Option<(u32, String)>,
    pub at: Option<Timestamp>,
    /// Who it went to (`recipient_id`, `recipient_user_id`).
    pub recipient: Guest,
    pub pricing: Option<Pricing>,
    /// The send's `biz_opaque_callback_data`, echoed by Meta (the connector's message id).
    pub callback: Option<String>,
}

/// What Meta says a message costs (`pricing`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pricing {
    pub billable: Option<bool>,
    pub model: Option<String>,
    pub category: Option<String>,
}

/// A problem with the business account or number (`value.errors[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountError {
    pub code: u32,
    pub title: String,
    pub details: Option<String>,
}

/// Why a webhook body could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not a WhatsApp webhook: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("the object is {0:?}, not whatsapp_business_account")]
    Object(String),
}

/// Reads a verified body. Fails only when the body as a whole is not a WhatsApp webhook;
/// anything wrong inside is said per element.
pub fn parse(body: &[u8]) -> Result<Notification, ParseError> {
    read::notification(body)
}

/// The `metadata.phone_number_id` of every change in a body (the numbers it is for), read
/// without reading the rest: a callback URL belongs to one line, and a body for another
/// number is refused before it is kept.
pub fn phone_number_ids(body: &[u8]) -> Result<Vec<String>, ParseError> {
    #[derive(Deserialize)]
    struct Envelope {
        object: String,
        #[serde(default)]
        entry: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        changes: Vec<Change>,
    }
    #[derive(Deserialize)]
    struct Change {
        value: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Value {
        metadata: Option<Metadata>,
    }
    #[derive(Deserialize)]
    struct Metadata {
        phone_number_id: Option<String>,
    }
    let envelope: Envelope = serde_json::from_slice(body)?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ParseError::Object(envelope.object));
    }
    let mut ids: Vec<String> = envelope
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .filter_map(|c| c.value?.metadata?.phone_number_id)
        .collect();
    ids.dedup();
    Ok(ids)
}

impl Notification {
    /// A body of Meta's shape holding element `i` alone, with its change's metadata and
    /// contacts: kept to apply that element again by itself. Built from the JSON as sent.
    pub fn envelope(&self, i: usize) -> Vec<u8> {
        let element = &self.elements[i];
        let change = &self.changes[element.change];
        let mut value = String::from(r#"{"messaging_product":"whatsapp""#);
        if let Some(metadata) = &change.metadata {
            value.push_str(r#","metadata":"#);
            value.push_str(metadata);
        }
        if let Some(contacts) = &change.contacts {
            value.push_str(r#","contacts":"#);
            value.push_str(contacts);
        }
        value.push_str(if element.is_status {
            r#","statuses":["#
        } else {
            r#","messages":["#
        });
        value.push_str(&element.raw);
        value.push_str("]}");
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":{},"changes":[{{"field":"messages","value":{value}}}]}}]}}"#,
            serde_json::to_string(&change.entry_id).unwrap_or_else(|_| "\"\"".into())
        )
        .into_bytes()
    }
}
