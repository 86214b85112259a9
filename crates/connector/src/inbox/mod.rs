//! The one durable road in. Every inbound event (a WhatsApp message or status, an SMS and
//! its MMS picture, a carrier's delivery status, a voicemail, its transcript) is verified by
//! its webhook's handler, kept here ([`keep`]), and only then answered. This worker applies
//! what was kept: it reads each row, fetches what it names (a guest's picture, a
//! recording) from the provider, and hands the result to the use cases
//! (`usecases::receive`), several rows per transaction. A webhook's handler makes no
//! network call before it answers (the worker, woken when a row is kept, may already be
//! fetching while the answer is on its way), and a crash after the answer loses nothing.
//!
//! A row that fails (a provider down while its media is fetched, a line gone) is tried again
//! later, by the connector's clock (1 s, 2 s, 4 s, ... up to 5 minutes apart: about 18
//! minutes in all, to outlast a provider's outage), without holding up the rows behind it;
//! after [`MAX_ATTEMPTS`] it is set aside with its error (a dead letter, kept as evidence,
//! listed and retried by `multiline-connector inbox list|retry`).
//!
//! **Element by element.** A Cloud API body may hold many messages and statuses. What cannot
//! be read in it is set aside alone (a dead letter with its JSON and why); a message whose
//! file cannot be fetched yet is split off into a row of its own (Meta's shape, holding it
//! alone) that is tried again on its own schedule while the rest is applied; and a body whose
//! elements cannot be applied together is split into one row per element. One odd element
//! never costs the others. A file that still cannot be fetched at the last attempt, or that
//! WhatsApp refuses for good, leaves the message in the thread saying so.
//!
//! An MMS picture that cannot be fetched within [`MMS_PICTURE_ATTEMPTS`] (the text waits
//! for it that long), or that the carrier refuses for good, is said in words under the
//! text: the text is never lost for it.

use std::collections::HashMap;
use std::time::Duration;

use multiline_domain::api::{Channel, MessageBody};
use multiline_domain::cloud_errors::Disposition;
use multiline_domain::time::Timestamp;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::providers::ProviderError;
use crate::store::{DeadLetter, InboxRow, InboxSource, Line, StoreExt};
use crate::store::{GuestIds, MessageAbout};
use crate::usecases::receive::{
    self, Arrivals, Inbound, InboundReaction, LineProblem, ReceivedMedia, StatusUpdate,
};
use multiline_whatsapp_webhook::{Content, Item, MediaKind, MediaRef};

mod carrier;
pub use carrier::CarrierEvent;

/// How often applying an inbox row is tried before it is set aside.
pub const MAX_ATTEMPTS: u32 = 12;

/// How often an SMS's MMS picture is tried before the text goes on without it.
pub const MMS_PICTURE_ATTEMPTS: u32 = 5;

/// The longest pause between two attempts.
const MAX_BACKOFF_SECS: i64 = 300;

/// Rows applied per transaction on SQLite: its one connection is the webhooks' door too, and
/// a longer transaction holds their answers (256 rows pushed the accept p99 to 46 ms).
const BATCH: usize = 32;

/// Rows applied per transaction on a store several instances share (PostgreSQL), where the
/// webhooks are kept beside the writes, not behind them: with a backlog, a batch's own round
/// trips (the claim, the lock, the threads' reads, the commit) are shared by more messages.
/// It holds the writes lock for up to about 40 ms here (a user's send waits that long at
/// most behind it), and its events are seen at its commit.
const SHARED_BATCH: usize = 128;

/// Keeps a verified webhook and wakes the worker: what a handler does before it answers.
pub async fn keep(ctx: &Ctx, line: Uuid, source: InboxSource, body: Vec<u8>) -> Result<()> {
    // Only added to the inbox: on PostgreSQL, beside other webhooks' commits, not after them.
    ctx.run(move |env| {
        env.store
            .queue(|tx| tx.inbox_push(line, source, &body, env.now))
    })
    .await?;
    ctx.inbox.notify_one();
    Ok(())
}

/// The rows set aside (dead letters), oldest first: what an admin reads
/// (`multiline-connector inbox list`).
pub fn dead_letters(env: &crate::usecases::Env<'_>, limit: usize) -> Result<Vec<DeadLetter>> {
    env.store.read(|tx| tx.inbox_dead_letters(limit))
}

/// Brings a dead letter back into the inbox (`multiline-connector inbox retry`): a running
/// connector applies it within a second. Audited. False when there is no such dead letter.
pub fn retry_dead_letter(env: &crate::usecases::Env<'_>, id: i64) -> Result<bool> {
    env.store.write(|tx| {
        let Some(letter) = tx
            .inbox_dead_letters(usize::MAX)?
            .into_iter()
            .find(|l| l.id == id)
        else {
            return Ok(false);
        };
        let org = tx.line(letter.line)?.org_id;
        tx.inbox_retry(id, env.now)?;
        tx.append_audit(&crate::store::AuditEntry {
            org,
            at: env.now,
            actor: "admin".into(),
            action: "inbox.retried".into(),
            thread: None,
            detail: serde_json::json!({ "inbox_id": id, "error": letter.error }),
        })?;
        Ok(true)
    })
}

/// [`keep`] for a carrier's event.
pub async fn keep_carrier_event(ctx: &Ctx, line: Uuid, event: &CarrierEvent) -> Result<()> {
    let body = serde_json::to_vec(event).map_err(Error::corrupt)?;
    keep(ctx, line, InboxSource::Carrier, body).await
}

/// The pause before attempt `n + 1` of a row: 1 s, 2 s, 4 s, ... 5 min by the connector's
/// clock.
pub fn backoff(attempts: u32) -> chrono::Duration {
    chrono::Duration::seconds((1i64 << attempts.min(20)).min(MAX_BACKOFF_SECS))
}

/// Applies the inbox: at start (rows a crash left behind), whenever woken, and when the
/// earliest row waiting for a retry is due.
pub fn spawn(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stopping = ctx.stopping.clone();
        // Between batches, the connector may stop: a batch taken is applied.
        while !*stopping.borrow() {
            let took = match drain(&ctx).await {
                Ok(took) => took,
                Err(error) => {
                    tracing::error!(%error, "inbox");
                    true
                }
            };
            // Until woken, or the next retry is due (bounded, so a moved test clock and a
            // store that failed are noticed).
            let now = ctx.clock.now();
            let due = ctx
                .run(|env| env.store.read(|tx| tx.inbox_next_due()))
                .await;
            let wait = match due {
                Ok(Some(due)) => (due - now).to_std().unwrap_or(Duration::ZERO),
                _ => Duration::from_secs(1),
            }
            .clamp(MIN_PAUSE, Duration::from_secs(1));
            let woken = match due {
                Ok(Some(due)) => wakes_early(took, due, now),
                _ => true,
            };
            if !woken {
                tokio::select! {
                    _ = tokio::time::sleep(LEASED_PAUSE) => {}
                    () = crate::serve::until_stopped(&mut stopping) => {}
                }
            }
            tokio::select! {
                _ = ctx.inbox.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                () = crate::serve::until_stopped(&mut stopping) => {}
            }
        }
    })
}

/// The shortest pause between two drains that took nothing.
const MIN_PAUSE: Duration = Duration::from_millis(20);

/// The pause before a drain that found its line's due rows leased by another instance may
/// be woken again.
const LEASED_PAUSE: Duration = Duration::from_millis(5);

/// Whether a drain that `took` rows or not may be followed at once by the next webhook's
/// wake-up: not when it took nothing though a row is `due` by `now` (its line is another
/// instance's, which applies it, and each webhook this instance keeps meanwhile would only
/// ask again). Such a drain pauses [`LEASED_PAUSE`] first (the webhooks kept meanwhile wake
/// it once then): a row it keeps waits that much longer only when the other instance gave
/// the line back just before.
fn wakes_early(took: bool, due: Timestamp, now: Timestamp) -> bool {
    took || due > now
}

/// One row read and its media fetched: ready to apply.
#[derive(Debug, Clone)]
struct Work {
    id: i64,
    /// Failed attempts so far.
    attempts: u32,
    line: Line,
    arrivals: Arrivals,
    /// Elements split off into rows of their own (their file not fetched yet).
    split: Vec<Vec<u8>>,
    /// Elements that cannot be read, with why: set aside at once.
    dead: Vec<(Vec<u8>, String)>,
    /// Each element alone, when the row holds several: if they cannot be applied together,
    /// each gets a row of its own.
    elements: Vec<Vec<u8>>,
}

/// Why a row could not be prepared.
enum Failure {
    /// Try again later.
    Retry(String),
    /// It will never read: set it aside now.
    Unreadable(String),
}

/// Applies every row due now that this instance may take, oldest first, a batch per
/// transaction; then, on a store several instances share, gives up its leases on the lines
/// (another instance's new rows are not held up). A batch that fails is applied a row at a
/// time, so one bad row is counted and set aside alone.
pub async fn drain(ctx: &Ctx) -> Result<bool> {
    // Leases are taken only by claims that found rows: a drain that found none holds none.
    let mut took = false;
    let applied = apply_due(ctx, &mut took).await;
    if took && ctx.store.shared() {
        let holder = ctx.instance;
        ctx.run(move |env| env.store.queue(|tx| tx.inbox_release(holder)))
            .await?;
    }
    applied.map(|()| took)
}

/// [`drain`]'s batches; `took` becomes true once a claim found rows (and, on a shared store,
/// took a line's lease).
async fn apply_due(ctx: &Ctx, took: &mut bool) -> Result<()> {
    let mut lines: HashMap<Uuid, Line> = HashMap::new();
    let holder = ctx.instance;
    // An instance's claim on a line's inbox holds half a claim lease without being renewed
    // (each batch renews it; an instance that died holds its lines that long).
    let lease = ctx.claim_lease / 2;
    // A stopping connector ends after the batch it holds; the rest waits in the store.
    while !*ctx.stopping.borrow() {
        // The one process on its store reads what is due; an instance among several claims
        // a line's rows.
        let shared = ctx.store.shared();
        let rows = ctx
            .run(move |env| match shared {
                false => env.store.read(|tx| tx.inbox_pending(env.now, BATCH)),
                true => env
                    .store
                    .queue(|tx| tx.inbox_claim(holder, env.now, env.now + lease, SHARED_BATCH)),
            })
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        *took = true;
        let mut work = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, attempts) = (row.id, row.attempts);
            match prepare(ctx, &mut lines, row).await {
                Ok(w) => work.push(w),
                Err(Failure::Retry(error)) => failed(ctx, id, attempts, &error).await?,
                Err(Failure::Unreadable(error)) => set_aside(ctx, id, &error).await?,
            }
        }
        let all = work.clone();
        match ctx.run(move |env| apply(env, &all)).await {
            Ok(told) => ctx.tell(told),
            Err(_) => {
                for w in work {
                    let (id, attempts) = (w.id, w.attempts);
                    let one = w.clone();
                    match ctx.run(move |env| apply(env, &[one])).await {
                        Ok(told) => ctx.tell(told),
                        Err(_) if w.elements.len() > 1 => {
                            ctx.run(move |env| split_up(env, &w)).await?;
                        }
                        Err(error) => failed(ctx, id, attempts, &error.to_string()).await?,
                    }
                }
            }
        }
    }
    Ok(())
}

/// Applies rows and marks them done, in one transaction.
fn apply(
    env: &crate::usecases::Env<'_>,
    work: &[Work],
) -> Result<Vec<multiline_domain::ids::UserId>> {
    let ids: Vec<i64> = work.iter().map(|w| w.id).collect();
    env.store.write(|tx| {
        let mut told = Vec::new();
        // Each thread told once, after its last message of the batch.
        crate::usecases::hold_views(tx);
        let done = tx.inbox_done_all(&ids, env.now)?;
        let wamids: Vec<&str> = work
            .iter()
            .flat_map(|w| w.arrivals.messages.iter().map(|m| m.wamid.as_str()))
            .collect();
        tx.expect_wamids(&wamids)?;
        for w in work {
            // Another worker applied it meanwhile (tests drain beside the running one).
            if !done.contains(&w.id) {
                continue;
            }
            told.extend(receive::apply(env, tx, &w.line, &w.arrivals)?);
            for body in &w.split {
                let id = tx.inbox_push(w.line.id, InboxSource::Whatsapp, body, env.now)?;
                tx.inbox_failed(
                    id,
                    "its file could not be fetched yet",
                    MAX_ATTEMPTS,
                    env.now + backoff(0),
                    env.now,
                )?;
            }
            for (body, error) in &w.dead {
                tx.inbox_set_aside(w.line.id, InboxSource::Whatsapp, body, error, env.now)?;
            }
        }
        told.extend(crate::usecases::tell_held_views(tx, env.now)?);
        told.sort();
        told.dedup();
        Ok(told)
    })
}

/// Sets a row aside at once: it will never read.
async fn set_aside(ctx: &Ctx, id: i64, error: &str) -> Result<()> {
    tracing::error!(inbox_id = id, %error, "an inbound event that cannot be read, set aside");
    let error = error.to_owned();
    ctx.run(move |env| {
        env.store
            .write(|tx| tx.inbox_failed(id, &error, 0, env.now, env.now))
    })
    .await?;
    Ok(())
}

/// A row whose elements could not be applied together: one row per element, the row done.
fn split_up(env: &crate::usecases::Env<'_>, w: &Work) -> Result<()> {
    tracing::warn!(
        inbox_id = w.id,
        elements = w.elements.len(),
        "a webhook body split into one row per element"
    );
    env.store.write(|tx| {
        if tx.inbox_done(w.id, env.now)? {
            for body in &w.elements {
                tx.inbox_push(w.line.id, InboxSource::Whatsapp, body, env.now)?;
            }
        }
        Ok(())
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
) -> std::result::Result<Work, Failure> {
    let line = match lines.get(&row.line) {
        Some(line) => line.clone(),
        None => {
            let id = row.line;
            let line = ctx
                .run(move |env| env.store.read(|tx| tx.line(id)))
                .await
                .map_err(|e| Failure::Retry(format!("the line {id}: {e}")))?;
            lines.insert(id, line.clone());
            line
        }
    };
    let mut work = Work {
        id: row.id,
        attempts: row.attempts,
        line: line.clone(),
        arrivals: Arrivals::default(),
        split: Vec::new(),
        dead: Vec::new(),
        elements: Vec::new(),
    };
    match row.source {
        InboxSource::Whatsapp => {
            let last_attempt = row.attempts + 1 >= MAX_ATTEMPTS;
            whatsapp(ctx, &line, &row.body, last_attempt, &mut work).await?;
        }
        InboxSource::Carrier => {
            let last_attempt = row.attempts + 1 >= MMS_PICTURE_ATTEMPTS;
            let event = serde_json::from_slice::<CarrierEvent>(&row.body)
                .map_err(|e| Failure::Unreadable(format!("a carrier event: {e}")))?;
            work.arrivals = carrier::carrier(ctx, &line, event, last_attempt)
                .await
                .map_err(Failure::Retry)?;
        }
    }
    Ok(work)
}

async fn known(ctx: &Ctx, wamid: &str) -> std::result::Result<bool, String> {
    let wamid = wamid.to_owned();
    ctx.run(move |env| receive::knows(env, &wamid))
        .await
        .map_err(|e| e.to_string())
}

/// A Cloud API body, element by element: messages (their files downloaded, once: a
/// repeated delivery of a stored message downloads nothing), reactions, statuses, problems.
async fn whatsapp(
    ctx: &Ctx,
    line: &Line,
    body: &[u8],
    last_attempt: bool,
    work: &mut Work,
) -> std::result::Result<(), Failure> {
    let notification =
        multiline_whatsapp_webhook::parse(body).map_err(|e| Failure::Unreadable(e.to_string()))?;
    let several = notification.elements.len() > 1;
    if several {
        work.elements = (0..notification.elements.len())
            .map(|i| notification.envelope(i))
            .collect();
    }
    for field in &notification.other_fields {
        if field == "message_template_status_update" {
            // A template was approved, paused, disabled...: the line's copy follows Meta's
            // listing at once (apps are told), so the picker never offers a paused one.
            if let Err(error) = crate::template_sync::sync(ctx, line.id).await {
                tracing::warn!(%error, line = %line.id, "template sync after a status update failed");
            }
            continue;
        }
        tracing::info!(%field, line = %line.id, "a webhook change of a field not read here");
    }
    let now = ctx.clock.now();
    for (i, element) in notification.elements.iter().enumerate() {
        let m = match &element.item {
            Item::Unreadable { reason } => {
                tracing::warn!(%reason, line = %line.id, "a webhook element set aside");
                let kept = if several {
                    notification.envelope(i)
                } else {
                    body.to_vec()
                };
                work.dead.push((kept, reason.clone()));
                continue;
            }
            Item::Status(s) => {
                work.arrivals.statuses.push(StatusUpdate {
                    wamid: s.wamid.clone(),
                    state: s.state,
                    error: s.error.clone(),
                    callback: s
                        .callback
                        .as_deref()
                        .and_then(|c| uuid::Uuid::parse_str(c).ok())
                        .map(multiline_domain::ids::MessageId),
                });
                continue;
            }
            Item::Message(m) => m,
        };
        let Some(guest) = GuestIds::of(m.guest.phone.clone(), m.guest.user_id.clone()) else {
            continue; // The parser reads no message without a sender.
        };
        let guest_name = m.guest.name.clone().or_else(|| m.guest.username.clone());
        let at = m.at.unwrap_or(now);
        let (body, media, payload) = match &m.content {
            Content::Reaction { target, emoji } => {
                work.arrivals.reactions.push(InboundReaction {
                    guest,
                    guest_name,
                    target: target.clone(),
                    emoji: emoji.clone(),
                    at,
                });
                continue;
            }
            Content::Body {
                body,
                media,
                payload,
            } => ((**body).clone(), media, payload.clone()),
        };
        let mut about = MessageAbout {
            reply_to: m.reply_to.clone(),
            forwarded: m.forwarded,
            ad: m.ad.clone(),
            raw: None,
        };
        let (body, received) = match media {
            Some(media) if !known(ctx, &m.wamid).await.map_err(Failure::Retry)? => {
                match download(ctx, line, media).await {
                    Ok(received) => (body, Some(received)),
                    Err(error) if retry_later(&error) && !last_attempt => {
                        if several {
                            tracing::warn!(%error, wamid = %m.wamid, "a file not fetched yet: its message waits in a row of its own");
                            work.split.push(notification.envelope(i));
                            continue;
                        }
                        return Err(Failure::Retry(format!(
                            "downloading the {} {}: {error}",
                            media.kind.as_str(),
                            media.id
                        )));
                    }
                    Err(error) => {
                        tracing::warn!(%error, wamid = %m.wamid, "a file that cannot be fetched");
                        let body = MessageBody::Unsupported {
                            kind: Some(media.kind.as_str().to_owned()),
                            description: format!(
                                "A {} that could not be downloaded from WhatsApp",
                                media.kind.noun()
                            ),
                        };
                        (body, None)
                    }
                }
            }
            _ => (body, None),
        };
        if matches!(body, MessageBody::Unsupported { .. }) {
            about.raw = Some(element.raw.clone());
        }
        work.arrivals.messages.push(Inbound {
            wamid: m.wamid.clone(),
            channel: Channel::Whatsapp,
            guest,
            guest_name,
            body,
            payload,
            at,
            media: received,
            about,
        });
    }
    work.arrivals.problems = notification
        .account_errors
        .iter()
        .map(|e| LineProblem {
            code: e.code,
            title: e.title.clone(),
            details: e.details.clone(),
        })
        .collect();
    Ok(())
}

/// Downloads a guest's file within WhatsApp's limit for its kind; a picture's size is read.
async fn download(
    ctx: &Ctx,
    line: &Line,
    media: &MediaRef,
) -> std::result::Result<ReceivedMedia, ProviderError> {
    let (bytes, mime_type) = ctx
        .whatsapp
        .download_media(line, media, media.kind.max_bytes())
        .await?;
    let mime_type = if mime_type.is_empty() {
        media.mime_type.clone().unwrap_or_default()
    } else {
        mime_type
    };
    Ok(match media.kind {
        MediaKind::Image => picture(bytes, mime_type),
        _ => ReceivedMedia {
            bytes,
            mime_type,
            width: 0,
            height: 0,
        },
    })
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

/// Whether a failed fetch may work later.
fn retry_later(error: &ProviderError) -> bool {
    matches!(
        error.disposition,
        Disposition::Retry | Disposition::RetryOnce | Disposition::Unknown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_that_took_nothing_though_rows_were_due_waits_out_its_pause() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let later = now + chrono::Duration::seconds(2);
        assert!(!wakes_early(false, now, now), "due, and another instance's");
        assert!(wakes_early(true, now, now), "it took rows: more may come");
        assert!(wakes_early(false, later, now), "nothing due yet");
        assert!(wakes_early(true, later, now));
    }
}
