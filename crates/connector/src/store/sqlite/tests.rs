//! What only SQLite can show: its migrations, what it keeps on disk, its triggers. What every
//! backend shares is the conformance suite (`tests/all/store_conformance.rs`); that only
//! hashes of passwords and tokens reach the file is the use cases' (`tests/all/usecases`).

use rusqlite::Connection;

use super::*;
use crate::store::conformance::{t0, world};
use crate::store::{AuditEntry, InboxSource, StoreExt};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite3")).unwrap();
    (dir, store)
}

#[test]
fn migrations_are_valid() {
    migrations().validate().unwrap();
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let w = {
        let store = SqliteStore::open(&path).unwrap();
        world(&store)
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .read(|tx| tx.contact(w.alex.org_id, w.ana))
            .unwrap()
            .name,
        "Ana Lima"
    );
    assert_eq!(
        store.read(|tx| tx.line_of_org(w.alex.org_id)).unwrap().id,
        w.line
    );
}

#[test]
fn the_audit_table_refuses_updates_and_deletes() {
    let (_dir, store) = open();
    let w = world(&store);
    store
        .write(|tx| {
            tx.append_audit(&AuditEntry {
                org: w.alex.org_id,
                at: t0(),
                actor: "admin".into(),
                action: "test".into(),
                thread: None,
                detail: serde_json::json!({}),
            })
        })
        .unwrap();
    let conn = store.conn();
    let update = conn.execute("UPDATE audit SET action = 'forged'", []);
    assert!(update.is_err(), "{update:?}");
    let delete = conn.execute("DELETE FROM audit", []);
    assert!(delete.is_err(), "{delete:?}");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

/// A store the previous version left with a voicemail still to fetch (its marker among the
/// Cloud API bodies) opens with it as a carrier event, ready for the inbox worker.
#[test]
fn a_voicemail_waiting_in_an_older_store_becomes_a_carrier_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    {
        let mut conn = Connection::open(&path).unwrap();
        let upto_006 = Migrations::new(migrations_list()[..6].to_vec());
        upto_006.to_latest(&mut conn).unwrap();
        let old = serde_json::json!({
            "object": "multiline.pending_voicemail",
            "recording_id": "RE1",
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            "duration_secs": 7,
            "from": "+393471234567",
        });
        conn.execute(
            "INSERT INTO webhook_inbox (line_id, received_at, body) VALUES ('0190d1f0-0000-7000-8000-000000000001', 1, ?1)",
            [serde_json::to_vec(&old).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO webhook_inbox (line_id, received_at, body) VALUES ('0190d1f0-0000-7000-8000-000000000001', 2, ?1)",
            [br#"{"object":"whatsapp_business_account","entry":[]}"#.to_vec()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let rows = store.read(|tx| tx.inbox_pending(t0(), 10)).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].source, InboxSource::Carrier);
    // The inbox worker's `CarrierEvent::Recording`, in its JSON.
    let event: serde_json::Value = serde_json::from_slice(&rows[0].body).unwrap();
    assert_eq!(
        event,
        serde_json::json!({
            "event": "recording",
            "recording_id": "RE1",
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            "duration_secs": 7,
            "from": "+393471234567",
        })
    );
    assert_eq!(rows[1].source, InboxSource::Whatsapp);
}

/// A store the previous version left with audit records (two organizations, interleaved)
/// opens with them chained, in their order, and stays append-only; records written after
/// continue the chain.
#[test]
fn an_older_stores_audit_is_chained_when_it_opens() {
    use multiline_domain::ids::OrganizationId;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let a = OrganizationId(uuid::Uuid::from_u128(1));
    let b = OrganizationId(uuid::Uuid::from_u128(2));
    {
        let mut conn = Connection::open(&path).unwrap();
        let upto_010 = Migrations::new(migrations_list()[..10].to_vec());
        upto_010.to_latest(&mut conn).unwrap();
        for (i, org) in [a, b, a, a, b].iter().enumerate() {
            conn.execute(
                "INSERT INTO audit (org_id, at, actor, action, thread_id, detail)
                 VALUES (?1, ?2, 'admin', 'test', NULL, '{}')",
                rusqlite::params![org.to_string(), i as i64],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(|tx| {
            tx.append_audit(&AuditEntry {
                org: a,
                at: t0(),
                actor: "admin".into(),
                action: "after".into(),
                thread: None,
                detail: serde_json::json!({}),
            })
        })
        .unwrap();
    let check = |org: OrganizationId| {
        let (links, head) = store.read(|tx| tx.audit_links(org)).unwrap();
        crate::store::audit_chain::verify(&org.to_string(), &links, head)
    };
    let (ca, cb) = (check(a), check(b));
    assert!(
        ca.problems.is_empty() && cb.problems.is_empty(),
        "{ca:?} {cb:?}"
    );
    assert_eq!((ca.records, cb.records), (4, 2));
    let update = store
        .conn()
        .execute("UPDATE audit SET action = 'forged'", []);
    assert!(update.is_err(), "append-only again: {update:?}");
}
