//! Reading a user's event log: what the event socket sends, from the store, never from
//! memory, so a reconnect misses nothing and repeats nothing.

use multiline_domain::api::EventEnvelope;
use multiline_domain::ids::UserId;

use super::Env;
use crate::error::Result;
use crate::store::StoreExt;

/// The user's latest event number (0 before any).
pub fn head(env: &Env<'_>, user: UserId) -> Result<u64> {
    env.store.read(|tx| tx.head_seq(user))
}

/// Up to `limit` of the user's events numbered after `after`, in order.
pub fn after(env: &Env<'_>, user: UserId, after: u64, limit: usize) -> Result<Vec<EventEnvelope>> {
    env.store.read(|tx| tx.events_after(user, after, limit))
}
