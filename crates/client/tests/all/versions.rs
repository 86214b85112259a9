//! Versions that agree, from the app's side: an app older than its connector serves is told
//! what to do before its password is sent; a newer app, or one whose connector is older than
//! `GET /v1/version`, keeps working with what the connector has.

use std::sync::Arc;
use std::time::Duration;

use multiline_client::view::AppError;
use multiline_client::{Client, ClientConfig};
use multiline_demo as demo;
use multiline_domain::errors::ErrorCode;
use multiline_domain::time::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::demo;

const ANA: &str = "12025550147";

fn config(dir: &std::path::Path, url: String, app_version: &str) -> ClientConfig {
    let mut config = ClientConfig::new(dir.join("app"), url, Arc::new(SystemClock));
    config.app_version = app_version.to_owned();
    config
}

#[tokio::test]
async fn an_app_older_than_the_connector_serves_says_which_version_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let old = format!("{}-alpha.1", multiline_connector::api::MIN_APP_VERSION);
    let (_, email, password) = demo::USERS[0];
    let refused = Client::sign_in(
        config(dir.path(), demo.connector.url(), &old),
        email,
        password,
    )
    .await
    .err()
    .expect("refused");
    let error = AppError::from(refused);
    assert_eq!(error.code, ErrorCode::AppTooOld);
    assert!(
        error.message.contains(&format!("({old})"))
            && error.message.contains(&format!(
                "install MultiLine {} or newer",
                multiline_connector::api::MIN_APP_VERSION
            )),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn the_app_asks_the_version_before_it_sends_a_password() {
    let (url, mut paths) = connector_answering(|path| match path {
        "/v1/version" => (200, r#"{"version":"9.1.0","min_app_version":"9.0.0"}"#),
        _ => (200, "{}"),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let error = Client::sign_in(config(dir.path(), url, "8.4.1"), "a@b.example", "password")
        .await
        .err()
        .expect("too old");
    let error = AppError::from(error);
    assert_eq!(error.code, ErrorCode::AppTooOld);
    assert!(error.message.contains("install MultiLine 9.0.0 or newer"));
    assert_eq!(paths.recv().await.unwrap(), "/v1/version");
    assert!(paths.try_recv().is_err(), "nothing else was asked");
}

/// A connector on loopback answering each request by its path with (status, JSON body);
/// the paths asked come through the channel.
async fn connector_answering(
    answer: fn(&str) -> (u16, &'static str),
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (paths_tx, paths) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = vec![0; 8192];
            let n = socket.read(&mut request).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            let (status, body) = answer(&path);
            let _ = paths_tx.send(path);
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, paths)
}

#[tokio::test]
async fn an_app_newer_than_its_connector_signs_in_syncs_and_sends() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let (_, email, password) = demo::USERS[0];
    let client = Client::sign_in(
        config(dir.path(), demo.connector.url(), "99.0.0"),
        email,
        password,
    )
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), client.wait_synced())
        .await
        .expect("first sync");
    let ana = client
        .threads()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.contact_name.starts_with("Ana"))
        .expect("the demo's thread with Ana");
    client
        .send_text(ana.id, "From a newer app".into())
        .await
        .unwrap();
    for _ in 0..100 {
        if demo
            .sim
            .received(ANA)
            .iter()
            .any(|r| r.text == "From a newer app")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulator never received the text");
}

/// A connector from before `GET /v1/version`: it answers 404 to it. The app goes on to sign
/// in (this one answers 404 to everything: the sign-in's own answer is what comes back).
#[tokio::test]
async fn a_connector_older_than_the_version_route_is_signed_in_to_as_before() {
    let (url, mut paths) = connector_answering(|_| {
        (
            404,
            r#"{"error":{"code":"not_found","message":"Not found."}}"#,
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let error = Client::sign_in(
        config(dir.path(), url, multiline_domain::version::THIS),
        "alex@northwind.example",
        "multiline-demo",
    )
    .await
    .err()
    .expect("this connector knows nobody");
    assert_eq!(AppError::from(error).code, ErrorCode::NotFound);
    assert_eq!(paths.recv().await.unwrap(), "/v1/version");
    assert_eq!(
        paths.recv().await.unwrap(),
        "/v1/session",
        "went on to sign in"
    );
}
