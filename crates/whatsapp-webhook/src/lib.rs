//! Meta's WhatsApp Cloud API webhooks as they arrive: `X-Hub-Signature-256` checked over
//! the exact bytes received, in constant time ([`signature_valid`]), and the payload read
//! into the connector's terms ([`parse`]): guests' messages and delivery statuses.
//!
//! Pure: no network, no store, no clock. A crate of its own so that the fuzzer
//! (`fuzz/fuzz_targets/webhook_parse.rs`) builds it alone, and so that what Meta sends is
//! read in one place (the connector's `providers::whatsapp` and its inbox worker use it).
//!
//! Unknown fields are ignored; an unknown message type becomes an "unsupported" message,
//! never dropped; an entry that cannot be read (a sender that is not a number, a bad
//! timestamp, an unknown status) is skipped with the reason, without costing the others.

use hmac::{Hmac, Mac};
use multiline_domain::api::{DeliveryState, MessageBody};
use multiline_domain::cloud_errors::describe_failure;
use multiline_domain::ids::MediaId;
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use serde::Deserialize;
use sha2::Sha256;

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of `body` keyed with
/// the app secret. Constant-time comparison (`verify_slice`).
pub fn signature_valid(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// A guest's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub wamid: String,
    pub from: E164,
    /// For a picture, `media_id` is a placeholder: the connector gives the stored one.
    pub body: MessageBody,
    /// A quick-reply button's payload (a template button reply).
    pub payload: Option<String>,
    /// The guest's timestamp.
    pub at: Timestamp,
    /// A picture to download from the Cloud API.
    pub media: Option<MediaRef>,
}

/// A guest's media as a webhook names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub id: String,
    pub sha256: Option<String>,
}

/// A delivery status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub wamid: String,
    pub state: DeliveryState,
    /// For `failed`: Meta's code and the sentence a user reads.
    pub error: Option<(u32, String)>,
}

/// What one webhook body brings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notification {
    pub messages: Vec<Message>,
    pub statuses: Vec<Status>,
    /// Entries that were skipped, with why.
    pub skipped: Vec<String>,
}

/// Why a webhook body could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not a WhatsApp webhook: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("the object is {0:?}, not whatsapp_business_account")]
    Object(String),
}

// ---- Meta's payload shapes (only what is read; unknown fields are ignored) ----

#[derive(Debug, Deserialize)]
struct Envelope {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    field: String,
    value: ChangeValue,
}

#[derive(Debug, Deserialize)]
struct ChangeValue {
    #[serde(default)]
    messages: Vec<WebhookMessage>,
    #[serde(default)]
    statuses: Vec<WebhookStatus>,
}

#[derive(Debug, Deserialize)]
struct WebhookMessage {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<TextPayload>,
    button: Option<ButtonPayload>,
    image: Option<ImagePayload>,
}

#[derive(Debug, Deserialize)]
struct ImagePayload {
    id: String,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    caption: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TextPayload {
    body: String,
}

#[derive(Debug, Deserialize)]
struct ButtonPayload {
    #[serde(default)]
    payload: String,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct WebhookStatus {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<WebhookError>,
}

#[derive(Debug, Deserialize)]
struct WebhookError {
    code: u32,
    #[serde(default)]
    title: String,
}

/// Reads a verified body into messages and statuses.
pub fn parse(body: &[u8]) -> Result<Notification, ParseError> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ParseError::Object(envelope.object));
    }
    let mut out = Notification::default();
    for change in envelope.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            continue;
        }
        for m in change.value.messages {
            match message(m) {
                Ok(m) => out.messages.push(m),
                Err(reason) => out.skipped.push(reason),
            }
        }
        for s in change.value.statuses {
            match status(s) {
                Ok(s) => out.statuses.push(s),
                Err(reason) => out.skipped.push(reason),
            }
        }
    }
    Ok(out)
}

fn message(m: WebhookMessage) -> Result<Message, String> {
    let from = E164::from_wa_id(&m.from)
        .map_err(|_| format!("message {}: bad sender {:?}", m.id, m.from))?;
    let at = m
        .timestamp
        .parse::<i64>()
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .ok_or_else(|| format!("message {}: bad timestamp {:?}", m.id, m.timestamp))?;
    let payload = m
        .button
        .as_ref()
        .map(|b| b.payload.clone())
        .filter(|p| !p.is_empty());
    let media = m.image.as_ref().map(|i| MediaRef {
        id: i.id.clone(),
        sha256: i.sha256.clone(),
    });
    let body = match (m.kind.as_str(), m.text, m.button) {
        ("text", Some(text), _) => MessageBody::Text { text: text.body },
        ("image", _, _) if m.image.is_some() => MessageBody::Picture {
            media_id: MediaId(uuid::Uuid::nil()),
            caption: m.image.and_then(|i| i.caption),
            width: 0,
            height: 0,
        },
        ("button", _, Some(button)) => MessageBody::Text {
            text: if button.text.is_empty() {
                button.payload
            } else {
                button.text
            },
        },
        (kind, _, _) => MessageBody::Unsupported {
            description: format!("Unsupported message type: {kind}"),
        },
    };
    Ok(Message {
        wamid: m.id,
        from,
        body,
        payload,
        at,
        media,
    })
}

fn status(s: WebhookStatus) -> Result<Status, String> {
    let state = match s.status.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" => DeliveryState::Failed,
        other => return Err(format!("status {}: unknown status {other:?}", s.id)),
    };
    // The sentence a user reads is made here, by the provider's side; the store shows it
    // as given (the carrier's statuses are put into words the same way).
    let error = match s.errors.into_iter().next() {
        Some(e) => Some((e.code, describe_failure(e.code, &e.title))),
        None if state == DeliveryState::Failed => Some((0, describe_failure(0, "Not delivered"))),
        None => None,
    };
    Ok(Status {
        wamid: s.id,
        state,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text and a status as Meta's "Webhooks payload examples" show them (Cloud API docs,
    /// messages and statuses), one entry each.
    const BODY: &str = r#"{
      "object": "whatsapp_business_account",
      "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
        "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" }],
        "messages": [{ "from": "16505551234", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                       "timestamp": "1749416383", "type": "text", "text": { "body": "Does it come in another color?" } },
                     { "from": "16505551234", "id": "wamid.2", "timestamp": "1749416384", "type": "sticker",
                       "sticker": { "id": "1", "mime_type": "image/webp" } },
                     { "from": "not a number", "id": "wamid.3", "timestamp": "1749416385", "type": "text",
                       "text": { "body": "?" } }],
        "statuses": [{ "id": "wamid.out", "status": "failed", "timestamp": "1750263773",
                       "recipient_id": "16505551234",
                       "errors": [{ "code": 131047, "title": "Re-engagement message" }] }]
      }}]}]
    }"#;

    #[test]
    fn reads_messages_and_statuses_and_skips_only_what_it_cannot_read() {
        let n = parse(BODY.as_bytes()).unwrap();
        assert_eq!(n.messages.len(), 2);
        assert_eq!(
            n.messages[0].body,
            MessageBody::Text {
                text: "Does it come in another color?".into()
            }
        );
        assert_eq!(n.messages[0].from.as_str(), "+16505551234");
        assert_eq!(n.messages[0].at.timestamp(), 1_749_416_383);
        assert!(matches!(
            n.messages[1].body,
            MessageBody::Unsupported { .. }
        ));
        assert_eq!(n.skipped.len(), 1, "{:?}", n.skipped);
        assert_eq!(n.statuses[0].state, DeliveryState::Failed);
        assert_eq!(n.statuses[0].error.as_ref().map(|e| e.0), Some(131047));
    }

    #[test]
    fn only_the_app_secrets_signature_over_the_exact_bytes_is_valid() {
        use hmac::Mac;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"app-secret").unwrap();
        mac.update(BODY.as_bytes());
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_valid("app-secret", BODY.as_bytes(), Some(&good)));
        assert!(!signature_valid(
            "other-secret",
            BODY.as_bytes(),
            Some(&good)
        ));
        assert!(!signature_valid("app-secret", b"{}", Some(&good)));
        assert!(!signature_valid("app-secret", BODY.as_bytes(), None));
        assert!(!signature_valid(
            "app-secret",
            BODY.as_bytes(),
            Some("sha1=00")
        ));
    }

    #[test]
    fn another_object_is_not_a_whatsapp_webhook() {
        assert!(matches!(
            parse(br#"{"object":"page","entry":[]}"#),
            Err(ParseError::Object(_))
        ));
        assert!(matches!(parse(b"not json"), Err(ParseError::Shape(_))));
    }
}
