//! The guest phone page and the control endpoints it uses, on a simulator alone on loopback.

use std::sync::Arc;

use multiline_domain::time::SystemClock;
use wa_sim::{SimConfig, Simulator};

#[tokio::test]
async fn the_guest_phone_lists_guests_and_shows_what_they_received() {
    let sim = Simulator::start(
        SimConfig::demo(),
        Arc::new(SystemClock),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await
    .unwrap();
    sim.add_guest("447911123456", "Ben Carter");
    sim.add_guest("12025550147", "Ana Silva");
    let mut token = reqwest::header::HeaderMap::new();
    token.insert("x-sim-token", sim.control_token().parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(token)
        .build()
        .unwrap();
    let base = sim.base_url();

    let page = http.get(format!("{base}/guest")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Guest phone") && html.contains("/control/guests"));

    let guests: serde_json::Value = http
        .get(format!("{base}/control/guests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(guests[0]["name"], "Ana Silva", "by name");
    assert_eq!(guests[1]["wa_id"], "447911123456");

    // A picture the guest sends is stored and can be shown again by its media id.
    let png = b"\x89PNG\r\n\x1a\n-rest-of-a-png".to_vec();
    let r = http
        .post(format!(
            "{base}/control/guests/12025550147/image?caption=Hi"
        ))
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.pending_webhooks(), 1, "a webhook announces it");
    let ids = sim.media_ids();
    assert_eq!(ids.len(), 1, "the picture is stored");
    let id = &ids[0];
    let shown = http
        .get(format!("{base}/control/media/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.headers()["content-type"], "image/png");
    assert_eq!(shown.bytes().await.unwrap().to_vec(), png);
    let missing = http
        .get(format!("{base}/control/media/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
