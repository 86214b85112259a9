//! Secrets at rest and in logs: the lines' access tokens, app secrets and verify tokens and
//! the carrier's auth token are sealed in the store (nowhere in its file), a store from
//! before is sealed when it opens, `rotate-key` seals everything with a new key, and a full
//! scenario logged at `trace` writes no secret.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use multiline_connector::usecases::accounts;
use multiline_domain::time::SystemClock;
use serde_json::{Value, json};

use crate::support::{connector_cmd as connector, run_ok as ok};

const ACCESS_TOKEN: &str = "EAAG-secret-access-token-4711";
const APP_SECRET: &str = "app-secret-0815-very-private";
const VERIFY_TOKEN: &str = "verify-token-1337-private";
const PASSWORD: &str = "a-long-enough-password-42";

/// An organization with a user, a WhatsApp line on `sim` and its carrier: (org, line).
fn organization(data: &Path, sim: &wa_sim::Simulator) -> (String, String) {
    let org = ok(connector(data).args(["org", "create", "--name", "Fjord"]));
    ok(connector(data).args(["org", "enable-whatsapp", "--org", &org]));
    ok(connector(data)
        .args([
            "create-user",
            "--org",
            &org,
            "--name",
            "Ines",
            "--email",
            "ines@fjord.example",
        ])
        .env("MULTILINE_PASSWORD", PASSWORD));
    let config = sim.config();
    let line = ok(connector(data)
        .args([
            "connect-number",
            "--org",
            &org,
            "--phone-number-id",
            &config.phone_number_id,
            "--waba-id",
            &config.waba_id,
            "--display-number",
            &config.display_phone_number,
            "--owner-email",
            "ines@fjord.example",
            "--api-base-url",
            &sim.base_url(),
        ])
        .env("WHATSAPP_ACCESS_TOKEN", &config.access_token)
        .env("WHATSAPP_APP_SECRET", &config.app_secret)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN));
    let twilio = sim.twilio_account();
    ok(connector(data)
        .args([
            "connect-carrier",
            "--org",
            &org,
            "--account-sid",
            &twilio.account_sid,
            "--number",
            &twilio.number,
            "--api-base-url",
            &sim.base_url(),
            "--public-url",
            "http://127.0.0.1:9",
        ])
        .env("CARRIER_AUTH_TOKEN", &twilio.auth_token));
    (org, line)
}

/// A simulator whose account has this test's own secrets.
async fn simulator() -> wa_sim::Simulator {
    let mut config = wa_sim::SimConfig::demo();
    config.access_token = ACCESS_TOKEN.into();
    config.app_secret = APP_SECRET.into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = wa_sim::Simulator::start(config, Arc::new(SystemClock), listener)
        .await
        .unwrap();
    sim.add_guest("12025550147", "Ana Silva");
    for template in multiline_demo::templates() {
        sim.add_template(template);
    }
    sim
}

/// Every byte of the store (with its write-ahead log).
fn store_bytes(data: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!(
            "{}{suffix}",
            multiline_connector::admin::store_path(data).display()
        );
        bytes.extend(std::fs::read(path).unwrap_or_default());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn secrets_are_sealed_in_the_store_and_a_new_key_seals_them_again() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (org, _) = organization(&data, &sim);
    let carrier_token = sim.twilio_account().auth_token.clone();
    let secrets = [
        ACCESS_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        carrier_token.as_str(),
    ];
    let bytes = store_bytes(&data);
    for secret in secrets {
        assert!(!contains(&bytes, secret), "{secret} is in the store's file");
    }
    let key = std::fs::read_to_string(data.join("secret.key")).unwrap();
    let read_back = || {
        let store = multiline_connector::admin::open_store(&data).unwrap();
        let ctx = multiline_connector::ctx::Ctx::new(Arc::new(store), Arc::new(SystemClock));
        accounts::line_of_org(&ctx.env(), org.parse().unwrap()).unwrap()
    };
    let line = read_back();
    assert_eq!(
        (line.access_token.as_str(), line.app_secret.as_str()),
        (ACCESS_TOKEN, APP_SECRET)
    );
    assert!(
        !format!("{line:?}").contains(ACCESS_TOKEN),
        "Debug leaves secrets out"
    );

    let said = ok(connector(&data).arg("rotate-key"));
    assert!(said.contains("sealed again"), "{said}");
    assert_ne!(
        std::fs::read_to_string(data.join("secret.key")).unwrap(),
        key
    );
    assert!(
        !data.join("secret.key.previous").exists(),
        "the old key is gone"
    );
    let line = read_back();
    assert_eq!(line.verify_token, VERIFY_TOKEN);
    assert_eq!(line.carrier.unwrap().auth_token, carrier_token);
}

#[tokio::test]
async fn a_store_from_before_sealing_is_sealed_when_it_opens() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    organization(&data, &sim);
    // As the previous version stored them: in plain text.
    let conn = rusqlite::Connection::open(multiline_connector::admin::store_path(&data)).unwrap();
    conn.execute(
        "UPDATE lines SET access_token = ?1, app_secret = ?2",
        [ACCESS_TOKEN, APP_SECRET],
    )
    .unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE").ok();
    drop(conn);
    assert!(contains(&store_bytes(&data), ACCESS_TOKEN));
    let store = multiline_connector::admin::open_store(&data).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(multiline_connector::admin::store_path(&data)).unwrap();
    let stored: String = conn
        .query_row("SELECT access_token FROM lines", [], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
}

#[tokio::test]
async fn a_full_scenario_logged_at_trace_writes_no_secret() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_, line) = organization(&data, &sim);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let log = dir.path().join("connector.log");
    let mut server = connector(&data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &url])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    sim.set_webhook_url(format!("{url}/webhooks/whatsapp/{line}"));
    sim.set_twilio_webhooks(
        format!("{url}/webhooks/carrier/{line}/sms"),
        format!("{url}/webhooks/carrier/{line}/voice"),
    );
    let http = reqwest::Client::new();
    crate::support::wait_serving(&url).await;
    // Signed in; a contact; the opt-in (a template: the access token), Ana's YES (a signed
    // webhook: the app secret), a text; a text by SMS and one back (the carrier's token).
    let signed: Value = http
        .post(format!("{url}/v1/session"))
        .json(&json!({ "email": "ines@fjord.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = signed["token"].as_str().unwrap().to_owned();
    let post = |path: &str, body: Value| {
        http.post(format!("{url}{path}"))
            .bearer_auth(&session)
            .json(&body)
            .send()
    };
    let contact: Value = post(
        "/v1/contacts",
        json!({ "name": "Ana Silva", "phones": [{ "number": "+12025550147", "label": "mobile" }] }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let open = |channel: &'static str| {
        post(
            "/v1/threads",
            json!({ "contact_id": contact["id"], "phone": "+12025550147", "channel": channel }),
        )
    };
    let client_id = || multiline_domain::ids::ClientMessageId::random();
    // Opened with the opt-in request (an unasked guest has no thread without it).
    let r = post(
        "/v1/threads",
        json!({ "contact_id": contact["id"], "phone": "+12025550147", "opt_in": client_id() }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let thread: Value = r.json().await.unwrap();
    let thread = thread["id"].as_str().unwrap().to_owned();
    let until = |what: &'static str, done: Box<dyn Fn() -> bool>| async move {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !done() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{what}"));
    };
    until(
        "the opt-in reached Ana",
        Box::new(|| !sim.received("12025550147").is_empty()),
    )
    .await;
    sim.guest_sends_text("12025550147", "YES").unwrap();
    until(
        "the webhooks were delivered",
        Box::new(|| sim.pending_webhooks() == 0),
    )
    .await;
    let mut sent = false;
    for _ in 0..200 {
        let r = post(
            &format!("/v1/threads/{thread}/messages"),
            json!({ "client_id": client_id(), "text": "Thanks, Ana" }),
        )
        .await
        .unwrap();
        if r.status() == 202 {
            sent = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(sent, "the text was accepted once Ana's YES was applied");
    until(
        "the text reached Ana",
        Box::new(|| sim.received("12025550147").len() >= 2),
    )
    .await;
    let sms: Value = open("sms").await.unwrap().json().await.unwrap();
    let r = post(
        &format!("/v1/threads/{}/messages", sms["id"].as_str().unwrap()),
        json!({ "client_id": client_id(), "text": "By text too" }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    until(
        "the SMS reached Ana",
        Box::new(|| !sim.texts_received("+12025550147").is_empty()),
    )
    .await;
    sim.guest_texts("+12025550147", "Got it").unwrap();
    until(
        "the SMS webhook was delivered",
        Box::new(|| sim.pending_webhooks() == 0),
    )
    .await;
    let _ = server.kill();
    let _ = server.wait();

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.len() > 1000,
        "a trace was written: {} bytes",
        logged.len()
    );
    let carrier_token = sim.twilio_account().auth_token.clone();
    for secret in [
        ACCESS_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        carrier_token.as_str(),
        PASSWORD,
        session.as_str(),
    ] {
        assert!(!logged.contains(secret), "the log holds {secret}");
    }
}
