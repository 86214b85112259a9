//! Consent (opt-in) per business line and guest (PRODUCT.md F4-F6).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::time::Timestamp;

/// Where a guest stands on receiving WhatsApp messages from a business line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum Consent {
    /// Never asked: only the opt-in template may be sent.
    None,
    /// The opt-in template went out at `at`; waiting for an affirmative reply.
    Requested { at: Timestamp },
    /// The guest agreed at `at`, with the reply `reply` (button payload or text).
    Granted { at: Timestamp, reply: String },
    /// The guest opted out at `at`: nothing may be sent until they write again.
    Revoked { at: Timestamp },
}
