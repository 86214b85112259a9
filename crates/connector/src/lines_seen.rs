//! The lines webhooks were last checked against, kept a moment: a busy line gets thousands
//! of webhooks a second, and reading its line for each one was a store transaction per
//! webhook (on PostgreSQL two round trips; on SQLite a turn on the one connection the
//! writer needs).
//!
//! A line read here is used for at most [`KEPT_FOR`]. A webhook its line refuses (a
//! signature that does not match, a body for another number) is checked again against the
//! line read afresh, so a secret or number changed elsewhere (an admin, another instance) is
//! seen at once by the webhooks signed for it. What a kept line still lets in for that
//! moment (a webhook signed with a secret just replaced) goes to the durable inbox, whose
//! worker reads the line again before it applies anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::Line;

/// How long a line read is used for webhooks.
pub const KEPT_FOR: Duration = Duration::from_secs(1);

/// The lines read for webhooks, each with when it was read (bounded by the lines that exist:
/// only lines found are kept).
#[derive(Default)]
pub struct SeenLines(Mutex<HashMap<Uuid, (Line, Instant)>>);

impl SeenLines {
    /// Line `id` as read less than [`KEPT_FOR`] before `at`.
    pub fn get(&self, id: Uuid, at: Instant) -> Option<Line> {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .get(&id)
            .filter(|(_, read)| at.saturating_duration_since(*read) < KEPT_FOR)
            .map(|(line, _)| line.clone())
    }

    /// Keeps `line`, read at `at`.
    pub fn keep(&self, line: &Line, at: Instant) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.insert(line.id, (line.clone(), at));
    }
}

/// Now, for a kept line's age (not the domain's time: no rule depends on it).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use multiline_domain::ids::{OrganizationId, UserId};

    fn line() -> Line {
        Line {
            id: Uuid::from_u128(1),
            org_id: OrganizationId(Uuid::from_u128(2)),
            phone_number_id: "106540352242922".into(),
            waba_id: "102290129340398".into(),
            display_phone_number: "15550001111".into(),
            access_token: "token".into(),
            app_secret: "secret".into(),
            verify_token: "verify".into(),
            api_base_url: "http://127.0.0.1:1".into(),
            api_version: "v23.0".into(),
            owner_user_id: UserId(Uuid::from_u128(3)),
            carrier: None,
            api_version_warned: None,
            blocked_told: None,
        }
    }

    #[test]
    fn a_line_is_used_for_a_moment_then_read_again() {
        let seen = SeenLines::default();
        let read = now();
        let id = line().id;
        assert!(seen.get(id, read).is_none(), "never read");
        seen.keep(&line(), read);
        assert_eq!(
            seen.get(id, read + KEPT_FOR - Duration::from_millis(1))
                .map(|l| l.app_secret),
            Some("secret".into())
        );
        assert!(seen.get(id, read + KEPT_FOR).is_none(), "read again");
        assert!(seen.get(Uuid::from_u128(9), read).is_none(), "another line");
        let mut changed = line();
        changed.app_secret = "new".into();
        seen.keep(&changed, read + KEPT_FOR);
        assert_eq!(
            seen.get(id, read + KEPT_FOR).map(|l| l.app_secret),
            Some("new".into())
        );
    }
}
