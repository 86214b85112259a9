//! The admin commands, run as the built binary against a store in a temp folder.

use std::process::{Command, Output};

use crate::support::connector_cmd as connector;

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn an_admin_sets_up_an_organization_and_exports_its_audit_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let org = ok(connector(&data)
        .args(["org", "create", "--name", "Fjord Bikes"])
        .output()
        .unwrap());
    assert_eq!(org.len(), 36, "an id: {org}");

    // The password comes from the environment, and must be long enough.
    let refused = connector(&data)
        .args([
            "create-user",
            "--org",
            &org,
            "--name",
            "Ines",
            "--email",
            "ines@fjord.example",
        ])
        .env("MULTILINE_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("at least 12 characters"));
    let missing = connector(&data)
        .args([
            "create-user",
            "--org",
            &org,
            "--name",
            "Ines",
            "--email",
            "ines@fjord.example",
        ])
        .env_remove("MULTILINE_PASSWORD")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("set MULTILINE_PASSWORD"));
    ok(connector(&data)
        .args([
            "create-user",
            "--org",
            &org,
            "--name",
            "Ines",
            "--email",
            "ines@fjord.example",
        ])
        .env("MULTILINE_PASSWORD", "a long enough password")
        .output()
        .unwrap());

    let line = ok(connector(&data)
        .args([
            "connect-number",
            "--org",
            &org,
            "--phone-number-id",
            "1065400001",
            "--waba-id",
            "1022900001",
            "--display-number",
            "4722000000",
            "--owner-email",
            "ines@fjord.example",
        ])
        .env("WHATSAPP_ACCESS_TOKEN", "secret-token-value")
        .env("WHATSAPP_APP_SECRET", "secret-app-value")
        .env("WHATSAPP_VERIFY_TOKEN", "verify-value")
        .output()
        .unwrap());
    assert_eq!(line.len(), 36);
    ok(connector(&data)
        .args(["org", "enable-whatsapp", "--org", &org])
        .output()
        .unwrap());
    ok(connector(&data)
        .args([
            "org",
            "set-window-rule",
            "--org",
            &org,
            "--rule",
            "guest-message",
        ])
        .output()
        .unwrap());
    let words = ok(connector(&data)
        .args([
            "org",
            "set-keywords",
            "--org",
            &org,
            "--opt-out",
            "STOP, Baja",
        ])
        .output()
        .unwrap());
    assert!(words.contains("opt-out: stop, baja"), "{words}");
    assert!(
        words.contains("consent: yes, y, ok"),
        "the other list stays: {words}"
    );
    let both = connector(&data)
        .args([
            "org",
            "set-keywords",
            "--org",
            &org,
            "--consent",
            "yes,baja",
        ])
        .output()
        .unwrap();
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot both grant and revoke"));
    let listed = ok(connector(&data).args(["org", "list"]).output().unwrap());
    assert!(listed.contains("Fjord Bikes\twhatsapp on"), "{listed}");

    // A line WhatsApp paused (its token refused) is resumed by the admin.
    {
        let store = multiline_connector::admin::open_store(&data).unwrap();
        let org_id: multiline_domain::ids::OrganizationId = org.parse().unwrap();
        use multiline_connector::store::StoreExt as _;
        store
            .write(|tx| {
                let line = tx.line_of_org(org_id)?;
                tx.set_line_blocked_told(line.id, Some("190"))
            })
            .unwrap();
    }
    let shown = ok(connector(&data)
        .args(["line", "show", "--org", &org])
        .output()
        .unwrap());
    assert!(shown.contains("PAUSED") && shown.contains("190"), "{shown}");
    let resumed = ok(connector(&data)
        .args(["line", "resume", "--org", &org])
        .output()
        .unwrap());
    assert!(!resumed.contains("PAUSED"), "{resumed}");

    // The same store through a configuration file instead of the environment.
    let config = dir.path().join("connector.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    let out = dir.path().join("audit.jsonl");
    let mut export = Command::new(env!("CARGO_BIN_EXE_multiline-connector"));
    export
        .env_remove("MULTILINE_DATA_DIR")
        .env("RUST_LOG", "warn")
        .args([
            "--config",
            config.to_str().unwrap(),
            "export-audit",
            "--org",
            &org,
            "--out",
        ])
        .arg(&out);
    ok(export.output().unwrap());
    let text = std::fs::read_to_string(&out).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "organization.created",
            "user.created",
            "line.connected",
            "whatsapp.enabled",
            "window_rule.changed",
            "consent_keywords.changed",
            "line.resumed"
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actor"] == "admin" && e["at"].is_string())
    );
    for secret in [
        "secret-token-value",
        "secret-app-value",
        "verify-value",
        "a long enough password",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the audit");
    }

    let ctx = multiline_connector::admin::open(
        &data,
        std::sync::Arc::new(multiline_domain::time::SystemClock),
    )
    .unwrap();
    let org_id: multiline_domain::ids::OrganizationId = org.parse().unwrap();
    assert_eq!(
        multiline_connector::usecases::accounts::organization(&ctx.env(), org_id)
            .unwrap()
            .consent_keywords
            .opt_out,
        ["stop", "baja"]
    );
    drop(ctx);

    // A configuration file with a typo is an error that names it.
    std::fs::write(&config, "data_dri = \"x\"\n").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_multiline-connector"))
        .env_remove("MULTILINE_DATA_DIR")
        .args(["--config", config.to_str().unwrap(), "org", "list"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("data_dri"));
}

#[test]
fn the_admin_commands_work_on_postgresql_and_backup_points_to_pg_dump() {
    let db = crate::support::TestDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let on_pg = |c: &mut Command| {
        c.env("MULTILINE_DATABASE_URL", &db.url);
    };
    let mut create = connector(&data);
    on_pg(&mut create);
    let org = ok(create
        .args(["org", "create", "--name", "Fjord Bikes"])
        .output()
        .unwrap());
    let mut list = connector(&data);
    on_pg(&mut list);
    assert!(ok(list.args(["org", "list"]).output().unwrap()).contains("Fjord Bikes"));
    let mut verify = connector(&data);
    on_pg(&mut verify);
    let verified = ok(verify
        .args(["audit", "verify", "--org", &org])
        .output()
        .unwrap());
    assert!(verified.starts_with("intact: 1 records"), "{verified}");
    // Nothing was written to a SQLite store: the organization is in PostgreSQL only.
    assert!(!data.join("connector.sqlite3").exists());
    let mut backup = connector(&data);
    on_pg(&mut backup);
    let refused = backup
        .args([
            "backup",
            "--to",
            dir.path().join("b.sqlite3").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
}
