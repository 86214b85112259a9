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

pub(crate) async fn run(inner: Arc<Inner>) {
    let mut last_pass = inner.clock.now();
    loop {
        let now = inner.clock.now();
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
                            next = Some(next.map_or(at, |n| n.min(at)));
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
        last_pass = now;
        let sleep = next
            .and_then(|at| (at - now).to_std().ok())
            .map_or(MAX_SLEEP, |d| d.min(MAX_SLEEP))
            // Just past the moment, so the window reads closed.
            + Duration::from_millis(5);
        tokio::select! {
            _ = inner.windows_wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}
