//! Typed identifiers. All are UUIDv7 (time-ordered, so they index well) and cross every
//! boundary (HTTP, IPC, TypeScript) as strings.
//!
//! New ids come from an [`IdSource`], injected like the clock: [`ClockIds`] stamps them with
//! the injected clock's time (so the demo's ids follow its moved clock), and
//! [`SequentialIds`] makes them reproducible in tests. `Uuid::now_v7` and the ids'
//! `random()` read the system clock; `clippy.toml` keeps them out of everything but tests.

use std::sync::Arc;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::time::Clock;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[ts(export)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh identifier from the system clock: for tests. Everything else takes
            /// its ids from an [`IdSource`].
            #[allow(clippy::disallowed_methods)] // the tests' shortcut; see the module docs
            pub fn random() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organization (a business) using the connector.
    OrganizationId
);
id_type!(
    /// A MultiLine user: an employee of the organization.
    UserId
);
id_type!(
    /// A contact in the organization's address book.
    ContactId
);
id_type!(
    /// A conversation between one business line and one guest.
    ThreadId
);
id_type!(
    /// A message as the connector knows it.
    MessageId
);
id_type!(
    /// The id the app gives a message before any network call; the connector's idempotency key.
    ClientMessageId
);
id_type!(
    /// A picture stored by the connector (uploaded by a user or received from a guest).
    MediaId
);

/// Where new ids come from.
pub trait IdSource: Send + Sync + 'static {
    /// A new UUIDv7, never handed out before by this source.
    fn next_uuid(&self) -> Uuid;
}

impl dyn IdSource {
    /// A new id of any kind: `ids.new::<ThreadId>()`.
    pub fn new<T: From<Uuid>>(&self) -> T {
        T::from(self.next_uuid())
    }
}

/// UUIDv7 ids stamped with `clock`'s time, random below the millisecond (the connector and
/// the app): ids sort by the time of the clock the rules use, the demo's moved one included.
pub struct ClockIds {
    clock: Arc<dyn Clock>,
    /// Keeps ids made in the same millisecond in order.
    context: Mutex<uuid::ContextV7>,
}

impl ClockIds {
    pub fn new(clock: Arc<dyn Clock>) -> ClockIds {
        ClockIds {
            clock,
            context: Mutex::new(uuid::ContextV7::new()),
        }
    }
}

impl std::fmt::Debug for ClockIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClockIds")
    }
}

impl IdSource for ClockIds {
    fn next_uuid(&self) -> Uuid {
        let now = self.clock.now();
        let context = self.context.lock().unwrap_or_else(|e| e.into_inner());
        let ts = uuid::Timestamp::from_unix(
            &*context,
            now.timestamp().max(0) as u64,
            now.timestamp_subsec_nanos(),
        );
        Uuid::new_v7(ts)
    }
}

/// Reproducible ids for tests: the clock's millisecond and a counter, so two runs of the
/// same test with the same clock make the same ids, in order.
pub struct SequentialIds {
    clock: Arc<dyn Clock>,
    next: Mutex<u64>,
}

impl SequentialIds {
    pub fn new(clock: Arc<dyn Clock>) -> SequentialIds {
        SequentialIds {
            clock,
            next: Mutex::new(1),
        }
    }
}

impl std::fmt::Debug for SequentialIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SequentialIds")
    }
}

impl IdSource for SequentialIds {
    fn next_uuid(&self) -> Uuid {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let n = *next;
        *next += 1;
        let millis = self.clock.now().timestamp_millis().max(0) as u64;
        let mut counter = [0u8; 10];
        counter[2..].copy_from_slice(&n.to_be_bytes());
        uuid::Builder::from_unix_timestamp_millis(millis, &counter).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::time::ManualClock;

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::new(
            chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        ))
    }

    #[test]
    fn ids_carry_the_injected_clocks_time_not_the_systems() {
        let clock = clock();
        let ids = ClockIds::new(clock.clone());
        let first = ids.next_uuid();
        let (secs, _) = first.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, clock.now().timestamp());
        clock.advance(chrono::Duration::hours(25));
        let later = ids.next_uuid();
        assert_eq!(
            later.get_timestamp().unwrap().to_unix().0 as i64,
            clock.now().timestamp()
        );
        assert!(later > first);
    }

    #[test]
    fn ids_made_in_one_millisecond_stay_in_order() {
        let ids = ClockIds::new(clock());
        let made: Vec<Uuid> = (0..1000).map(|_| ids.next_uuid()).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sequential_ids_are_the_same_on_every_run() {
        let a = SequentialIds::new(clock());
        let b = SequentialIds::new(clock());
        let source: &dyn IdSource = &a;
        let first: ThreadId = source.new();
        assert_eq!(first.0, b.next_uuid());
        assert_eq!(a.next_uuid(), b.next_uuid());
        assert_eq!(first.0.get_version_num(), 7);
    }
}
