//! The demo's edges: the simulator's control API answers only this run's token, and never
//! a cross-site "simple" request (a page in the user's browser posting text or a form).

use crate::support::Harness;

#[tokio::test]
async fn the_simulators_control_api_needs_the_runs_token_and_json() {
    let h = Harness::start().await;
    let sim = &h.demo.sim;
    let http = reqwest::Client::new();
    let send = format!("{}/control/guests/12025550147/send", sim.base_url());
    let text = serde_json::json!({ "text": "injected" });
    let without = http.post(&send).json(&text).send().await.unwrap();
    assert_eq!(without.status(), 401);
    let wrong = http
        .post(&send)
        .header("x-sim-token", "guessed")
        .json(&text)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // What a web page can send without a preflight: a form or text/plain, with the token
    // in the query (it would have to know it, too).
    let simple = http
        .post(format!("{send}?token={}", sim.control_token()))
        .header("content-type", "text/plain")
        .body(r#"{"text":"injected"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(simple.status(), 401, "a POST's token is a header");
    let plain = http
        .post(&send)
        .header("x-sim-token", sim.control_token())
        .header("content-type", "text/plain")
        .body(r#"{"text":"injected"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    h.settle().await;
    assert_eq!(sim.pending_webhooks(), 0, "nothing reached the connector");
    let ok = http
        .post(&send)
        .header("x-sim-token", sim.control_token())
        .json(&text)
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    // The guest page itself is served without the token (it reads it from its fragment).
    let page = http
        .get(format!("{}/guest", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(sim.guest_url().contains("#token="));
}
