//! Bad input, endpoint by endpoint: each answer is a 4xx with a stable code and a sentence in
//! the API's error shape, and nothing is written anywhere (every table's row count is the
//! same before and after).

use crate::support::Harness;
use multiline_domain::ids::ClientMessageId;
use serde_json::json;

/// What a bad request is, and the answer it must get.
struct Case {
    what: &'static str,
    method: reqwest::Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn json_case(
    what: &'static str,
    path: &str,
    body: serde_json::Value,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        what,
        method: reqwest::Method::POST,
        path: path.to_owned(),
        content_type: Some("application/json"),
        body: body.to_string().into_bytes(),
        status,
        code,
    }
}

fn raw_case(
    what: &'static str,
    path: &str,
    content_type: Option<&'static str>,
    body: &[u8],
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        what,
        method: reqwest::Method::POST,
        path: path.to_owned(),
        content_type,
        body: body.to_vec(),
        status,
        code,
    }
}

#[tokio::test]
async fn every_bad_request_gets_a_stable_code_and_writes_nothing() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    let contacts: Vec<multiline_domain::api::Contact> = h.get("/v1/contacts?q=Ben").await;
    let ben = &contacts[0];
    let messages = format!("/v1/threads/{}/messages", thread.id);
    let templates = format!("/v1/threads/{}/templates", thread.id);
    let template = |name: &str, values: serde_json::Value| json!({ "client_id": ClientMessageId::random(), "name": name, "language": "en_US", "values": values });
    let cases = vec![
        // The body itself.
        raw_case(
            "invalid JSON",
            &messages,
            Some("application/json"),
            br#"{"client_id": "#,
            400,
            "invalid_json",
        ),
        raw_case(
            "not JSON at all",
            &messages,
            Some("application/json"),
            b"\xff\xfe\x00garbage",
            400,
            "invalid_json",
        ),
        raw_case(
            "no content type",
            &messages,
            None,
            br#"{"text":"hi"}"#,
            400,
            "unsupported_media_type",
        ),
        raw_case(
            "oversized body",
            &messages,
            Some("application/json"),
            format!(
                r#"{{"client_id":"{}","text":"{}"}}"#,
                ClientMessageId::random(),
                "x".repeat(2 * 1024 * 1024)
            )
            .as_bytes(),
            413,
            "body_too_large",
        ),
        json_case(
            "unknown field",
            &messages,
            json!({ "client_id": ClientMessageId::random(), "text": "hi", "priority": "high" }),
            400,
            "invalid_body",
        ),
        json_case(
            "wrong type",
            &messages,
            json!({ "client_id": ClientMessageId::random(), "text": 42 }),
            400,
            "invalid_body",
        ),
        json_case(
            "missing field",
            &messages,
            json!({ "text": "hi" }),
            400,
            "invalid_body",
        ),
        json_case(
            "client id not a UUID",
            &messages,
            json!({ "client_id": "abc", "text": "hi" }),
            400,
            "invalid_body",
        ),
        json_case(
            "empty text",
            &messages,
            json!({ "client_id": ClientMessageId::random(), "text": "   " }),
            400,
            "empty_message",
        ),
        json_case(
            "text over 4096 characters",
            &messages,
            json!({ "client_id": ClientMessageId::random(), "text": "é".repeat(4097) }),
            400,
            "message_too_long",
        ),
        // Phone numbers.
        json_case(
            "phone number too short",
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": "+1234" }),
            400,
            "invalid_body",
        ),
        json_case(
            "a phone number that is words",
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": "call me maybe" }),
            400,
            "invalid_body",
        ),
        // The API takes numbers in E.164 form; formatting them is the app's job.
        json_case(
            "a number with spaces and keypad letters",
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": "+44 79ll 123456" }),
            400,
            "invalid_body",
        ),
        json_case(
            "a valid number that is not the contact's",
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": "+12025550147" }),
            400,
            "unknown_number",
        ),
        // The form is right, the number is not (no such area code): a contact cannot keep it.
        json_case(
            "a contact's number that is not valid for its country",
            "/v1/contacts",
            json!({ "name": "Nobody", "phones": [{ "number": "+11115550147", "label": "mobile" }] }),
            400,
            "invalid_phone",
        ),
        // Valid, but not in the standard form (a trunk 0 kept): refused, not stored as typed.
        json_case(
            "a contact's number with its trunk 0 kept",
            "/v1/contacts",
            json!({ "name": "Nobody", "phones": [{ "number": "+4407911123457", "label": "mobile" }] }),
            400,
            "invalid_phone",
        ),
        json_case(
            "phone number without country",
            "/v1/threads",
            json!({ "contact_id": ben.id, "phone": "07911123456" }),
            400,
            "invalid_body",
        ),
        // Templates.
        json_case(
            "unknown template",
            &templates,
            template("no_such_template", json!([])),
            400,
            "unknown_template",
        ),
        json_case(
            "template in another language",
            &templates,
            template(
                "conversation_restart",
                json!([{ "part": "body", "key": "1", "value": "Ana" }]),
            )
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert("language".into(), json!("fr_FR"));
                serde_json::Value::Object(o)
            })
            .unwrap(),
            400,
            "unknown_template",
        ),
        json_case(
            "too few variables",
            &templates,
            template(
                "appointment_reminder",
                json!([{ "part": "body", "key": "1", "value": "Ana" }]),
            ),
            400,
            "invalid_template_values",
        ),
        json_case(
            "too many variables",
            &templates,
            template(
                "conversation_restart",
                json!([
            { "part": "body", "key": "1", "value": "Ana" }, { "part": "body", "key": "2", "value": "extra" }]),
            ),
            400,
            "invalid_template_values",
        ),
        json_case(
            "a variable with a new line",
            &templates,
            template(
                "conversation_restart",
                json!([{ "part": "body", "key": "1", "value": "Ana\nSilva" }]),
            ),
            400,
            "invalid_template_values",
        ),
        json_case(
            "a template not approved",
            &templates,
            template(
                "spring_offer",
                json!([{ "part": "body", "key": "1", "value": "May" }]),
            ),
            400,
            "template_not_approved",
        ),
        // Pictures.
        raw_case(
            "a text file as a picture",
            "/v1/media",
            Some("image/jpeg"),
            b"hello",
            400,
            "not_an_image",
        ),
        raw_case(
            "a GIF",
            "/v1/media",
            Some("image/gif"),
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
            400,
            "not_an_image",
        ),
        raw_case(
            "a picture over 5 MB",
            "/v1/media",
            Some("image/jpeg"),
            &vec![0xFF; 5 * 1024 * 1024 + 1],
            413,
            "image_too_large",
        ),
        json_case(
            "sending a picture never uploaded",
            &format!("/v1/threads/{}/pictures", thread.id),
            json!({ "client_id": ClientMessageId::random(), "media_id": crate::support::fresh_uuid() }),
            400,
            "unknown_media",
        ),
        // Ids and participants.
        json_case(
            "a thread id that is not an id",
            "/v1/threads/not-an-id/messages",
            json!({ "client_id": ClientMessageId::random(), "text": "hi" }),
            404,
            "not_found",
        ),
        json_case(
            "a thread that does not exist",
            &format!("/v1/threads/{}/messages", crate::support::fresh_uuid()),
            json!({ "client_id": ClientMessageId::random(), "text": "hi" }),
            404,
            "not_found",
        ),
        json_case(
            "an unknown participant operation",
            &format!("/v1/threads/{}/participants", thread.id),
            json!({ "op": "promote" }),
            400,
            "invalid_body",
        ),
        // Sign-in.
        json_case(
            "sign-in with a wrong password",
            "/v1/session",
            json!({ "email": "alex@northwind.example", "password": "wrong password" }),
            400,
            "invalid_credentials",
        ),
        json_case(
            "sign-in without a password",
            "/v1/session",
            json!({ "email": "alex@northwind.example" }),
            400,
            "invalid_body",
        ),
    ];

    let before = h.row_counts();
    for case in cases {
        let mut request = h
            .http
            .request(case.method.clone(), h.url(&case.path))
            .bearer_auth(&h.token)
            .body(case.body.clone());
        if let Some(ct) = case.content_type {
            request = request.header("content-type", ct);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), case.status, "{}", case.what);
        let body: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.what));
        assert_eq!(body["error"]["code"], case.code, "{}: {body}", case.what);
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() >= 10 && !message.contains("panicked") && !message.contains("rusqlite"),
            "{}: {message:?}",
            case.what
        );
    }
    let after = h.row_counts();
    assert_eq!(before, after, "nothing written");
}
