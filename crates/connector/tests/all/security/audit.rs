//! The audit is tamper-evident: editing, removing or reordering a record with the store
//! open in sqlite3 (triggers dropped, as someone with the file can) is found by
//! `multiline-connector audit verify`, which names the record.

use std::path::Path;

use crate::support::{connector_cmd as connector, run_ok as ok};

/// An organization with a few audited changes; its id.
fn organization(data: &Path) -> String {
    let org = ok(connector(data).args(["org", "create", "--name", "Fjord"]));
    for (name, email) in [("Ines", "ines@fjord.example"), ("Ola", "ola@fjord.example")] {
        ok(connector(data)
            .args([
                "create-user",
                "--org",
                &org,
                "--name",
                name,
                "--email",
                email,
            ])
            .env("MULTILINE_PASSWORD", "a-long-enough-password"));
    }
    ok(connector(data).args(["org", "enable-whatsapp", "--org", &org]));
    org
}

/// `audit verify` on a copy of the store after `sql`: whether it passed, and what it said.
fn verify_after(data: &Path, org: &str, sql: &str) -> (bool, String) {
    let copy = tempfile::tempdir().unwrap();
    let file = multiline_connector::admin::store_path(data);
    let copied = multiline_connector::admin::store_path(copy.path());
    std::fs::copy(&file, &copied).unwrap();
    let conn = rusqlite::Connection::open(&copied).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let out = connector(copy.path())
        .args(["audit", "verify", "--org", org])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn audit_verify_names_an_edited_removed_or_reordered_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let org = organization(&data);
    let intact = ok(connector(&data).args(["audit", "verify", "--org", &org]));
    assert!(intact.starts_with("intact: 4 records, head "), "{intact}");

    let (passed, said) = verify_after(
        &data,
        &org,
        "UPDATE audit SET detail = '{\"email\":\"someone-else@fjord.example\"}' WHERE id = 2;",
    );
    assert!(!passed);
    assert!(said.contains("record 2: its content was changed"), "{said}");

    let (passed, said) = verify_after(&data, &org, "DELETE FROM audit WHERE id = 2;");
    assert!(!passed);
    assert!(
        said.contains("record 3: the record before it was removed"),
        "{said}"
    );

    let (passed, said) = verify_after(&data, &org, "DELETE FROM audit WHERE id = 4;");
    assert!(!passed);
    assert!(said.contains("records at the end were removed"), "{said}");

    // Two records swapped, hashes and all.
    let (passed, said) = verify_after(
        &data,
        &org,
        "UPDATE audit SET id = -2 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3;
         UPDATE audit SET id = 3 WHERE id = -2;",
    );
    assert!(!passed);
    assert!(said.contains("record 2: the record before it"), "{said}");
}
