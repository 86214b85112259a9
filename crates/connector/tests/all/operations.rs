//! The connector operated as a service: `/healthz`, `/readyz` and `/metrics` as a load
//! balancer and Prometheus read them, a graceful stop, and a backup made while it runs then
//! restored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use multiline_connector::ctx::Ctx;
use multiline_connector::server::Connector;
use multiline_connector::store::sqlite::SqliteStore;
use multiline_connector::store::{Error, Result, Store, StoreExt as _, Tx};
use multiline_connector::usecases::accounts;
use multiline_domain::time::{Clock, Timestamp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wa_sim::Fault;

use crate::support::{ANA, Harness, connector_cmd, run_ok};

/// A metric's value in an OpenMetrics text: the line that starts with `series` (its name
/// and labels, exactly as written).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

async fn scrape(h: &Harness) -> String {
    let r = h.http.get(h.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_running_connector_is_alive_ready_and_tells_its_metrics() {
    alive_ready_and_metrics(Harness::start().await).await;
}

/// `/healthz`, `/readyz` and `/metrics` after real traffic, on the store `h` runs on.
pub(crate) async fn alive_ready_and_metrics(h: Harness) {
    let alive = h.http.get(h.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    let ready = h.http.get(h.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["workers"], "ok");

    // A send the Cloud API refuses once (then takes), and one it does not answer yet: that
    // one waits in flight while the clock moves 90 s.
    let thread = h.ana_thread().await;
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 130429,
            status: Some(400),
        },
        1,
    );
    h.send_text(&thread, "Your car is ready.").await;
    h.retry_until(|h| !h.demo.sim.received(ANA).is_empty())
        .await;
    h.demo.sim.inject_fault(Fault::Hold, 1);
    h.send_text(&thread, "Pick it up until six.").await;
    h.until_faults_met().await;
    h.advance(chrono::Duration::seconds(90));
    // WhatsApp's statuses of the first send are applied: the inbox is empty.
    h.settle().await;
    let _socket = h.events(0).await;

    let text = scrape(&h).await;
    assert!(text.ends_with("# EOF\n"), "{text}");
    let line = format!("{{line=\"{}\"}}", h.line().id);
    assert_eq!(
        value(&text, &format!("multiline_outbox_depth{line}")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, &format!("multiline_outbox_oldest_age_seconds{line}")),
        Some(90.0)
    );
    assert_eq!(
        value(
            &text,
            "multiline_provider_errors_total{provider=\"whatsapp\",code=\"130429\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "multiline_http_requests_total{route=\"/v1/threads/{id}/messages\",method=\"POST\",status=\"202\"}"
        ),
        Some(2.0),
        "routes by pattern, not by id"
    );
    assert_eq!(
        value(
            &text,
            "multiline_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, "multiline_event_sockets"), Some(1.0));
    assert_eq!(value(&text, "multiline_inbox_waiting"), Some(0.0));
    assert_eq!(value(&text, "multiline_inbox_set_aside"), Some(0.0));
    // One failed attempt, then one sent (the held one is still at the Cloud API).
    assert_eq!(
        value(
            &text,
            "multiline_dispatch_duration_seconds_count{outcome=\"failed\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "multiline_dispatch_duration_seconds_count{outcome=\"sent\"}"
        ),
        Some(1.0)
    );
    for series in [
        "multiline_store_transaction_duration_seconds_count{transaction=\"write\"}",
        "multiline_store_transaction_duration_seconds_count{transaction=\"read\"}",
        "multiline_http_request_duration_seconds_count{route=\"/v1/threads/{id}/messages\",method=\"POST\"}",
    ] {
        assert!(value(&text, series).unwrap() > 0.0, "{series} in {text}");
    }
    // A path no route takes is counted once, under one name.
    h.http.get(h.url("/v1/nothing/here")).send().await.unwrap();
    let text = scrape(&h).await;
    assert_eq!(
        value(
            &text,
            "multiline_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
        ),
        Some(1.0)
    );
    h.demo.sim.release_held();
}

#[tokio::test]
async fn each_request_has_an_id_the_load_balancers_or_a_new_one() {
    let h = Harness::start().await;
    let given = h
        .http
        .get(h.url("/healthz"))
        .header("x-request-id", "lb-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-42");
    let made = h.http.get(h.url("/healthz")).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

/// A store whose backend can be taken down and brought back.
struct Unplugged {
    inner: Arc<dyn Store>,
    down: AtomicBool,
}

impl Unplugged {
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::Backend("connection refused".into()));
        }
        Ok(())
    }
}

impl Store for Unplugged {
    fn write_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.check()?;
        self.inner.write_with(work)
    }
    fn read_with(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.check()?;
        self.inner.read_with(work)
    }
    fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        self.inner.row_counts()
    }
    fn outside_writes(&self) -> Result<u64> {
        self.check()?;
        self.inner.outside_writes()
    }
    fn schema_current(&self) -> Result<bool> {
        self.check()?;
        self.inner.schema_current()
    }
}

#[tokio::test]
async fn readyz_is_503_while_the_store_is_down_and_200_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Unplugged {
        inner: Arc::new(SqliteStore::open(&dir.path().join("connector.sqlite3")).unwrap()),
        down: AtomicBool::new(false),
    });
    let clock: Arc<dyn Clock> = Arc::new(multiline_domain::time::SystemClock);
    let mut ctx = Ctx::new(store.clone(), clock);
    ctx.metrics_token = Some("scrape-me".to_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let connector = Connector::start_with(ctx, listener, None).await.unwrap();
    let http = reqwest::Client::new();
    let readyz = || async {
        let r = http
            .get(format!("{}/readyz", connector.url()))
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(readyz().await.0, 200);
    store.down.store(true, Ordering::SeqCst);
    let (status, body) = readyz().await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "not ready");
    assert_eq!(
        body["store"],
        "the store cannot be reached: store backend: connection refused"
    );
    // Alive all the same: a restart would not bring the database back.
    let alive = http
        .get(format!("{}/healthz", connector.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(readyz().await, (200, readyz().await.1));
    assert_eq!(readyz().await.1["status"], "ready");

    // The metrics want the token when one is set.
    let metrics = format!("{}/metrics", connector.url());
    let refused = http.get(&metrics).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = http
        .get(&metrics)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let scraped = http
        .get(&metrics)
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    connector.shutdown().await;
}

#[tokio::test]
async fn a_graceful_stop_finishes_the_request_and_the_send_in_flight() {
    graceful_stop(Harness::start().await).await;
}

/// A graceful stop with a request and a send in flight, on the store `h` runs on.
pub(crate) async fn graceful_stop(h: Harness) {
    let thread = h.ana_thread().await;
    // A send the Cloud API is slow to answer: at the Cloud API when the stop comes.
    h.demo.sim.inject_fault(Fault::Delay { ms: 1_000 }, 1);
    h.send_text(&thread, "Sent before the stop.").await;
    h.until_faults_met().await;
    // And a request in flight: its handler waits for the body (hyper's `100 Continue` says
    // it started reading).
    let body = serde_json::to_vec(&serde_json::json!({
        "client_id": multiline_domain::ids::ClientMessageId::random(),
        "text": "Asked before the stop.",
    }))
    .unwrap();
    let mut request = tokio::net::TcpStream::connect(h.demo.connector.addr())
        .await
        .unwrap();
    let head = format!(
        "POST /v1/threads/{}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        thread.id,
        h.token,
        body.len()
    );
    request.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    request.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    let connector = h.demo.connector.clone();
    let stopping = tokio::spawn(async move { connector.stop().await });
    let mut stopped = h.demo.connector.ctx.stopping.clone();
    stopped.wait_for(|s| *s).await.unwrap();
    // No new connection is taken...
    tokio::time::timeout(Duration::from_secs(5), async {
        while tokio::net::TcpStream::connect(h.demo.connector.addr())
            .await
            .is_ok()
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the listener closed");
    // ...the request in flight is answered...
    request.write_all(&body).await.unwrap();
    let mut answer = String::new();
    request.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    stopping.await.unwrap();
    // ...and the send at the Cloud API is recorded: nothing is left in flight for the next
    // start to fail.
    assert_eq!(h.demo.sim.received(ANA).len(), 1);
    let (in_flight, outbox) = h.blocking(|env| {
        env.store
            .read(|tx| Ok((tx.in_flight(Timestamp::MAX_UTC)?, tx.outbox_backlog()?)))
            .unwrap()
    });
    assert!(in_flight.is_empty());
    assert_eq!(
        outbox.iter().map(|(_, b)| b.count).sum::<u64>(),
        1,
        "only the message asked for during the stop waits"
    );
}

#[tokio::test]
async fn a_backup_made_while_the_connector_writes_restores_a_consistent_store() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    for n in 0..20 {
        h.send_text(&thread, &format!("Before the backup {n}"))
            .await;
    }
    let data = h.dir.path().to_path_buf();
    let copies = tempfile::tempdir().unwrap();
    let backup = copies.path().join("connector-backup.sqlite3");

    // Sends go on while the backup is made.
    let writing = {
        let (http, url, token, thread) = (
            h.http.clone(),
            h.url(&format!("/v1/threads/{}/messages", thread.id)),
            h.token.clone(),
            thread.id,
        );
        tokio::spawn(async move {
            for n in 0..50 {
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "client_id": multiline_domain::ids::ClientMessageId::random(),
                        "text": format!("During the backup {n} in {thread}"),
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
            }
        })
    };
    let said = {
        let (data, backup) = (data.clone(), backup.clone());
        tokio::task::spawn_blocking(move || {
            run_ok(connector_cmd(&data).args(["backup", "--to", backup.to_str().unwrap()]))
        })
        .await
        .unwrap()
    };
    writing.await.unwrap();
    assert!(
        said.contains("the key that seals its secrets is not in it"),
        "{said}"
    );

    // Never over an existing file.
    let again = connector_cmd(&data)
        .args(["backup", "--to", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Restored elsewhere, with the key kept apart.
    let restored = copies.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    let without_key = connector_cmd(&restored)
        .args(["restore", "--from", backup.to_str().unwrap()])
        .env(
            "MULTILINE_SECRET_KEY_FILE",
            copies.path().join("no-such.key"),
        )
        .output()
        .unwrap();
    assert!(
        !without_key.status.success(),
        "a new key cannot open the old secrets"
    );
    assert!(
        String::from_utf8_lossy(&without_key.stderr).contains("is its key in place?"),
        "{}",
        String::from_utf8_lossy(&without_key.stderr)
    );
    std::fs::copy(data.join("secret.key"), restored.join("secret.key")).unwrap();
    run_ok(connector_cmd(&restored).args(["restore", "--from", backup.to_str().unwrap()]));

    let copy = SqliteStore::open(&restored.join("connector.sqlite3")).unwrap();
    let copy = Ctx::new(Arc::new(copy), h.clock.clone());
    // The audit chain is whole, and a prefix of the running connector's.
    let check = accounts::verify_audit(&copy.env(), h.demo.org).unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let theirs = accounts::audit_record(&copy.env(), h.demo.org).unwrap();
    let ours = h.audit();
    assert!(theirs.len() <= ours.len());
    assert_eq!(theirs, ours[..theirs.len()]);
    // Every message sent before the backup is in it, and the line's secrets open.
    let texts: Vec<String> = copy
        .store
        .read(|tx| tx.messages(thread.id))
        .unwrap()
        .into_iter()
        .filter_map(|m| match m.body {
            multiline_domain::api::MessageBody::Text { text } => Some(text),
            _ => None,
        })
        .collect();
    for n in 0..20 {
        assert!(texts.contains(&format!("Before the backup {n}")), "{n}");
    }
    let line = accounts::line_of_org(&copy.env(), h.demo.org).unwrap();
    assert_eq!(line.access_token, h.line().access_token);

    // What is not a backup is refused, and the store is left as it was.
    let junk = copies.path().join("junk.sqlite3");
    std::fs::write(&junk, b"not a database at all, just words").unwrap();
    let refused = connector_cmd(&restored)
        .args(["restore", "--from", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not a sound backup"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        accounts::audit_record(&copy.env(), h.demo.org).unwrap(),
        theirs
    );
}

#[tokio::test]
async fn the_service_writes_json_log_lines_with_request_ids_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = connector_cmd(&dir.path().join("data"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    crate::support::wait_serving(&url).await;
    let r = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .header("x-request-id", "lb-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "a stop asked for is a clean exit");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let served = lines
        .iter()
        .find(|l| l["span"]["id"] == "lb-7")
        .expect("a line about the request, with its id");
    assert_eq!(served["span"]["path"], "/healthz");
    assert!(lines.iter().any(|l| l["message"] == "connector serving"));
    assert_eq!(lines.last().unwrap()["message"], "stopped");
}
