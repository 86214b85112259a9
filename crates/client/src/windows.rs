//! The window timer: a thread's composer changes with time alone (the 24-hour window closes,
//! an opt-in becomes re-sendable, with no message on the wire), so the core wakes at the
//! earliest such moment, or when told the clock moved or a thread changed, and tells the UI
//! about every thread whose moment passed since the previous pass.

use std::sync::Arc;
use std::time::Duration;

use multiline_domain::api::Thread;
use multiline_domain::consent::Consent;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WINDOW;

use crate::Inner;
use crate::view::UiEvent;

/// The longest the timer sleeps (a safety net for clocks that jump without telling).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// When what may be sent in `thread` changes by itself: its window closes, or a pending
/// opt-in may be sent again.
fn moments(thread: &Thread) -> impl Iterator<Item = Timestamp> {
    let closes = thread.window_rule.closes_at(thread.window);
    let opt_in_again = match thread.consent {
        Consent::Requested { at } => Some(at + WINDOW),
        _ => None,
    };
    closes.into_iter().chain(opt_in_again)
}

/// The sooner of two moments, either of which may be none.
fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A thread changed: the timer learns its next moment without reading every thread (a busy
/// line changes threads many times a second; a pass reads 10,000).
pub(crate) fn thread_changed(inner: &Inner, thread: &Thread) {
    let now = inner.clock.now();
    let Some(at) = moments(thread).filter(|at| *at > now).min() else {
        return;
    };
    let mut soonest = inner
        .windows_moment
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *soonest = earliest(*soonest, Some(at));
    drop(soonest);
    inner.windows_moment_wake.notify_one();
}

pub(crate) async fn run(inner: Arc<Inner>) {
    let mut last_pass = inner.clock.now();
    let mut next = None::<Timestamp>;
    let mut pass = true;
    loop {
        let now = inner.clock.now();
        if pass {
            next = pass_over_threads(&inner, last_pass, now).await;
            last_pass = now;
        }
        // Until the next moment (at once if it has passed), and never longer than a minute
        // after the last pass: moment wakes do not push the safety net back.
        let net = MAX_SLEEP.saturating_sub((now - last_pass).to_std().unwrap_or_default());
        let sleep = next
            .map(|at| (at - now).to_std().unwrap_or_default())
            .map_or(net, |d| d.min(net))
            // Just past the moment, so the window reads closed.
            + Duration::from_millis(5);
        pass = tokio::select! {
            _ = inner.windows_wake.notified() => true,
            _ = inner.windows_moment_wake.notified() => {
                let moment = inner
                    .windows_moment
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                next = earliest(next, moment);
                false
            }
            _ = tokio::time::sleep(sleep) => true,
        };
    }
}

/// Tells the UI about every thread whose moment passed in `(last_pass, now]`; returns the
/// earliest moment still to come.
async fn pass_over_threads(
    inner: &Arc<Inner>,
    last_pass: Timestamp,
    now: Timestamp,
) -> Option<Timestamp> {
    // Read one thread at a time, keeping only those whose moment passed.
    let (changed, next) = inner
        .cache(move |c| {
            let mut next = None::<Timestamp>;
            let changed = c.filter_map_threads(|thread| {
                let mut changed = false;
                for at in moments(&thread) {
                    if last_pass < at && at <= now {
                        changed = true;
                    } else if at > now {
                        next = earliest(next, Some(at));
                    }
                }
                changed.then_some(thread)
            })?;
            Ok((changed, next))
        })
        .await
        .unwrap_or_default();
    for thread in &changed {
        inner.emit(UiEvent::ThreadUpserted {
            thread: inner.summary(thread),
        });
    }
    next
}
