//! The sign-in throttle: wrong passwords are counted per account and per client address;
//! past a few, each further one locks that account (or address) for twice as long as the
//! last, up to a ceiling. While locked, sign-ins are answered `429` with `Retry-After`
//! before any password is checked (no hashing work for a locked key).
//!
//! A lock on an account ends on time: the real user can then sign in from anywhere, while
//! an attacker's address, counted on its own, stays locked for as long as it keeps trying.
//! A successful sign-in clears its account's count (never its address's: one valid account
//! must not reset an address that guesses others).
//!
//! Kept in memory, per process, on the injected clock. With several connector instances each
//! counts on its own (see docs/security.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use multiline_domain::time::Timestamp;

/// How many wrong passwords are free, and how long the locks after them last.
#[derive(Debug, Clone)]
pub struct ThrottlePolicy {
    /// Wrong passwords allowed before the first lock.
    pub free_failures: u32,
    /// The first lock; each further failure doubles it.
    pub first_lock: chrono::Duration,
    /// The longest lock.
    pub max_lock: chrono::Duration,
    /// A key with no failure for this long is forgotten.
    pub forget_after: chrono::Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            free_failures: 5,
            first_lock: chrono::Duration::seconds(30),
            max_lock: chrono::Duration::minutes(15),
            forget_after: chrono::Duration::hours(24),
        }
    }
}

/// What is counted: an account (its lower-cased email) or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone)]
struct Count {
    failures: u32,
    locked_until: Option<Timestamp>,
    last_failure: Timestamp,
}

/// A lock that a failure started: audited by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    pub key: Key,
    pub until: Timestamp,
    pub failures: u32,
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    policy: ThrottlePolicy,
    counts: Mutex<HashMap<Key, Count>>,
}

/// Past this many keys, forgotten ones are swept out at the next failure.
const SWEEP_ABOVE: usize = 10_000;

impl SignInThrottle {
    pub fn new(policy: ThrottlePolicy) -> SignInThrottle {
        SignInThrottle {
            policy,
            counts: Mutex::default(),
        }
    }

    fn keys(email: &str, addr: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(Key::Account(email.trim().to_lowercase())).chain(addr.map(Key::Address))
    }

    /// `Err(wait)` while the account or the address is locked: how long until both may try.
    pub fn check(
        &self,
        email: &str,
        addr: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<(), chrono::Duration> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let wait = Self::keys(email, addr)
            .filter_map(|k| counts.get(&k)?.locked_until)
            .map(|until| until - now)
            .filter(|wait| *wait > chrono::Duration::zero())
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a wrong password; answers the locks it started.
    pub fn failed(&self, email: &str, addr: Option<IpAddr>, now: Timestamp) -> Vec<Lockout> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > SWEEP_ABOVE {
            let forget = self.policy.forget_after;
            counts.retain(|_, c| {
                now - c.last_failure < forget || c.locked_until.is_some_and(|u| u > now)
            });
        }
        let mut started = Vec::new();
        for key in Self::keys(email, addr) {
            let count = counts.entry(key.clone()).or_insert(Count {
                failures: 0,
                locked_until: None,
                last_failure: now,
            });
            if now - count.last_failure >= self.policy.forget_after {
                count.failures = 0;
            }
            count.failures += 1;
            count.last_failure = now;
            if let Some(lock) = self.lock_after(count.failures) {
                let until = now + lock;
                count.locked_until = Some(until);
                started.push(Lockout {
                    key,
                    until,
                    failures: count.failures,
                });
            }
        }
        started
    }

    /// A successful sign-in: the account starts afresh.
    pub fn succeeded(&self, email: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.remove(&Key::Account(email.trim().to_lowercase()));
    }

    /// The lock after the `failures`-th wrong password, if it starts one.
    fn lock_after(&self, failures: u32) -> Option<chrono::Duration> {
        let over = failures.checked_sub(self.policy.free_failures)?;
        let factor = 1i32.checked_shl(over.min(30)).unwrap_or(i32::MAX);
        Some(
            self.policy
                .first_lock
                .checked_mul(factor)
                .unwrap_or(self.policy.max_lock)
                .min(self.policy.max_lock),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    const ADDR: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)));
    const ELSEWHERE: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1)));

    #[test]
    fn five_wrong_passwords_are_free_then_locks_double_up_to_the_ceiling() {
        let t = SignInThrottle::default();
        for _ in 0..4 {
            assert!(t.failed("a@x.test", ADDR, t0()).is_empty());
            assert!(t.check("a@x.test", ADDR, t0()).is_ok());
        }
        let locks = t.failed("a@x.test", ADDR, t0());
        assert_eq!(locks.len(), 2, "the account and the address: {locks:?}");
        assert!(
            locks
                .iter()
                .all(|l| l.until == t0() + Duration::seconds(30))
        );
        assert_eq!(t.check("A@x.test ", ADDR, t0()), Err(Duration::seconds(30)));
        // Each further failure doubles, up to 15 minutes.
        let mut now = t0() + Duration::seconds(30);
        let mut seen = Vec::new();
        for _ in 0..8 {
            let locks = t.failed("a@x.test", ADDR, now);
            seen.push((locks[0].until - now).num_seconds());
            now = locks[0].until;
        }
        assert_eq!(seen, [60, 120, 240, 480, 900, 900, 900, 900]);
    }

    #[test]
    fn a_lock_ends_on_time_and_the_real_user_signs_in_from_elsewhere() {
        let t = SignInThrottle::default();
        for _ in 0..5 {
            t.failed("a@x.test", ADDR, t0());
        }
        assert!(
            t.check("a@x.test", ELSEWHERE, t0()).is_err(),
            "the account is locked"
        );
        let end = t0() + Duration::seconds(30);
        assert_eq!(
            t.check("a@x.test", ELSEWHERE, end - Duration::seconds(1)),
            Err(Duration::seconds(1))
        );
        assert!(t.check("a@x.test", ELSEWHERE, end).is_ok());
        t.succeeded("a@x.test");
        // The attacker's address stays counted: its next failure locks it again at once.
        assert!(!t.failed("b@x.test", ADDR, end).is_empty());
        assert!(t.check("c@x.test", ADDR, end).is_err());
        assert!(t.check("a@x.test", ELSEWHERE, end).is_ok());
    }

    #[test]
    fn an_address_guessing_many_accounts_is_locked() {
        let t = SignInThrottle::default();
        for i in 0..5 {
            t.failed(&format!("user{i}@x.test"), ADDR, t0());
        }
        assert!(t.check("someone-else@x.test", ADDR, t0()).is_err());
        assert!(t.check("someone-else@x.test", ELSEWHERE, t0()).is_ok());
    }

    #[test]
    fn failures_long_ago_are_forgotten() {
        let t = SignInThrottle::default();
        for _ in 0..4 {
            t.failed("a@x.test", ADDR, t0());
        }
        let later = t0() + Duration::hours(25);
        assert!(t.failed("a@x.test", ADDR, later).is_empty());
    }
}
