//! What only SQLite can show: its migrations, what it keeps on disk. The behaviour every
//! backend shares is the conformance suite (`tests/store_conformance.rs`).

use super::conformance::{t0, world};
use super::*;

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
    assert_eq!(store.contact(w.alex.org_id, w.ana.id).unwrap(), w.ana);
    assert_eq!(store.line_of_org(w.alex.org_id).unwrap().id, w.line);
}

#[test]
fn only_a_hash_of_the_token_and_of_the_password_is_stored() {
    let (_dir, store) = open();
    world(&store);
    store
        .sign_in("alex@acme.test", "pw-alex-123", "tok-secret", t0())
        .unwrap()
        .unwrap();
    let conn = store.conn();
    let token: String = conn
        .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(token, hash_token("tok-secret"));
    assert!(!token.contains("tok-secret"));
    let password: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE email = 'alex@acme.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(password.starts_with("$argon2id$"), "{password}");
}

#[test]
fn the_audit_table_refuses_updates_and_deletes() {
    let (_dir, store) = open();
    let w = world(&store);
    store
        .audit_admin(w.alex.org_id, t0(), "test", serde_json::json!({}))
        .unwrap();
    let conn = store.conn();
    let update = conn.execute("UPDATE audit SET action = 'forged'", []);
    assert!(update.is_err(), "{update:?}");
    let delete = conn.execute("DELETE FROM audit", []);
    assert!(delete.is_err(), "{delete:?}");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 1);
}
