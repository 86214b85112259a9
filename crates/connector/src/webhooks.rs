//! Cloud API webhooks: `GET` verification, and `POST` bodies checked with X-Hub-Signature-256
//! over the exact bytes received, in constant time, before any parsing. A verified body is
//! kept in the store's inbox before the 200 goes out, then processed by a worker: a crash
//! after the 200 loses nothing, and Meta's duplicate deliveries are recognised by wamid.

use hmac::{Hmac, Mac};
use multiline_domain::api::{DeliveryState, MessageBody};
use multiline_domain::phone::E164;
use serde::Deserialize;
use sha2::Sha256;

use crate::Ctx;
use crate::store::{CloudMediaRef, InboundMessage, Line, ReceivedMedia, StatusUpdate};

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

// ---- Meta's payload shapes (only what the connector reads; unknown fields are ignored) ----

#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    pub field: String,
    pub value: ChangeValue,
}

#[derive(Debug, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub messages: Vec<WebhookMessage>,
    #[serde(default)]
    pub statuses: Vec<WebhookStatus>,
}

#[derive(Debug, Deserialize)]
pub struct WebhookMessage {
    pub from: String,
    pub id: String,
    pub timestamp: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<TextPayload>,
    pub button: Option<ButtonPayload>,
    pub image: Option<ImagePayload>,
}

#[derive(Debug, Deserialize)]
pub struct ImagePayload {
    pub id: String,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TextPayload {
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct ButtonPayload {
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct WebhookStatus {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<WebhookError>,
}

#[derive(Debug, Deserialize)]
pub struct WebhookError {
    pub code: u32,
    #[serde(default)]
    pub title: String,
}

/// Why a webhook body could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not a WhatsApp webhook: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("the object is {0:?}, not whatsapp_business_account")]
    Object(String),
}

/// What one webhook body asks the connector to do.
#[derive(Debug, Default)]
pub struct Parsed {
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// Entries that were skipped, with why (bad phone numbers, timestamps).
    pub skipped: Vec<String>,
}

/// Parses a verified body into messages and statuses. Unknown message types become
/// "unsupported" messages, never dropped.
pub fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ParseError::Object(envelope.object));
    }
    let mut out = Parsed::default();
    for change in envelope.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            continue;
        }
        for m in change.value.messages {
            let Ok(from) = E164::from_wa_id(&m.from) else {
                out.skipped
                    .push(format!("message {}: bad sender {:?}", m.id, m.from));
                continue;
            };
            let Some(at) = m
                .timestamp
                .parse::<i64>()
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            else {
                out.skipped
                    .push(format!("message {}: bad timestamp {:?}", m.id, m.timestamp));
                continue;
            };
            let payload = m
                .button
                .as_ref()
                .map(|b| b.payload.clone())
                .filter(|p| !p.is_empty());
            let cloud_media = m.image.as_ref().map(|i| CloudMediaRef {
                id: i.id.clone(),
                sha256: i.sha256.clone(),
            });
            let body = match (m.kind.as_str(), m.text, m.button) {
                ("text", Some(text), _) => MessageBody::Text { text: text.body },
                // The media id is the connector's, given when the picture is stored.
                ("image", _, _) if m.image.is_some() => MessageBody::Picture {
                    media_id: multiline_domain::ids::MediaId(uuid::Uuid::nil()),
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
            out.messages.push(InboundMessage {
                wamid: m.id,
                from,
                body,
                payload,
                at,
                cloud_media,
                media: None,
            });
        }
        for s in change.value.statuses {
            let state = match s.status.as_str() {
                "sent" => DeliveryState::Sent,
                "delivered" => DeliveryState::Delivered,
                "read" => DeliveryState::Read,
                "failed" => DeliveryState::Failed,
                other => {
                    out.skipped
                        .push(format!("status {}: unknown status {other:?}", s.id));
                    continue;
                }
            };
            let error = s.errors.into_iter().next().map(|e| (e.code, e.title));
            out.statuses.push(StatusUpdate {
                wamid: s.id,
                state,
                error,
            });
        }
    }
    Ok(out)
}

/// Applies one parsed body to the store.
pub async fn apply(ctx: &Ctx, line: Line, parsed: Parsed) -> anyhow::Result<()> {
    for reason in &parsed.skipped {
        tracing::warn!(%reason, "webhook entry skipped");
    }
    for mut message in parsed.messages {
        // A picture is downloaded once, before it is stored with its message; a duplicate
        // delivery of one already stored downloads nothing. A failed download fails this
        // body, which the inbox retries.
        if let Some(cloud) = message.cloud_media.clone() {
            let wamid = message.wamid.clone();
            if !ctx.db(move |s| s.knows_wamid(&wamid)).await? {
                message.media = Some(download(ctx, &line, &cloud).await?);
            }
        }
        let now = ctx.clock.now();
        let line = line.clone();
        let told = ctx
            .db(move |s| s.ingest_inbound(&line, &message, now))
            .await?;
        ctx.tell(told);
    }
    for status in parsed.statuses {
        let now = ctx.clock.now();
        let line_id = line.id;
        let told = ctx
            .db(move |s| s.apply_status(line_id, &status, now))
            .await?;
        ctx.tell(told);
    }
    Ok(())
}

async fn download(ctx: &Ctx, line: &Line, media: &CloudMediaRef) -> anyhow::Result<ReceivedMedia> {
    let (bytes, mime_type) = ctx
        .cloud
        .download_media(line, &media.id, media.sha256.as_deref())
        .await?;
    // The size is read from the header; a picture the connector cannot read is still kept
    // (the guest sent it), with no size.
    let limits = multiline_photo::Limits {
        max_input_bytes: usize::MAX,
        ..Default::default()
    };
    let (width, height) = multiline_photo::inspect(&bytes, &limits)
        .map(|h| (h.width, h.height))
        .unwrap_or((0, 0));
    Ok(ReceivedMedia {
        bytes,
        mime_type,
        width,
        height,
    })
}

/// Processes the inbox: at start (bodies a crash left behind) and whenever woken.
pub fn spawn_processor(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = drain(&ctx).await {
                tracing::error!(%error, "webhook processing");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
            ctx.inbox.notified().await;
        }
    })
}

/// How often processing a webhook body is tried before it is set aside.
pub const MAX_ATTEMPTS: u32 = 5;

async fn process(ctx: &Ctx, line_id: uuid::Uuid, body: &[u8]) -> anyhow::Result<()> {
    let line = ctx.db(move |s| s.line(line_id)).await?;
    match parse(body) {
        Ok(parsed) => apply(ctx, line, parsed).await,
        // Verified but unusable: keep the row (it is evidence) and move on.
        Err(error) => {
            tracing::warn!(%error, "webhook body ignored");
            Ok(())
        }
    }
}

/// Processes every pending inbox row, oldest first.
pub async fn drain(ctx: &Ctx) -> anyhow::Result<()> {
    loop {
        let batch = ctx.db(|s| s.inbox_pending(64)).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for (id, line_id, body) in batch {
            if let Err(error) = process(ctx, line_id, &body).await {
                let now = ctx.clock.now();
                let text = format!("{error:#}");
                let set_aside = ctx
                    .db(move |s| s.inbox_failed(id, &text, MAX_ATTEMPTS, now))
                    .await?;
                if set_aside {
                    tracing::error!(%error, inbox_id = id, "webhook set aside after repeated failures");
                    continue;
                }
                return Err(error);
            }
            let now = ctx.clock.now();
            ctx.db(move |s| s.inbox_done(id, now)).await?;
        }
    }
}
