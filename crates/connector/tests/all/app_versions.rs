//! Versions that agree: `GET /v1/version`, and an app older than the connector serves told
//! so on every request that names its version; newer apps and callers that name none served.

use multiline_connector::api::MIN_APP_VERSION;
use multiline_domain::api::APP_VERSION_HEADER;
use serde_json::{Value, json};

use crate::support::Harness;

const ALEX: &str = "alex@northwind.example";
const PASSWORD: &str = "multiline-demo";

/// A version older than any the connector serves (the minimum's patch below zero is not a
/// version: its major number, one less, or a pre-release of it).
fn older_than_minimum() -> String {
    let min = semver::Version::parse(MIN_APP_VERSION).unwrap();
    if min.major > 0 {
        format!("{}.0.0", min.major - 1)
    } else {
        format!("{min}-alpha.1")
    }
}

#[tokio::test]
async fn the_connector_says_its_version_and_the_oldest_app_it_serves_to_anyone() {
    let h = Harness::start().await;
    let answer = h.http.get(h.url("/v1/version")).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["min_app_version"], MIN_APP_VERSION);
    assert!(
        semver::Version::parse(MIN_APP_VERSION).unwrap()
            <= semver::Version::parse(env!("CARGO_PKG_VERSION")).unwrap(),
        "the connector serves the app of its own release"
    );
}

#[tokio::test]
async fn an_app_too_old_is_answered_426_with_what_to_do_on_every_request() {
    let h = Harness::start().await;
    let (token, _) = h.signed_in(ALEX, PASSWORD).await;
    let old = older_than_minimum();
    let sign_in = h
        .http
        .post(h.url("/v1/session"))
        .header(APP_VERSION_HEADER, &old)
        .json(&json!({ "email": ALEX, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 426);
    let body: Value = sign_in.json().await.unwrap();
    assert_eq!(body["error"]["code"], "app_too_old");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("({old})"))
            && message.contains(&format!("install MultiLine {MIN_APP_VERSION} or newer")),
        "{message}"
    );
    // With a session from a newer app, on any route, the WebSocket's included.
    for path in ["/v1/me", "/v1/threads", "/v1/events?after=0"] {
        let answer = h
            .http
            .get(h.url(path))
            .bearer_auth(&token)
            .header(APP_VERSION_HEADER, &old)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 426, "{path}");
    }
}

#[tokio::test]
async fn newer_apps_and_callers_that_name_no_version_are_served() {
    let h = Harness::start().await;
    for named in [
        Some("99.0.0"),
        Some(env!("CARGO_PKG_VERSION")),
        Some("dev"),
        None,
    ] {
        let mut request = h
            .http
            .post(h.url("/v1/session"))
            .json(&json!({ "email": ALEX, "password": PASSWORD }));
        if let Some(version) = named {
            request = request.header(APP_VERSION_HEADER, version);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 200, "{named:?}");
        let token = answer.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut me = h.http.get(h.url("/v1/me")).bearer_auth(&token);
        if let Some(version) = named {
            me = me.header(APP_VERSION_HEADER, version);
        }
        assert_eq!(me.send().await.unwrap().status(), 200, "{named:?}");
    }
}
