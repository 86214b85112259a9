//! The connector on loopback with the simulator, beside a bare axum JSON endpoint measured in
//! the same run (the ceiling: what HTTP alone costs on this machine).
//!
//! - webhook ingest: signed inbound-message webhooks POSTed by 32 concurrent senders; the
//!   answer (200 = verified and kept in the durable inbox) timed per request, and the time
//!   until every message is stored as a message;
//! - send throughput: texts accepted by the API and handed to the simulator;
//! - event latency: a guest's message (webhook POSTed) until its event arrives on a user's
//!   WebSocket, one at a time.

// A benchmark measures wall time: it reads the real clock on purpose.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use multiline_connector::store::StoreExt;
use multiline_demo::{self as demo, DemoOptions};
use multiline_domain::time::SystemClock;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WEBHOOKS: usize = 6_000;
const CONCURRENCY: usize = 32;
const SENDS: usize = 1_000;
const LATENCY_RUNS: usize = 300;
const GUESTS: [&str; 5] = [
    "12025550147",
    "447911123456",
    "33612345678",
    "4915112345678",
    "393471234567",
];

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo::start(DemoOptions {
        data_dir: dir.path().to_path_buf(),
        connector_addr: "127.0.0.1:0".parse().unwrap(),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        clock: Arc::new(SystemClock),
        cloud_timeout: None,
        sim_token: None,
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let line =
        multiline_connector::usecases::accounts::line_of_org(&demo.connector.ctx.env(), demo.org)
            .unwrap();
    let webhook_url = demo.connector.webhook_url(line.id);
    let secret = demo.sim.config().app_secret.clone();
    let phone_number_id = demo.sim.config().phone_number_id.clone();

    // The ceiling: a bare axum endpoint that parses the same JSON and answers 200.
    let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_url = format!("http://{}/hook", bare.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(|body: axum::body::Bytes| async move {
                let _: serde_json::Value = serde_json::from_slice(&body).unwrap();
                axum::http::StatusCode::OK
            }),
        );
        axum::serve(bare, app).await.unwrap();
    });

    let payload = |n: usize| {
        let wa_id = GUESTS[n % GUESTS.len()];
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "bench", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550001111", "phone_number_id": phone_number_id },
                "contacts": [{ "profile": { "name": "Guest" }, "wa_id": wa_id }],
                "messages": [{
                    "from": wa_id,
                    "id": format!("wamid.BENCH{n:08}"),
                    "timestamp": chrono::Utc::now().timestamp().to_string(),
                    "type": "text",
                    "text": { "body": format!("Bench message number {n}, with a few words.") }
                }]
            }}]}]
        })
        .to_string()
    };

    // Warm-up, then the ceiling.
    post_all(&http, &bare_url, &secret, (0..500).map(payload).collect()).await;
    let (bare_time, bare_lat) = post_all(
        &http,
        &bare_url,
        &secret,
        (0..WEBHOOKS).map(payload).collect(),
    )
    .await;

    // Webhook ingest.
    let bodies: Vec<String> = (1_000_000..1_000_000 + WEBHOOKS).map(payload).collect();
    let t = Instant::now();
    let (accept_time, accept_lat) = post_all(&http, &webhook_url, &secret, bodies).await;
    let pending = || {
        demo.connector
            .ctx
            .store
            .read(|tx| tx.inbox_pending(chrono::DateTime::<chrono::Utc>::MAX_UTC, 1))
            .unwrap()
    };
    while !pending().is_empty() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let stored_time = t.elapsed();

    // Event latency: one guest message at a time, webhook in, event out.
    let (_, email, password) = demo::USERS[0];
    let signed: serde_json::Value = http
        .post(format!("{}/v1/session", demo.connector.url()))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed["token"].as_str().unwrap().to_owned();
    let head: serde_json::Value = http
        .get(format!("{}/v1/events/head", demo.connector.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws = demo.connector.url().replacen("http", "ws", 1);
    let mut request = format!("{ws}/v1/events?after={}", head["seq"])
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut event_lat = Vec::new();
    for n in 0..LATENCY_RUNS {
        let body = payload(2_000_000 + n * GUESTS.len()); // always Ana: her thread exists
        let marker = format!("number {}", 2_000_000 + n * GUESTS.len());
        let t = Instant::now();
        let r = http
            .post(&webhook_url)
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                wa_sim::signature(&secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        loop {
            let frame = socket.next().await.unwrap().unwrap();
            if frame.is_ping() {
                socket
                    .send(tokio_tungstenite::tungstenite::Message::Pong(
                        Default::default(),
                    ))
                    .await
                    .ok();
                continue;
            }
            if frame.to_text().is_ok_and(|t| t.contains(&marker)) {
                break;
            }
        }
        event_lat.push(t.elapsed());
    }
    // The same round trip through the bare endpoint (request and answer, no event).
    let mut bare_rtt = Vec::new();
    for n in 0..LATENCY_RUNS {
        let body = payload(n);
        let t = Instant::now();
        http.post(&bare_url).body(body).send().await.unwrap();
        bare_rtt.push(t.elapsed());
    }

    // Send throughput: texts to Ana (consented, window open) through the API.
    let threads: Vec<serde_json::Value> = http
        .get(format!("{}/v1/threads", demo.connector.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ana = threads
        .iter()
        .find(|t| t["guest_phone"] == "+12025550147")
        .expect("Ana's thread")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = demo.sim.received(GUESTS[0]).len();
    let t = Instant::now();
    for n in 0..SENDS {
        let r = http
            .post(format!(
                "{}/v1/threads/{ana}/messages",
                demo.connector.url()
            ))
            .bearer_auth(&token)
            .json(&json!({ "client_id": uuid::Uuid::now_v7(), "text": format!("Outbound {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let accepted = t.elapsed();
    while demo.sim.received(GUESTS[0]).len() < before + SENDS {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let handed_over = t.elapsed();

    let per_s = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!("connector on loopback with the simulator (2 cores shared by load and server)");
    println!(
        "bare axum JSON endpoint     {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   (the ceiling)",
        per_s(WEBHOOKS, bare_time),
        ms(pct(&bare_lat, 50)),
        ms(pct(&bare_lat, 99))
    );
    println!(
        "webhook ingest, accepted    {:>8.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {:.2}x the ceiling's time",
        per_s(WEBHOOKS, accept_time),
        ms(pct(&accept_lat, 50)),
        ms(pct(&accept_lat, 99)),
        accept_time.as_secs_f64() / bare_time.as_secs_f64()
    );
    println!(
        "webhook ingest, stored      {:>8.0} msg/s   ({WEBHOOKS} messages stored in {:.2} s)   target >= 2000 msg/s, p99 < 50 ms",
        per_s(WEBHOOKS, stored_time),
        stored_time.as_secs_f64()
    );
    println!(
        "event latency (guest->app)  p50 {:>6.2} ms   p99 {:>6.2} ms   bare round trip p50 {:.2} ms p99 {:.2} ms   target p99 < 25 ms",
        ms(pct(&event_lat, 50)),
        ms(pct(&event_lat, 99)),
        ms(pct(&bare_rtt, 50)),
        ms(pct(&bare_rtt, 99))
    );
    println!(
        "send: {SENDS} texts accepted at {:.0}/s, handed to the Cloud API at {:.0}/s",
        per_s(SENDS, accepted),
        per_s(SENDS, handed_over)
    );
    demo.connector.shutdown().await;
}

/// POSTs every body, `CONCURRENCY` at a time, signed; returns the total time and each
/// request's latency.
async fn post_all(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    bodies: Vec<String>,
) -> (Duration, Vec<Duration>) {
    let t = Instant::now();
    let latencies = futures_util::stream::iter(bodies)
        .map(|body| async move {
            let signature = wa_sim::signature(secret, body.as_bytes());
            let t = Instant::now();
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            t.elapsed()
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    (t.elapsed(), latencies)
}

fn pct(d: &[Duration], p: usize) -> Duration {
    let mut sorted = d.to_vec();
    sorted.sort();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
