//! Abuse limits: wrong passwords throttled, a sign-in flood that does not grow the process,
//! slow or idle clients that cannot hold the server.

use std::time::Duration;

use chrono::TimeZone;
use multiline_connector::serve::ServerLimits;
use multiline_connector::server::Connector;
use multiline_domain::time::ManualClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::served::{PASSWORD, Served};
use crate::support::Harness;

async fn sign_in(h: &Harness, password: &str) -> reqwest::Response {
    h.sign_in(multiline_demo::USERS[0].1, password).await
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_with_retry_after_until_the_lock_ends() {
    let h = Harness::start().await;
    let (_, _, right) = multiline_demo::USERS[0];
    for _ in 0..5 {
        let r = sign_in(&h, "not-the-password").await;
        assert_eq!(r.status(), 400);
    }
    // Locked: even the right password is not checked.
    let r = sign_in(&h, right).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert_eq!(
        body["error"]["message"],
        "Too many wrong passwords: try again in 30 seconds."
    );
    h.advance(chrono::Duration::seconds(29));
    assert_eq!(sign_in(&h, right).await.headers()["retry-after"], "1");
    // On time, the real user is in.
    h.advance(chrono::Duration::seconds(1));
    assert_eq!(sign_in(&h, right).await.status(), 200);
    // The lock is in the organization's audit, for the account and for the address.
    let env = h.demo.connector.ctx.env();
    let org = h.demo.org;
    let audit = multiline_connector::usecases::accounts::audit_record(&env, org).unwrap();
    let locks: Vec<_> = audit
        .iter()
        .filter(|a| a["action"] == "sign_in.locked")
        .map(|a| a["detail"]["locked"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(locks, ["account", "address"]);
}

#[tokio::test]
async fn a_flood_of_sign_ins_keeps_the_connectors_memory_flat() {
    let served = Served::start(None).await;
    let http = reqwest::Client::new();
    assert_eq!(served.sign_in(&http, PASSWORD).await.0, 200);
    let before = served.rss();
    let attempts = (0..200).map(|_| served.sign_in(&http, PASSWORD));
    let answers = futures_util::future::join_all(attempts).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "every attempt signed in: {:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let after = served.rss();
    eprintln!(
        "RSS before the flood {} MiB, after {} MiB",
        before >> 20,
        after >> 20
    );
    let grown = after.saturating_sub(before);
    assert!(
        grown <= 50 * 1024 * 1024,
        "RSS grew by {} MiB ({} -> {} MiB)",
        grown >> 20,
        before >> 20,
        after >> 20
    );
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_lock_a_signed_in_user_out() {
    // Started as a service manager would: 1,024 open files at most, unless raised.
    let served = Served::start(Some(1024)).await;
    let http = reqwest::Client::new();
    let token = served.sign_in(&http, PASSWORD).await.1.unwrap();
    let addr = served.url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..1100 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // A new client (a new connection) is still served, at once.
    let fresh = reqwest::Client::new();
    let me = tokio::time::timeout(
        Duration::from_secs(10),
        fresh
            .get(format!("{}/v1/me", served.url))
            .bearer_auth(&token)
            .send(),
    )
    .await
    .expect("answered while 1,100 connections sit idle")
    .unwrap();
    assert_eq!(me.status(), 200);
    drop(idle);
}

/// A connector on an empty store whose server gives clients `limits`.
async fn with_limits(limits: ServerLimits) -> (Connector, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap(),
    ));
    let mut ctx = multiline_connector::admin::open(dir.path(), clock).unwrap();
    ctx.server_limits = limits;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let connector = Connector::start_with(ctx, listener, None).await.unwrap();
    (connector, dir)
}

/// Reads until the server closes the connection (what it answered before, if anything);
/// fails if it is still open after `within`.
async fn closed_by_server(stream: &mut tokio::net::TcpStream, within: Duration) -> String {
    let mut got = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut got))
        .await
        .expect("the server closed the connection")
        .ok();
    String::from_utf8_lossy(&got).into_owned()
}

fn short() -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    }
}

#[tokio::test]
async fn a_silent_or_slow_client_is_disconnected_by_the_server() {
    let (connector, _dir) = with_limits(short()).await;
    let addr = connector.addr();
    // Connected, says nothing.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    closed_by_server(&mut silent, Duration::from_secs(10)).await;
    // Half its headers, then nothing (a slowloris).
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /v1/me HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    closed_by_server(&mut slow, Duration::from_secs(10)).await;
    // One request, then an idle keep-alive connection.
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = closed_by_server(&mut kept, Duration::from_secs(10)).await;
    assert!(answered.starts_with("HTTP/1.1 404"), "{answered}");
    // A body that never arrives: 408.
    let mut body = tokio::net::TcpStream::connect(addr).await.unwrap();
    body.write_all(
        b"POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"",
    )
    .await
    .unwrap();
    let answered = closed_by_server(&mut body, Duration::from_secs(10)).await;
    assert!(answered.starts_with("HTTP/1.1 408"), "{answered}");
    connector.shutdown().await;
}
