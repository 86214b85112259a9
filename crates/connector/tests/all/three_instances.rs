//! Three connector processes on one PostgreSQL database behind a round-robin load balancer,
//! one of them killed (`SIGKILL`) in the middle of a burst of 2,000 inbound and 1,000
//! outbound messages: nothing accepted is lost, nothing goes to WhatsApp twice (the
//! simulator's record), the dead instance's claims are taken over after their lease, and
//! two users on the two other instances hear every event of their thread once, in order.
//! The connectors are real processes (`multiline-connector serve`), so the kill cuts
//! whatever they were doing, a transaction included.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::StreamExt;
use multiline_connector::store::StoreExt as _;
use multiline_domain::api::{DeliveryState, Direction, EventEnvelope, Message, MessageBody};
use serde_json::json;
use wa_sim::balancer::RoundRobin;

use crate::support::{ANA, Harness, events_at, events_head_at, message_event};

const INBOUND: usize = 2_000;
const OUTBOUND: usize = 1_000;
/// The instances' claim lease (`serve --claim-lease`), short so the test sees a takeover.
const LEASE_SECS: u64 = 4;

/// A connector process, killed when dropped.
struct Instance {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Instance {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn kill(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no graceful stop, no cleanup.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `multiline-connector serve` on `database_url` with the harness's secrets key, on a
/// free port, logging to a file in `dir`.
fn start_instance(database_url: &str, dir: &std::path::Path, n: usize) -> Instance {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = dir.join(format!("instance-{n}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_multiline-connector"))
        .args(["serve", "--listen", &addr.to_string()])
        .env("MULTILINE_DATA_DIR", dir.join(format!("data-{n}")))
        .env("MULTILINE_DATABASE_URL", database_url)
        .env(
            "MULTILINE_SECRET_KEY",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        )
        .env("MULTILINE_CLAIM_LEASE", LEASE_SECS.to_string())
        .env("MULTILINE_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .env_remove("MULTILINE_CONFIG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Instance { child, addr, log }
}

/// Waits until each instance says it is ready.
async fn until_ready(instances: &[Instance]) {
    let http = reqwest::Client::new();
    for i in instances {
        tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if let Ok(r) = http.get(format!("{}/readyz", i.url())).send().await
                    && r.status() == 200
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "instance at {} ready; its log: {}",
                i.addr,
                std::fs::read_to_string(&i.log).unwrap_or_default()
            )
        });
    }
}

/// Every event envelope a socket receives, in the order it arrives.
fn record(mut socket: crate::support::Socket) -> Arc<Mutex<Vec<EventEnvelope>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = socket.next().await {
            let Ok(text) = frame.to_text() else { continue };
            if text.is_empty() {
                continue;
            }
            let envelope: EventEnvelope = serde_json::from_str(text).unwrap();
            into.lock().unwrap().push(envelope);
        }
    });
    seen
}

fn text(m: &Message) -> &str {
    match &m.body {
        MessageBody::Text { text } => text,
        _ => "",
    }
}

// The connector processes read the real clock, and the line's rate is a rate in real time:
// this test reads the real clock too.
#[allow(clippy::disallowed_methods)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_one_killed_mid_burst_lose_nothing_and_send_nothing_twice() {
    // The connectors read the real clock: the demo (and the simulator) start at it too.
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
    let h = Harness::on_postgres_at(now).await;
    let url = h.db.as_ref().unwrap().url.clone();
    let thread = h.ana_thread().await;
    let line = h.line().id;
    // Sam joins Alex's thread with Ana: two users, on two instances.
    let (sam_token, sam) = h.signed_in("sam@northwind.example", "multiline-demo").await;
    let r = h
        .post(
            &format!("/v1/threads/{}/participants", thread.id),
            json!({ "op": "add", "user_id": sam["user"]["id"] }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    // From here on only the three processes serve (the demo's own connector stops).
    let store = h.demo.connector.ctx.store.clone();
    h.demo.connector.shutdown().await;
    let dir = tempfile::tempdir().unwrap();
    let listed_before = h.demo.sim.template_listings();
    let mut instances: Vec<Instance> = (0..3)
        .map(|n| start_instance(&url, dir.path(), n))
        .collect();
    until_ready(&instances).await;
    let balancer = RoundRobin::start(instances.iter().map(|i| i.addr).collect())
        .await
        .unwrap();
    let hook_path = format!("/webhooks/whatsapp/{line}");
    h.demo
        .sim
        .set_webhook_url(format!("{}{hook_path}", balancer.url()));

    // Alex's socket on instance 0, Sam's on instance 1; instance 2 is the one to die.
    let alex_from = events_head_at(&instances[0].url(), &h.token).await;
    let sam_from = events_head_at(&instances[1].url(), &sam_token).await;
    let alex_events = record(events_at(&instances[0].url(), &h.token, alex_from).await);
    let sam_events = record(events_at(&instances[1].url(), &sam_token, sam_from).await);

    // The burst: Ana writes 2,000 messages (webhooks, each on a new connection, round
    // robin) while Alex sends 1,000 through the balancer, 8 at a time, each request on a
    // new connection; a request cut by the kill is sent again with its client id.
    let sim = h.demo.sim.clone();
    let inbound = tokio::spawn(async move {
        for n in 0..INBOUND {
            sim.guest_sends_text(ANA, &format!("Inbound {n}")).unwrap();
            if n % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let send_url = format!("{}/v1/threads/{}/messages", balancer.url(), thread.id);
    let token = h.token.clone();
    let outbound = tokio::spawn(async move {
        futures_util::stream::iter(0..OUTBOUND)
            .map(|n| {
                let (http, send_url, token) = (http.clone(), send_url.clone(), token.clone());
                async move {
                    let body = json!({ "client_id": multiline_domain::ids::ClientMessageId::random(), "text": format!("Outbound {n}") });
                    for _ in 0..20 {
                        match http.post(&send_url).bearer_auth(&token).json(&body).send().await {
                            Ok(r) if r.status() == 202 => {
                                return r.json::<Message>().await.unwrap();
                            }
                            Ok(r) => panic!("send {n}: {} {}", r.status(), r.text().await.unwrap()),
                            // Cut by the kill: the same client id again (never a second message).
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        }
                    }
                    panic!("send {n} was never accepted");
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<Message>>()
            .await
    });

    // When WhatsApp had the first of the sends, and when the last (sampled every 2 ms).
    let received_out = |sim: &wa_sim::Simulator| {
        sim.received(ANA)
            .iter()
            .filter(|r| r.text.starts_with("Outbound "))
            .count()
    };
    let arrivals = Arc::new(Mutex::new((None::<Instant>, Instant::now(), 0usize)));
    let sampler = {
        let (sim, arrivals) = (h.demo.sim.clone(), arrivals.clone());
        tokio::spawn(async move {
            loop {
                let n = received_out(&sim);
                {
                    let mut a = arrivals.lock().unwrap();
                    if n > a.2 {
                        let now = Instant::now();
                        let first = *a.0.get_or_insert(now);
                        *a = (Some(first), now, n);
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    // Instance 2 dies once WhatsApp has a couple of hundred of the sends.
    tokio::time::timeout(Duration::from_secs(120), async {
        while received_out(&h.demo.sim) < 200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("sends reached WhatsApp before the kill");
    instances[2].kill();
    let killed_at = Instant::now();
    inbound.await.unwrap();
    let accepted = outbound.await.unwrap();
    assert_eq!(accepted.len(), OUTBOUND);

    // Everything settles: every inbound message stored, every send out or (in flight at the
    // dead instance, after its lease) not confirmed.
    let inbound_stored = || {
        let thread_id = thread.id;
        store.read(move |tx| tx.messages(thread_id)).unwrap()
    };
    let settled = tokio::time::timeout(Duration::from_secs(240), async {
        loop {
            // The simulator retries a delivery the kill cut after 10 s, by its clock.
            h.advance(chrono::Duration::seconds(1));
            let stored = tokio::task::block_in_place(inbound_stored);
            let inbound = stored
                .iter()
                .filter(|m| m.direction == Direction::Inbound && text(m).starts_with("Inbound "))
                .count();
            let unsettled = stored
                .iter()
                .filter(|m| m.direction == Direction::Outbound)
                .filter(|m| m.state < DeliveryState::Sent && m.state != DeliveryState::Unconfirmed)
                .count();
            if inbound == INBOUND && unsettled == 0 && h.demo.sim.pending_webhooks() == 0 {
                return stored;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        let logs: Vec<String> = instances
            .iter()
            .map(|i| std::fs::read_to_string(&i.log).unwrap_or_default())
            .collect();
        panic!("the burst settled; the instances' logs: {logs:#?}")
    });
    let settled_after = killed_at.elapsed();

    // Nothing accepted was lost, nothing stored twice.
    let inbound_texts: Vec<&str> = settled
        .iter()
        .filter(|m| m.direction == Direction::Inbound && text(m).starts_with("Inbound "))
        .map(text)
        .collect();
    let unique: BTreeSet<&str> = inbound_texts.iter().copied().collect();
    assert_eq!((inbound_texts.len(), unique.len()), (INBOUND, INBOUND));
    let by_id: BTreeMap<_, &Message> = settled.iter().map(|m| (m.id, m)).collect();
    // Nothing went to WhatsApp twice; what went out is recorded as such.
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for r in h.demo.sim.received(ANA) {
        *times.entry(r.text.clone()).or_default() += 1;
    }
    let mut not_confirmed = 0;
    for sent in &accepted {
        let stored = by_id
            .get(&sent.id)
            .unwrap_or_else(|| panic!("{sent:?} kept"));
        let went = times.get(text(sent)).copied().unwrap_or(0);
        assert!(went <= 1, "{:?} went to WhatsApp {went} times", text(sent));
        if stored.state == DeliveryState::Unconfirmed {
            assert_eq!(
                went, 0,
                "{stored:?}: WhatsApp's status would have settled it"
            );
            not_confirmed += 1;
        } else {
            assert!(stored.state >= DeliveryState::Sent, "{stored:?}");
            assert_eq!(went, 1, "{stored:?}");
        }
    }
    let outbound_ids: BTreeSet<_> = accepted.iter().map(|m| m.id).collect();
    assert_eq!(outbound_ids.len(), OUTBOUND, "one message per client id");
    assert!(
        not_confirmed <= 1,
        "at most the send in flight at the kill: {not_confirmed}"
    );
    // Within the line's rate (80/s with a burst of 80), whichever instance sent: from the
    // first to the last, at least (n - 80) / 80 seconds (less the sampling's 2 ms).
    sampler.abort();
    let (first, last, n) = *arrivals.lock().unwrap();
    assert_eq!(n, OUTBOUND - not_confirmed);
    let took = last - first.unwrap();
    let floor = Duration::from_secs_f64((n - 80) as f64 / 80.0) - Duration::from_millis(20);
    assert!(
        took >= floor,
        "{n} sends in {took:?}, faster than the line's rate allows"
    );

    // Both users heard every event of the thread once, in order: numbered without a gap or
    // a repeat, every message of the burst among them, each message's states moving forward.
    for (who, events, from) in [
        ("Alex", &alex_events, alex_from),
        ("Sam", &sam_events, sam_from),
    ] {
        let expected: BTreeSet<_> = settled
            .iter()
            .filter(|m| text(m).starts_with("Inbound ") || outbound_ids.contains(&m.id))
            .map(|m| m.id)
            .collect();
        assert_eq!(expected.len(), INBOUND + OUTBOUND);
        let events = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let seen = events.lock().unwrap().clone();
                let messages: BTreeSet<_> = seen
                    .iter()
                    .filter_map(message_event)
                    .map(|m| m.id)
                    .collect();
                if expected.is_subset(&messages) {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            let seen = events.lock().unwrap();
            let messages: BTreeSet<_> = seen
                .iter()
                .filter_map(message_event)
                .map(|m| m.id)
                .collect();
            panic!(
                "{who} heard of every message: {} of {} missing, {} events",
                expected.difference(&messages).count(),
                expected.len(),
                seen.len()
            )
        });
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        let contiguous: Vec<u64> = (from + 1..from + 1 + seqs.len() as u64).collect();
        assert_eq!(
            seqs, contiguous,
            "{who}'s events, numbered once each and in order"
        );
        let mut last: BTreeMap<_, DeliveryState> = BTreeMap::new();
        for m in events.iter().filter_map(message_event) {
            if let Some(before) = last.insert(m.id, m.state) {
                assert!(
                    m.state >= before
                        || m.state == DeliveryState::Unconfirmed
                        || before == DeliveryState::Unconfirmed,
                    "{who}: {m:?} after {before:?}"
                );
            }
        }
    }
    assert_eq!(
        h.demo.sim.template_listings() - listed_before,
        1,
        "one of the three instances starting together synced the templates"
    );
    eprintln!(
        "three instances: {INBOUND} in, {OUTBOUND} out, {not_confirmed} not confirmed; settled {settled_after:?} after the kill"
    );
}
