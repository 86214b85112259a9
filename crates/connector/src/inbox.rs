//! The one durable road in. Every inbound event (a WhatsApp message or status, an SMS and
//! its MMS picture, a carrier's delivery status, a voicemail, its transcript) is verified by
//! its webhook's handler, kept here ([`keep`]), and only then answered. This worker applies
//! what was kept: it reads each row, fetches what it names (a guest's picture, a
//! recording) from the provider, and hands the result to the use cases
//! (`usecases::receive`), several rows per transaction. No network call happens while a
//! provider waits for its answer, and a crash after the answer loses nothing.
//!
//! A row that fails (a provider down while its media is fetched, a line gone) is tried again
//! later, by the connector's clock (1 s, 2 s, 4 s, ...), without holding up the rows behind
//! it; after [`MAX_ATTEMPTS`] it is set aside with its error (a dead letter, kept as
//! evidence). An MMS picture that cannot be fetched by the last attempt, or that the carrier
//! refuses for good, is said in words under the text: the text is never lost for it.

use std::collections::HashMap;
use std::time::Duration;

use multiline_domain::api::{Channel, DeliveryState, MessageBody};
use multiline_domain::cloud_errors::Disposition;
use multiline_domain::ids::MediaId;
use multiline_domain::phone::E164;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::providers::ProviderError;
use crate::providers::carrier::{InboundMedia, Recording};
use crate::store::{InboxRow, InboxSource, Line, StoreExt};
use crate::usecases::receive::{self, Arrivals, Inbound, ReceivedMedia, StatusUpdate};

/// How often applying an inbox row is tried before it is set aside.
pub const MAX_ATTEMPTS: u32 = 5;

/// Rows applied per transaction.
const BATCH: usize = 32;

/// A carrier's event, verified and read by its webhook's handler, as kept in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CarrierEvent {
    /// A guest's text, with what came with it by MMS.
    Text {
        id: String,
        from: E164,
        text: String,
        #[serde(default)]
        media: Vec<InboundMedia>,
    },
    /// A sent text's delivery status (its failure already put into words).
    Status {
        id: String,
        state: DeliveryState,
        error: Option<(u32, String)>,
    },
    /// A finished voicemail recording, still at the carrier.
    Recording {
        recording_id: String,
        url: String,
        duration_secs: u32,
        from: E164,
    },
    /// A voicemail's transcript.
    Transcript { recording_id: String, text: String },
}

/// Keeps a verified webhook and wakes the worker: what a handler does before it answers.
pub async fn keep(ctx: &Ctx, line: Uuid, source: InboxSource, body: Vec<u8>) -> Result<()> {
    ctx.run(move |env| {
        env.store
            .write(|tx| tx.inbox_push(line, source, &body, env.now))
    })
    .await?;
    ctx.inbox.notify_one();
    Ok(())
}

/// [`keep`] for a carrier's event.
pub async fn keep_carrier_event(ctx: &Ctx, line: Uuid, event: &CarrierEvent) -> Result<()> {
    let body = serde_json::to_vec(event).map_err(Error::corrupt)?;
    keep(ctx, line, InboxSource::Carrier, body).await
}

/// The pause before attempt `n + 1` of a row: 1 s, 2 s, 4 s, ... by the connector's clock.
pub fn backoff(attempts: u32) -> chrono::Duration {
    chrono::Duration::seconds(1 << attempts.min(10))
}

/// Applies the inbox: at start (rows a crash left behind), whenever woken, and when the
/// earliest row waiting for a retry is due.
pub fn spawn(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = drain(&ctx).await {
                tracing::error!(%error, "inbox");
            }
            // Until woken, or the next retry is due (bounded, so a moved test clock and a
            // store that failed are noticed).
            let now = ctx.clock.now();
            let wait = match ctx
                .run(|env| env.store.read(|tx| tx.inbox_next_due()))
                .await
            {
                Ok(Some(due)) => (due - now).to_std().unwrap_or(Duration::ZERO),
                _ => Duration::from_secs(1),
            }
            .clamp(Duration::from_millis(20), Duration::from_secs(1));
            tokio::select! {
                _ = ctx.inbox.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// One row read and its media fetched: ready to apply.
#[derive(Debug, Clone)]
struct Work {
    id: i64,
    /// Failed attempts so far.
    attempts: u32,
    line: Line,
    arrivals: Arrivals,
}

/// Applies every row due now, oldest first, a batch per transaction. A batch that fails is
/// applied a row at a time, so one bad row is counted and set aside alone.
pub async fn drain(ctx: &Ctx) -> Result<()> {
    let mut lines: HashMap<Uuid, Line> = HashMap::new();
    loop {
        let rows = ctx
            .run(|env| env.store.read(|tx| tx.inbox_pending(env.now, BATCH)))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut work = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, attempts) = (row.id, row.attempts);
            match prepare(ctx, &mut lines, row).await {
                Ok(w) => work.push(w),
                Err(error) => failed(ctx, id, attempts, &error).await?,
            }
        }
        let all = work.clone();
        match ctx.run(move |env| apply(env, &all)).await {
            Ok(told) => ctx.tell(told),
            Err(_) => {
                for w in work {
                    let (id, attempts) = (w.id, w.attempts);
                    match ctx.run(move |env| apply(env, &[w])).await {
                        Ok(told) => ctx.tell(told),
                        Err(error) => failed(ctx, id, attempts, &error.to_string()).await?,
                    }
                }
            }
        }
    }
}

/// Applies rows and marks them done, in one transaction.
fn apply(
    env: &crate::usecases::Env<'_>,
    work: &[Work],
) -> Result<Vec<multiline_domain::ids::UserId>> {
    env.store.write(|tx| {
        let mut told = Vec::new();
        for w in work {
            told.extend(receive::apply(env, tx, &w.line, &w.arrivals)?);
            tx.inbox_done(w.id, env.now)?;
        }
        told.sort();
        told.dedup();
        Ok(told)
    })
}

/// Counts a failed attempt at a row; it is tried again after [`backoff`], and set aside
/// after [`MAX_ATTEMPTS`].
async fn failed(ctx: &Ctx, id: i64, attempts: u32, error: &str) -> Result<()> {
    let error = error.to_owned();
    let set_aside = ctx
        .run(move |env| {
            let retry_at = env.now + backoff(attempts);
            env.store
                .write(|tx| tx.inbox_failed(id, &error, MAX_ATTEMPTS, retry_at, env.now))
        })
        .await?;
    if set_aside {
        tracing::error!(
            inbox_id = id,
            "an inbound event set aside after repeated failures"
        );
    } else {
        tracing::warn!(inbox_id = id, "an inbound event will be tried again");
    }
    Ok(())
}

/// Reads one row into what to apply, fetching the media it names. A body that verified but
/// cannot be read is kept (it is evidence) and applies nothing.
async fn prepare(
    ctx: &Ctx,
    lines: &mut HashMap<Uuid, Line>,
    row: InboxRow,
) -> std::result::Result<Work, String> {
    let line = match lines.get(&row.line) {
        Some(line) => line.clone(),
        None => {
            let id = row.line;
            let line = ctx
                .run(move |env| env.store.read(|tx| tx.line(id)))
                .await
                .map_err(|e| format!("the line {id}: {e}"))?;
            lines.insert(id, line.clone());
            line
        }
    };
    let last_attempt = row.attempts + 1 >= MAX_ATTEMPTS;
    let arrivals = match row.source {
        InboxSource::Whatsapp => whatsapp(ctx, &line, &row.body).await?,
        InboxSource::Carrier => match serde_json::from_slice::<CarrierEvent>(&row.body) {
            Ok(event) => carrier(ctx, &line, event, last_attempt).await?,
            Err(error) => {
                tracing::warn!(%error, inbox_id = row.id, "a carrier event that cannot be read: ignored");
                Arrivals::default()
            }
        },
    };
    Ok(Work {
        id: row.id,
        attempts: row.attempts,
        line,
        arrivals,
    })
}

async fn known(ctx: &Ctx, wamid: &str) -> std::result::Result<bool, String> {
    let wamid = wamid.to_owned();
    ctx.run(move |env| receive::knows(env, &wamid))
        .await
        .map_err(|e| e.to_string())
}

/// A Cloud API body: its messages (guests' pictures downloaded, once: a repeated delivery of
/// a stored message downloads nothing) and statuses.
async fn whatsapp(ctx: &Ctx, line: &Line, body: &[u8]) -> std::result::Result<Arrivals, String> {
    let notification = match multiline_whatsapp_webhook::parse(body) {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "webhook body ignored");
            return Ok(Arrivals::default());
        }
    };
    for reason in &notification.skipped {
        tracing::warn!(%reason, "webhook entry skipped");
    }
    let mut arrivals = Arrivals::default();
    for m in notification.messages {
        let media = match &m.media {
            Some(media) if !known(ctx, &m.wamid).await? => {
                let (bytes, mime_type) = ctx
                    .whatsapp
                    .download_media(line, &media.id, media.sha256.as_deref())
                    .await
                    .map_err(|e| format!("downloading media {}: {e}", media.id))?;
                Some(picture(bytes, mime_type))
            }
            _ => None,
        };
        arrivals.messages.push(Inbound {
            wamid: m.wamid,
            channel: Channel::Whatsapp,
            from: m.from,
            body: m.body,
            payload: m.payload,
            at: m.at,
            media,
        });
    }
    arrivals.statuses = notification
        .statuses
        .into_iter()
        .map(|s| StatusUpdate {
            wamid: s.wamid,
            state: s.state,
            error: s.error,
        })
        .collect();
    Ok(arrivals)
}

/// A picture as received: its size read from its header; a picture the connector cannot
/// read is still kept (the guest sent it), with no size.
fn picture(bytes: Vec<u8>, mime_type: String) -> ReceivedMedia {
    let limits = multiline_photo::Limits {
        max_input_bytes: usize::MAX,
        ..Default::default()
    };
    let (width, height) = multiline_photo::inspect(&bytes, &limits)
        .map(|h| (h.width, h.height))
        .unwrap_or((0, 0));
    ReceivedMedia {
        bytes,
        mime_type,
        width,
        height,
    }
}

/// A carrier's event: a text and its MMS picture, a status, a voicemail and its recording,
/// a transcript.
async fn carrier(
    ctx: &Ctx,
    line: &Line,
    event: CarrierEvent,
    last_attempt: bool,
) -> std::result::Result<Arrivals, String> {
    let mut arrivals = Arrivals::default();
    let now = ctx.clock.now();
    match event {
        CarrierEvent::Text {
            id,
            from,
            text,
            media,
        } => {
            if known(ctx, &id).await? {
                // Delivered again: stored already, nothing fetched twice.
                return Ok(arrivals);
            }
            let (body, media) = mms(ctx, line, text.trim(), &media, last_attempt).await?;
            arrivals.messages.push(Inbound {
                wamid: id,
                channel: Channel::Sms,
                from,
                body,
                payload: None,
                at: now,
                media,
            });
        }
        CarrierEvent::Status { id, state, error } => arrivals.statuses.push(StatusUpdate {
            wamid: id,
            state,
            error,
        }),
        CarrierEvent::Recording {
            recording_id,
            url,
            duration_secs,
            from,
        } => {
            if known(ctx, &recording_id).await? {
                return Ok(arrivals);
            }
            let recording = Recording {
                id: recording_id.clone(),
                url,
                duration_secs,
                completed: true,
            };
            let (account, provider) = carrier_of(ctx, line)?;
            let (bytes, mime_type) = provider
                .fetch_recording(account, &recording)
                .await
                .map_err(|e| format!("fetching the voicemail {recording_id}: {e}"))?;
            arrivals.messages.push(Inbound {
                wamid: recording_id,
                channel: Channel::Voicemail,
                from,
                body: MessageBody::Voicemail {
                    // Replaced by the stored recording's id.
                    media_id: MediaId(Uuid::nil()),
                    duration_secs,
                    transcript: None,
                    heard_at: None,
                },
                payload: None,
                at: now,
                media: Some(ReceivedMedia {
                    bytes,
                    mime_type,
                    width: 0,
                    height: 0,
                }),
            });
        }
        CarrierEvent::Transcript { recording_id, text } => {
            arrivals.transcripts.push((recording_id, text));
        }
    }
    Ok(arrivals)
}

fn carrier_of<'c>(
    ctx: &'c Ctx,
    line: &'c Line,
) -> std::result::Result<
    (
        &'c crate::store::CarrierAccount,
        &'c dyn crate::providers::carrier::Carrier,
    ),
    String,
> {
    let account = line
        .carrier
        .as_ref()
        .ok_or("the line no longer has a carrier")?;
    let provider = ctx
        .carriers
        .get(&account.provider)
        .ok_or("the line's carrier is not supported")?;
    Ok((account, provider))
}

/// A text's body and, with MMS, its first picture (fetched from the carrier, stored like a
/// WhatsApp picture, the text as its caption). Anything else that came (more pictures,
/// audio, a contact card) is said in words; so is a picture the carrier refuses for good, or
/// still cannot hand over at the row's last attempt. A picture the carrier cannot hand over
/// for now fails the attempt: the row is tried again later.
async fn mms(
    ctx: &Ctx,
    line: &Line,
    text: &str,
    media: &[InboundMedia],
    last_attempt: bool,
) -> std::result::Result<(MessageBody, Option<ReceivedMedia>), String> {
    let mut picture_found = None;
    let mut unshown = 0;
    for m in media {
        if picture_found.is_some() || !m.content_type.starts_with("image/") {
            unshown += 1;
            continue;
        }
        let (account, provider) = carrier_of(ctx, line)?;
        match provider.fetch_media(account, m).await {
            Ok((bytes, mime_type)) => picture_found = Some(picture(bytes, mime_type)),
            Err(error) if retry_later(&error) && !last_attempt => {
                return Err(format!("fetching an MMS picture: {error}"));
            }
            Err(error) => {
                tracing::warn!(%error, line = %line.id, "an MMS picture that cannot be fetched");
                unshown += 1;
            }
        }
    }
    let note = match unshown {
        0 => None,
        1 => Some("(1 attachment sent by MMS is not shown in MultiLine)".to_owned()),
        n => Some(format!(
            "({n} attachments sent by MMS are not shown in MultiLine)"
        )),
    };
    let words = [Some(text), note.as_deref()]
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(match picture_found {
        Some(p) => (
            MessageBody::Picture {
                // Replaced by the stored picture's id.
                media_id: MediaId(Uuid::nil()),
                caption: (!words.is_empty()).then_some(words),
                width: p.width,
                height: p.height,
            },
            Some(p),
        ),
        None => (MessageBody::Text { text: words }, None),
    })
}

/// Whether a failed fetch may work later.
fn retry_later(error: &ProviderError) -> bool {
    matches!(
        error.disposition,
        Disposition::Retry | Disposition::RetryOnce | Disposition::Unknown
    )
}
