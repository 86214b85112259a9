//! Several connector instances on one PostgreSQL database: any instance serves any request
//! (no sticky sessions), each user's sockets hear every event whichever instance committed
//! it, sends go out once whichever instance took them, and a message in flight belongs to
//! its instance until that instance's lease runs out.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{ANA, Harness, events_at, message_event, next_matching};
use multiline_connector::ctx::Ctx;
use multiline_connector::server::{CLAIM_LEASE, Connector};
use multiline_connector::store::StoreExt as _;
use multiline_connector::store::postgres::PgStore;
use multiline_connector::store::secrets::Sealer;
use multiline_domain::api::{DeliveryState, Direction, Message, MessageBody};
use wa_sim::Fault;

/// Another instance on `h`'s database: its own store (pool), its own listener, the same
/// clock.
async fn another_instance(h: &Harness) -> Connector {
    let url = h.db.as_ref().expect("on PostgreSQL").url.clone();
    let store =
        tokio::task::spawn_blocking(move || PgStore::connect(&url, Sealer::with_key(&[7; 32])))
            .await
            .unwrap()
            .unwrap();
    let mut ctx = Ctx::new(Arc::new(store), h.clock.clone());
    ctx.lease_check_every = Duration::from_millis(50);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Connector::start_with(ctx, listener, None).await.unwrap()
}

/// Waits (10 s at most) until `done`, without moving the clock: here the clock decides
/// whose claims have run out.
async fn until(done: impl Fn() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("it came to pass");
}

fn text(m: &Message) -> &str {
    match &m.body {
        MessageBody::Text { text } => text,
        _ => "",
    }
}

#[tokio::test]
async fn a_users_socket_on_one_instance_hears_what_another_instance_committed() {
    let h = Harness::on_postgres().await;
    let b = another_instance(&h).await;
    let thread = h.ana_thread().await;
    // The same session on both instances: sessions are in the database.
    let mut on_a = h.events(0).await;
    let mut on_b = events_at(&b.url(), &h.token, 0).await;

    // A note written through A is committed by A alone: B's socket can only hear it from
    // the database.
    let r = h
        .post(
            &format!("/v1/threads/{}/notes", thread.id),
            serde_json::json!({
                "client_id": multiline_domain::ids::ClientMessageId::random(),
                "text": "Parts arrive Tuesday",
            }),
        )
        .await;
    assert_eq!(r.status(), 201);
    next_matching(&mut on_b, |e| {
        message_event(e).is_some_and(|m| text(m) == "Parts arrive Tuesday")
    })
    .await;

    // Ana's webhook reaches instance A (the simulator's URL); both sockets hear it,
    // whichever instance's inbox worker applied it.
    h.demo.sim.guest_sends_text(ANA, "Is it ready?").unwrap();
    for socket in [&mut on_a, &mut on_b] {
        next_matching(socket, |e| {
            message_event(e)
                .is_some_and(|m| m.direction == Direction::Inbound && text(m) == "Is it ready?")
        })
        .await;
    }

    // Sends accepted by either instance go out once each, in the order accepted.
    let http = reqwest::Client::new();
    let mut sent = Vec::new();
    for n in 0..20 {
        let base = if n % 2 == 0 {
            h.demo.connector.url()
        } else {
            b.url()
        };
        let r = http
            .post(format!("{base}/v1/threads/{}/messages", thread.id))
            .bearer_auth(&h.token)
            .json(&serde_json::json!({
                "client_id": multiline_domain::ids::ClientMessageId::random(),
                "text": format!("Update {n}"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        sent.push(format!("Update {n}"));
    }
    until(|| h.demo.sim.received(ANA).len() >= 20).await;
    let received: Vec<String> = h
        .demo
        .sim
        .received(ANA)
        .into_iter()
        .map(|r| r.text)
        .collect();
    assert_eq!(received, sent, "each once, in order");
    // B's socket heard each of them sent, though A may have sent them.
    next_matching(&mut on_b, |e| {
        message_event(e)
            .is_some_and(|m| text(m) == "Update 19" && m.state == DeliveryState::Delivered)
    })
    .await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_send_in_flight_is_its_instances_until_the_lease_runs_out() {
    let h = Harness::on_postgres().await;
    let thread = h.ana_thread().await;
    // A's send is slow at the Cloud API; B starts meanwhile and leaves it alone.
    h.demo.sim.inject_fault(Fault::Delay { ms: 1_000 }, 1);
    let first = h.send_text(&thread, "Sent by A").await;
    h.until_faults_met().await;
    let b = another_instance(&h).await;
    until(|| !h.demo.sim.received(ANA).is_empty()).await;
    let state =
        |h: &Harness, id| h.blocking(move |env| env.store.read(|tx| tx.message(id)).unwrap().state);
    tokio::time::timeout(Duration::from_secs(10), async {
        while state(&h, first.id) == DeliveryState::Sending {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("A recorded its send");
    assert_ne!(state(&h, first.id), DeliveryState::Unconfirmed);

    // A dies in the middle of a send: B takes its claim over once the lease ran out, as a
    // lone connector does at its start (not confirmed, never sent again).
    h.demo.sim.inject_fault(Fault::Hold, 1);
    let second = h.send_text(&thread, "A dies sending this").await;
    h.until_faults_met().await;
    h.demo.connector.shutdown().await;
    h.advance(CLAIM_LEASE - chrono::Duration::seconds(1));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state(&h, second.id),
        DeliveryState::Sending,
        "within the lease, the claim is A's"
    );
    h.advance(chrono::Duration::seconds(2));
    tokio::time::timeout(Duration::from_secs(10), async {
        while state(&h, second.id) != DeliveryState::Unconfirmed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("B recovered the dead instance's claim");
    b.shutdown().await;
}

#[test]
fn a_lines_send_rate_is_held_for_all_instances_on_the_databases_clock() {
    let db = crate::support::TestDatabase::new();
    let connect = || PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let (a, b) = (connect(), connect());
    let (line, other) = (crate::support::fresh_uuid(), crate::support::fresh_uuid());
    let one_a_second = std::num::NonZeroU32::new(1).unwrap();
    use multiline_connector::store::Store as _;
    assert_eq!(a.take_send_slot(line, one_a_second).unwrap(), None);
    // The slot A took is the line's: B waits for the next, at most a second.
    let wait = b
        .take_send_slot(line, one_a_second)
        .unwrap()
        .expect("no second slot within the second");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
    // Another line's slots are its own.
    assert_eq!(b.take_send_slot(other, one_a_second).unwrap(), None);
}

#[test]
fn periodic_work_is_one_instances_per_period() {
    let db = crate::support::TestDatabase::new();
    let connect = || PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).unwrap();
    let (a, b) = (connect(), connect());
    use multiline_connector::store::Store as _;
    let hour = Duration::from_secs(3600);
    assert!(a.claim_periodic("api version watch", hour).unwrap());
    assert!(
        !b.claim_periodic("api version watch", hour).unwrap(),
        "A has this period"
    );
    assert!(
        !a.claim_periodic("api version watch", hour).unwrap(),
        "once per period"
    );
    assert!(
        b.claim_periodic("paused lines probe", hour).unwrap(),
        "each job its own"
    );
    // A period of nothing: every claim starts a new one.
    assert!(
        b.claim_periodic("api version watch", Duration::ZERO)
            .unwrap()
    );
}

#[test]
fn instances_starting_together_on_a_new_database_all_start() {
    let db = crate::support::TestDatabase::new();
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                PgStore::connect(&url, Sealer::with_key(&[7; 32])).map(|_| ())
            })
        })
        .collect();
    for start in starts {
        start
            .join()
            .unwrap()
            .expect("each instance starts: one applies the schema, the others wait");
    }
}
