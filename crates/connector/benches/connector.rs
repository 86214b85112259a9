//! The connector on loopback with the simulator, beside a bare axum JSON endpoint measured in
//! the same run (the ceiling: what HTTP alone costs on this machine).
//!
//! - webhook ingest: signed inbound-message webhooks POSTed by 32 concurrent senders; the
//!   answer (200 = verified and kept in the durable inbox) timed per request, and the time
//!   until every message is stored as a message;
//! - send throughput: texts accepted by the API and handed to the simulator;
//! - event latency: a guest's message (webhook POSTed) until its event arrives on a user's
//!   WebSocket, one at a time.
//!
//! Then the same ingest and event latency on PostgreSQL (issue 19), with one connector
//! instance and with three on one database, each setup on a fresh database of the server in
//! `MULTILINE_TEST_POSTGRES` (`make bench` starts a durable one through
//! `scripts/with-postgres.sh`; without it those figures are skipped, said in one line). The
//! webhooks go to the instances in turn, and the user's WebSocket is on the last instance
//! while each latency webhook reaches the first: with three, the event crosses from one
//! instance to another through the database (LISTEN/NOTIFY).

// A benchmark measures wall time: it reads the real clock on purpose.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use multiline_connector::ctx::Ctx;
use multiline_connector::server::Connector;
use multiline_connector::store::StoreExt;
use multiline_connector::store::postgres::PgStore;
use multiline_connector::store::secrets::Sealer;
use multiline_demo::{self as demo, Demo, DemoOptions};
use multiline_domain::time::SystemClock;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WEBHOOKS: usize = 6_000;
/// Webhooks per PostgreSQL setup: the same 6,000 as SQLite, so that the ratios compare the
/// same work (as many rows in the tables, the same batches). A message costs about 25
/// statements when applied, each a loopback round trip, by one instance at a time
/// (docs/benchmarks.md, "What a message costs"); with psql on a 2-core machine a statement's
/// round trip took 0.04 ms and a durable commit 0.3 ms, so a durable PostgreSQL should store
/// a few hundred to a thousand messages a second: 6 to 20 s per setup, the whole bench a
/// few minutes.
const PG_WEBHOOKS: usize = WEBHOOKS;
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
/// The key sealing the lines' secrets: every instance on one database must share it.
const PG_KEY: [u8; 32] = [7; 32];

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
    let demo = demo::start(options(dir.path())).await.unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let sqlite = Setup::of(&demo, vec![demo.connector.clone()]).await;
    let secret = sqlite.secret.clone();
    let phone_number_id = sqlite.phone_number_id.clone();

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
    let payload = |n: usize| webhook_body(&phone_number_id, n);

    // Warm-up, then the ceiling.
    let bare_urls = std::slice::from_ref(&bare_url);
    post_all(&http, bare_urls, &secret, (0..500).map(payload).collect()).await;
    let (bare_time, bare_lat) = post_all(
        &http,
        bare_urls,
        &secret,
        (0..WEBHOOKS).map(payload).collect(),
    )
    .await;

    // Webhook ingest.
    let ingested = ingest(&http, &sqlite, WEBHOOKS).await;

    // Event latency: one guest message at a time, webhook in, event out.
    let token = sign_in(&http, &demo.connector.url()).await;
    let event_lat = event_latency(&http, &sqlite, &token).await;
    // The same round trip through the bare endpoint (request and answer, no event).
    let bare_rtt = bare_round_trips(&http, &bare_url, &phone_number_id).await;

    // Send throughput: texts to Ana (consented, window open) through the API.
    let threads: Vec<serde_json::Value> = get_json(
        &http,
        &format!("{}/v1/threads", demo.connector.url()),
        &token,
    )
    .await;
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

    println!("connector on loopback with the simulator (2 cores shared by load and server)");
    println!(
        "bare axum JSON endpoint     {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   (the ceiling)",
        per_s(WEBHOOKS, bare_time),
        ms(pct(&bare_lat, 50)),
        ms(pct(&bare_lat, 99))
    );
    println!(
        "webhook ingest, accepted    {:>8.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {:.2}x the ceiling's time",
        per_s(WEBHOOKS, ingested.accept_time),
        ms(pct(&ingested.accept_lat, 50)),
        ms(pct(&ingested.accept_lat, 99)),
        ingested.accept_time.as_secs_f64() / bare_time.as_secs_f64()
    );
    println!(
        "webhook ingest, stored      {:>8.0} msg/s   ({WEBHOOKS} messages stored in {:.2} s)   target >= 2000 msg/s, p99 < 50 ms",
        per_s(WEBHOOKS, ingested.stored_time),
        ingested.stored_time.as_secs_f64()
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

    postgres(&http, &bare_url, &ingested, &event_lat).await;
}

/// The demo's options: loopback on free ports, the real clock, data in `data_dir` (SQLite's
/// file; not used on PostgreSQL).
fn options(data_dir: &std::path::Path) -> DemoOptions {
    DemoOptions {
        data_dir: data_dir.to_path_buf(),
        connector_addr: "127.0.0.1:0".parse().unwrap(),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        clock: Arc::new(SystemClock),
        cloud_timeout: None,
        sim_token: None,
    }
}

/// Connector instances serving one store (one on SQLite; one or several on one PostgreSQL
/// database), and how the demo's line takes webhooks.
struct Setup {
    /// Webhooks go to them in turn; the event socket is on the last one.
    instances: Vec<Connector>,
    line: uuid::Uuid,
    /// The line's app secret: webhooks are signed with it.
    secret: String,
    /// The line's number, named in each webhook.
    phone_number_id: String,
}

impl Setup {
    /// `instances` (the demo's connector first) and the demo's line, read from the store.
    async fn of(demo: &Demo, instances: Vec<Connector>) -> Setup {
        let org = demo.org;
        // On a blocking thread: PostgreSQL's client refuses to block the runtime's.
        let line = demo
            .connector
            .ctx
            .run(move |env| multiline_connector::usecases::accounts::line_of_org(env, org))
            .await
            .unwrap();
        Setup {
            instances,
            line: line.id,
            secret: demo.sim.config().app_secret.clone(),
            phone_number_id: demo.sim.config().phone_number_id.clone(),
        }
    }
}

/// A guest's text in a Cloud API webhook body: guest `n % 5`, wamid and words numbered `n`.
fn webhook_body(phone_number_id: &str, n: usize) -> String {
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
}

/// Webhook ingest: what the POSTs took, each POST's answer, and the time until every
/// message was stored.
struct Ingest {
    accept_time: Duration,
    accept_lat: Vec<Duration>,
    stored_time: Duration,
}

/// POSTs `count` webhooks to the setup's instances in turn (request n to instance n % k),
/// `CONCURRENCY` at a time, then waits until the inbox holds nothing pending (read through
/// the first instance: they all share one store).
async fn ingest(http: &reqwest::Client, setup: &Setup, count: usize) -> Ingest {
    let bodies: Vec<String> = (1_000_000..1_000_000 + count)
        .map(|n| webhook_body(&setup.phone_number_id, n))
        .collect();
    let urls: Vec<String> = setup
        .instances
        .iter()
        .map(|c| c.webhook_url(setup.line))
        .collect();
    let ctx = &setup.instances[0].ctx;
    let t = Instant::now();
    let (accept_time, accept_lat) = post_all(http, &urls, &setup.secret, bodies).await;
    loop {
        let pending = ctx
            .run(|env| {
                env.store
                    .read(|tx| tx.inbox_pending(chrono::DateTime::<chrono::Utc>::MAX_UTC, 1))
            })
            .await
            .unwrap();
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ingest {
        accept_time,
        accept_lat,
        stored_time: t.elapsed(),
    }
}

/// `GET url` as the user with `token`: the answer's JSON.
async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> T {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Signs the demo's first user in at `url`: the session's token.
async fn sign_in(http: &reqwest::Client, url: &str) -> String {
    let (_, email, password) = demo::USERS[0];
    let signed: serde_json::Value = http
        .post(format!("{url}/v1/session"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    signed["token"].as_str().unwrap().to_owned()
}

/// `LATENCY_RUNS` guest messages, one at a time, each POSTed to the first instance and
/// timed until its event arrives on the user's WebSocket on the last instance (the same one
/// when there is one).
async fn event_latency(http: &reqwest::Client, setup: &Setup, token: &str) -> Vec<Duration> {
    let webhook_url = setup.instances[0].webhook_url(setup.line);
    let events_url = setup.instances.last().unwrap().url();
    let head: serde_json::Value =
        get_json(http, &format!("{events_url}/v1/events/head"), token).await;
    let ws = events_url.replacen("http", "ws", 1);
    let mut request = format!("{ws}/v1/events?after={}", head["seq"])
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut event_lat = Vec::new();
    for n in 0..LATENCY_RUNS {
        let number = 2_000_000 + n * GUESTS.len(); // always Ana: her thread exists
        let body = webhook_body(&setup.phone_number_id, number);
        let marker = format!("number {number}");
        let t = Instant::now();
        let r = http
            .post(&webhook_url)
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                wa_sim::signature(&setup.secret, body.as_bytes()),
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
    event_lat
}

/// `LATENCY_RUNS` requests to the bare endpoint, one at a time: the round trip an event's
/// latency is compared with.
async fn bare_round_trips(
    http: &reqwest::Client,
    bare_url: &str,
    phone_number_id: &str,
) -> Vec<Duration> {
    let mut bare_rtt = Vec::new();
    for n in 0..LATENCY_RUNS {
        let body = webhook_body(phone_number_id, n);
        let t = Instant::now();
        http.post(bare_url).body(body).send().await.unwrap();
        bare_rtt.push(t.elapsed());
    }
    bare_rtt
}

/// POSTs every body, `CONCURRENCY` at a time, signed, body n to `urls[n % urls.len()]`;
/// returns the total time and each request's latency.
async fn post_all(
    http: &reqwest::Client,
    urls: &[String],
    secret: &str,
    bodies: Vec<String>,
) -> (Duration, Vec<Duration>) {
    let t = Instant::now();
    let latencies = futures_util::stream::iter(bodies.into_iter().enumerate())
        .map(|(n, body)| async move {
            let url = &urls[n % urls.len()];
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

/// One PostgreSQL setup's figures.
struct PgFigures {
    ingest: Ingest,
    event_lat: Vec<Duration>,
    /// The bare endpoint's round trip, measured again right after this setup's latency.
    bare_rtt: Vec<Duration>,
}

/// PostgreSQL with one instance, then with three, beside SQLite's `sqlite` ingest and
/// `sqlite_event` latency; or one line saying why not.
async fn postgres(
    http: &reqwest::Client,
    bare_url: &str,
    sqlite: &Ingest,
    sqlite_event: &[Duration],
) {
    let Ok(admin) = std::env::var("MULTILINE_TEST_POSTGRES") else {
        println!(
            "PostgreSQL figures skipped: MULTILINE_TEST_POSTGRES is not set (`make bench` runs \
             this bench under scripts/with-postgres.sh, which starts a server and sets it)"
        );
        return;
    };
    let settings = on_admin_thread(&admin, |client| {
        let mut shown = Vec::new();
        for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
            let row = client
                .query_one("SELECT current_setting($1)", &[&setting])
                .unwrap();
            shown.push(format!("{setting}={}", row.get::<_, String>(0)));
        }
        shown.join(", ")
    });
    let one = on_postgres(http, bare_url, &admin, 1).await;
    let three = on_postgres(http, bare_url, &admin, 3).await;

    let sqlite_stored = per_s(WEBHOOKS, sqlite.stored_time);
    let (x1, x3) = (&one.ingest, &three.ingest);
    println!(
        "PostgreSQL ({settings}), a fresh database per setup, {PG_WEBHOOKS} webhooks each, round-robin over the instances"
    );
    println!(
        "webhook ingest, accepted, PostgreSQL x1 {:>8.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({:.2}x SQLite's)",
        per_s(PG_WEBHOOKS, x1.accept_time),
        ms(pct(&x1.accept_lat, 50)),
        ms(pct(&x1.accept_lat, 99)),
        per_s(PG_WEBHOOKS, x1.accept_time) / per_s(WEBHOOKS, sqlite.accept_time)
    );
    println!(
        "webhook ingest, stored, PostgreSQL x1   {:>8.0} msg/s   ({:.2}x SQLite's)   target >= 0.6x",
        per_s(PG_WEBHOOKS, x1.stored_time),
        per_s(PG_WEBHOOKS, x1.stored_time) / sqlite_stored
    );
    println!(
        "webhook ingest, accepted, PostgreSQL x3 {:>8.0} msg/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({:.2}x one instance's)",
        per_s(PG_WEBHOOKS, x3.accept_time),
        ms(pct(&x3.accept_lat, 50)),
        ms(pct(&x3.accept_lat, 99)),
        x1.accept_time.as_secs_f64() / x3.accept_time.as_secs_f64()
    );
    println!(
        "webhook ingest, stored, PostgreSQL x3   {:>8.0} msg/s   ({:.2}x one instance's)   target >= 1.0x",
        per_s(PG_WEBHOOKS, x3.stored_time),
        x1.stored_time.as_secs_f64() / x3.stored_time.as_secs_f64()
    );
    for (label, f) in [
        ("event latency, PostgreSQL x1", &one),
        ("event latency, PostgreSQL x3", &three),
    ] {
        println!(
            "{label}   p50 {:>6.2} ms   p99 {:>6.2} ms   ({:.2}x / {:.2}x SQLite's p50 / p99)   bare round trip p50 {:.2} ms p99 {:.2} ms (p99 {:.1}x it)   target p99 < 25 ms",
            ms(pct(&f.event_lat, 50)),
            ms(pct(&f.event_lat, 99)),
            ratio(pct(&f.event_lat, 50), pct(sqlite_event, 50)),
            ratio(pct(&f.event_lat, 99), pct(sqlite_event, 99)),
            ms(pct(&f.bare_rtt, 50)),
            ms(pct(&f.bare_rtt, 99)),
            ratio(pct(&f.event_lat, 99), pct(&f.bare_rtt, 99))
        );
    }
}

/// The demo on a fresh database of the server at `admin`, with `count` connector instances
/// on it (the demo's own first, then `count - 1` more, each with its own store and pool):
/// ingest and event latency measured, the bare round trip again beside the latency; then
/// every instance stopped and the database dropped.
async fn on_postgres(
    http: &reqwest::Client,
    bare_url: &str,
    admin: &str,
    count: usize,
) -> PgFigures {
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let create = format!("CREATE DATABASE {name}");
    on_admin_thread(admin, move |client| client.batch_execute(&create).unwrap());
    let (server, _) = admin.rsplit_once('/').expect("a database URL");
    let url = format!("{server}/{name}");

    let dir = tempfile::tempdir().unwrap();
    let demo = demo::start_on(Arc::new(pg_store(&url).await), options(dir.path()))
        .await
        .unwrap();
    let mut instances = vec![demo.connector.clone()];
    for _ in 1..count {
        let ctx = Ctx::new(
            Arc::new(pg_store(&url).await),
            demo.connector.ctx.clock.clone(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        instances.push(Connector::start_with(ctx, listener, None).await.unwrap());
    }
    let setup = Setup::of(&demo, instances).await;
    let token = sign_in(http, &demo.connector.url()).await;

    let ingested = ingest(http, &setup, PG_WEBHOOKS).await;
    let event_lat = event_latency(http, &setup, &token).await;
    let bare_rtt = bare_round_trips(http, bare_url, &setup.phone_number_id).await;

    for instance in &setup.instances {
        instance.shutdown().await;
    }
    drop((setup, demo));
    let drop_database = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    on_admin_thread(admin, move |client| {
        client.batch_execute(&drop_database).unwrap()
    });
    PgFigures {
        ingest: ingested,
        event_lat,
        bare_rtt,
    }
}

/// A store on the PostgreSQL database at `url`, sealed with the key every instance on it
/// shares (connecting blocks: on a blocking thread).
async fn pg_store(url: &str) -> PgStore {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || PgStore::connect(&url, Sealer::with_key(&PG_KEY)))
        .await
        .unwrap()
        .unwrap()
}

/// Runs `work` with a client of the server's administrative database `admin`, on a thread
/// of its own: PostgreSQL's client blocks, which it refuses to do on the runtime's threads.
fn on_admin_thread<T: Send + 'static>(
    admin: &str,
    work: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
) -> T {
    let admin = admin.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        work(&mut client)
    })
    .join()
    .unwrap()
}

/// `n` things in `d`, per second.
fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// `a` as a multiple of `b`.
fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn pct(d: &[Duration], p: usize) -> Duration {
    let mut sorted = d.to_vec();
    sorted.sort();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
