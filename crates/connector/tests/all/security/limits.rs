//! Every text field has a limit (the domain's one table), enforced before anything is
//! stored or audited; numbers in queries are range-checked.

use multiline_domain::limits;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{ANA, Harness};

fn audit_len(h: &Harness) -> usize {
    let env = h.demo.connector.ctx.env();
    multiline_connector::usecases::accounts::audit_record(&env, h.demo.org)
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_oversized_company_or_label_is_refused_and_not_copied_into_the_audit() {
    let h = Harness::start().await;
    let before = audit_len(&h);
    let huge = "x".repeat(900 * 1024);
    let r = h
        .post(
            "/v1/contacts",
            json!({ "name": "Big Co", "company": huge, "phones": [] }),
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "A company can have at most 200 characters."
    );
    let label = "l".repeat(limits::PHONE_LABEL.max_chars + 1);
    let r = h
        .post(
            "/v1/contacts",
            json!({ "name": "Long label", "phones": [{ "number": format!("+{ANA}"), "label": label }] }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(audit_len(&h), before, "nothing audited");
    // At the limit, accepted.
    let r = h
        .post(
            "/v1/contacts",
            json!({ "name": "Exact", "company": "c".repeat(limits::COMPANY.max_chars), "phones": [] }),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn an_event_number_beyond_any_is_refused_not_wrapped() {
    let h = Harness::start().await;
    let ws = h.demo.connector.url().replacen("http", "ws", 1);
    let mut request = format!("{ws}/v1/events?after={}", u64::MAX)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", h.token).parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
        }
        Err(other) => panic!("expected a 400, got {other}"),
        Ok(_) => panic!("a socket replaying from a wrapped number was opened"),
    }
}

#[tokio::test]
async fn a_megabyte_password_is_refused_without_hashing_it() {
    let h = Harness::start().await;
    let (_, email, _) = multiline_demo::USERS[0];
    let r = h
        .http
        .post(h.url("/v1/session"))
        .json(&json!({ "email": email, "password": "p".repeat(900 * 1024) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials");
}
