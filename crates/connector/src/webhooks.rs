//! Cloud API webhooks: `GET` verification, and `POST` bodies checked with X-Hub-Signature-256
//! over the exact bytes received, in constant time, before any parsing. A verified body is
//! kept in the store's inbox before the 200 goes out, then processed by a worker: a crash
//! after the 200 loses nothing, and Meta's duplicate deliveries are recognised by wamid.
//!
//! The same inbox keeps a carrier's finished voicemail recordings ([`PendingVoicemail`]):
//! the recording is fetched from the carrier by the worker, retried like a guest's picture.

use hmac::{Hmac, Mac};
use multiline_domain::api::{DeliveryState, MessageBody};
use multiline_domain::phone::E164;
use serde::Deserialize;
use sha2::Sha256;

use crate::Ctx;
use crate::store::{CloudMediaRef, InboundMessage, InboxWork, Line, ReceivedMedia, StatusUpdate};

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
                channel: multiline_domain::api::Channel::Whatsapp,
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
            // The sentence a user reads is made here, by the provider's layer; the store
            // shows it as given (the carrier's webhooks do the same with theirs).
            let error = match s.errors.into_iter().next() {
                Some(e) => Some((e.code, crate::cloud::describe_failure(e.code, &e.title))),
                None if state == DeliveryState::Failed => {
                    Some((0, crate::cloud::describe_failure(0, "Not delivered")))
                }
                None => None,
            };
            out.statuses.push(StatusUpdate {
                wamid: s.id,
                state,
                error,
            });
        }
    }
    Ok(out)
}

/// One parsed body as store work: skipped entries logged, guests' pictures downloaded (once:
/// a duplicate delivery of a stored message downloads nothing).
async fn prepare_work(
    ctx: &Ctx,
    inbox_id: i64,
    line: Line,
    parsed: Parsed,
) -> anyhow::Result<InboxWork> {
    for reason in &parsed.skipped {
        tracing::warn!(%reason, "webhook entry skipped");
    }
    let mut messages = parsed.messages;
    for message in &mut messages {
        if let Some(cloud) = message.cloud_media.clone() {
            let wamid = message.wamid.clone();
            if !ctx.db(move |s| s.knows_wamid(&wamid)).await? {
                message.media = Some(download(ctx, &line, &cloud).await?);
            }
        }
    }
    Ok(InboxWork {
        inbox_id,
        line,
        messages,
        statuses: parsed.statuses,
    })
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

/// The `object` of an inbox row that is a carrier's voicemail to fetch.
pub const PENDING_VOICEMAIL: &str = "multiline.pending_voicemail";

/// A voicemail whose recording is still at the carrier (kept by the recording webhook).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct PendingVoicemail {
    /// [`PENDING_VOICEMAIL`].
    pub object: String,
    pub recording_id: String,
    pub url: String,
    pub duration_secs: u32,
    pub from: E164,
}

/// Fetches a pending voicemail's recording from the line's carrier: the message to store.
async fn fetch_voicemail(
    ctx: &Ctx,
    line: &Line,
    pending: PendingVoicemail,
) -> anyhow::Result<InboundMessage> {
    use anyhow::Context as _;
    let config = line
        .carrier
        .as_ref()
        .context("the line no longer has a carrier")?;
    let carrier = ctx
        .carriers
        .get(&config.provider)
        .context("the line's carrier is not supported")?;
    let recording = crate::carrier::Recording {
        id: pending.recording_id.clone(),
        url: pending.url,
        duration_secs: pending.duration_secs,
        completed: true,
    };
    let (bytes, mime_type) = carrier
        .fetch_recording(config, &recording)
        .await
        .map_err(|e| anyhow::anyhow!("fetching the voicemail {}: {e}", recording.id))?;
    Ok(InboundMessage {
        wamid: pending.recording_id,
        channel: multiline_domain::api::Channel::Voicemail,
        from: pending.from,
        body: MessageBody::Voicemail {
            // Replaced by the stored recording's id.
            media_id: multiline_domain::ids::MediaId::random(),
            duration_secs: pending.duration_secs,
            transcript: None,
            heard_at: None,
        },
        payload: None,
        at: ctx.clock.now(),
        cloud_media: None,
        media: Some(ReceivedMedia {
            bytes,
            mime_type,
            width: 0,
            height: 0,
        }),
    })
}

/// Reads one inbox row into store work. A body that verified but cannot be parsed is kept
/// (it is evidence) and becomes empty work, so it is marked processed.
async fn prepare_row(
    ctx: &Ctx,
    lines: &mut std::collections::HashMap<uuid::Uuid, Line>,
    id: i64,
    line_id: uuid::Uuid,
    body: &[u8],
) -> anyhow::Result<InboxWork> {
    let line = match lines.get(&line_id) {
        Some(line) => line.clone(),
        None => {
            let line = ctx.db(move |s| s.line(line_id)).await?;
            lines.insert(line_id, line.clone());
            line
        }
    };
    if let Ok(pending) = serde_json::from_slice::<PendingVoicemail>(body)
        && pending.object == PENDING_VOICEMAIL
    {
        let recording = pending.recording_id.clone();
        let messages = if ctx.db(move |s| s.knows_wamid(&recording)).await? {
            Vec::new()
        } else {
            vec![fetch_voicemail(ctx, &line, pending).await?]
        };
        return Ok(InboxWork {
            inbox_id: id,
            line,
            messages,
            statuses: Vec::new(),
        });
    }
    let parsed = parse(body).unwrap_or_else(|error| {
        tracing::warn!(%error, "webhook body ignored");
        Parsed::default()
    });
    prepare_work(ctx, id, line, parsed).await
}

/// Processes every pending inbox row, oldest first, a batch per transaction. A batch that
/// fails is retried a row at a time, so one bad row is set aside alone.
pub async fn drain(ctx: &Ctx) -> anyhow::Result<()> {
    let mut lines = std::collections::HashMap::new();
    loop {
        let batch = ctx.db(|s| s.inbox_pending(32)).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut work = Vec::with_capacity(batch.len());
        for (id, line_id, body) in batch {
            match prepare_row(ctx, &mut lines, id, line_id, &body).await {
                Ok(w) => work.push(w),
                // A picture that could not be downloaded, a line that is gone: counted
                // against the row; the batch's other rows go on.
                Err(error) => failed(ctx, id, error).await?,
            }
        }
        let now = ctx.clock.now();
        let all = work.clone();
        match ctx.db(move |s| s.apply_inbox(&all, now)).await {
            Ok(told) => ctx.tell(told),
            Err(_) => {
                for w in work {
                    let id = w.inbox_id;
                    let now = ctx.clock.now();
                    match ctx.db(move |s| s.apply_inbox(&[w], now)).await {
                        Ok(told) => ctx.tell(told),
                        Err(error) => failed(ctx, id, error.into()).await?,
                    }
                }
            }
        }
    }
}

/// Counts a failed attempt at an inbox row; after `MAX_ATTEMPTS` the row is set aside (kept
/// as a dead letter) and processing goes on, before that the error stops this pass.
async fn failed(ctx: &Ctx, id: i64, error: anyhow::Error) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let text = format!("{error:#}");
    let set_aside = ctx
        .db(move |s| s.inbox_failed(id, &text, MAX_ATTEMPTS, now))
        .await?;
    if set_aside {
        tracing::error!(%error, inbox_id = id, "webhook set aside after repeated failures");
        return Ok(());
    }
    Err(error)
}
