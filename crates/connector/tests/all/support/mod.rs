//! The harness the scenario and reliability tests share: the demo's seeded organization
//! (connector + simulator on loopback), an injected clock, real SQLite in a temp dir, a
//! signed-in user.
#![allow(dead_code)] // each test file uses what it needs

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use futures_util::StreamExt;
pub use multiline_connector::usecases::accounts;
use multiline_demo::{self as demo, Demo, DemoOptions};
use multiline_domain::api::{Contact, Event, EventEnvelope, Message, Thread};
use multiline_domain::ids::ClientMessageId;
use multiline_domain::time::ManualClock;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const ANA: &str = "12025550147";

/// A PNG of one colour, `width` by `height`.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut png = Vec::new();
    image::RgbImage::from_pixel(width, height, image::Rgb(rgb))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// The built `multiline-connector` on the data folder `data`: no configuration file, no
/// secrets key from the environment, warnings only.
pub fn connector_cmd(data: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_multiline-connector"));
    c.env("MULTILINE_DATA_DIR", data)
        .env_remove("MULTILINE_CONFIG")
        .env_remove("MULTILINE_SECRET_KEY")
        .env("RUST_LOG", "warn");
    c
}

/// Waits (30 s at most) until a connector started as its own process answers at `url`.
pub async fn wait_serving(url: &str) {
    let http = reqwest::Client::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while http
            .get(format!("{url}/v1/openapi.json"))
            .send()
            .await
            .is_err()
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the connector serves");
}

/// Runs an admin command that must succeed: its standard output, trimmed.
pub fn run_ok(c: &mut std::process::Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A new, empty database in the PostgreSQL cluster the test run started
/// (`scripts/with-postgres.sh` sets `MULTILINE_TEST_POSTGRES`), dropped when this is.
pub struct TestDatabase {
    pub url: String,
    name: String,
    admin: String,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        // PostgreSQL's client blocks, which it refuses to do on an async test's thread.
        std::thread::spawn(TestDatabase::create).join().unwrap()
    }

    fn create() -> TestDatabase {
        let admin = std::env::var("MULTILINE_TEST_POSTGRES").expect(
            "MULTILINE_TEST_POSTGRES: run the tests through scripts/with-postgres.sh (make test \
             does), which starts a throwaway PostgreSQL for them",
        );
        let name = format!("test_{}", fresh_uuid().simple());
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).expect("the test cluster");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        let (base, _) = admin.rsplit_once('/').expect("a database URL");
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
            admin,
        }
    }
}

impl TestDatabase {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs statements as the cluster's administrator (on a thread of its own: the client
    /// blocks).
    pub fn admin(&self, statements: &[&str]) {
        let admin = self.admin.clone();
        let statements: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            for statement in statements {
                client.batch_execute(&statement).unwrap();
            }
        })
        .join()
        .unwrap();
    }
}

impl TestDatabase {
    /// How many advisory locks sessions hold in this database (the writes lock, when a
    /// write is running or a session leaked it).
    pub fn advisory_locks(&self) -> i64 {
        self.count(
            "SELECT COUNT(*) FROM pg_locks
             WHERE locktype = 'advisory'
               AND database = (SELECT oid FROM pg_database WHERE datname = $1)",
        )
    }

    /// How many sessions are connected to this database.
    pub fn connections(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1")
    }

    /// The count `sql` gives with this database's name as `$1`, asked as the administrator.
    fn count(&self, sql: &'static str) -> i64 {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            client.query_one(sql, &[&name]).unwrap().get(0)
        })
        .join()
        .unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// An id nothing has: for requests that name what does not exist.
pub fn fresh_uuid() -> uuid::Uuid {
    multiline_domain::ids::MessageId::random().0
}

pub struct Harness {
    pub demo: Demo,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub token: String,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database the demo runs on, when it does ([`Harness::on_postgres`]).
    pub db: Option<TestDatabase>,
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_at(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()).await
    }

    /// The demo, its clock starting at `now`.
    pub async fn start_at(now: multiline_domain::time::Timestamp) -> Harness {
        Harness::start_with(now, None).await
    }

    /// The demo whose connector gives a Cloud API call up after `timeout` (a lost answer).
    pub async fn start_with_cloud_timeout(timeout: std::time::Duration) -> Harness {
        let now = chrono::Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        Harness::start_with(now, Some(timeout)).await
    }

    /// The demo on a new PostgreSQL database instead of SQLite.
    pub async fn on_postgres() -> Harness {
        Harness::on_postgres_at(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()).await
    }

    /// [`Harness::on_postgres`], its clock starting at `now` (beside connector processes,
    /// which read the real clock: the real time).
    pub async fn on_postgres_at(now: multiline_domain::time::Timestamp) -> Harness {
        let db = TestDatabase::new();
        let url = db.url.clone();
        let store = tokio::task::spawn_blocking(move || {
            multiline_connector::store::postgres::PgStore::connect(
                &url,
                multiline_connector::store::secrets::Sealer::with_key(&[7; 32]),
            )
        })
        .await
        .unwrap()
        .unwrap();
        let mut h = Harness::start_on(now, None, Some(Arc::new(store))).await;
        h.db = Some(db);
        h
    }

    async fn start_with(
        now: multiline_domain::time::Timestamp,
        cloud_timeout: Option<std::time::Duration>,
    ) -> Harness {
        Harness::start_on(now, cloud_timeout, None).await
    }

    async fn start_on(
        now: multiline_domain::time::Timestamp,
        cloud_timeout: Option<std::time::Duration>,
        store: Option<Arc<dyn multiline_connector::store::Store>>,
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(now));
        let options = DemoOptions {
            data_dir: dir.path().to_path_buf(),
            connector_addr: "127.0.0.1:0".parse().unwrap(),
            sim_addr: "127.0.0.1:0".parse().unwrap(),
            clock: clock.clone(),
            cloud_timeout,
            sim_token: None,
        };
        let demo = match store {
            Some(store) => demo::start_on(store, options).await,
            None => demo::start(options).await,
        }
        .unwrap();
        let http = reqwest::Client::new();
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
        Harness {
            demo,
            clock,
            http,
            token,
            dir,
            db: None,
        }
    }

    /// `POST /v1/session` with this email and password; the raw answer.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/v1/session"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// [`Harness::sign_in`], accepted: the token and the session.
    pub async fn signed_in(&self, email: &str, password: &str) -> (String, serde_json::Value) {
        let r: serde_json::Value = self.sign_in(email, password).await.json().await.unwrap();
        (
            r["token"].as_str().unwrap().to_owned(),
            r["session"].clone(),
        )
    }

    /// Moves the connector's and the simulator's clock (they share it).
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.demo.connector.url())
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// Uploads a file as the signed-in user (`POST /v1/media`); the raw answer.
    pub async fn upload(&self, mime: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.http
            .post(self.url("/v1/media"))
            .bearer_auth(&self.token)
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// [`Harness::upload`], accepted: the stored file.
    pub async fn uploaded(&self, mime: &str, bytes: Vec<u8>) -> multiline_domain::api::MediaInfo {
        let r = self.upload(mime, bytes).await;
        assert_eq!(r.status(), 201, "upload refused");
        r.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn ana_thread(&self) -> Thread {
        let contacts: Vec<Contact> = self.get("/v1/contacts?q=Ana").await;
        let ana = &contacts[0];
        let r = self
            .post(
                "/v1/threads",
                json!({ "contact_id": ana.id, "phone": ana.phones[0].number }),
            )
            .await;
        assert!(r.status().is_success());
        r.json().await.unwrap()
    }

    pub async fn events(&self, after: u64) -> Socket {
        events_at(&self.demo.connector.url(), &self.token, after).await
    }

    /// Sends a text in `thread` through the API; returns the accepted (queued) message.
    pub async fn send_text(&self, thread: &Thread, text: &str) -> Message {
        let r = self
            .post(
                &format!("/v1/threads/{}/messages", thread.id),
                json!({ "client_id": ClientMessageId::random(), "text": text }),
            )
            .await;
        assert_eq!(r.status(), 202, "send {text:?}");
        r.json().await.unwrap()
    }

    pub async fn messages(&self, thread: &Thread) -> Vec<Message> {
        self.get(&format!("/v1/threads/{}/messages", thread.id))
            .await
    }

    /// Waits (10 s at most) until the Cloud API calls meant to meet the injected faults have
    /// reached the simulator (a delayed one is then being held there).
    pub async fn until_faults_met(&self) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.demo.sim.faults_pending() > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the calls reached the Cloud API");
    }

    /// Waits until the simulator has delivered every webhook and the connector has
    /// processed its inbox (polling the system, never waiting on time for a rule).
    pub async fn settle(&self) {
        tokio::time::timeout(Duration::from_secs(20), async {
            while self.demo.sim.pending_webhooks() > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the simulator's webhooks were delivered");
        multiline_connector::inbox::drain(&self.demo.connector.ctx)
            .await
            .unwrap();
    }

    /// A picture's or a recording's bytes, as the connector serves them to a participant.
    pub async fn media(&self, id: multiline_domain::ids::MediaId) -> Vec<u8> {
        let r = self
            .http
            .get(self.url(&format!("/v1/media/{id}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap().to_vec()
    }

    /// The use cases' environment, now.
    pub fn env(&self) -> multiline_connector::usecases::Env<'_> {
        self.demo.connector.ctx.env()
    }

    /// Runs `f` with the use cases' environment on a thread of its own: the store's methods
    /// block, and PostgreSQL's client refuses to on the test's async thread.
    pub fn blocking<T: Send>(
        &self,
        f: impl FnOnce(&multiline_connector::usecases::Env<'_>) -> T + Send,
    ) -> T {
        std::thread::scope(|s| s.spawn(|| f(&self.env())).join().unwrap())
    }

    /// The demo organization's line.
    pub fn line(&self) -> multiline_connector::store::Line {
        self.blocking(|env| accounts::line_of_org(env, self.demo.org).unwrap())
    }

    /// The demo organization's audit record.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        self.blocking(|env| accounts::audit_record(env, self.demo.org).unwrap())
    }

    /// What the store holds, by table.
    pub fn row_counts(&self) -> Vec<(String, i64)> {
        self.blocking(|env| env.store.row_counts().unwrap())
    }

    /// Moves the clock a minute at a time and wakes the inbox worker (so that an inbound
    /// event whose fetch failed is tried again), until `check` finds what it waits for.
    pub async fn until_arrived<T, F, Fut>(&self, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Some(found) = check().await {
                    return found;
                }
                self.advance(chrono::Duration::minutes(1));
                self.demo.connector.ctx.inbox.notify_one();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("it arrived")
    }

    /// Moves the clock past any retry backoff and wakes the dispatcher, until `done` holds.
    pub async fn retry_until(&self, done: impl Fn(&Harness) -> bool) {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !done(self) {
                self.advance(chrono::Duration::minutes(10));
                self.demo.connector.ctx.dispatch.notify_one();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the dispatcher got there");
    }

    pub fn line_webhook(&self) -> String {
        self.demo.connector.webhook_url(self.line().id)
    }
}

/// The number of the last event of `token`'s user, as the connector at `url` (an instance
/// of several) says (`GET /v1/events/head`): what a socket resumes after.
pub async fn events_head_at(url: &str, token: &str) -> u64 {
    let head: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/v1/events/head"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    head["seq"].as_u64().unwrap()
}

/// An event socket on the connector at `url` (an instance of several), signed in with
/// `token`, from after event `after`.
pub async fn events_at(url: &str, token: &str, after: u64) -> Socket {
    let ws = url.replacen("http", "ws", 1);
    let mut request = format!("{ws}/v1/events?after={after}")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Reads events until one matches, within 10 s (waiting for the system, not for time to pass).
pub async fn next_matching(
    socket: &mut Socket,
    what: impl Fn(&EventEnvelope) -> bool,
) -> EventEnvelope {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let frame = socket.next().await.expect("socket open").expect("frame");
            let Ok(text) = frame.to_text() else { continue };
            if text.is_empty() {
                continue;
            }
            let envelope: EventEnvelope = serde_json::from_str(text).unwrap();
            if what(&envelope) {
                return envelope;
            }
        }
    })
    .await
    .expect("the expected event arrived")
}

pub fn message_event(e: &EventEnvelope) -> Option<&Message> {
    match &e.event {
        Event::MessageUpserted { message } => Some(message),
        _ => None,
    }
}
