//! The dispatch worker: takes due jobs from the store's outbox and hands them to the Cloud
//! API (or, for SMS, the line's carrier), in order per thread, at most 80 a second per business number (Meta's default
//! throughput). Transient failures are retried with exponential backoff and
//! jitter; permanent ones fail the message with a reason; 131047 marks the thread "template
//! required".
//!
//! Crash semantics: a job is marked in flight before the call. If the process dies during
//! the call, the next start fails that message with an explanation instead of sending it
//! again: the Cloud API has no idempotency key, and a guest must never get a message twice.

use std::time::Duration;

use rand::Rng;

use multiline_domain::api::{Channel, MessageBody};
use multiline_domain::cloud_errors::{Disposition, UNKNOWN_OUTCOME, describe_failure};
use multiline_domain::ids::UserId;
use multiline_domain::messages::Remedy;

use crate::ctx::Ctx;
use crate::providers::ProviderError;
use crate::providers::carrier;
use crate::usecases::deliver::{self, OutboundJob};
use crate::usecases::threads;

/// Backoff before attempt `n + 1`: 1 s, 2 s, 4 s ... capped at 5 minutes, with ±20 % jitter.
pub fn backoff(attempts: u32) -> chrono::Duration {
    let base = 1_000u64
        .saturating_mul(1 << attempts.saturating_sub(1).min(12))
        .min(300_000);
    let jitter = rand::rng().random_range(0.8..1.2);
    chrono::Duration::milliseconds((base as f64 * jitter) as i64)
}

/// Backoff before attempt `n + 1` after Meta's pair rate limit (131056: this business wrote
/// to the same guest too often): 4^(n-1) seconds as Meta advises (1 s, 4 s, 16 s ...),
/// at most an hour. The guest's queue waits; other guests' go on.
pub fn pair_backoff(attempts: u32) -> chrono::Duration {
    let secs = 4u64.saturating_pow(attempts.saturating_sub(1)).min(3600);
    chrono::Duration::seconds(secs as i64)
}

/// How many times a transient failure is retried before the message fails.
pub const MAX_ATTEMPTS: u32 = 8;

pub fn spawn(ctx: Ctx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stopping = ctx.stopping.clone();
        // Between jobs, the connector may stop: a job taken is always sent and recorded.
        while !*stopping.borrow() {
            match run_once(&ctx).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::error!(%error, "dispatch"),
            }
            // Sleep until woken or until the next retry is due (bounded, so a moved test
            // clock is noticed).
            let wait = match ctx.run(deliver::next_due).await {
                Ok(Some(due)) => (due - ctx.clock.now()).to_std().unwrap_or(Duration::ZERO),
                _ => Duration::from_secs(1),
            }
            .clamp(Duration::from_millis(20), Duration::from_secs(1));
            tokio::select! {
                _ = ctx.dispatch.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                () = crate::serve::until_stopped(&mut stopping) => {}
            }
        }
    })
}

/// Sends one due job, if any. `Ok(true)` when there may be more.
pub async fn run_once(ctx: &Ctx) -> anyhow::Result<bool> {
    let Some(job) = ctx.run(deliver::claim_next).await? else {
        return Ok(false);
    };
    // Meta's throughput limit per number: wait for a slot rather than collect 130429s.
    send_slot(ctx, job.line.id).await;
    // On a store several instances share, the wait may have been long (a slot, a store out
    // of reach): if the claim's lease ran out meanwhile, another instance has recovered the
    // message, and it must not go out. (A lone connector's claims are its own until it
    // restarts.)
    let (id, claimed_at) = (job.message_id, job.claimed_at);
    if ctx.store.shared()
        && !ctx
            .run(move |env| deliver::renew_claim(env, id, claimed_at))
            .await?
    {
        tracing::warn!(message = %id, "its claim ran out before it was sent: left to the instance that took it over");
        return Ok(true);
    }
    let started = crate::metrics::Stopwatch::start();
    let result = match (job.channel, &job.body) {
        (Channel::Sms, body) => send_text_message(ctx, &job, body).await,
        (_, MessageBody::Picture { media_id, .. } | MessageBody::Document { media_id, .. }) => {
            send_with_upload(ctx, &job, *media_id).await
        }
        (
            _,
            MessageBody::Template {
                header: Some(file), ..
            },
        ) if let Some(media_id) = file.media_id => send_with_upload(ctx, &job, media_id).await,
        _ => {
            let callback = job.message_id.to_string();
            ctx.whatsapp
                .send(&job.line, &job.to, &job.body, None, &callback)
                .await
        }
    };
    ctx.metrics
        .dispatch_duration
        .get_or_create(&crate::metrics::DispatchLabels {
            outcome: if result.is_ok() { "sent" } else { "failed" },
        })
        .observe(started.seconds());
    if let Err(error) = &result {
        let provider = match (job.channel, &job.line.carrier) {
            (Channel::Sms, Some(account)) => account.provider.as_str(),
            (Channel::Sms, None) => "carrier",
            _ => "whatsapp",
        };
        ctx.metrics.provider_error(provider, error.code);
    }
    let id = job.message_id;
    // Once the Cloud API was called, its answer must be recorded: a failed store write is
    // retried (each write is idempotent) rather than leaving the job in flight.
    let mut pause = Duration::from_millis(50);
    loop {
        match record(ctx, &job, &result).await {
            Ok(told) => {
                ctx.tell(told);
                return Ok(true);
            }
            Err(error) => {
                tracing::error!(%error, message = %id, "recording a send result; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Waits for one of the line's send slots (Meta's throughput per number): this process's
/// own limiter, or, on a store several instances share, the store's, which holds the rate
/// for the line as a whole.
async fn send_slot(ctx: &Ctx, line: uuid::Uuid) {
    if !ctx.store.shared() {
        ctx.send_rate.until_key_ready(&line).await;
        return;
    }
    loop {
        let store = ctx.store.clone();
        let taken = tokio::task::spawn_blocking(move || {
            store.take_send_slot(line, crate::ctx::SENDS_PER_SECOND)
        })
        .await;
        let wait = match taken.map_err(|e| e.to_string()) {
            Ok(Ok(None)) => return,
            Ok(Ok(Some(wait))) => wait,
            Ok(Err(error)) => slot_failed(&error.to_string()),
            Err(error) => slot_failed(&error),
        };
        tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
    }
}

/// A send slot that could not be taken (the store out of reach): said, and tried again in
/// a second.
fn slot_failed(error: &str) -> Duration {
    tracing::warn!(%error, "taking a send slot; again in 1 s");
    Duration::from_secs(1)
}

/// A text by SMS, through the line's carrier, with its status callback.
async fn send_text_message(
    ctx: &Ctx,
    job: &OutboundJob,
    body: &MessageBody,
) -> Result<String, ProviderError> {
    let MessageBody::Text { text } = body else {
        return Err(ProviderError::permanent("Only text can be sent by SMS."));
    };
    let Some(account) = &job.line.carrier else {
        return Err(ProviderError::permanent(
            "Texting is not set up for this line.",
        ));
    };
    let Some(carrier) = ctx.carriers.get(&account.provider) else {
        return Err(ProviderError::permanent(
            "This line's SMS carrier is not supported.",
        ));
    };
    let Some(to) = &job.to.phone else {
        return Err(ProviderError::permanent(
            "This guest has no phone number to text.",
        ));
    };
    let callback = ctx.carrier_webhook_url(job.line.id, "status");
    carrier.send_text(account, to, text, &callback).await
}

/// A picture, a document (or a template whose header is a picture the user attached):
/// uploaded to the line's number first (nothing reaches the guest yet, so an upload failure
/// is retried like any transient one), then sent by its Cloud API media id.
async fn send_with_upload(
    ctx: &Ctx,
    job: &OutboundJob,
    media_id: multiline_domain::ids::MediaId,
) -> Result<String, ProviderError> {
    let media = ctx
        .run(move |env| crate::usecases::media::media(env, media_id))
        .await
        .map_err(|e| ProviderError::permanent(format!("the file is missing: {e}")))?;
    let cloud_id = ctx
        .whatsapp
        .upload_media(&job.line, media.bytes, &media.info.mime_type)
        .await?;
    let callback = job.message_id.to_string();
    ctx.whatsapp
        .send(&job.line, &job.to, &job.body, Some(&cloud_id), &callback)
        .await
}

async fn record(
    ctx: &Ctx,
    job: &OutboundJob,
    result: &Result<String, ProviderError>,
) -> anyhow::Result<Vec<UserId>> {
    let id = job.message_id;
    let error = match result {
        Ok(wamid) => {
            if job.line.blocked_told.is_some() && job.channel == Channel::Whatsapp {
                let line = job.line.id;
                ctx.run(move |env| deliver::line_unblocked(env, line))
                    .await?;
            }
            let wamid = wamid.clone();
            return Ok(ctx
                .run(move |env| deliver::complete_sent(env, id, &wamid))
                .await?);
        }
        Err(error) => error,
    };
    tracing::warn!(%error, message = %id, attempts = job.attempts, "send failed");
    let carrier = job
        .line
        .carrier
        .as_ref()
        .and_then(|c| ctx.carriers.get(&c.provider));
    // The carrier says the number opted out (a STOP the connector never saw): the composer
    // must say so for the next text too.
    if job.channel == Channel::Sms
        && let (Some(carrier), Some(code)) = (carrier, error.code)
        && carrier.means_opted_out(code)
    {
        let (line, to) = (job.line.id, job.to.key.clone());
        ctx.tell(
            ctx.run(move |env| threads::sms_opted_out(env, line, &to))
                .await?,
        );
    }
    let reason = match (job.channel, error.disposition, carrier, error.code) {
        (Channel::Sms, Disposition::Unknown, _, _) => carrier::UNKNOWN_OUTCOME.to_owned(),
        (Channel::Sms, _, Some(carrier), Some(code)) => {
            carrier.describe_failure(code, &error.message)
        }
        (Channel::Sms, _, _, _) => error.message.clone(),
        (_, Disposition::Unknown, _, _) => UNKNOWN_OUTCOME.to_owned(),
        _ => describe_failure(error.code.unwrap_or(0), &error.message),
    };
    let retry = match error.disposition {
        // The line cannot send (bad token, restricted account): the line is paused and the
        // message waits in the queue with the others until the line is resumed.
        Disposition::LineBlocked => {
            let what = match job.channel {
                Channel::Sms => "the line's SMS carrier refuses its credentials",
                _ => "the WhatsApp line cannot send",
            };
            tracing::error!(line = %job.line.id, code = ?error.code, "{what}: an admin must fix it");
            if job.channel == Channel::Whatsapp {
                let (line, code, sentence) = (job.line.id, error.code.unwrap_or(0), reason.clone());
                ctx.tell(
                    ctx.run(move |env| deliver::line_blocked(env, line, code, &sentence))
                        .await?,
                );
                // Paused: back in the queue as it was, due as soon as the line is resumed.
                let at = ctx.clock.now();
                ctx.run(move |env| deliver::retry_at(env, id, at)).await?;
                return Ok(Vec::new());
            }
            true
        }
        Disposition::Retry => job.attempts < MAX_ATTEMPTS,
        Disposition::RetryOnce => job.attempts < 2,
        _ => false,
    };
    if retry {
        let wait = match error.code {
            Some(131056) => pair_backoff(job.attempts),
            _ => backoff(job.attempts),
        };
        let at = ctx.clock.now() + wait;
        ctx.run(move |env| deliver::retry_at(env, id, at)).await?;
        return Ok(Vec::new());
    }
    let failure = match job.channel {
        Channel::Sms => deliver::Failure {
            reason,
            template_required: false,
            remedy: (error.disposition == Disposition::Unknown).then_some(Remedy::Retry),
        },
        _ => deliver::Failure::whatsapp(error.code, error.disposition, reason),
    };
    Ok(ctx
        .run(move |env| deliver::complete_failed(env, id, &failure))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_the_pair_rate_waits_four_times_longer_each_time() {
        for attempts in 1..=12 {
            let base = (1_000u64 << (attempts - 1).min(12)).min(300_000) as f64;
            let got = backoff(attempts).num_milliseconds() as f64;
            assert!(got >= base * 0.8 && got <= base * 1.2, "{attempts}: {got}");
        }
        let waits: Vec<i64> = (1..=7).map(|n| pair_backoff(n).num_seconds()).collect();
        assert_eq!(waits, [1, 4, 16, 64, 256, 1024, 3600]);
    }
}
