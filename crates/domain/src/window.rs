//! The 24-hour customer-service window (PRODUCT.md F7-F8).

use chrono::Duration;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::time::Timestamp;

/// How long a window stays open after the message that opened it.
pub const WINDOW: Duration = Duration::hours(24);

/// Which message opens the window; chosen per organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
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
#[ts(export)]
pub struct WindowFacts {
    /// The latest message from either side (outbound counts once the Cloud API accepted it).
    pub last_message_at: Option<Timestamp>,
    /// The guest's latest message.
    pub last_guest_message_at: Option<Timestamp>,
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
