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
