//! The OpenAPI document: generated from the handlers' annotations, committed as
//! `docs/openapi.json`, served at `GET /v1/openapi.json`, and every operation in it routed.

use crate::support::Harness;

fn committed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_committed_document_is_current() {
    let generated = multiline_connector::api::openapi()
        .to_pretty_json()
        .expect("serializes");
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is out of date: run `make openapi`"
    );
}

#[tokio::test]
async fn the_served_document_is_the_generated_one_and_every_operation_is_routed() {
    let h = Harness::start().await;
    let served: serde_json::Value = h
        .http
        .get(h.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let generated = serde_json::to_value(multiline_connector::api::openapi()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));

    let line = h.line_webhook();
    let line_id = line.rsplit('/').next().unwrap().to_owned();
    let paths = served["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let url = h.url(
                &path
                    .replace("{line}", &line_id)
                    .replace("{id}", &crate::support::fresh_uuid().to_string()),
            );
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // No token: a routed operation answers 401 (or, for the webhook's verification
            // and sign-in, its own refusal); only an unknown route reaches the 404 fallback.
            let status = h
                .http
                .request(method.clone(), &url)
                .send()
                .await
                .unwrap()
                .status();
            let expected = match (op.get("security").is_some(), path.as_str(), method.as_str()) {
                (true, _, _) => 401,
                (false, "/webhooks/whatsapp/{line}", "GET") => 403,
                (false, "/webhooks/whatsapp/{line}", "POST") => 401,
                // The carrier's callbacks: unsigned, refused before anything is read.
                (false, p, "POST") if p.starts_with("/webhooks/carrier/{line}/") => 401,
                (false, "/v1/session", "POST") => 400,
                (false, "/v1/version", "GET") => 200,
                other => panic!("an operation without security: {other:?}"),
            };
            assert_eq!(status.as_u16(), expected, "{method} {path}");
            let refusal = &op["responses"]["4XX"]["content"]["application/json"]["schema"];
            assert!(
                refusal.to_string().contains("ErrorBody")
                    || path.starts_with("/webhooks") && method == reqwest::Method::GET,
                "{method} {path} documents its refusals: {op}"
            );
        }
    }
    assert!(operations >= 25, "{operations} operations");
    let unknown = h.http.get(h.url("/v1/nothing-here")).send().await.unwrap();
    assert_eq!(unknown.status(), 404, "the fallback, for contrast");
}
