//! A line's Graph API version past Meta's end date: the simulator refuses it as Meta's
//! deprecated-version error (2635), the connector warned the owner the day before (and 90,
//! 30 and 7 days before: `usecases::api_versions`), keeps the message waiting (the line is
//! paused: nothing more is tried, nothing is lost or failed) and sends it once after an
//! admin moves the line.

use chrono::TimeZone;
use multiline_connector::usecases::api_versions;
use multiline_domain::api::DeliveryState;
use multiline_domain::time::Clock as _;

use crate::support::{ANA, Harness};

#[tokio::test]
async fn an_ended_version_is_refused_and_the_line_waits_until_an_admin_moves_it() {
    // The day before v21.0's end (21 January 2027).
    let h = Harness::start_at(chrono::Utc.with_ymd_and_hms(2027, 1, 20, 9, 0, 0).unwrap()).await;
    let org = h.demo.org;
    // The line as it was connected when v21.0 was the default.
    api_versions::set(&h.env(), org, "v21.0").unwrap();
    // What the connector's watch does at start and every six hours (it may run meanwhile:
    // told once either way).
    api_versions::watch(&h.env()).unwrap();
    api_versions::watch(&h.env()).unwrap();
    let warnings: Vec<_> = h
        .audit()
        .into_iter()
        .filter(|r| r["action"] == "line.api_version_ending")
        .collect();
    assert_eq!(warnings.len(), 1, "the owner is told once");
    assert_eq!(warnings[0]["detail"]["stage_days"], 1);

    // The day it ends: Ana writes, the answer cannot go out on v21.0.
    h.advance(chrono::Duration::days(1));
    assert_eq!(h.clock.now().date_naive().to_string(), "2027-01-21");
    h.demo
        .sim
        .guest_sends_text(ANA, "Is my car ready?")
        .unwrap();
    h.settle().await;
    let thread = h.ana_thread().await;
    let sent = h.send_text(&thread, "Yes, since this morning.").await;
    h.retry_until(|h| h.line().blocked_told.as_deref() == Some("2635"))
        .await;
    // The line is paused: nothing more is tried, however long it waits.
    for _ in 0..5 {
        h.advance(chrono::Duration::minutes(10));
        h.demo.connector.ctx.dispatch.notify_one();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    assert_eq!(
        h.demo.sim.refused_calls("v21.0"),
        1,
        "one call, then paused"
    );
    let waiting = h.messages(&thread).await;
    let waiting = waiting.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(
        waiting.state,
        DeliveryState::Sending,
        "kept, not failed: {waiting:?}"
    );
    assert!(
        h.demo
            .sim
            .received(ANA)
            .iter()
            .all(|r| r.text != "Yes, since this morning.")
    );

    // The admin moves the line; the message goes out once.
    api_versions::set(&h.env(), org, "v25.0").unwrap();
    h.retry_until(|h| {
        h.demo
            .sim
            .received(ANA)
            .iter()
            .any(|r| r.text == "Yes, since this morning.")
    })
    .await;
    h.settle().await;
    let sent_once = h
        .demo
        .sim
        .received(ANA)
        .iter()
        .filter(|r| r.text == "Yes, since this morning.")
        .count();
    assert_eq!(sent_once, 1);
    assert_eq!(h.line().api_version, "v25.0");
}

#[tokio::test]
async fn the_simulator_answers_an_ended_version_as_meta_deprecated_it() {
    let h = Harness::start_at(chrono::Utc.with_ymd_and_hms(2027, 1, 21, 0, 0, 0).unwrap()).await;
    let sim = &h.demo.sim;
    let url = |version: &str| {
        format!(
            "{}/{version}/{}/message_templates",
            sim.base_url(),
            sim.config().waba_id
        )
    };
    let get = |version: &'static str| {
        let request = h
            .http
            .get(url(version))
            .bearer_auth(&sim.config().access_token);
        async move { request.send().await.unwrap() }
    };
    let refused = get("v21.0").await;
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], 2635, "{body}");
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(
        get("v22.0").await.status(),
        200,
        "v22.0 lasts until 20 May 2027"
    );
    assert_eq!(get("v26.0").await.status(), 200);
    assert_eq!(get("latest").await.status(), 400);
    assert_eq!(sim.refused_calls("v21.0"), 1);
}
