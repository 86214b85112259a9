//! Scenarios through the connector's HTTP API with the Cloud API simulator on loopback: the
//! demo's seeded organization, an injected clock, real SQLite in a temp dir.

use std::time::Duration;

use crate::support::{ANA, Harness, message_event, next_matching};
use futures_util::StreamExt;
use multiline_connector::store::StoreExt;
use multiline_domain::api::{
    Contact, DeliveryState, Direction, Event, Message, MessageBody, Thread,
};
use multiline_domain::ids::ClientMessageId;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn text_goes_to_the_cloud_api_and_the_reply_comes_back_live() {
    text_goes_out_and_the_reply_comes_back_live(Harness::start().await).await;
}

/// The walking skeleton on the store `h` runs on (`on_postgres.rs` runs it on PostgreSQL).
pub(crate) async fn text_goes_out_and_the_reply_comes_back_live(h: Harness) {
    let thread = h.ana_thread().await;
    let mut socket = h.events(0).await;

    let client_id = ClientMessageId::random();
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": client_id, "text": "Your car is ready." }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let sent: Message = r.json().await.unwrap();
    assert_eq!(sent.state, DeliveryState::Sending);

    // Delivered, as the simulator's status webhooks say.
    next_matching(&mut socket, |e| {
        message_event(e).is_some_and(|m| m.id == sent.id && m.state == DeliveryState::Delivered)
    })
    .await;
    let received = h.demo.sim.received(ANA);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].text, "Your car is ready.");
    // With its `+`: without it Meta may read the number in the business number's country.
    assert_eq!(received[0].request["to"], format!("+{ANA}"));

    // The same client id again: the same message, nothing sent twice.
    let again: Message = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": client_id, "text": "Your car is ready." }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again.id, sent.id);

    // The guest replies: signed webhook -> stored -> pushed.
    h.demo
        .sim
        .guest_sends_text(ANA, "Thanks, see you at 5!")
        .unwrap();
    let reply = next_matching(&mut socket, |e| {
        message_event(e).is_some_and(|m| {
            m.direction == Direction::Inbound
                && m.thread_id == thread.id
                && m.body
                    == MessageBody::Text {
                        text: "Thanks, see you at 5!".into(),
                    }
        })
    })
    .await;

    // Resuming after that event's number replays nothing before it.
    let mut resumed = h.events(reply.seq).await;
    h.demo.sim.guest_sends_text(ANA, "One more thing").unwrap();
    let next = next_matching(&mut resumed, |_| true).await;
    assert!(next.seq > reply.seq);

    assert_eq!(
        h.demo.sim.received(ANA).len(),
        1,
        "the repeated client id sent nothing"
    );
}

#[tokio::test]
async fn forged_or_missing_signatures_are_refused_and_nothing_is_stored() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let before: Vec<Message> = h.get(&format!("/v1/threads/{}/messages", thread.id)).await;
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "messages": [{ "from": ANA, "id": "wamid.FORGED", "timestamp": "1777000000", "type": "text", "text": { "body": "forged" } }]
        }}]}]
    })
    .to_string();
    let url = h.line_webhook();
    let forged = wa_sim::signature("not-the-app-secret", body.as_bytes());
    for signature in [Some(forged.as_str()), None, Some("sha256=zz")] {
        let mut request = h
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(sig) = signature {
            request = request.header("x-hub-signature-256", sig);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401, "signature {signature:?}");
    }
    assert!(
        h.demo
            .connector
            .ctx
            .store
            .read(|tx| tx.inbox_pending(chrono::DateTime::<chrono::Utc>::MAX_UTC, 10))
            .unwrap()
            .is_empty(),
        "nothing kept"
    );
    let after: Vec<Message> = h.get(&format!("/v1/threads/{}/messages", thread.id)).await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_webhook_delivered_twice_is_stored_once() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "messages": [{ "from": ANA, "id": "wamid.TWICE", "timestamp": "1777000000", "type": "text", "text": { "body": "twice" } }]
        }}]}]
    })
    .to_string();
    let signature = wa_sim::signature(&h.demo.sim.config().app_secret, body.as_bytes());
    let url = h.line_webhook();
    for _ in 0..2 {
        let r = h
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Both deliveries processed (the inbox drains), the message stored once.
    multiline_connector::inbox::drain(&h.demo.connector.ctx)
        .await
        .unwrap();
    let messages: Vec<Message> = h.get(&format!("/v1/threads/{}/messages", thread.id)).await;
    let twice = messages
        .iter()
        .filter(|m| {
            m.body
                == MessageBody::Text {
                    text: "twice".into(),
                }
        })
        .count();
    assert_eq!(twice, 1);
}

#[tokio::test]
async fn webhook_verification_echoes_the_challenge_only_for_the_right_token() {
    let h = Harness::start().await;
    let url = h.line_webhook();
    let ok = h
        .http
        .get(format!(
            "{url}?hub.mode=subscribe&hub.verify_token=demo-verify-token&hub.challenge=1158201444"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = h
        .http
        .get(format!(
            "{url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 403);
}

#[tokio::test]
async fn guest_replies_grant_and_revoke_consent() {
    let h = Harness::start().await;
    let line = h.line();

    // Ana (consented) writes STOP: delivered, and nothing more may be sent to her.
    let ana = h.ana_thread().await;
    let mut socket = h.events(0).await;
    h.demo.sim.guest_sends_text(ANA, "STOP").unwrap();
    next_matching(&mut socket, |e| {
        matches!(&e.event, Event::ThreadUpserted { thread } if thread.id == ana.id
            && matches!(thread.consent, multiline_domain::consent::Consent::Revoked { .. }))
    })
    .await;
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", ana.id),
            json!({ "client_id": ClientMessageId::random(), "text": "Sorry to see you go" }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "opted_out");

    // Ben was asked (the opt-in went out); "¡Sí!" grants consent and opens a thread for the
    // line's owner, in which a reply may go at once.
    let ben = multiline_domain::phone::E164::parse("+447911123456", None).unwrap();
    let requested = multiline_domain::consent::Consent::Requested {
        at: h.demo.connector.ctx.clock.now(),
    };
    multiline_connector::usecases::threads::set_guest_consent(
        &h.env(),
        line.id,
        ben.as_str(),
        &requested,
    )
    .unwrap();
    h.demo.sim.guest_sends_text(ben.wa_id(), "¡Sí!").unwrap();
    let granted = next_matching(&mut socket, |e| {
        matches!(&e.event, Event::ThreadUpserted { thread } if thread.guest_phone.as_ref() == Some(&ben)
            && matches!(thread.consent, multiline_domain::consent::Consent::Granted { .. }))
    })
    .await;
    let Event::ThreadUpserted { thread } = granted.event else {
        unreachable!()
    };
    assert_eq!(
        thread.consent,
        multiline_domain::consent::Consent::Granted {
            at: h.demo.connector.ctx.clock.now(),
            reply: "¡Sí!".into()
        }
    );
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": ClientMessageId::random(), "text": "Thank you, Ben!" }),
        )
        .await;
    assert_eq!(r.status(), 202);

    // Both consent changes are in the audit record.
    let audit = h.audit();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a["action"] == "consent.changed")
            .count(),
        2
    );
}

#[tokio::test]
async fn opt_in_request_then_consent_then_free_messaging() {
    let h = Harness::start().await;
    // Ben has not been asked: his WhatsApp thread is not opened without the opt-in request,
    // and nothing is created (the user may decide not to ask).
    let contacts: Vec<Contact> = h.get("/v1/contacts?q=Ben").await;
    let ben = &contacts[0];
    let before: Vec<Thread> = h.get("/v1/threads").await;
    let r = h
        .post(
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": ben.phones[0].number }),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "consent_missing"
    );
    let after: Vec<Thread> = h.get("/v1/threads").await;
    assert_eq!(after, before, "no thread was created");

    // The approved templates are listed; the pending one is not.
    let templates: Vec<serde_json::Value> = h.get("/v1/templates").await;
    let names: Vec<&str> = templates
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"optin_request") && names.contains(&"appointment_reminder"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"spring_offer"),
        "pending templates are not offered"
    );

    // The opt-in request goes out as the template, filled by the connector.
    // Opened with the request: the thread and the request come together.
    let mut socket = h.events(0).await;
    let asking = ClientMessageId::random();
    let r = h
        .post(
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": ben.phones[0].number, "opt_in": asking }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let thread: Thread = r.json().await.unwrap();
    let messages: Vec<Message> = h.get(&format!("/v1/threads/{}/messages", thread.id)).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let opt_in = messages[0].clone();
    assert_eq!(opt_in.client_id, Some(asking));
    next_matching(&mut socket, |e| {
        message_event(e).is_some_and(|m| m.id == opt_in.id && m.state == DeliveryState::Delivered)
    })
    .await;
    let wa = ben.phones[0].number.wa_id().to_owned();
    let received = h.demo.sim.received(&wa);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].kind, "template");
    assert_eq!(received[0].request["template"]["name"], "optin_request");
    let params = &received[0].request["template"]["components"][0]["parameters"];
    assert_eq!(params[0]["text"], "Ben");
    assert_eq!(params[1]["text"], "Northwind Motors");
    let pending: Thread = h.get(&format!("/v1/threads/{}", thread.id)).await;
    assert!(matches!(
        pending.consent,
        multiline_domain::consent::Consent::Requested { .. }
    ));

    // Asking again at once is refused (24 h); free-form text still waits for consent.
    let r = h
        .post(
            &format!("/v1/threads/{}/opt-in", thread.id),
            json!({ "client_id": ClientMessageId::random() }),
        )
        .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "opt_in_too_soon"
    );
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": ClientMessageId::random(), "text": "Hi" }),
        )
        .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "consent_pending"
    );

    // Ben says yes: consent is granted and free messaging works.
    h.demo.sim.guest_sends_text(&wa, "Yes").unwrap();
    next_matching(&mut socket, |e| {
        matches!(&e.event, Event::ThreadUpserted { thread: t } if t.id == thread.id
            && matches!(t.consent, multiline_domain::consent::Consent::Granted { .. }))
    })
    .await;
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": ClientMessageId::random(), "text": "Thanks Ben!" }),
        )
        .await;
    assert_eq!(r.status(), 202);
}

#[tokio::test]
async fn templates_are_checked_like_the_cloud_api_and_go_out_after_the_window() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let send = |name: &str, values: serde_json::Value| json!({ "client_id": ClientMessageId::random(), "name": name, "language": "en_US", "values": values });
    let path = format!("/v1/threads/{}/templates", thread.id);
    let r = h.post(&path, send("no_such_template", json!([]))).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unknown_template"
    );
    let r = h
        .post(
            &path,
            send(
                "spring_offer",
                json!([{ "part": "body", "key": "1", "value": "May" }]),
            ),
        )
        .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "template_not_approved"
    );
    let r = h
        .post(
            &path,
            send(
                "appointment_reminder",
                json!([{ "part": "body", "key": "1", "value": "Ana" }]),
            ),
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_template_values");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("{{2}}"),
        "{body}"
    );

    // 25 hours later the window is closed: text is refused, a template goes out.
    h.advance(chrono::Duration::hours(25));
    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": ClientMessageId::random(), "text": "Hello?" }),
        )
        .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "window_closed_use_template"
    );
    let mut socket = h.events(0).await;
    let values = json!([{ "part": "body", "key": "1", "value": "Ana" }, { "part": "body", "key": "2", "value": "Friday at 3 pm" }]);
    let r = h.post(&path, send("appointment_reminder", values)).await;
    assert_eq!(r.status(), 202);
    let sent: Message = r.json().await.unwrap();
    next_matching(&mut socket, |e| {
        message_event(e).is_some_and(|m| m.id == sent.id && m.state == DeliveryState::Delivered)
    })
    .await;
    let received = h.demo.sim.received(ANA);
    let got = received.last().unwrap();
    assert_eq!(got.request["template"]["name"], "appointment_reminder");
    assert_eq!(
        got.text,
        "Hi Ana, this is a reminder of your appointment on Friday at 3 pm. Reply here if you need to change it.",
        "the guest reads the body filled"
    );
    match &sent.body {
        MessageBody::Template { text, .. } => assert!(
            text.contains("Hi Ana, this is a reminder of your appointment on Friday at 3 pm."),
            "{text}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_requests_get_a_stable_code_in_the_error_shape() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let code = |v: serde_json::Value| v["error"]["code"].as_str().unwrap_or_default().to_owned();

    let r = h
        .http
        .get(h.url("/v1/threads/not-a-uuid/messages"))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(code(r.json().await.unwrap()), "not_found");

    let r = h.http.get(h.url("/v1/threads")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(code(r.json().await.unwrap()), "unauthorized");

    let path = h.url(&format!("/v1/threads/{}/messages", thread.id));
    let r = h
        .http
        .post(&path)
        .bearer_auth(&h.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(r.json().await.unwrap()), "invalid_json");

    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": ClientMessageId::random(), "text": "x", "extra": 1 }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(code(r.json().await.unwrap()), "invalid_body");

    let r = h
        .post(
            &format!("/v1/threads/{}/messages", thread.id),
            json!({ "client_id": "nope", "text": "x" }),
        )
        .await;
    assert_eq!(code(r.json().await.unwrap()), "invalid_body");

    let r = h
        .post(
            "/v1/threads",
            json!({ "contact_id": thread.contact_id, "phone": "12345" }),
        )
        .await;
    assert_eq!(r.status(), 400, "an invalid phone number is refused");

    let r = h
        .http
        .get(h.url("/v1/events/head?after=x"))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "unknown query parameters are ignored"
    );

    // Nothing above was stored.
    assert!(h.demo.sim.received(ANA).is_empty());
}

#[tokio::test]
async fn signing_out_closes_the_event_socket() {
    let h = Harness::start().await;
    let mut socket = h.events(0).await;
    let r = h
        .http
        .delete(h.url("/v1/session"))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    h.demo.sim.guest_sends_text(ANA, "Are you there?").unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(tokio_tungstenite::tungstenite::Message::Close(_)) | Err(_) => return true,
                Ok(tokio_tungstenite::tungstenite::Message::Text(text)) => {
                    assert!(
                        !text.contains("Are you there?"),
                        "a signed-out session got a new message"
                    );
                }
                Ok(_) => {}
            }
        }
        true
    })
    .await
    .expect("the socket closed");
    assert!(ended);
}

#[tokio::test]
async fn reading_a_thread_clears_its_unread_count_for_that_user_only() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    assert_eq!(thread.unread_count, 1, "the demo's message from Ana");
    let mut socket = h.events(0).await;
    let r = h
        .post(&format!("/v1/threads/{}/read", thread.id), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    next_matching(&mut socket, |e| matches!(&e.event, Event::ThreadUpserted { thread: t } if t.id == thread.id && t.unread_count == 0)).await;
    h.advance(chrono::Duration::seconds(1));
    h.demo
        .sim
        .guest_sends_text(ANA, "And one more question")
        .unwrap();
    next_matching(&mut socket, |e| matches!(&e.event, Event::ThreadUpserted { thread: t } if t.id == thread.id && t.unread_count == 1)).await;
    // Someone who is not a participant cannot mark it read.
    let other = h
        .http
        .post(h.url(&format!(
            "/v1/threads/{}/read",
            crate::support::fresh_uuid()
        )))
        .bearer_auth(&h.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

/// A picture as the app uploads it: a real image through the real photo pipeline.
fn app_picture() -> Vec<u8> {
    let drawing = image::RgbImage::from_fn(2400, 1800, |x, y| {
        image::Rgb([(x / 10 % 256) as u8, (y / 10 % 256) as u8, 120])
    });
    let mut png = Vec::new();
    drawing
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    multiline_photo::process(&png, &Default::default(), |_| {})
        .unwrap()
        .image
        .bytes
}

async fn upload(h: &Harness, token: &str, mime: &str, bytes: Vec<u8>) -> reqwest::Response {
    h.http
        .post(h.url("/v1/media"))
        .bearer_auth(token)
        .header("content-type", mime)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn sign_in_as(h: &Harness, user: usize) -> String {
    let (_, email, password) = multiline_demo::USERS[user];
    let signed: serde_json::Value = h
        .http
        .post(h.url("/v1/session"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    signed["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn f18_pictures_go_out_uploaded_and_come_in_downloaded_once() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;

    // Out: upload, then send by media id; the Cloud API gets the same bytes, then the image.
    let picture = app_picture();
    let r = upload(&h, &h.token, "image/jpeg", picture.clone()).await;
    assert_eq!(r.status(), 201);
    let info: multiline_domain::api::MediaInfo = r.json().await.unwrap();
    assert_eq!((info.width, info.height), (1600, 1200));
    assert_eq!(info.mime_type, "image/jpeg");
    let client_id = ClientMessageId::random();
    let r = h
        .post(
            &format!("/v1/threads/{}/pictures", thread.id),
            json!({ "client_id": client_id, "media_id": info.id, "caption": "Your car, ready" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let sent: Message = r.json().await.unwrap();
    assert!(
        matches!(&sent.body, MessageBody::Picture { media_id, caption, .. }
        if *media_id == info.id && caption.as_deref() == Some("Your car, ready"))
    );
    h.retry_until(|h| !h.demo.sim.received(ANA).is_empty())
        .await;
    let received = h.demo.sim.received(ANA);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].kind, "image");
    assert_eq!(received[0].text, "Your car, ready");
    let cloud_id = received[0].request["image"]["id"].as_str().unwrap();
    assert_eq!(
        h.demo.sim.media(cloud_id).unwrap(),
        picture,
        "uploaded as is"
    );
    h.settle().await;
    let stored = h.messages(&thread).await;
    let out = stored.iter().find(|m| m.id == sent.id).unwrap();
    assert_eq!(out.state, DeliveryState::Delivered);

    // In: the guest's picture is downloaded, checked, stored with its message, once.
    let mut guest_png = Vec::new();
    image::RgbaImage::from_pixel(640, 480, image::Rgba([200, 40, 40, 255]))
        .write_to(
            &mut std::io::Cursor::new(&mut guest_png),
            image::ImageFormat::Png,
        )
        .unwrap();
    h.demo.sim.duplicate_next_webhooks(1);
    h.demo
        .sim
        .guest_sends_image(ANA, guest_png.clone(), "image/png", Some("The scratch"))
        .unwrap();
    h.settle().await;
    let stored = h.messages(&thread).await;
    let pictures: Vec<_> = stored
        .iter()
        .filter(|m| {
            m.direction == Direction::Inbound && matches!(m.body, MessageBody::Picture { .. })
        })
        .collect();
    assert_eq!(pictures.len(), 1, "a duplicated webhook stores one picture");
    let MessageBody::Picture {
        media_id,
        caption,
        width,
        height,
    } = &pictures[0].body
    else {
        unreachable!()
    };
    assert_eq!(caption.as_deref(), Some("The scratch"));
    assert_eq!((*width, *height), (640, 480));
    let r = h
        .http
        .get(h.url(&format!("/v1/media/{media_id}")))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), guest_png);

    // Only the thread's participants see its pictures: Sam is not in this one.
    let sam = sign_in_as(&h, 1).await;
    for path in [
        format!("/v1/threads/{}", thread.id),
        format!("/v1/media/{media_id}"),
        format!("/v1/media/{}", info.id),
    ] {
        let r = h
            .http
            .get(h.url(&path))
            .bearer_auth(&sam)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn uploads_that_are_not_pictures_or_too_large_are_refused_and_nothing_is_stored() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "text/html",
            b"<p>just some markup</p>".to_vec(),
            400,
            "not_an_image",
        ),
        (
            "application/pdf",
            b"GIF89a: not a PDF".to_vec(),
            400,
            "not_a_document",
        ),
        ("text/plain", vec![0xC3, 0x28, 0xA0], 400, "not_a_document"),
        (
            "image/jpeg",
            b"%PDF-1.7 renamed".to_vec(),
            400,
            "not_an_image",
        ),
        (
            "image/jpeg",
            app_picture()[..200].to_vec(),
            400,
            "corrupt_image",
        ),
        (
            "image/jpeg",
            vec![0xFF; 6 * 1024 * 1024],
            413,
            "image_too_large",
        ),
    ];
    for (mime, bytes, status, code) in cases {
        let r = upload(&h, &h.token, mime, bytes).await;
        assert_eq!(r.status().as_u16(), status, "{code}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], code);
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    // Sending a picture nobody uploaded, or one uploaded by someone else.
    let r = h
        .post(
            &format!("/v1/threads/{}/pictures", thread.id),
            json!({ "client_id": ClientMessageId::random(), "media_id": crate::support::fresh_uuid() }),
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_media");
    let sam = sign_in_as(&h, 1).await;
    let theirs: multiline_domain::api::MediaInfo = upload(&h, &sam, "image/jpeg", app_picture())
        .await
        .json()
        .await
        .unwrap();
    let r = h
        .post(
            &format!("/v1/threads/{}/pictures", thread.id),
            json!({ "client_id": ClientMessageId::random(), "media_id": theirs.id }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        h.messages(&thread)
            .await
            .iter()
            .all(|m| !matches!(m.body, MessageBody::Picture { .. }))
    );
    assert!(h.demo.sim.received(ANA).is_empty());
}

#[tokio::test]
async fn f21_messages_consent_and_template_sends_are_in_the_audit_export() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    h.send_text(&thread, "Your car is ready.").await;
    let r = h
        .post(
            &format!("/v1/threads/{}/templates", thread.id),
            json!({ "client_id": ClientMessageId::random(), "name": "conversation_restart",
                    "language": "en_US", "values": [{ "part": "body", "key": "1", "value": "Ana" }] }),
        )
        .await;
    assert_eq!(r.status(), 202);
    h.demo.sim.guest_sends_text(ANA, "STOP").unwrap();
    h.settle().await;
    h.advance(chrono::Duration::hours(1));
    h.demo
        .sim
        .guest_sends_text(ANA, "Sorry, I do want updates")
        .unwrap();
    h.settle().await;

    let mut out = Vec::new();
    let count = multiline_connector::admin::export_audit(&h.env(), h.demo.org, &mut out).unwrap();
    let entries: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), count);
    let find = |action: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["thread_id"] == thread.id.to_string())
            .collect::<Vec<_>>()
    };
    let queued = find("message.queued");
    assert_eq!(queued.len(), 1);
    assert!(
        queued[0]["actor"].as_str().unwrap().len() == 36,
        "the user's id"
    );
    assert_eq!(find("template.queued").len(), 1);
    // The demo's seeded message, then the two above.
    assert_eq!(find("message.received").len(), 3);
    let consent = find("consent.changed");
    assert!(!consent.is_empty(), "STOP changed consent");
    assert!(consent[0]["actor"].as_str().unwrap().starts_with("guest:"));
    // Oldest first, each with a time.
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert!(entries.iter().all(|e| e["at"].is_string()));
}

async fn as_user(
    h: &Harness,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut r = h.http.request(method, h.url(path)).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn f19_f20_group_operations_and_who_sees_the_thread_after_each() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let sam_token = sign_in_as(&h, 1).await;
    let users: Vec<multiline_domain::api::User> = h.get("/v1/users").await;
    let id_of = |email: &str| users.iter().find(|u| u.email == email).unwrap().id;
    let (alex, sam) = (
        id_of("alex@northwind.example"),
        id_of("sam@northwind.example"),
    );
    let path = format!("/v1/threads/{}", thread.id);
    let change =
        |token: String, thread: multiline_domain::ids::ThreadId, body: serde_json::Value| {
            let h = &h;
            async move {
                as_user(
                    h,
                    &token,
                    reqwest::Method::POST,
                    &format!("/v1/threads/{thread}/participants"),
                    Some(body),
                )
                .await
            }
        };
    let sees = |token: String, path: String| {
        let h = &h;
        async move {
            as_user(h, &token, reqwest::Method::GET, &path, None)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        sees(sam_token.clone(), path.clone()).await,
        404,
        "not a participant yet"
    );

    // Sam's app listens: it must be told when Sam loses the thread.
    let ws = h.demo.connector.url().replacen("http", "ws", 1);
    let mut request = format!("{ws}/v1/events?after=0")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {sam_token}").parse().unwrap(),
    );
    let mut sam_socket = tokio_tungstenite::connect_async(request).await.unwrap().0;

    // Add: Sam sees the thread, can write in it, and the thread says who added whom.
    let r = change(
        h.token.clone(),
        thread.id,
        json!({ "op": "add", "user_id": sam }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sees(sam_token.clone(), path.clone()).await, 200);
    let r = as_user(&h, &sam_token, reqwest::Method::POST, &format!("{path}/messages"),
        Some(json!({ "client_id": ClientMessageId::random(), "text": "Sam here, I'll take it from now." }))).await;
    assert_eq!(r.status(), 202);
    let lines: Vec<String> = h
        .messages(&thread)
        .await
        .iter()
        .filter(|m| m.direction == Direction::System)
        .map(|m| m.body.preview())
        .collect();
    assert_eq!(lines, ["Alex Morgan added Sam Rivera"]);

    // Refusals, each with its code.
    for (body, code) in [
        (
            json!({ "op": "add", "user_id": sam }),
            "already_participant",
        ),
        (json!({ "op": "remove", "user_id": alex }), "target_is_self"),
        (
            json!({ "op": "add", "user_id": crate::support::fresh_uuid() }),
            "not_a_colleague",
        ),
        (json!({ "op": "promote", "user_id": sam }), "invalid_body"),
    ] {
        let r = change(h.token.clone(), thread.id, body).await;
        assert_eq!(r.status(), 400, "{code}");
        let error: serde_json::Value = r.json().await.unwrap();
        assert_eq!(error["error"]["code"], code);
    }

    // Remove: Sam loses access to the thread and its new messages, and Sam's app is told.
    let r = change(
        h.token.clone(),
        thread.id,
        json!({ "op": "remove", "user_id": sam }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sees(sam_token.clone(), path.clone()).await, 404);
    assert_eq!(
        sees(sam_token.clone(), format!("{path}/messages")).await,
        404
    );
    next_matching(
        &mut sam_socket,
        |e| matches!(&e.event, Event::ThreadRemoved { thread_id } if *thread_id == thread.id),
    )
    .await;
    let r = as_user(
        &h,
        &sam_token,
        reqwest::Method::POST,
        &format!("{path}/messages"),
        Some(json!({ "client_id": ClientMessageId::random(), "text": "still here?" })),
    )
    .await;
    assert_eq!(r.status(), 404);

    // Back in, then a restart: a new thread with both, the old one closed with its history,
    // the guest's window carried over (Ana wrote recently: free text still allowed).
    change(
        h.token.clone(),
        thread.id,
        json!({ "op": "add", "user_id": sam }),
    )
    .await;
    let r = change(h.token.clone(), thread.id, json!({ "op": "restart" })).await;
    assert_eq!(r.status(), 200);
    let restarted: multiline_domain::api::ParticipantsResponse = r.json().await.unwrap();
    let new = restarted.thread.unwrap();
    assert_ne!(new.id, thread.id);
    let old: Thread = h.get(&path).await;
    assert_eq!(new.window, old.window, "the guest's window carries over");
    assert_eq!(old.status, multiline_domain::api::ThreadStatus::Closed);
    assert_eq!(
        sees(sam_token.clone(), format!("/v1/threads/{}", new.id)).await,
        200
    );
    let r = h.send_text(&new, "Continuing here.").await;
    assert_eq!(r.thread_id, new.id);

    // Leave: Alex is out, Sam stays.
    let r = change(h.token.clone(), new.id, json!({ "op": "leave" })).await;
    let left: multiline_domain::api::ParticipantsResponse = r.json().await.unwrap();
    assert!(left.thread.is_none());
    assert_eq!(
        sees(h.token.clone(), format!("/v1/threads/{}", new.id)).await,
        404
    );
    // Transfer: Sam hands the guest back to Alex and is out.
    let r = change(
        sam_token.clone(),
        new.id,
        json!({ "op": "transfer", "user_id": alex }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        sees(sam_token.clone(), format!("/v1/threads/{}", new.id)).await,
        404
    );
    assert_eq!(
        sees(h.token.clone(), format!("/v1/threads/{}", new.id)).await,
        200
    );
    // The last one leaving closes it.
    change(h.token.clone(), new.id, json!({ "op": "leave" })).await;
    assert_eq!(
        sees(h.token.clone(), format!("/v1/threads/{}", new.id)).await,
        404
    );

    // Every change is in the audit, with who.
    let mut out = Vec::new();
    multiline_connector::admin::export_audit(&h.env(), h.demo.org, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for action in [
        "participant.added",
        "participant.removed",
        "thread.restarted",
        "participant.left",
        "thread.transferred",
        "thread.closed",
    ] {
        assert!(
            text.contains(&format!("\"action\":\"{action}\"")),
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn contacts_are_created_edited_searched_and_deleted_and_every_app_is_told() {
    let h = Harness::start().await;
    let mut socket = h.events(0).await;
    let r = h
        .post(
            "/v1/contacts",
            json!({ "name": "  Fatima Zahra ", "company": "Atlas Tiles",
                    "phones": [{ "number": "+212612345678", "label": "mobile" }] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Contact = r.json().await.unwrap();
    assert_eq!(created.name, "Fatima Zahra");
    assert_eq!(created.phones[0].number.as_str(), "+212612345678");
    next_matching(&mut socket, |e| matches!(e.event, Event::ContactsChanged)).await;
    let found: Vec<Contact> = h.get("/v1/contacts?q=atlas").await;
    assert_eq!(found, std::slice::from_ref(&created));

    let r = h
        .http
        .put(h.url(&format!("/v1/contacts/{}", created.id)))
        .bearer_auth(&h.token)
        .json(
            &json!({ "name": "Fatima Zahra Alaoui", "notes": "Prefers mornings",
                       "phones": [{ "number": "+212612345678", "label": "mobile" },
                                  { "number": "+33612345679", "label": "work" }] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let edited: Contact = r.json().await.unwrap();
    assert_eq!(edited.company, None, "a replace, not a merge");
    assert_eq!(edited.phones.len(), 2);

    for (body, code) in [
        (json!({ "name": "  " }), "invalid_name"),
        (
            json!({ "name": "X", "phones": [{ "number": "+212612345678", "label": "a" }, { "number": "+212612345678", "label": "b" }] }),
            "duplicate_phone",
        ),
        (
            json!({ "name": "X", "phones": [{ "number": "12", "label": "a" }] }),
            "invalid_body",
        ),
    ] {
        let r = h.post("/v1/contacts", body).await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
            code
        );
    }

    let r = h
        .http
        .delete(h.url(&format!("/v1/contacts/{}", created.id)))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = h
        .http
        .get(h.url(&format!("/v1/contacts/{}", created.id)))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let found: Vec<Contact> = h.get("/v1/contacts?q=fatima").await;
    assert!(found.is_empty());

    let mut out = Vec::new();
    multiline_connector::admin::export_audit(&h.env(), h.demo.org, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for action in ["contact.created", "contact.updated", "contact.deleted"] {
        assert!(text.contains(action), "{action}");
    }
}
