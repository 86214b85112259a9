//! The app and the connector give the same refusal for the same facts: both take the
//! domain's one decision (`policy::decide`). For each situation, the core is asked to send
//! (and must refuse before anything is queued), then the connector is asked directly with
//! the same session (and must answer the same code and sentence).

use std::time::Duration;

use multiline_client::Client;
use multiline_client::view::AppError;
use multiline_demo::Demo;
use multiline_domain::api::{Channel, FilledValue, Message};
use multiline_domain::consent::Consent;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, ThreadId};
use multiline_domain::templates::Part;
use serde_json::json;

const ANA: &str = "12025550147";

/// What the connector answers when asked directly, as `(code, message)`.
async fn connector_says(
    demo: &Demo,
    client: &Client,
    thread: ThreadId,
    path: &str,
    body: serde_json::Value,
) -> (ErrorCode, String) {
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/threads/{thread}/{path}",
            demo.connector.url()
        ))
        .bearer_auth(client.token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let body: serde_json::Value = r.json().await.unwrap();
    (
        serde_json::from_value(body["error"]["code"].clone()).unwrap(),
        body["error"]["message"].as_str().unwrap().to_owned(),
    )
}

/// The core refuses `text` in `thread` before queueing anything, as the connector does.
async fn both_refuse_text(demo: &Demo, client: &Client, thread: ThreadId, text: &str) -> ErrorCode {
    let before: Vec<Message> = client.messages(thread).await.unwrap();
    let app: AppError = client
        .send_text(thread, text.to_owned())
        .await
        .expect_err("the core refuses")
        .into();
    assert_eq!(
        client.messages(thread).await.unwrap(),
        before,
        "nothing was queued for {:?}",
        app.code
    );
    let connector = connector_says(
        demo,
        client,
        thread,
        "messages",
        json!({ "client_id": ClientMessageId::random(), "text": text }),
    )
    .await;
    assert_eq!((app.code, app.message), connector);
    connector.0
}

async fn both_refuse_template(demo: &Demo, client: &Client, thread: ThreadId) -> ErrorCode {
    let value = FilledValue {
        part: Part::Body,
        key: "1".into(),
        value: "Ana".into(),
    };
    let app: AppError = client
        .send_template(
            thread,
            "conversation_restart".into(),
            "en_US".into(),
            vec![value.clone()],
        )
        .await
        .expect_err("the core refuses")
        .into();
    let connector = connector_says(
        demo,
        client,
        thread,
        "templates",
        json!({ "client_id": ClientMessageId::random(), "name": "conversation_restart",
                "language": "en_US", "values": [value] }),
    )
    .await;
    assert_eq!((app.code, app.message), connector);
    connector.0
}

async fn thread_on(client: &Client, channel: Channel, name: &str) -> ThreadId {
    client
        .threads()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.channel == channel && t.contact_name == name)
        .unwrap_or_else(|| panic!("{name}'s {channel:?} thread"))
        .id
}

#[tokio::test]
async fn the_app_and_the_connector_refuse_the_same_things_with_the_same_words() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, client, clock) = crate::support::demo_with_clock(dir.path()).await;
    let ana = thread_on(&client, Channel::Whatsapp, "Ana Silva").await;

    // Ana consented and wrote two hours ago: anything may go, within the limits.
    assert_eq!(
        both_refuse_text(&demo, &client, ana, &"x".repeat(5000)).await,
        ErrorCode::MessageTooLong
    );
    assert_eq!(
        both_refuse_text(&demo, &client, ana, "  \n ").await,
        ErrorCode::EmptyMessage
    );

    // By SMS the limit is 1,600 characters, and templates are WhatsApp's; nothing is sent in
    // a voicemail thread.
    let ben = thread_on(&client, Channel::Sms, "Ben Carter").await;
    assert_eq!(
        both_refuse_text(&demo, &client, ben, &"x".repeat(1601)).await,
        ErrorCode::MessageTooLong
    );
    assert_eq!(
        both_refuse_template(&demo, &client, ben).await,
        ErrorCode::WhatsappOnly
    );
    let david = thread_on(&client, Channel::Voicemail, "David Okafor").await;
    assert_eq!(
        both_refuse_text(&demo, &client, david, "Calling you back").await,
        ErrorCode::VoicemailOnly
    );

    // Ana opts out, and a day passes: the window is closed and she opted out. Not even a
    // template may go, so both say "opted out" (the app used to say "use a template").
    demo.sim.guest_sends_text(ANA, "STOP").unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let summary = client.thread_summary(ana).await.unwrap().unwrap();
            if matches!(summary.consent, Consent::Revoked { .. }) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the opt-out reached the app");
    clock.advance(chrono::Duration::hours(25));
    client.clock_moved();
    assert_eq!(
        both_refuse_text(&demo, &client, ana, "Are you still there?").await,
        ErrorCode::OptedOut
    );
    assert_eq!(
        both_refuse_template(&demo, &client, ana).await,
        ErrorCode::OptedOut
    );
    // Too long and opted out: opted out first (nothing can go; length is moot).
    assert_eq!(
        both_refuse_text(&demo, &client, ana, &"x".repeat(5000)).await,
        ErrorCode::OptedOut
    );
}
