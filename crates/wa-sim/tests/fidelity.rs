//! The simulator's webhooks have Meta's shapes, so that it cannot drift from what Meta sends:
//! every body it delivers is compared with the recorded payloads of
//! `crates/connector/tests/fixtures/cloud-api` (Meta's own, see SOURCES.md there): the same
//! keys for each kind of element (none invented, none that Meta always sends left out), the
//! same encodings (base64 checksums, string timestamps, `\u`-escaped non-ASCII, `\/`), and
//! signed over the exact bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use multiline_domain::time::SystemClock;
use serde_json::{Value, json};
use wa_sim::{GuestMessage, SimConfig, Simulator, Template};

/// The key paths of a JSON value: `audio.sha256`, `context.id`, `errors[].code`...
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// What kind of element it is, finely enough that its keys are comparable.
fn kind(element: &Value, is_status: bool) -> String {
    if is_status {
        return format!("status/{}", element["status"].as_str().unwrap_or("?"));
    }
    let t = element["type"].as_str().unwrap_or("?");
    match t {
        "interactive" => format!(
            "interactive/{}",
            element["interactive"]["type"].as_str().unwrap_or("?")
        ),
        "reaction" if element["reaction"].get("emoji").is_none() => "reaction/removed".into(),
        "text"
            if element
                .get("context")
                .is_some_and(|c| c.get("id").is_some()) =>
        {
            "text/reply".into()
        }
        "text" if element.get("context").is_some() => "text/forwarded".into(),
        other => other.into(),
    }
}

/// Each kind's key paths in every recorded element of that kind: the union (what Meta may
/// send) and the intersection (what it always sends).
struct Shapes {
    union: BTreeMap<String, BTreeSet<String>>,
    always: BTreeMap<String, BTreeSet<String>>,
    /// Envelope paths outside the elements.
    envelope: BTreeSet<String>,
    /// What names a message's sender, on any kind (`from`, `from_user_id`).
    header: BTreeSet<String>,
}

fn elements(body: &Value) -> Vec<(Value, bool, Value)> {
    let mut out = Vec::new();
    for entry in body["entry"].as_array().unwrap() {
        for change in entry["changes"].as_array().unwrap() {
            let value = &change["value"];
            for m in value["messages"].as_array().into_iter().flatten() {
                out.push((m.clone(), false, value.clone()));
            }
            for s in value["statuses"].as_array().into_iter().flatten() {
                out.push((s.clone(), true, value.clone()));
            }
        }
    }
    out
}

fn envelope_paths(body: &Value) -> BTreeSet<String> {
    let mut stripped = body.clone();
    for entry in stripped["entry"].as_array_mut().unwrap() {
        for change in entry["changes"].as_array_mut().unwrap() {
            let value = change["value"].as_object_mut().unwrap();
            value.remove("messages");
            value.remove("statuses");
            value.remove("errors");
        }
    }
    let mut out = BTreeSet::new();
    paths(&stripped, "", &mut out);
    out
}

fn recorded() -> Shapes {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../connector/tests/fixtures/cloud-api");
    let mut shapes = Shapes {
        union: BTreeMap::new(),
        always: BTreeMap::new(),
        envelope: BTreeSet::new(),
        header: BTreeSet::new(),
    };
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let body: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        shapes.envelope.extend(envelope_paths(&body));
        for (element, is_status, _) in elements(&body) {
            if element.get("id").is_none()
                || element["type"] == "text" && element["text"].get("body").is_none()
            {
                continue; // The deliberately broken element of batch-one-malformed.
            }
            let mut p = BTreeSet::new();
            paths(&element, "", &mut p);
            let k = kind(&element, is_status);
            if !is_status {
                for sender in ["from", "from_user_id"] {
                    if p.contains(sender) {
                        shapes.header.insert(sender.to_owned());
                    }
                }
            }
            // What a status may carry, whatever its kind (the corpus shows each key on one).
            let loose = if is_status {
                "status".to_owned()
            } else {
                k.clone()
            };
            shapes
                .union
                .entry(loose)
                .or_default()
                .extend(p.iter().cloned());
            // Inside lists (cards, items) every key is optional per item.
            let fixed: BTreeSet<String> = p.into_iter().filter(|p| !p.contains("[]")).collect();
            shapes
                .always
                .entry(k)
                .and_modify(|a| *a = a.intersection(&fixed).cloned().collect())
                .or_insert(fixed);
        }
    }
    shapes
}

/// A webhook body as received, with its `X-Hub-Signature-256` header.
type Signed = (Vec<u8>, String);

#[tokio::test]
async fn every_webhook_the_simulator_sends_has_metas_shape_and_encoding() {
    // A callback that keeps what it gets, answered 200.
    let got: Arc<Mutex<Vec<Signed>>> = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                let sig = headers["x-hub-signature-256"].to_str().unwrap().to_owned();
                keep.lock().unwrap().push((body.to_vec(), sig));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = SimConfig::demo();
    let sim = Simulator::start(
        config.clone(),
        Arc::new(SystemClock),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    sim.set_webhook_url(hook);
    sim.add_guest("351912345678", "João Gonçalves");
    sim.add_username_guest("16505559876", "Alex Rivera", "@alexrivera");
    sim.add_template(Template {
        id: "1".into(),
        name: "hello".into(),
        language: "en_US".into(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        parameter_format: "POSITIONAL".into(),
        components: json!([{ "type": "BODY", "text": "Hello" }]),
    });

    // The business writes first (statuses: sent, delivered; read once the guest looks).
    let http = reqwest::Client::new();
    let send = |to: &'static str, body: Value| {
        let http = http.clone();
        let url = format!(
            "{}/v25.0/{}/messages",
            sim.base_url(),
            config.phone_number_id
        );
        let token = config.access_token.clone();
        async move {
            let mut body = body;
            body["messaging_product"] = json!("whatsapp");
            body["to"] = json!(to);
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    sim.guest_sends_text(
        "351912345678",
        "Olá! Têm quarto para 2? 🙏 https://example.com/a/b",
    )
    .unwrap();
    send("+351912345678", json!({ "type": "template", "template": { "name": "hello", "language": { "code": "en_US" } } })).await;
    send(
        "351912345678",
        json!({ "type": "text", "text": { "body": "Sim, temos." } }),
    )
    .await;
    sim.guest_reads("351912345678").unwrap();
    let g = "351912345678";
    for message in [
        GuestMessage::Image {
            caption: Some("Vista 🌅".into()),
        },
        GuestMessage::Voice,
        GuestMessage::Audio,
        GuestMessage::Video {
            caption: Some("O barulho".into()),
        },
        GuestMessage::Document {
            caption: Some("Fatura".into()),
        },
        GuestMessage::Sticker { animated: false },
        GuestMessage::Sticker { animated: true },
        GuestMessage::Location {
            latitude: 38.7075,
            longitude: -9.1364,
            name: Some("Praça do Comércio".into()),
            address: Some("Lisboa".into()),
        },
        GuestMessage::Location {
            latitude: 38.71188,
            longitude: -9.14213,
            name: None,
            address: None,
        },
        GuestMessage::Contact {
            name: "Rui Costa".into(),
            phone: "+351 912 000 111".into(),
        },
        GuestMessage::Reaction {
            to: None,
            emoji: Some("👍".into()),
        },
        GuestMessage::Reaction {
            to: None,
            emoji: None,
        },
        GuestMessage::ButtonReply {
            id: "late".into(),
            title: "Late check-in".into(),
            to: None,
        },
        GuestMessage::ListReply {
            id: "double".into(),
            title: "Double".into(),
            description: Some("EUR 110".into()),
            to: None,
        },
        GuestMessage::Text {
            text: "Forwarded".into(),
            reply_to: None,
            forwarded: true,
        },
    ] {
        sim.guest_sends(g, message).unwrap();
    }
    let quoted = sim.received(g)[0].wamid.clone();
    sim.guest_sends(
        g,
        GuestMessage::Text {
            text: "About that".into(),
            reply_to: Some(quoted),
            forwarded: false,
        },
    )
    .unwrap();
    sim.guest_presses_button(g, "YES", "Yes").unwrap();
    sim.guest_sends_text("16505559876", "Parking?").unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while sim.pending_webhooks() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();

    let recorded = recorded();
    let bodies = got.lock().unwrap().clone();
    assert!(!bodies.is_empty());
    let mut seen_kinds = BTreeSet::new();
    let mut batched = false;
    for (body, sig) in &bodies {
        assert_eq!(
            sig,
            &wa_sim::signature(&config.app_secret, body),
            "signed over the bytes"
        );
        assert!(
            body.is_ascii(),
            "non-ASCII escaped as \\u: {}",
            String::from_utf8_lossy(body)
        );
        let text = std::str::from_utf8(body).unwrap();
        assert!(
            !text.contains("\\\\/") && !text.replace("\\/", "").contains('/'),
            "every / escaped: {text}"
        );
        let value: Value = serde_json::from_slice(body).unwrap();
        let envelope = envelope_paths(&value);
        let invented: Vec<_> = envelope.difference(&recorded.envelope).collect();
        assert!(
            invented.is_empty(),
            "envelope keys Meta does not send: {invented:?}"
        );
        let elements = elements(&value);
        batched |= elements.len() > 1;
        for (element, is_status, _) in elements {
            let k = kind(&element, is_status);
            let mut p = BTreeSet::new();
            paths(&element, "", &mut p);
            let loose = if is_status { "status" } else { k.as_str() };
            let mut union = recorded
                .union
                .get(loose)
                .unwrap_or_else(|| panic!("no recorded {k}"))
                .clone();
            if !is_status {
                // Who sent it: every message since April 2026 (the corpus shows it on some).
                union.extend(recorded.header.iter().cloned());
            }
            let invented: Vec<_> = p.difference(&union).collect();
            assert!(
                invented.is_empty(),
                "{k}: keys Meta does not send: {invented:?}\n{element}"
            );
            let missing: Vec<_> = recorded.always[&k].difference(&p).collect();
            assert!(
                missing.is_empty(),
                "{k}: keys Meta always sends, missing: {missing:?}\n{element}"
            );
            // Encodings.
            assert!(
                element["timestamp"]
                    .as_str()
                    .unwrap()
                    .parse::<i64>()
                    .is_ok()
            );
            for media in ["image", "audio", "video", "document", "sticker"] {
                if let Some(sha) = element.get(media).and_then(|m| m["sha256"].as_str()) {
                    assert_eq!(sha.len(), 44, "base64 of 32 bytes: {sha}");
                    assert!(sha.ends_with('='));
                }
            }
            seen_kinds.insert(k);
        }
    }
    assert!(batched, "several updates in one POST, as Meta does");
    for k in [
        "text",
        "text/reply",
        "text/forwarded",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "reaction",
        "reaction/removed",
        "button",
        "interactive/button_reply",
        "interactive/list_reply",
        "status/sent",
        "status/delivered",
        "status/read",
    ] {
        assert!(
            seen_kinds.contains(k),
            "the simulator never sent {k}: {seen_kinds:?}"
        );
    }
}
