//! The connector on PostgreSQL, end to end: scenarios written for the demo run again on a
//! new database in the cluster the test run started (`scripts/with-postgres.sh`). The store
//! itself is checked by the conformance suite on both backends (`store_conformance.rs`).

use crate::support::Harness;

#[tokio::test]
async fn text_goes_out_and_the_reply_comes_back_live() {
    crate::scenarios::text_goes_out_and_the_reply_comes_back_live(Harness::on_postgres().await)
        .await;
}

/// U+0000, which PostgreSQL's text cannot hold: a guest's message with one, by WhatsApp or
/// by SMS, arrives (with U+FFFD in its place) rather than being set aside, and a contact
/// named with one is refused with a sentence, not a server error.
#[tokio::test]
async fn a_nul_character_is_replaced_in_a_guests_message_and_refused_in_a_name() {
    use crate::support::ANA;

    let h = Harness::on_postgres().await;
    h.demo
        .sim
        .guest_sends_text(ANA, "Is it\u{0}ready?")
        .unwrap();
    h.settle().await;
    let thread = h.ana_thread().await;
    let last = h.messages(&thread).await.pop().unwrap();
    assert_eq!(last.body.preview(), "Is it\u{FFFD}ready?");

    // A text by SMS too (a carrier's form may carry `%00`).
    let sms = crate::carrier::sms_thread(&h).await;
    h.demo
        .sim
        .guest_texts("+12025550147", "See you\u{0}at 5")
        .unwrap();
    let messages = crate::carrier::until_messages(&h, &sms, |m| !m.is_empty()).await;
    assert_eq!(messages[0].body.preview(), "See you\u{FFFD}at 5");

    let r = h
        .post("/v1/contacts", serde_json::json!({ "name": "Ana\u{0}B" }))
        .await;
    assert_eq!(r.status(), 400);
    let error = r.json::<serde_json::Value>().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_body", "{error}");
}

#[tokio::test]
async fn alive_ready_and_metrics() {
    crate::operations::alive_ready_and_metrics(Harness::on_postgres().await).await;
}

#[tokio::test]
async fn a_graceful_stop_finishes_what_is_in_flight() {
    crate::operations::graceful_stop(Harness::on_postgres().await).await;
}

#[tokio::test]
async fn killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    crate::reliability::killed_mid_send(Harness::on_postgres().await).await;
}

#[tokio::test]
async fn readyz_is_503_while_the_database_refuses_connections_and_200_when_it_is_back() {
    let h = Harness::on_postgres().await;
    let db = h.db.as_ref().unwrap();
    let readyz = || async {
        let r = h.http.get(h.url("/readyz")).send().await.unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(readyz().await.0, 200);
    // The database goes away for this connector: no new connection is taken, and the ones
    // it holds are cut.
    db.admin(&[
        &format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false", db.name()),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            db.name()
        ),
    ]);
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_ne!(body["store"], "ok");
    // Alive all the same: a restart would not bring the database back.
    assert_eq!(
        h.http.get(h.url("/healthz")).send().await.unwrap().status(),
        200
    );
    db.admin(&[&format!(
        "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
        db.name()
    )]);
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while readyz().await.0 != 200 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("ready again once the database takes connections");
}

#[tokio::test]
async fn migrate_store_moves_the_demo_and_the_app_sees_the_same_threads_and_audit() {
    use std::sync::Arc;

    use multiline_connector::ctx::Ctx;
    use multiline_connector::server::Connector;
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;
    use multiline_connector::usecases::accounts;

    // The demo on SQLite, with a few thousand messages and some real traffic.
    let h = Harness::start().await;
    h.demo.add_volume((500, 2_500)).await.unwrap();
    let thread = h.ana_thread().await;
    h.send_text(&thread, "Your car is ready.").await;
    h.demo
        .sim
        .guest_sends_text(crate::support::ANA, "Thanks!")
        .unwrap();
    h.retry_until(|h| !h.demo.sim.received(crate::support::ANA).is_empty())
        .await;
    h.settle().await;
    let threads: serde_json::Value = h.get("/v1/threads").await;
    let messages: serde_json::Value = h.get(&format!("/v1/threads/{}/messages", thread.id)).await;
    let audit = h.audit();
    let counts = h.row_counts();
    h.demo.connector.stop().await;

    let db = crate::support::TestDatabase::new();
    let moved = {
        let (data, url) = (h.dir.path().to_path_buf(), db.url.clone());
        tokio::task::spawn_blocking(move || {
            crate::support::run_ok(crate::support::connector_cmd(&data).args([
                "migrate-store",
                "--to",
                &url,
            ]))
        })
        .await
        .unwrap()
    };
    assert!(
        moved.contains("every table's rows counted on both sides"),
        "{moved}"
    );
    assert!(
        moved.contains(&format!("messages: {}", count_of(&counts, "messages"))),
        "{moved}"
    );

    // A connector on PostgreSQL answers the app as the SQLite one did.
    let (url, key) = (db.url.clone(), h.dir.path().join("connector.sqlite3"));
    let store =
        tokio::task::spawn_blocking(move || PgStore::connect(&url, Sealer::load(&key).unwrap()))
            .await
            .unwrap()
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let on_pg = Connector::start_with(Ctx::new(Arc::new(store), h.clock.clone()), listener, None)
        .await
        .unwrap();
    let get = |path: String| {
        let (http, token, base) = (h.http.clone(), h.token.clone(), on_pg.url());
        async move {
            let r = http
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(get("/v1/threads".to_owned()).await, threads);
    assert_eq!(
        get(format!("/v1/threads/{}/messages", thread.id)).await,
        messages
    );
    let ctx = on_pg.ctx.clone();
    let org = h.demo.org;
    let (their_audit, check) = tokio::task::spawn_blocking(move || {
        let env = ctx.env();
        (
            accounts::audit_record(&env, org).unwrap(),
            accounts::verify_audit(&env, org).unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(their_audit, audit, "the audit export is identical");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.records, audit.len());
    on_pg.shutdown().await;

    // Into a database that holds something: refused.
    let again = {
        let (data, url) = (h.dir.path().to_path_buf(), db.url.clone());
        tokio::task::spawn_blocking(move || {
            crate::support::connector_cmd(&data)
                .args(["migrate-store", "--to", &url])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
}

fn count_of(counts: &[(String, i64)], table: &str) -> i64 {
    counts
        .iter()
        .find(|(t, _)| t == table)
        .map(|(_, n)| *n)
        .unwrap()
}

#[test]
fn work_that_goes_on_after_a_failed_statement_is_not_reported_as_committed() {
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;
    use multiline_connector::store::{Store as _, StoreExt as _};
    use multiline_domain::ids::OrganizationId;

    let db = crate::support::TestDatabase::new();
    let store = PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let now = multiline_connector::store::conformance::t0();
    let first = OrganizationId(crate::support::fresh_uuid());
    store
        .write(|tx| tx.insert_organization(first, "Fjord Bikes", true, now))
        .unwrap();
    // The work writes, then ignores a failed insert (its id is taken) and returns Ok: in
    // PostgreSQL the transaction was aborted there, and its COMMIT would roll back in
    // silence. It is an error, and nothing of it is kept.
    let second = OrganizationId(crate::support::fresh_uuid());
    let outcome = store.write(|tx| {
        tx.insert_organization(second, "Northwind", true, now)?;
        let _ = tx.insert_organization(first, "Again", true, now);
        Ok(())
    });
    assert!(outcome.is_err(), "{outcome:?}");
    let organizations = store
        .row_counts()
        .unwrap()
        .into_iter()
        .find(|(t, _)| t == "organizations")
        .unwrap()
        .1;
    assert_eq!(organizations, 1);
}

/// Writes held to be sent with the next statement (several in one round trip) fail their
/// transaction as surely as writes sent at once: a held write that had to touch a row and
/// touched none, or that PostgreSQL refused, even when the work ignores the error the next
/// statement told, and even when the work ends before any statement tells it.
#[test]
fn held_writes_that_fail_fail_their_transaction() {
    use multiline_connector::store::conformance::{t, thread, world};
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;
    use multiline_connector::store::{Error, StoreExt as _};
    use multiline_domain::ids::ThreadId;

    let db = crate::support::TestDatabase::new();
    let store = PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let w = world(&store);
    let known = store.write(|tx| thread(tx, &w)).unwrap();
    let unknown = ThreadId(crate::support::fresh_uuid());
    let preview = |store: &PgStore| {
        store
            .read(|tx| tx.thread_view(known, w.alex.user_id))
            .unwrap()
            .last_message_preview
    };
    // Ignored: the read after the held write says NotFound; the work goes on and returns Ok.
    let outcome = store.write(|tx| {
        tx.guest_message_arrived(unknown, t(1), "lost")?;
        let _ = tx.participants(known);
        tx.guest_message_arrived(known, t(1), "kept?")?;
        Ok(())
    });
    assert!(matches!(outcome, Err(Error::NotFound)), "{outcome:?}");
    assert_eq!(preview(&store), None, "nothing of it committed");
    // The writes lock is given back however a write ends (with its COMMIT, or after it).
    assert_eq!(db.advisory_locks(), 0);
    // Told by the commit.
    let outcome = store.write(|tx| {
        tx.guest_message_arrived(known, t(1), "kept?")?;
        tx.guest_message_arrived(unknown, t(1), "lost")
    });
    assert!(matches!(outcome, Err(Error::NotFound)), "{outcome:?}");
    assert_eq!(preview(&store), None);
    assert_eq!(db.advisory_locks(), 0);
    // Refused by PostgreSQL (a second message with the same wamid), told by the next read.
    let message =
        |wamid: &str| multiline_connector::store::conformance::inbound(known, wamid, "hi", t(2));
    let stored = |wamid: &str| {
        store
            .read(|tx| tx.message_by_wamid(w.line, wamid))
            .unwrap()
            .is_some()
    };
    let outcome = store.write(|tx| {
        tx.insert_message(&message("wamid.ONE"))?;
        tx.insert_message(&message("wamid.ONE"))?;
        tx.participants(known).map(|_| ())
    });
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert!(
        !stored("wamid.ONE"),
        "the first insert rolled back with the second"
    );
    assert_eq!(db.advisory_locks(), 0);
    // Refused by PostgreSQL, told only by the commit (sent with the held inserts).
    let outcome = store.write(|tx| {
        tx.insert_message(&message("wamid.TWO"))?;
        tx.insert_message(&message("wamid.TWO"))
    });
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    assert!(!stored("wamid.TWO"));
    assert_eq!(db.advisory_locks(), 0);
    // And what works is committed, held writes included.
    store
        .write(|tx| tx.guest_message_arrived(known, t(3), "Hello"))
        .unwrap();
    assert_eq!(preview(&store).as_deref(), Some("Hello"));
    store
        .write(|tx| tx.insert_message(&message("wamid.THREE")))
        .unwrap();
    assert!(stored("wamid.THREE"));
    assert_eq!(db.advisory_locks(), 0);
}

/// A work that panics inside a transaction does not hand its session, still inside the
/// transaction, to the next work: the pool drops that connection.
#[test]
fn a_transaction_whose_work_panicked_is_not_reused() {
    use multiline_connector::store::StoreExt as _;
    use multiline_connector::store::conformance::{t, thread, world};
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;

    let db = crate::support::TestDatabase::new();
    let store = PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let w = world(&store);
    // Two threads of Ana's (one open at a time).
    let (halfway, other) = store
        .write(|tx| {
            let first = thread(tx, &w)?;
            tx.close_thread(first)?;
            Ok((first, thread(tx, &w)?))
        })
        .unwrap();
    for _ in 0..3 {
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.write(|tx| -> multiline_connector::store::Result<()> {
                tx.set_preview(halfway, "half done")?;
                panic!("the work fails halfway");
            })
        }));
        assert!(panicked.is_err());
    }
    // More writes than the pool has connections (16), one after another: none runs in a
    // session still inside a panicked transaction (its COMMIT would commit "half done"
    // too), and none waits on a writes lock such a session would hold.
    for n in 0..20 {
        store
            .write(|tx| tx.guest_message_arrived(other, t(n), "whole"))
            .unwrap();
    }
    let preview = |thread| {
        store
            .read(|tx| tx.thread_view(thread, w.alex.user_id))
            .unwrap()
            .last_message_preview
    };
    assert_eq!(preview(other).as_deref(), Some("whole"));
    assert_eq!(preview(halfway), None, "nothing of the panicked work");
}

#[test]
fn a_database_asked_for_tls_is_reached_over_tls_and_an_unknown_authority_refused() {
    use multiline_connector::store::Store as _;
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;

    let db = crate::support::TestDatabase::new();
    // The test cluster's own authority (scripts/with-postgres.sh), as a managed database's
    // CA bundle is given: libpq's options in the URL.
    let ca = std::env::var("MULTILINE_TEST_POSTGRES_CA")
        .expect("MULTILINE_TEST_POSTGRES_CA: scripts/with-postgres.sh sets it");
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", db.url);
    let store = PgStore::connect(&url, Sealer::with_key(&[7; 32])).expect("connected over TLS");
    assert!(store.row_counts().unwrap().iter().all(|(_, n)| *n == 0));
    // The server says each of the store's connections to this database is encrypted.
    let admin = std::env::var("MULTILINE_TEST_POSTGRES").unwrap();
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT COUNT(*), bool_and(s.ssl) FROM pg_stat_ssl s
             JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1",
            &[&db.name()],
        )
        .unwrap();
    let (connections, all_tls): (i64, Option<bool>) = (row.get(0), row.get(1));
    assert!(connections >= 1);
    assert_eq!(all_tls, Some(true));
    // Without the cluster's authority (the public ones only), its certificate is refused.
    let Err(refused) = PgStore::connect(
        &format!("{}?sslmode=require", db.url),
        Sealer::with_key(&[7; 32]),
    ) else {
        panic!("connected without trusting the server's authority");
    };
    let refused = refused.to_string();
    assert!(refused.contains("certificate"), "{refused}");
    drop(store);
}

/// An instance keeps at most its pool of connections however many requests come at once
/// (`--database-pool`), and a pool too small to work is refused.
#[test]
fn an_instance_keeps_at_most_its_pool_of_connections() {
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;
    use multiline_connector::store::{Store, StoreExt as _};

    let db = crate::support::TestDatabase::new();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        PgStore::connect_pooled(&db.url, Sealer::with_key(&[7; 32]), 3).unwrap(),
    );
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    store.read(|tx| tx.inbox_next_due()).unwrap();
                }
            })
        })
        .collect();
    let mut seen = 0;
    while !workers.iter().all(|w| w.is_finished()) {
        seen = seen.max(db.connections());
    }
    for w in workers {
        w.join().unwrap();
    }
    seen = seen.max(db.connections());
    assert!((1..=3).contains(&seen), "{seen} connections");

    let dir = tempfile::tempdir().unwrap();
    let storage = multiline_connector::admin::Storage {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        database_pool: Some(1),
    };
    let refused = storage.open_postgres().err().expect("refused").to_string();
    assert!(refused.contains("--database-pool"), "{refused}");
}

/// An instance whose secrets key is not the one the database's secrets were sealed with
/// (each instance must have the same `MULTILINE_SECRET_KEY`) refuses to start, and says
/// which keys; the database is left as it was.
#[test]
fn an_instance_with_another_secrets_key_refuses_to_start() {
    use multiline_connector::store::StoreExt as _;
    use multiline_connector::store::conformance::world;
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;

    let db = crate::support::TestDatabase::new();
    let first = PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let w = world(&first);
    let error = PgStore::connect(&db.url, Sealer::with_key(&[8; 32]))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("does not have") && error.contains("the same MULTILINE_SECRET_KEY"),
        "{error}"
    );
    let line = first.read(|tx| tx.line(w.line)).unwrap();
    assert!(!line.app_secret.is_empty(), "still opens with its key");
    // The same key starts.
    PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
}
