//! The connector on PostgreSQL, end to end: scenarios written for the demo run again on a
//! new database in the cluster the test run started (`scripts/with-postgres.sh`). The store
//! itself is checked by the conformance suite on both backends (`store_conformance.rs`).

use crate::support::Harness;

#[tokio::test]
async fn text_goes_out_and_the_reply_comes_back_live() {
    crate::scenarios::text_goes_out_and_the_reply_comes_back_live(Harness::on_postgres().await)
        .await;
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
