//! What Meta's webhooks do to a connector, end to end through the simulator or signed bodies:
//! a guest known only by a user id, a body for another number, Meta's largest bodies, a
//! media outage of minutes, an element that cannot be read (a dead letter an admin lists
//! and retries).

use std::process::Command;

use multiline_connector::usecases::threads;
use multiline_domain::api::{DeliveryState, MessageBody, Thread};
use multiline_domain::consent::Consent;
use multiline_domain::time::Clock as _;
use serde_json::{Value, json};
use wa_sim::GuestMessage;

use crate::support::Harness;

/// Signs `body` as the line's app would and posts it to the line's callback.
async fn post_signed(h: &Harness, body: &[u8]) -> reqwest::Response {
    let line = h.line();
    h.http
        .post(h.line_webhook())
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            wa_sim::signature(&line.app_secret, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// A body of Meta's shape for the demo's number with these messages.
fn body(messages: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550001111", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": "Rosa Diaz" }, "wa_id": "15557654321" }],
            "messages": messages
        }}]}]
    }))
    .unwrap()
}

fn text(id: &str, words: &str, at: i64) -> Value {
    json!({ "from": "15557654321", "id": id, "timestamp": at.to_string(), "type": "text",
            "text": { "body": words } })
}

async fn thread_of(h: &Harness, phone: &str) -> Option<Thread> {
    let threads: Vec<Thread> = h.get("/v1/threads").await;
    threads
        .into_iter()
        .find(|t| t.guest_phone.as_ref().map(|p| p.as_str()) == Some(phone))
}

#[tokio::test]
async fn a_username_user_without_a_number_gets_a_thread_and_can_be_answered() {
    let h = Harness::start().await;
    let sim = &h.demo.sim;
    sim.add_username_guest("16505559876", "Alex Rivera", "@alexrivera");
    let user_id = sim.guest_user_id("16505559876").unwrap();
    sim.guest_sends_text("16505559876", "Do you have parking?")
        .unwrap();
    h.settle().await;
    let threads: Vec<Thread> = h.get("/v1/threads").await;
    let thread = threads
        .into_iter()
        .find(|t| t.guest_user_id.as_deref() == Some(user_id.as_str()))
        .expect("a thread for the user id");
    assert_eq!(thread.guest_phone, None, "Meta did not share the number");
    assert_eq!(thread.contact_name, "Alex Rivera");

    // Consent as the opt-in would record it (their key is the user id), then an answer.
    threads::set_guest_consent(
        &h.env(),
        h.line().id,
        &user_id,
        &Consent::Granted {
            at: h.clock.now(),
            reply: "YES".into(),
        },
    )
    .unwrap();
    let sent = h.send_text(&thread, "Yes, two spaces in the garage.").await;
    h.until_arrived(|| async { (!sim.received("16505559876").is_empty()).then_some(()) })
        .await;
    let request = &sim.received("16505559876")[0].request;
    assert_eq!(request["recipient"], user_id.as_str(), "sent by user id");
    assert!(request.get("to").is_none(), "no number to send to");
    h.settle().await;
    let stored = h.messages(&thread).await;
    let answer = stored.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(answer.state, DeliveryState::Delivered, "{answer:?}");
}

#[tokio::test]
async fn a_webhook_for_another_number_is_refused_audited_and_keeps_nothing() {
    let h = Harness::start().await;
    let fixture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cloud-api/text.json"),
    )
    .unwrap();
    let other = String::from_utf8(fixture)
        .unwrap()
        .replace("106540352242922", "106540352299999")
        .into_bytes();
    let before = h.row_counts();
    let r = post_signed(&h, &other).await;
    assert_eq!(r.status(), 403);
    let error: Value = r.json().await.unwrap();
    assert_eq!(error["error"]["code"], "wrong_line");
    let after = h.row_counts();
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| (b.0.clone(), b.1, a.1))
        .collect();
    assert_eq!(
        changed,
        [(
            "audit".to_owned(),
            before_of(&before, "audit"),
            before_of(&before, "audit") + 1
        )],
        "only the audit record grew"
    );
    let refused = h
        .audit()
        .into_iter()
        .find(|a| a["action"] == "webhook.refused")
        .expect("audited");
    assert_eq!(refused["detail"]["phone_number_id"], "106540352299999");
}

fn before_of(counts: &[(String, i64)], table: &str) -> i64 {
    counts.iter().find(|(t, _)| t == table).unwrap().1
}

#[tokio::test]
async fn a_batch_of_a_thousand_messages_over_two_megabytes_is_kept_whole() {
    let h = Harness::start().await;
    let at = h.clock.now().timestamp() - 60;
    let words = "Could you hold the package until Friday, please? ".repeat(50);
    let messages: Vec<Value> = (0..1000)
        .map(|i| text(&format!("wamid.BIG{i:04}"), &format!("{i}: {words}"), at))
        .collect();
    let body = body(messages);
    assert!(body.len() > 2_500_000, "{} bytes", body.len());
    let r = post_signed(&h, &body).await;
    assert_eq!(r.status(), 200);
    h.settle().await;
    let thread = thread_of(&h, "+15557654321").await.unwrap();
    assert_eq!(h.messages(&thread).await.len(), 1000);
    // Over Meta's 3 MB (and the connector's 4 MiB), answered 413 and kept nowhere.
    let too_big = vec![b' '; 4 * 1024 * 1024 + 1];
    assert_eq!(post_signed(&h, &too_big).await.status(), 413);
}

#[tokio::test]
async fn a_voice_note_arrives_with_its_file_after_a_three_minute_media_outage() {
    let h = Harness::start().await;
    let sim = &h.demo.sim;
    let outage_ends = h.clock.now() + chrono::Duration::minutes(3);
    sim.fail_media_until(outage_ends);
    let ana = crate::support::ANA;
    sim.guest_sends(ana, GuestMessage::Voice).unwrap();
    sim.guest_sends_text(ana, "Did you get my voice note?")
        .unwrap();
    h.settle().await;
    let thread = h.ana_thread().await;
    // The text is there; the voice note waits for its file.
    let messages = h.messages(&thread).await;
    assert!(messages.iter().any(
        |m| matches!(&m.body, MessageBody::Text { text } if text == "Did you get my voice note?")
    ));
    assert!(
        !messages
            .iter()
            .any(|m| matches!(m.body, MessageBody::Audio { .. }))
    );
    let voice = h
        .until_arrived(|| async {
            h.messages(&thread)
                .await
                .into_iter()
                .find(|m| matches!(m.body, MessageBody::Audio { voice: true, .. }))
        })
        .await;
    assert!(
        h.clock.now() >= outage_ends,
        "fetched after the outage, by the connector's clock"
    );
    let bytes = h.media(voice.body.media_id().unwrap()).await;
    assert!(bytes.starts_with(b"OggS"), "the voice note itself");
}

#[tokio::test]
async fn an_element_that_cannot_be_read_is_a_dead_letter_an_admin_lists_and_retries() {
    let h = Harness::start().await;
    let at = h.clock.now().timestamp() - 60;
    let no_id = json!({ "from": "15557654321", "timestamp": at.to_string(), "type": "text",
                        "text": { "body": "who am I?" } });
    let r = post_signed(&h, &body(vec![text("wamid.KEPT", "kept", at), no_id])).await;
    assert_eq!(r.status(), 200);
    h.settle().await;
    let thread = thread_of(&h, "+15557654321").await.unwrap();
    assert_eq!(h.messages(&thread).await.len(), 1, "the good one applied");

    let admin = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_multiline-connector"))
            .env("MULTILINE_DATA_DIR", h.dir.path())
            .env_remove("MULTILINE_CONFIG")
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = admin(&["inbox", "list", "--body"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "one dead letter and its body: {listed}");
    assert!(lines[0].contains("a message without an id"), "{listed}");
    assert!(
        lines[1].contains("who am I?"),
        "the element, as sent: {listed}"
    );
    let id = lines[0].split('\t').next().unwrap();
    assert_eq!(
        admin(&["inbox", "retry", id]).trim(),
        format!("{id}\tback in the inbox")
    );
    assert!(admin(&["inbox", "list"]).is_empty(), "back in the inbox");
    assert!(h.audit().iter().any(|a| a["action"] == "inbox.retried"));
    // Applied again, it still cannot be read: set aside again, nothing else written.
    h.settle().await;
    assert_eq!(admin(&["inbox", "list"]).lines().count(), 1);
    assert_eq!(h.messages(&thread).await.len(), 1);
}

/// Meta may put several messages in one webhook; they are applied together, and each user
/// hears of each message, then of the thread once, as it stands after the last (its view
/// is a query: a busy thread is not told over again for each message of a batch).
#[tokio::test]
async fn a_webhook_of_several_messages_tells_each_message_then_the_thread_once() {
    use multiline_connector::store::StoreExt as _;
    use multiline_domain::api::Event;

    let h = Harness::start().await;
    let owner = h.line().owner_user_id;
    let head = h.blocking(|env| env.store.read(|tx| tx.head_seq(owner)).unwrap());
    let at = h.clock.now().timestamp();
    let r = post_signed(
        &h,
        &body(vec![
            text("wamid.BATCH1", "Hello", at),
            text("wamid.BATCH2", "Is the blue one in stock?", at),
            text("wamid.BATCH3", "Size M", at),
        ]),
    )
    .await;
    assert_eq!(r.status(), 200);
    h.settle().await;
    let events = h.blocking(|env| {
        env.store
            .read(|tx| tx.events_after(owner, head, 100))
            .unwrap()
    });
    let said: Vec<String> = events
        .iter()
        .map(|e| match &e.event {
            Event::MessageUpserted { message } => format!("message {}", message.body.preview()),
            Event::ThreadUpserted { thread } => format!(
                "thread {} unread {}",
                thread.last_message_preview.clone().unwrap_or_default(),
                thread.unread_count
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        said,
        [
            "message Hello",
            "message Is the blue one in stock?",
            "message Size M",
            "thread Size M unread 3",
        ]
    );
}

/// The webhook door keeps a line a moment (see `lines_seen`); a secret replaced elsewhere
/// (an admin's write, another instance) is seen by the first webhook signed with it, and the
/// old one is refused from then on.
#[tokio::test]
async fn a_secret_replaced_elsewhere_is_seen_by_the_next_webhook() {
    use multiline_connector::store::StoreExt as _;
    let h = Harness::start().await;
    let post = |secret: String, words: &'static str, id: &'static str| {
        let h = &h;
        async move {
            let body = body(vec![text(id, words, 1_767_000_000)]);
            h.http
                .post(h.line_webhook())
                .header("content-type", "application/json")
                .header("x-hub-signature-256", wa_sim::signature(&secret, &body))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let line = h.line();
    let old = line.app_secret.clone();
    assert_eq!(post(old.clone(), "Hello", "wamid.SEEN1").await, 200);
    // Replaced in the store, not through this connector.
    let rotated = "a-new-app-secret".to_owned();
    h.blocking(|env| {
        env.store
            .write(|tx| {
                tx.upsert_line(
                    line.org_id,
                    line.id,
                    &multiline_connector::store::NewLine {
                        phone_number_id: line.phone_number_id.clone(),
                        waba_id: line.waba_id.clone(),
                        display_phone_number: line.display_phone_number.clone(),
                        access_token: line.access_token.clone(),
                        app_secret: rotated.clone(),
                        verify_token: line.verify_token.clone(),
                        api_base_url: line.api_base_url.clone(),
                        api_version: line.api_version.clone(),
                        owner_user_id: line.owner_user_id,
                    },
                )
                .map(|_| ())
            })
            .unwrap()
    });
    assert_eq!(post(rotated, "Still there?", "wamid.SEEN2").await, 200);
    assert_eq!(post(old, "Forged?", "wamid.SEEN3").await, 401);
    h.settle().await;
    let thread = thread_of(&h, "+15557654321").await.expect("a thread");
    let texts: Vec<String> = h
        .messages(&thread)
        .await
        .iter()
        .map(|m| m.body.preview())
        .collect();
    assert_eq!(texts, ["Hello", "Still there?"]);
}
