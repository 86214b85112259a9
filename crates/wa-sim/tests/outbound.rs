//! What a business may send, answered as Meta answers it (Meta's "Messages" and "Error codes"
//! references; the shapes in ../shared/whatsapp-cloud-api.md): every type it delivers is
//! accepted and shown on the guest phone, each with Meta's checks; an unknown object is a
//! `GraphMethodException` 100/33; the template listing answers `summary` when asked.

use std::sync::Arc;

use chrono::TimeZone;
use multiline_domain::time::ManualClock;
use serde_json::{Value, json};
use wa_sim::{SimConfig, Simulator};

const ANA: &str = "12025550147";

struct Sim {
    sim: Simulator,
    http: reqwest::Client,
    config: SimConfig,
}

impl Sim {
    async fn start() -> Sim {
        let config = SimConfig::demo();
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
        let sim = Simulator::start(
            config.clone(),
            Arc::new(ManualClock::new(now)),
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        )
        .await
        .unwrap();
        sim.add_guest(ANA, "Ana Silva");
        // Ana wrote a minute ago: her window is open.
        sim.set_guest_last_message_at(ANA, now - chrono::Duration::minutes(1));
        Sim {
            sim,
            http: reqwest::Client::new(),
            config,
        }
    }

    async fn send(&self, message: Value) -> (u16, Value) {
        let mut body = json!({ "messaging_product": "whatsapp", "to": format!("+{ANA}") });
        for (k, v) in message.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self
            .http
            .post(format!(
                "{}/v25.0/{}/messages",
                self.sim.base_url(),
                self.config.phone_number_id
            ))
            .bearer_auth(&self.config.access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn upload(&self, mime: &str, bytes: &'static [u8]) -> String {
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .mime_str(mime)
                    .unwrap(),
            );
        let r: Value = self
            .http
            .post(format!(
                "{}/v25.0/{}/media",
                self.sim.base_url(),
                self.config.phone_number_id
            ))
            .bearer_auth(&self.config.access_token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn every_type_meta_delivers_is_accepted_and_reaches_the_guest() {
    let s = Sim::start().await;
    let pdf = s.upload("application/pdf", wa_sim::samples::INVOICE).await;
    let cases = [
        json!({ "type": "text", "text": { "body": "Hello", "preview_url": true } }),
        json!({ "type": "image", "image": { "link": "https://cdn.example/a.jpg", "caption": "A" } }),
        json!({ "type": "document", "document": { "id": pdf, "filename": "Quote.pdf" } }),
        json!({ "type": "video", "video": { "link": "https://cdn.example/a.mp4" } }),
        json!({ "type": "audio", "audio": { "link": "https://cdn.example/a.ogg" } }),
        json!({ "type": "sticker", "sticker": { "link": "https://cdn.example/a.webp" } }),
        json!({ "type": "location", "location": { "latitude": 38.7075, "longitude": -9.1364,
                "name": "Praça do Comércio" } }),
        json!({ "type": "contacts", "contacts": [{ "name": { "formatted_name": "Rui Costa" },
                "phones": [{ "phone": "+351912000111" }] }] }),
        json!({ "type": "reaction", "reaction": { "message_id": "wamid.x", "emoji": "👍" } }),
        json!({ "type": "interactive", "interactive": { "type": "button",
                "body": { "text": "Which day?" }, "action": { "buttons": [
                    { "type": "reply", "reply": { "id": "mon", "title": "Monday" } }] } } }),
        json!({ "type": "text", "text": { "body": "A reply" },
                "context": { "message_id": "wamid.x" } }),
    ];
    for case in &cases {
        let (status, answer) = s.send(case.clone()).await;
        assert_eq!(status, 200, "{case}: {answer}");
        assert!(answer["messages"][0]["id"].is_string(), "{answer}");
    }
    let received = s.sim.received(ANA);
    assert_eq!(received.len(), cases.len());
    let document = received.iter().find(|r| r.kind == "document").unwrap();
    assert_eq!(document.text, "📄 Quote.pdf");

    // Meta's checks, each with its code.
    let refused = [
        (
            json!({ "type": "text", "text": { "body": "x".repeat(4097) } }),
            100,
        ),
        (
            json!({ "type": "image", "image": { "id": "no-such-media" } }),
            100,
        ),
        (
            json!({ "type": "image", "image": { "caption": "no file" } }),
            100,
        ),
        (
            json!({ "type": "location", "location": { "latitude": 91, "longitude": 0 } }),
            100,
        ),
        (
            json!({ "type": "interactive", "interactive": { "type": "button",
                 "body": { "text": "x" }, "action": { "buttons": [] } } }),
            100,
        ),
        (json!({ "type": "carousel" }), 131051),
    ];
    for (case, code) in refused {
        let (status, answer) = s.send(case.clone()).await;
        assert_eq!(status, 400, "{case}");
        assert_eq!(answer["error"]["code"], code, "{case}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("(#{code})")),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_unknown_object_is_a_graph_method_exception_and_the_listing_has_a_summary() {
    let s = Sim::start().await;
    let r: Value = s
        .http
        .get(format!("{}/v25.0/999999", s.sim.base_url()))
        .bearer_auth(&s.config.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"]["type"], "GraphMethodException");
    assert_eq!(
        (
            r["error"]["code"].as_u64(),
            r["error"]["error_subcode"].as_u64()
        ),
        (Some(100), Some(33))
    );

    let listing: Value = s
        .http
        .get(format!(
            "{}/v25.0/{}/message_templates?summary=total_count",
            s.sim.base_url(),
            s.config.waba_id
        ))
        .bearer_auth(&s.config.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing["summary"]["total_count"], 0);
    assert!(listing["data"].as_array().unwrap().is_empty());
}
