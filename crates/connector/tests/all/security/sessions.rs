//! Sessions an admin ends: revoked or disabled from the command line while the connector
//! runs, the user's open event socket is closed at once and the token stops working; a
//! disabled user cannot sign in, and is no colleague to add.

use std::time::Duration;

use futures_util::StreamExt;

use crate::support::{Harness, Socket};

/// Runs an admin command against the running demo's store.
fn admin(h: &Harness, args: &[&str]) -> String {
    crate::support::run_ok(crate::support::connector_cmd(h.dir.path()).args(args))
}

/// Waits for the server to close the socket (a close frame or the end).
async fn closed(mut socket: Socket) {
    // Within a second when the machine is idle; the bound is for a busy one.
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(frame)) = socket.next().await {
            if frame.is_close() {
                return;
            }
        }
    })
    .await
    .expect("the server closed the event socket within seconds");
}

async fn me(h: &Harness) -> u16 {
    h.http
        .get(h.url("/v1/me"))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sign_in(h: &Harness, email: &str, password: &str) -> u16 {
    h.sign_in(email, password).await.status().as_u16()
}

#[tokio::test]
async fn revoking_a_users_sessions_closes_their_open_socket_at_once() {
    let h = Harness::start().await;
    let (_, email, password) = multiline_demo::USERS[0];
    let socket = h.events(0).await;
    assert_eq!(me(&h).await, 200);
    let said = admin(&h, &["sessions", "revoke", "--email", email]);
    assert!(said.contains("sessions of"), "{said}");
    closed(socket).await;
    assert_eq!(me(&h).await, 401);
    // Signing in again works (the app asks for it and keeps its data).
    assert_eq!(sign_in(&h, email, password).await, 200);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_cannot_sign_in_and_is_no_colleague() {
    let h = Harness::start().await;
    let (_, alex, alex_password) = multiline_demo::USERS[0];
    let (sam_name, sam, sam_password) = multiline_demo::USERS[1];
    let socket = h.events(0).await;
    admin(&h, &["user", "disable", "--email", alex]);
    closed(socket).await;
    assert_eq!(me(&h).await, 401);
    assert_eq!(sign_in(&h, alex, alex_password).await, 400);
    // Sam no longer sees Alex among the colleagues to add.
    let (sam_token, _) = h.signed_in(sam, sam_password).await;
    let colleagues: Vec<serde_json::Value> = h
        .http
        .get(h.url("/v1/users"))
        .bearer_auth(&sam_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!colleagues.is_empty());
    assert!(
        colleagues.iter().all(|c| c["email"] != alex),
        "{colleagues:?} ({sam_name})"
    );
    admin(&h, &["user", "enable", "--email", alex]);
    assert_eq!(sign_in(&h, alex, alex_password).await, 200);
}
