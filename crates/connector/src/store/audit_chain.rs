//! The audit's hash chain, the same for every backend: each record's hash covers the
//! previous record's hash of the same organization and the record's own fields, as stored.
//! Editing, removing or reordering a record breaks the chain from there on;
//! `multiline-connector audit verify` names where.
//!
//! This shows tampering by anyone who edits rows without recomputing every later hash. One
//! who rewrites the whole chain is caught by a head recorded elsewhere: `audit verify`
//! prints the head, for an administrator to keep outside the server.

use sha2::{Digest, Sha256};

use super::AuditEntry;

/// The "previous hash" of an organization's first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A record's fields as stored, with its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLink {
    pub id: i64,
    /// Microseconds since the epoch, as stored.
    pub at_micros: i64,
    pub actor: String,
    pub action: String,
    pub thread: Option<String>,
    /// The detail's JSON text, as stored.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What is kept beside the records: how many an organization has, and the latest hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub records: i64,
    pub hash: String,
}

/// The hash of a record whose predecessor's hash is `prev`.
pub fn hash(
    prev: &str,
    org: &str,
    at_micros: i64,
    actor: &str,
    action: &str,
    thread: Option<&str>,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        org,
        &at_micros.to_string(),
        actor,
        action,
        thread.unwrap_or(""),
        detail,
    ] {
        // Length-prefixed: no two different records hash the same bytes.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The hash of `entry` (its detail serialised as `detail`) after `prev`.
pub fn hash_entry(prev: &str, entry: &AuditEntry, at_micros: i64, detail: &str) -> String {
    hash(
        prev,
        &entry.org.to_string(),
        at_micros,
        &entry.actor,
        &entry.action,
        entry.thread.map(|t| t.to_string()).as_deref(),
        detail,
    )
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    pub records: usize,
    /// The latest record's hash (the genesis for none).
    pub head: String,
    /// Each break, by record id: an empty list is an intact chain.
    pub problems: Vec<String>,
}

/// Walks an organization's records (in id order) and its kept head.
pub fn verify(org: &str, links: &[AuditLink], head: Option<Head>) -> AuditCheck {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_owned();
    for l in links {
        if l.prev_hash != prev {
            problems.push(format!(
                "record {}: the record before it was removed, changed or moved",
                l.id
            ));
        }
        let own = hash(
            &l.prev_hash,
            org,
            l.at_micros,
            &l.actor,
            &l.action,
            l.thread.as_deref(),
            &l.detail,
        );
        if own != l.hash {
            problems.push(format!("record {}: its content was changed", l.id));
        }
        prev = l.hash.clone();
    }
    let records = links.len();
    match head {
        Some(Head {
            records: count,
            hash,
        }) if usize::try_from(count).ok() != Some(records) || hash != prev => {
            problems.push(format!(
                "the organization had {count} records ending in {hash}; {records} remain, \
                 ending in {prev}: records at the end were removed or changed"
            ));
        }
        Some(_) => {}
        None if records > 0 => {
            problems.push("the chain's head is missing".to_owned());
        }
        None => {}
    }
    AuditCheck {
        records,
        head: prev,
        problems,
    }
}
