//! Time as a parameter. Rules take `now: Timestamp`; services hold an `Arc<dyn Clock>` so tests
//! can move time forward instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// A point in time, UTC.
pub type Timestamp = DateTime<Utc>;

/// Where services read the time from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock: the one place in the workspace that reads the system time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one real clock; everything else is injected
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests and for the demo's "move time" control.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A clock that is the system clock plus an offset that can be moved forward: lets the demo
/// (and an end-to-end test driving the real app) skip 24 hours without a fake calendar.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<chrono::Duration>,
}

impl OffsetClock {
    pub fn advance(&self, by: chrono::Duration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        SystemClock.now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}
