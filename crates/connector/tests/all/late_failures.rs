//! What goes out meeting Meta's real behaviour, on the simulator: sends accepted with a 200
//! then failed by a status webhook (131047, 131026, 131049, 131050), each failure with the
//! table's sentence and its next step; a line paused by WhatsApp keeping its queue and
//! sending it in order after `line resume`; a send whose answer was lost recognised by its
//! callback data, so that Retry never sends it twice; templates with a picture header and
//! buttons sent exactly as Meta takes them; a template paused by Meta leaving the list at
//! once; a document sent with its name.

use std::time::Duration;

use multiline_connector::usecases::deliver;
use multiline_domain::api::{DeliveryState, Message, Thread};
use multiline_domain::cloud_errors::describe_failure;
use multiline_domain::ids::{ClientMessageId, MessageId};
use multiline_domain::messages::Remedy;
use multiline_domain::templates::{Template, TemplateStatus};
use multiline_domain::time::Clock as _;
use serde_json::json;
use wa_sim::Fault;

use crate::support::{ANA, Harness};

/// The message once it is `state` (waiting for the system, within 10 s).
async fn until_state(h: &Harness, thread: &Thread, id: MessageId, state: DeliveryState) -> Message {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let stored = h.messages(thread).await;
            let m = stored.iter().find(|m| m.id == id).unwrap().clone();
            if m.state == state {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{id:?} never became {state:?}"))
}

fn received_times(h: &Harness, text: &str) -> usize {
    h.demo
        .sim
        .received(ANA)
        .iter()
        .filter(|r| r.text == text)
        .count()
}

#[tokio::test]
async fn sends_accepted_then_failed_by_webhook_end_with_their_sentence_and_next_step() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;

    // Outside Meta's window while the connector still thinks it open (its check bypassed:
    // the simulator's record of Ana's last message is older): accepted, then 131047.
    h.demo
        .sim
        .set_guest_last_message_at(ANA, h.clock.now() - chrono::Duration::hours(25));
    let late = h.send_text(&thread, "Your car is ready").await;
    let failed = until_state(&h, &thread, late.id, DeliveryState::Failed).await;
    assert_eq!(failed.failure, Some(describe_failure(131047, "")));
    assert_eq!(failed.remedy, Some(Remedy::Template));
    let after: Thread = h.get(&format!("/v1/threads/{}", thread.id)).await;
    assert!(after.template_required, "the thread asks for a template");
    assert_eq!(received_times(&h, "Your car is ready"), 0);
    // The simulator answered the send with a wamid before failing it.
    let audit = h.audit();
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "message.failed" && r["detail"]["message_id"] == json!(late.id))
    );
    // Ana writes again: the window opens on both sides.
    h.demo.sim.guest_sends_text(ANA, "Great, thanks").unwrap();
    h.settle().await;

    // Per-user marketing limit and stopped marketing: accepted, then failed, no next step.
    for code in [131049, 131050] {
        h.demo.sim.inject_fault(Fault::Late { code }, 1);
        let text = format!("Offer {code}");
        let sent = h.send_text(&thread, &text).await;
        let failed = until_state(&h, &thread, sent.id, DeliveryState::Failed).await;
        assert_eq!(failed.failure, Some(describe_failure(code, "")), "{code}");
        assert_eq!(failed.remedy, None, "{code}");
    }

    // A phone WhatsApp cannot reach (131026): "send by SMS instead".
    h.demo.sim.set_reachable(ANA, false);
    let unreachable = h.send_text(&thread, "Are you there?").await;
    let failed = until_state(&h, &thread, unreachable.id, DeliveryState::Failed).await;
    assert_eq!(failed.failure, Some(describe_failure(131026, "")));
    assert_eq!(failed.remedy, Some(Remedy::Sms));
}

#[tokio::test]
async fn a_line_paused_for_its_token_keeps_its_queue_and_sends_it_in_order_after_resume() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 190,
            status: Some(401),
        },
        1,
    );
    let texts = ["First", "Second", "Third"];
    let mut sent = Vec::new();
    for text in texts {
        sent.push(h.send_text(&thread, text).await);
    }
    h.retry_until(|h| h.line().blocked_told.as_deref() == Some("190"))
        .await;
    for _ in 0..5 {
        h.advance(chrono::Duration::minutes(10));
        h.demo.connector.ctx.dispatch.notify_one();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let stored = h.messages(&thread).await;
    for m in &sent {
        let now = stored.iter().find(|s| s.id == m.id).unwrap();
        assert_eq!(now.state, DeliveryState::Sending, "waits: {now:?}");
    }
    assert!(texts.iter().all(|t| received_times(&h, t) == 0));

    let line = deliver::resume(&h.env(), h.demo.org).unwrap();
    assert_eq!(line.blocked_told, None);
    h.demo.connector.ctx.dispatch.notify_one();
    for m in &sent {
        until_state(&h, &thread, m.id, DeliveryState::Delivered).await;
    }
    let order: Vec<String> = h
        .demo
        .sim
        .received(ANA)
        .into_iter()
        .map(|r| r.text)
        .filter(|t| texts.contains(&t.as_str()))
        .collect();
    assert_eq!(order, texts, "in order, once each");
    assert!(
        h.audit()
            .iter()
            .any(|r| r["action"] == "line.resumed" && r["actor"] == "admin")
    );
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_recognised_and_retry_never_sends_it_twice() {
    let h = Harness::start_with_cloud_timeout(Duration::from_millis(300)).await;
    let thread = h.ana_thread().await;
    // The simulator takes the message but answers after the connector gave up.
    h.demo.sim.inject_fault(Fault::Delay { ms: 900 }, 1);
    let sent = h.send_text(&thread, "Did this arrive?").await;
    let failed = until_state(&h, &thread, sent.id, DeliveryState::Failed).await;
    assert_eq!(failed.remedy, Some(Remedy::Retry));
    // Meta's statuses carry the send's callback data: the message was delivered after all.
    let delivered = until_state(&h, &thread, sent.id, DeliveryState::Delivered).await;
    assert_eq!((delivered.failure, delivered.remedy), (None, None));
    assert_eq!(delivered.client_id, sent.client_id);
    // Retry (twice: a double tap) changes nothing and sends nothing.
    for _ in 0..2 {
        let r = h
            .post(&format!("/v1/messages/{}/retry", sent.id.0), json!({}))
            .await;
        assert_eq!(r.status(), 202);
        let m: Message = r.json().await.unwrap();
        assert_eq!(m.state, DeliveryState::Delivered);
    }
    h.settle().await;
    assert_eq!(
        received_times(&h, "Did this arrive?"),
        1,
        "the simulator's record"
    );
    assert!(h.audit().iter().any(|r| r["action"] == "message.recovered"));

    // A send that never reached WhatsApp (the answer lost before it): Retry sends the same
    // message, once, however often it is tapped.
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 131000,
            status: Some(500),
        },
        8,
    );
    let gave_up = h.send_text(&thread, "Second try").await;
    h.retry_until(|h| h.demo.sim.faults_pending() == 0).await;
    let failed = until_state(&h, &thread, gave_up.id, DeliveryState::Failed).await;
    assert_eq!(failed.remedy, Some(Remedy::Retry));
    let path = format!("/v1/messages/{}/retry", gave_up.id.0);
    let (a, b) = tokio::join!(h.post(&path, json!({})), h.post(&path, json!({})));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (202, 202));
    let again = until_state(&h, &thread, gave_up.id, DeliveryState::Delivered).await;
    assert_eq!(again.client_id, gave_up.client_id);
    h.settle().await;
    assert_eq!(received_times(&h, "Second try"), 1);
}

/// Sends the demo's `summer_sale` template in `thread` with `values`; the raw answer.
async fn summer_sale(h: &Harness, thread: &Thread, values: serde_json::Value) -> reqwest::Response {
    h.post(
        &format!("/v1/threads/{}/templates", thread.id),
        json!({ "client_id": ClientMessageId::random(), "name": "summer_sale",
                "language": "en_US", "values": values }),
    )
    .await
}

#[tokio::test]
async fn a_template_with_a_picture_header_and_buttons_goes_out_as_meta_takes_it() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let templates: Vec<Template> = h.get("/v1/templates").await;
    let sale = templates.iter().find(|t| t.name == "summer_sale").unwrap();
    assert!(sale.header.as_ref().unwrap().media().is_some());
    let picture = h
        .uploaded("image/jpeg", wa_sim::samples::PHOTO.to_vec())
        .await;
    let values = json!([
        { "part": "header", "key": "media", "value": picture.id },
        { "part": "body", "key": "1", "value": "Ana" },
        { "part": "button", "key": "0", "value": "ana-2026" },
        { "part": "button", "key": "1", "value": "SUMMER20" },
    ]);
    let r = summer_sale(&h, &thread, values.clone()).await;
    assert_eq!(r.status(), 202, "{:?}", r.text().await);
    h.retry_until(|h| {
        h.demo
            .sim
            .received(ANA)
            .iter()
            .any(|r| r.kind == "template")
    })
    .await;
    let got = h
        .demo
        .sim
        .received(ANA)
        .into_iter()
        .find(|r| r.kind == "template")
        .expect("the guest got the template");
    let components = &got.request["template"]["components"];
    let image_id = components[0]["parameters"][0]["image"]["id"]
        .as_str()
        .unwrap();
    assert!(
        h.demo.sim.media(image_id).is_some(),
        "the header picture went by the id its upload answered"
    );
    assert_eq!(
        components[2],
        json!({ "type": "button", "sub_type": "url", "index": "0",
                "parameters": [{ "type": "text", "text": "ana-2026" }] })
    );
    assert_eq!(
        components[3],
        json!({ "type": "button", "sub_type": "copy_code", "index": "1",
                "parameters": [{ "type": "coupon_code", "coupon_code": "SUMMER20" }] })
    );

    // Without the header's picture Meta would refuse it (132012): the connector refuses first.
    let without_picture = json!([
        { "part": "body", "key": "1", "value": "Ana" },
        { "part": "button", "key": "0", "value": "x" },
        { "part": "button", "key": "1", "value": "y" },
    ]);
    let r = summer_sale(&h, &thread, without_picture).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_template_values");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the header's picture")
    );

    // Meta pauses it: the status webhook makes the list say so at once.
    h.demo
        .sim
        .set_template_status("summer_sale", "PAUSED")
        .unwrap();
    h.until_arrived(|| async {
        let templates: Vec<Template> = h.get("/v1/templates").await;
        templates
            .iter()
            .any(|t| t.name == "summer_sale" && t.status == TemplateStatus::Paused)
            .then_some(())
    })
    .await;
    let r = summer_sale(&h, &thread, values).await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "template_not_approved");
}

#[tokio::test]
async fn a_document_header_goes_by_the_uploaded_pdfs_id_and_nothing_else_fits_it() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let pdf = h
        .uploaded("application/pdf", wa_sim::samples::INVOICE.to_vec())
        .await;
    let picture = h
        .uploaded("image/jpeg", wa_sim::samples::PHOTO.to_vec())
        .await;
    let path = format!("/v1/threads/{}/templates", thread.id);
    let send = |media: String| {
        h.post(
            &path,
            json!({ "client_id": ClientMessageId::random(), "name": "invoice_ready",
                    "language": "en_US", "values": [
                        { "part": "header", "key": "media", "value": media },
                        { "part": "body", "key": "1", "value": "Ana" } ] }),
        )
    };
    let r = send(picture.id.to_string()).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "The header's document must be a PDF here."
    );
    let r = send(pdf.id.to_string()).await;
    assert_eq!(r.status(), 202);
    h.retry_until(|h| {
        h.demo
            .sim
            .received(ANA)
            .iter()
            .any(|r| r.kind == "template")
    })
    .await;
    let got = h
        .demo
        .sim
        .received(ANA)
        .into_iter()
        .find(|r| r.kind == "template")
        .unwrap();
    let id = got.request["template"]["components"][0]["parameters"][0]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(h.demo.sim.media(&id).unwrap(), wa_sim::samples::INVOICE);
    assert_eq!(got.text, "Hi Ana, your invoice is ready.");
}

#[tokio::test]
async fn a_document_goes_out_with_its_name() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let pdf = wa_sim::samples::INVOICE.to_vec();
    let info = h.uploaded("application/pdf", pdf.clone()).await;
    assert_eq!(info.mime_type, "application/pdf");
    let r = h
        .post(
            &format!("/v1/threads/{}/documents", thread.id),
            json!({ "client_id": ClientMessageId::random(), "media_id": info.id,
                    "filename": "Quote 2026-114.pdf", "caption": "Your quote" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let sent: Message = r.json().await.unwrap();
    until_state(&h, &thread, sent.id, DeliveryState::Delivered).await;
    let got = h
        .demo
        .sim
        .received(ANA)
        .into_iter()
        .find(|r| r.kind == "document")
        .unwrap();
    assert_eq!(got.request["document"]["filename"], "Quote 2026-114.pdf");
    assert_eq!(got.request["document"]["caption"], "Your quote");
    let id = got.request["document"]["id"].as_str().unwrap();
    assert_eq!(h.demo.sim.media(id).unwrap(), pdf, "the file as uploaded");
}
