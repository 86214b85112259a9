//! What the connector survives: the Cloud API failing in every way the simulator can play,
//! webhooks duplicated and out of order, the connector killed mid-send, an event socket that
//! drops.

use std::time::Duration;

use crate::support::{ANA, Harness, message_event, next_matching};
use multiline_connector::server::Connector;
use multiline_domain::api::{DeliveryState, Direction, Message, MessageBody};
use wa_sim::Fault;

fn texts(messages: &[Message], direction: Direction) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.direction == direction)
        .filter_map(|m| match &m.body {
            MessageBody::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_then_delivered_once() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    h.demo.sim.inject_fault(Fault::ServerError, 2);
    h.demo.sim.inject_fault(Fault::RateLimit, 1);
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 130429,
            status: Some(400),
        },
        1,
    );

    let sent = h.send_text(&thread, "Your invoice is ready.").await;
    h.retry_until(|h| !h.demo.sim.received(ANA).is_empty())
        .await;
    assert_eq!(
        h.demo.sim.faults_pending(),
        0,
        "all four failures were played"
    );
    h.settle().await;
    let stored = h.messages(&thread).await;
    let m = stored.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(m.state, DeliveryState::Delivered, "{m:?}");
    let received = h.demo.sim.received(ANA);
    assert_eq!(received.len(), 1, "delivered once: {received:?}");
}

#[tokio::test]
async fn a_permanent_error_fails_that_message_with_its_reason_and_the_next_goes() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 131026,
            status: None,
        },
        1,
    );
    let first = h.send_text(&thread, "first").await;
    let second = h.send_text(&thread, "second").await;
    h.retry_until(|h| !h.demo.sim.received(ANA).is_empty())
        .await;
    h.settle().await;
    let stored = h.messages(&thread).await;
    let first = stored.iter().find(|m| m.id == first.id).unwrap();
    assert_eq!(first.state, DeliveryState::Failed);
    assert_eq!(
        first.failure.as_deref(),
        Some("The guest could not be reached on WhatsApp (the number may not use it).")
    );
    let second = stored.iter().find(|m| m.id == second.id).unwrap();
    assert_eq!(second.state, DeliveryState::Delivered);
    assert_eq!(
        h.demo
            .sim
            .received(ANA)
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>(),
        ["second"]
    );
}

#[tokio::test]
async fn a_guest_off_the_network_turns_the_message_failed_by_status_webhook() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    h.demo.sim.set_reachable(ANA, false);
    let sent = h.send_text(&thread, "Are you there?").await;
    h.retry_until(|h| !h.demo.sim.received(ANA).is_empty())
        .await;
    h.settle().await;
    let stored = h.messages(&thread).await;
    let m = stored.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(m.state, DeliveryState::Failed, "{m:?}");
    assert_eq!(
        m.failure.as_deref(),
        Some("The guest could not be reached on WhatsApp (the number may not use it).")
    );
}

#[tokio::test]
async fn duplicated_and_reordered_webhooks_are_stored_once_in_order() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let before = texts(&h.messages(&thread).await, Direction::Inbound);

    // Three guest messages, each webhook delivered twice, all six newest first.
    h.demo.sim.duplicate_next_webhooks(3);
    h.demo.sim.reorder_next_webhooks(6);
    for text in ["one", "two", "three"] {
        h.advance(chrono::Duration::minutes(1));
        h.demo.sim.guest_sends_text(ANA, text).unwrap();
    }
    h.settle().await;
    let after = texts(&h.messages(&thread).await, Direction::Inbound);
    assert_eq!(after[before.len()..], ["one", "two", "three"]);

    // A status that overtakes the one before it: `delivered` arrives before `sent`.
    h.demo.sim.reorder_next_webhooks(2);
    let sent = h.send_text(&thread, "Noted, thanks").await;
    h.retry_until(|h| h.demo.sim.received(ANA).len() == 1).await;
    h.settle().await;
    let stored = h.messages(&thread).await;
    let m = stored.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(
        m.state,
        DeliveryState::Delivered,
        "never moves back to sent"
    );
}

#[tokio::test]
async fn the_connector_killed_mid_send_loses_nothing_and_sends_nothing_twice() {
    killed_mid_send(Harness::start().await).await;
}

/// The connector killed in the middle of a send, on the store `h` runs on.
pub(crate) async fn killed_mid_send(h: Harness) {
    let thread = h.ana_thread().await;
    // The Cloud API has not answered the first send when the connector dies.
    h.demo.sim.inject_fault(Fault::Hold, 1);
    let in_flight = h.send_text(&thread, "in flight when it died").await;
    let queued = h.send_text(&thread, "queued behind it").await;
    h.until_faults_met().await;
    let addr = h.demo.connector.addr();
    h.demo.connector.shutdown().await;

    let back = Connector::start(
        h.demo.connector.ctx.store.clone(),
        h.clock.clone(),
        tokio::net::TcpListener::bind(addr).await.unwrap(),
    )
    .await
    .unwrap();
    h.demo.sim.set_webhook_url(back.webhook_url(h.line().id));
    tokio::time::timeout(Duration::from_secs(20), async {
        while !h
            .demo
            .sim
            .received(ANA)
            .iter()
            .any(|r| r.text == "queued behind it")
        {
            h.advance(chrono::Duration::minutes(10));
            back.ctx.dispatch.notify_one();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the queued message went out after the restart");
    // The simulator has it: once the Cloud API's answer is recorded (and WhatsApp's statuses
    // applied), the thread says so.
    let stored = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            h.settle().await;
            multiline_connector::inbox::drain(&back.ctx).await.unwrap();
            let stored = h.messages(&thread).await;
            if stored
                .iter()
                .any(|m| m.id == queued.id && m.state >= DeliveryState::Sent)
            {
                return stored;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the queued message's send was recorded");
    let first = stored.iter().find(|m| m.id == in_flight.id).unwrap();
    // Its outcome was unknown: "not confirmed", never sent again; if it had reached the
    // guest, WhatsApp's status (naming it in its callback data) settled it.
    let reached = h
        .demo
        .sim
        .received(ANA)
        .iter()
        .any(|r| r.text == "in flight when it died");
    if reached {
        assert!(first.state >= DeliveryState::Sent, "{first:?}");
    } else {
        assert_eq!(first.state, DeliveryState::Unconfirmed, "{first:?}");
        assert!(first.failure.is_some());
    }
    let second = stored.iter().find(|m| m.id == queued.id).unwrap();
    assert!(second.state >= DeliveryState::Sent, "{second:?}");
    let received = h.demo.sim.received(ANA);
    assert!(
        received
            .iter()
            .filter(|r| r.text == "in flight when it died")
            .count()
            <= 1,
        "{received:?}"
    );
    assert_eq!(
        received
            .iter()
            .filter(|r| r.text == "queued behind it")
            .count(),
        1,
        "{received:?}"
    );
}

#[tokio::test]
async fn an_event_socket_that_drops_resumes_with_no_gap_and_no_repeat() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let mut socket = h.events(0).await;
    h.demo.sim.guest_sends_text(ANA, "before the drop").unwrap();
    let last = next_matching(&mut socket, |e| {
        message_event(e).is_some_and(|m| {
            m.body
                == MessageBody::Text {
                    text: "before the drop".into(),
                }
        })
    })
    .await;
    drop(socket);

    for text in ["while away 1", "while away 2", "while away 3"] {
        h.advance(chrono::Duration::seconds(30));
        h.demo.sim.guest_sends_text(ANA, text).unwrap();
    }
    h.settle().await;

    let mut resumed = h.events(last.seq).await;
    let mut seen = Vec::new();
    let mut seqs = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while seen.len() < 3 {
            let e = next_matching(&mut resumed, |_| true).await;
            seqs.push(e.seq);
            if let Some(m) = message_event(&e)
                && let MessageBody::Text { text } = &m.body
                && m.thread_id == thread.id
                && m.direction == Direction::Inbound
            {
                seen.push(text.clone());
            }
        }
    })
    .await
    .expect("the missed messages arrived");
    assert_eq!(seen, ["while away 1", "while away 2", "while away 3"]);
    assert!(seqs[0] > last.seq, "nothing from before the drop again");
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gap: {seqs:?}"
    );
}

#[tokio::test]
async fn simulator_faults_are_played_in_the_order_planned() {
    // The control API, as a person or the e2e tests use it.
    let h = Harness::start().await;
    let mut token = reqwest::header::HeaderMap::new();
    token.insert("x-sim-token", h.demo.sim.control_token().parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(token)
        .build()
        .unwrap();
    let base = h.demo.sim.base_url();
    for body in [
        serde_json::json!({ "kind": "server_error", "count": 2 }),
        serde_json::json!({ "kind": "error", "code": 131026 }),
    ] {
        let r = http
            .post(format!("{base}/control/faults"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    assert_eq!(h.demo.sim.faults_pending(), 3);
    let r = http
        .delete(format!("{base}/control/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(h.demo.sim.faults_pending(), 0);
    let r = http
        .post(format!("{base}/control/faults"))
        .json(&serde_json::json!({ "kind": "meteor" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "an unknown fault is refused");
}
