//! The 24-hour customer-service window (PRODUCT.md F7-F8).

use chrono::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::time::Timestamp;

/// How long a window stays open after the message that opened it.
pub const WINDOW: Duration = Duration::hours(24);

/// Which message opens the window; chosen per organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WindowRule {
    /// The product's rule (default): the latest message from either side.
    #[default]
    AnyMessage,
    /// Meta's rule: the guest's latest message.
    GuestMessage,
}

/// The facts about a conversation that decide its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct WindowFacts {
    /// The latest message from either side (outbound counts once the Cloud API accepted it).
    pub last_message_at: Option<DateTime<Utc>>,
    /// The guest's latest message.
    pub last_guest_message_at: Option<DateTime<Utc>>,
}

/// Whether free-form messages may be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum Window {
    /// Open until `closes_at` (exclusive).
    Open { closes_at: Timestamp },
    /// Closed since `since` (`None`: it was never open).
    Closed { since: Option<Timestamp> },
}

impl WindowFacts {
    /// The facts after a message at `at`, received at `now`. A timestamp in the future (a
    /// fast clock on the guest's phone) counts as `now`, so it cannot stretch the window.
    pub fn with_message(self, from_guest: bool, at: Timestamp, now: Timestamp) -> WindowFacts {
        let at = at.min(now);
        WindowFacts {
            last_message_at: self.last_message_at.max(Some(at)),
            last_guest_message_at: if from_guest {
                self.last_guest_message_at.max(Some(at))
            } else {
                self.last_guest_message_at
            },
        }
    }
}

impl WindowRule {
    /// When the window closes (or closed), if any message opened it.
    pub fn closes_at(self, facts: WindowFacts) -> Option<Timestamp> {
        let opener = match self {
            WindowRule::AnyMessage => facts.last_message_at.max(facts.last_guest_message_at),
            WindowRule::GuestMessage => facts.last_guest_message_at,
        };
        opener.map(|at| at + WINDOW)
    }

    /// The window at `now`. Exactly 24 h after the opening message it is closed.
    pub fn window(self, facts: WindowFacts, now: Timestamp) -> Window {
        match self.closes_at(facts) {
            Some(closes_at) if now < closes_at => Window::Open { closes_at },
            since => Window::Closed { since },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;

    fn t(minutes: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn the_rules_differ_on_who_wrote_last() {
        let facts = WindowFacts::default()
            .with_message(true, t(0), t(0))
            .with_message(false, t(600), t(600));
        // 23 h after the guest, 13 h after the business.
        let now = t(23 * 60);
        assert_eq!(
            WindowRule::AnyMessage.window(facts, now),
            Window::Open {
                closes_at: t(600 + 24 * 60)
            }
        );
        assert_eq!(
            WindowRule::GuestMessage.window(facts, now),
            Window::Open {
                closes_at: t(24 * 60)
            }
        );
        let later = t(24 * 60);
        assert!(matches!(
            WindowRule::GuestMessage.window(facts, later),
            Window::Closed { .. }
        ));
        assert!(matches!(
            WindowRule::AnyMessage.window(facts, later),
            Window::Open { .. }
        ));
    }

    #[test]
    fn no_message_means_no_window() {
        for rule in [WindowRule::AnyMessage, WindowRule::GuestMessage] {
            assert_eq!(
                rule.window(WindowFacts::default(), t(0)),
                Window::Closed { since: None }
            );
        }
    }

    #[test]
    fn a_timestamp_from_the_future_counts_as_now() {
        let facts = WindowFacts::default().with_message(true, t(600), t(0));
        assert_eq!(facts.last_guest_message_at, Some(t(0)));
        assert!(matches!(
            WindowRule::GuestMessage.window(facts, t(24 * 60)),
            Window::Closed { .. }
        ));
    }

    #[test]
    fn an_older_message_does_not_move_the_window_back() {
        let facts = WindowFacts::default()
            .with_message(true, t(100), t(100))
            .with_message(true, t(50), t(200));
        assert_eq!(facts.last_guest_message_at, Some(t(100)));
    }

    proptest! {
        /// Once closed, the window stays closed until a new message arrives.
        #[test]
        fn the_window_never_reopens_without_a_new_message(
            guest in proptest::option::of(0i64..10_000),
            any in proptest::option::of(0i64..10_000),
            first in 0i64..20_000,
            later in 0i64..20_000,
            guest_rule in any::<bool>(),
        ) {
            let rule = if guest_rule { WindowRule::GuestMessage } else { WindowRule::AnyMessage };
            let facts = WindowFacts { last_message_at: any.map(t), last_guest_message_at: guest.map(t) };
            let (a, b) = (first.min(later), first.max(later));
            if matches!(rule.window(facts, t(a)), Window::Closed { .. }) {
                let closed = matches!(rule.window(facts, t(b)), Window::Closed { .. });
                prop_assert!(closed, "reopened at {}", b);
            }
        }

        /// closes_at is exactly 24 h after the message that opened the window.
        #[test]
        fn open_until_exactly_24_hours(at in 0i64..10_000, offset in 0i64..3_000) {
            let facts = WindowFacts::default().with_message(true, t(at), t(at));
            let now = t(at + offset);
            let open = offset < 24 * 60;
            prop_assert_eq!(matches!(WindowRule::GuestMessage.window(facts, now), Window::Open { .. }), open);
        }
    }
}
