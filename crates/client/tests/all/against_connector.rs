//! The app core against the real connector and simulator on loopback: sign in, first sync,
//! live events, and the outbox across a connector that goes away and comes back.

use std::sync::Arc;
use std::time::Duration;

use multiline_client::cache::ThreadCursor;
use multiline_client::view::UiEvent;
use multiline_client::{Client, ClientConfig};
use multiline_connector::server::Connector;
use multiline_demo as demo;
use multiline_domain::api::{DeliveryState, Direction, MessageBody};
use multiline_domain::errors::ErrorCode;
use multiline_domain::templates::TemplateStatus;
use multiline_domain::time::SystemClock;

use crate::support::demo;

const ANA: &str = "12025550147";

async fn sign_in(dir: &std::path::Path, url: String) -> Client {
    let config = ClientConfig::new(dir.join("app"), url, Arc::new(SystemClock));
    let (_, email, password) = demo::USERS[0];
    let client = Client::sign_in(config, email, password).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), client.wait_synced())
        .await
        .expect("first sync");
    client
}

/// Waits for a UI event that matches (waiting for the system, never for time to pass).
async fn until(
    events: &mut tokio::sync::broadcast::Receiver<UiEvent>,
    what: impl Fn(&UiEvent) -> bool,
) -> UiEvent {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(e) if what(&e) => return e,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .expect("the expected event arrived")
}

#[tokio::test]
async fn first_sync_then_live_events() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    assert_eq!(
        client.contacts(None).await.unwrap().len(),
        demo::CONTACTS.len()
    );
    assert_eq!(
        client.contacts(Some("silva".into())).await.unwrap().len(),
        1
    );
    let threads = client.threads().await.unwrap();
    // The demo's: Ana on WhatsApp (newest), Ben's SMS and David's voicemail (F22).
    let channels: Vec<_> = threads
        .iter()
        .map(|t| (t.contact_name.as_str(), t.channel))
        .collect();
    use multiline_domain::api::Channel;
    assert_eq!(
        channels,
        [
            ("Ana Silva", Channel::Whatsapp),
            ("David Okafor", Channel::Voicemail),
            ("Ben Carter", Channel::Sms),
        ]
    );
    // The same rows page by page, each page after the last row of the one before.
    for limit in [1, 2] {
        let mut paged = Vec::new();
        loop {
            let after = paged.last().map(|r: &multiline_client::view::ThreadRow| {
                ThreadCursor::new(r.last_message_at, r.id)
            });
            let page = client.threads_page(after, limit).await.unwrap();
            let done = page.len() < limit;
            paged.extend(page);
            if done {
                break;
            }
        }
        assert_eq!(paged, threads, "pages of {limit}");
    }
    // What each may send, from the domain's rules: SMS text without consent or window,
    // no template by SMS, nothing in a voicemail thread.
    // The rows carry none of it: the open thread's summary does.
    use multiline_client::view::Composer;
    let sms = client.thread_summary(threads[2].id).await.unwrap().unwrap();
    let voicemail = client.thread_summary(threads[1].id).await.unwrap().unwrap();
    assert_eq!(sms.row, threads[2]);
    assert_eq!(sms.composer, Composer::Allowed);
    assert!(
        matches!(&sms.template, Composer::Refused { reason, .. } if *reason == ErrorCode::WhatsappOnly)
    );
    assert!(
        matches!(&voicemail.composer, Composer::Refused { reason, .. } if *reason == ErrorCode::VoicemailOnly)
    );
    // The picker's list: approved and paused ones, never the opt-in request (sent from its
    // own flow), never one still pending.
    let listed: Vec<(String, TemplateStatus)> = client
        .templates()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.status))
        .collect();
    assert!(listed.contains(&("summer_sale".into(), TemplateStatus::Approved)));
    assert!(listed.contains(&("winter_teaser".into(), TemplateStatus::Paused)));
    assert!(
        !listed
            .iter()
            .any(|(n, _)| n == "optin_request" || n == "spring_offer"),
        "{listed:?}"
    );

    let mut events = client.subscribe();
    demo.sim
        .guest_sends_text(ANA, "Live from the simulator")
        .unwrap();
    until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.body == MessageBody::Text { text: "Live from the simulator".into() })).await;
    let cached = client.messages(threads[0].id).await.unwrap();
    assert!(cached.iter().any(|m| m.direction == Direction::Inbound
        && m.body
            == MessageBody::Text {
                text: "Live from the simulator".into()
            }));
}

#[tokio::test]
async fn messages_written_offline_are_sent_once_in_order_when_the_connector_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let addr = demo.connector.addr();
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;
    let mut events = client.subscribe();

    demo.connector.shutdown().await;
    until(&mut events, |e| {
        matches!(
            e,
            UiEvent::SyncStateChanged {
                sync: multiline_client::view::SyncState::Offline { .. }
            }
        )
    })
    .await;
    let texts = ["first", "second", "third"];
    for text in texts {
        let queued = client.send_text(thread, text.into()).await.unwrap();
        assert_eq!(queued.state, DeliveryState::Sending, "shown at once");
    }

    // The connector comes back on the same address with the same store.
    let store = demo.connector.ctx.store.clone();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let back = Connector::start(store, Arc::new(SystemClock), listener)
        .await
        .unwrap();
    let line =
        multiline_connector::usecases::accounts::line_of_org(&back.ctx.env(), demo.org).unwrap();
    demo.sim.set_webhook_url(back.webhook_url(line.id));

    for text in texts {
        until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.body == MessageBody::Text { text: text.into() } && message.state >= DeliveryState::Sent)).await;
    }
    let received: Vec<String> = demo.sim.received(ANA).into_iter().map(|r| r.text).collect();
    assert_eq!(received, texts, "each delivered once, in order");
}

#[tokio::test]
async fn a_new_core_resumes_the_queue_of_one_that_was_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let addr = demo.connector.addr();
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;
    demo.connector.shutdown().await;
    client
        .send_text(thread, "written before the app was closed".into())
        .await
        .unwrap();
    drop(client);

    let store = demo.connector.ctx.store.clone();
    let back = Connector::start(
        store,
        Arc::new(SystemClock),
        tokio::net::TcpListener::bind(addr).await.unwrap(),
    )
    .await
    .unwrap();
    demo.sim.set_webhook_url(
        back.webhook_url(
            multiline_connector::usecases::accounts::line_of_org(&back.ctx.env(), demo.org)
                .unwrap()
                .id,
        ),
    );
    let again = sign_in(dir.path(), back.url()).await;
    let mut events = again.subscribe();
    let _ = until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.state >= DeliveryState::Sent)).await;
    let received: Vec<String> = demo.sim.received(ANA).into_iter().map(|r| r.text).collect();
    assert_eq!(received, ["written before the app was closed"]);
}

#[tokio::test]
async fn the_composer_closes_when_the_window_does_without_any_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, client, clock) = crate::support::demo_with_clock(dir.path()).await;
    let first = client.threads().await.unwrap()[0].id;
    let thread = client.thread_summary(first).await.unwrap().unwrap();
    assert_eq!(thread.composer, multiline_client::view::Composer::Allowed);

    let mut events = client.subscribe();
    clock.advance(chrono::Duration::hours(25));
    client.clock_moved();
    let event = until(
        &mut events,
        |e| matches!(e, UiEvent::ThreadUpserted { thread: t } if t.id == thread.id),
    )
    .await;
    let UiEvent::ThreadUpserted { thread: after } = event else {
        unreachable!()
    };
    assert!(
        matches!(&after.composer, multiline_client::view::Composer::Refused { reason, .. } if *reason == ErrorCode::WindowClosedUseTemplate),
        "{:?}",
        after.composer
    );
    assert_eq!(
        after.template,
        multiline_client::view::Composer::Allowed,
        "templates still go"
    );
}

#[tokio::test]
async fn a_refused_message_is_marked_failed_and_the_next_one_still_goes() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, client, clock) = crate::support::demo_with_clock(dir.path()).await;
    let addr = demo.connector.addr();
    let thread = client.threads().await.unwrap()[0].id;
    let mut events = client.subscribe();

    // Written offline while the window was open...
    demo.connector.shutdown().await;
    let text = client
        .send_text(thread, "See you at 3".into())
        .await
        .unwrap();
    let restart = multiline_domain::api::FilledValue {
        part: multiline_domain::templates::Part::Body,
        key: "1".into(),
        value: "Ana".into(),
    };
    client
        .send_template(
            thread,
            "conversation_restart".into(),
            "en_US".into(),
            vec![restart],
        )
        .await
        .unwrap();
    // ...and the connector is back only after the 24-hour window closed.
    clock.advance(chrono::Duration::hours(25));
    let back = Connector::start(
        demo.connector.ctx.store.clone(),
        clock.clone(),
        tokio::net::TcpListener::bind(addr).await.unwrap(),
    )
    .await
    .unwrap();
    demo.sim.set_webhook_url(
        back.webhook_url(
            multiline_connector::usecases::accounts::line_of_org(&back.ctx.env(), demo.org)
                .unwrap()
                .id,
        ),
    );

    let failed = until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.client_id == text.client_id && message.state == DeliveryState::Failed)).await;
    let UiEvent::MessageUpserted { message: failed } = failed else {
        unreachable!()
    };
    let reason = failed.failure.unwrap();
    assert!(reason.contains("template"), "suggests a template: {reason}");
    until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if matches!(&message.body, MessageBody::Template { name, .. } if name == "conversation_restart") && message.state >= DeliveryState::Sent)).await;
    let received: Vec<String> = demo
        .sim
        .received(ANA)
        .into_iter()
        .map(|r| {
            r.request["template"]["name"]
                .as_str()
                .unwrap_or(&r.text)
                .to_owned()
        })
        .collect();
    assert_eq!(
        received,
        ["conversation_restart"],
        "only the template reached the guest"
    );
    // Nothing is left queued.
    let cached = client.messages(thread).await.unwrap();
    assert!(cached.iter().all(|m| m.state != DeliveryState::Sending));
}

#[tokio::test]
async fn a_revoked_session_signs_the_core_out_and_keeps_its_queue_for_the_next_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;
    let mut events = client.subscribe();

    // Signed out elsewhere (another device, an admin): the token is revoked.
    let revoked = reqwest::Client::new()
        .delete(format!("{}/v1/session", demo.connector.url()))
        .bearer_auth(client.token())
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    client
        .send_text(thread, "written as the session ended".into())
        .await
        .unwrap();
    until(&mut events, |e| {
        matches!(
            e,
            UiEvent::SyncStateChanged {
                sync: multiline_client::view::SyncState::SignedOut
            }
        )
    })
    .await;
    assert_eq!(
        client.sync_state(),
        multiline_client::view::SyncState::SignedOut
    );
    assert!(demo.sim.received(ANA).is_empty(), "nothing sent signed out");
    drop(client);

    // Signing in again (same account, same cache) sends the queue, once.
    let again = sign_in(dir.path(), demo.connector.url()).await;
    let mut events = again.subscribe();
    let queued = MessageBody::Text {
        text: "written as the session ended".into(),
    };
    let sent =
        |m: &multiline_domain::api::Message| m.body == queued && m.state >= DeliveryState::Sent;
    if !again.messages(thread).await.unwrap().iter().any(sent) {
        until(
            &mut events,
            |e| matches!(e, UiEvent::MessageUpserted { message } if sent(message)),
        )
        .await;
    }
    let received: Vec<String> = demo.sim.received(ANA).into_iter().map(|r| r.text).collect();
    assert_eq!(received, ["written as the session ended"]);
}

#[tokio::test]
async fn a_picked_picture_is_prepared_off_the_runtime_with_progress_and_kept_until_sent() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let mut events = client.subscribe();

    // A 3000 x 2000 PNG with transparency, as a screenshot or a drawing would be.
    let png = dir.path().join("drawing.png");
    image::RgbaImage::from_fn(3000, 2000, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            90,
            if x < 1500 { 255 } else { 0 },
        ])
    })
    .save(&png)
    .unwrap();
    let photo = client
        .prepare_photo(multiline_client::photo::PhotoSource::File(png))
        .await
        .unwrap();
    assert_eq!((photo.width, photo.height), (1600, 1067));
    assert!(photo.thumbnail.starts_with("data:image/jpeg;base64,"));

    let mut percents = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let UiEvent::PhotoProgress { progress } = event {
            assert_eq!(progress.id, photo.id);
            percents.push(progress.percent);
        }
    }
    assert_eq!(percents, [0, 60, 80, 100]);

    let media = std::fs::read_dir(dir.path().join("app/accounts"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("media");
    let saved = std::fs::read(media.join(format!("{}.jpg", photo.id))).unwrap();
    assert_eq!(saved.len() as u32, photo.bytes);
    assert_eq!(&saved[..2], [0xFF, 0xD8], "a JPEG");

    // Not a picture: refused with the pipeline's words, nothing kept.
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "not really a photo").unwrap();
    let error = client
        .prepare_photo(multiline_client::photo::PhotoSource::File(text))
        .await
        .unwrap_err();
    let error = multiline_client::view::AppError::from(error);
    assert_eq!(error.code, ErrorCode::UnsupportedImage);
    assert_eq!(
        std::fs::read_dir(&media).unwrap().count(),
        2,
        "one picture, one thumbnail"
    );
}

#[tokio::test]
async fn a_queued_picture_uploads_with_its_progress_then_reaches_the_guest() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;

    // Noise: a photo that stays large after the encoder (several upload pieces).
    let mut seed = 0x2545_F491_u32;
    let noisy = image::RgbImage::from_fn(1600, 1200, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [r, g, b, _] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let file = dir.path().join("noise.png");
    noisy.save(&file).unwrap();
    let photo = client
        .prepare_photo(multiline_client::photo::PhotoSource::File(file))
        .await
        .unwrap();
    assert!(photo.bytes > 3 * 64 * 1024, "{} bytes", photo.bytes);

    let mut events = client.subscribe();
    let queued = client
        .send_picture(thread, photo.id.clone(), Some("Noise".into()))
        .await
        .unwrap();
    let client_id = queued.client_id.expect("a queued message has a client id");
    let mut percents = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await.expect("events") {
                UiEvent::UploadProgress { progress } => {
                    assert_eq!(
                        (progress.thread_id, progress.client_id),
                        (thread, client_id)
                    );
                    percents.push(progress.percent);
                }
                UiEvent::MessageUpserted { message }
                    if message.client_id == Some(client_id)
                        && message.state != DeliveryState::Sending =>
                {
                    return;
                }
                _ => {}
            }
        }
    })
    .await
    .expect("the picture was sent");
    // One report per piece handed to the connection, rising to all of it.
    assert!(percents.len() >= 3, "{percents:?}");
    assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100));
    let received = demo.sim.received(ANA);
    let last = received.last().expect("the guest received it");
    assert_eq!((last.kind.as_str(), last.text.as_str()), ("image", "Noise"));
}

#[tokio::test]
async fn a_thread_the_user_was_removed_from_leaves_the_cache_and_the_ui_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;
    let mut events = client.subscribe();
    let http = reqwest::Client::new();
    let url = demo.connector.url();
    let (_, sam_email, sam_password) = demo::USERS[1];
    let sam: serde_json::Value = http
        .post(format!("{url}/v1/session"))
        .json(&serde_json::json!({ "email": sam_email, "password": sam_password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sam_token = sam["token"].as_str().unwrap();
    let users: Vec<serde_json::Value> = http
        .get(format!("{url}/v1/users"))
        .bearer_auth(client.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of = |email: &str| {
        users.iter().find(|u| u["email"] == email).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Alex adds Sam; Sam removes Alex.
    let r = http
        .post(format!("{url}/v1/threads/{thread}/participants"))
        .bearer_auth(client.token())
        .json(&serde_json::json!({ "op": "add", "user_id": id_of(sam_email) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{url}/v1/threads/{thread}/participants"))
        .bearer_auth(sam_token)
        .json(&serde_json::json!({ "op": "remove", "user_id": id_of(demo::USERS[0].1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    until(
        &mut events,
        |e| matches!(e, UiEvent::ThreadRemoved { thread_id } if *thread_id == thread),
    )
    .await;
    assert!(
        client
            .threads()
            .await
            .unwrap()
            .iter()
            .all(|t| t.id != thread)
    );
    assert!(client.messages(thread).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_voicemail_recording_is_kept_on_the_device_and_marked_heard_once_played() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client
        .threads()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.channel == multiline_domain::api::Channel::Voicemail)
        .expect("the demo's voicemail");
    let messages = client.messages(thread.id).await.unwrap();
    let voicemail = &messages[0];
    let MessageBody::Voicemail {
        media_id, heard_at, ..
    } = &voicemail.body
    else {
        panic!("not a voicemail: {voicemail:?}")
    };
    assert_eq!(*heard_at, None);

    let url = client.media(*media_id).await.unwrap();
    assert!(
        url.starts_with("data:audio/wav;base64,UklGR"),
        "a WAV: {}",
        &url[..40]
    );
    // Kept on the device: with the connector gone it still plays.
    let addr = demo.connector.addr();
    demo.connector.shutdown().await;
    assert_eq!(client.media(*media_id).await.unwrap(), url);

    let store = demo.connector.ctx.store.clone();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let _back = Connector::start(store, Arc::new(SystemClock), listener)
        .await
        .unwrap();
    let mut events = client.subscribe();
    let heard = client.mark_heard(voicemail.id).await.unwrap();
    assert!(matches!(
        heard.body,
        MessageBody::Voicemail {
            heard_at: Some(_),
            ..
        }
    ));
    until(&mut events, |e| {
        matches!(e, UiEvent::MessageUpserted { message } if message.id == voicemail.id
        && matches!(message.body, MessageBody::Voicemail { heard_at: Some(_), .. }))
    })
    .await;
    let cached = client.messages(thread.id).await.unwrap();
    assert_eq!(cached[0].body, heard.body);
    // Played again: the first time it was heard is kept.
    let again = client.mark_heard(voicemail.id).await.unwrap();
    assert_eq!(again.body, heard.body);
}

#[tokio::test]
async fn a_contact_is_added_with_its_numbers_checked_then_changed_and_deleted() {
    use multiline_client::view::{AppError, ContactDraft, DraftPhone};
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let before = client.contacts(None).await.unwrap().len();
    let draft = |name: &str, numbers: &[&str]| ContactDraft {
        name: name.to_owned(),
        company: Some("  ".to_owned()),
        notes: None,
        phones: numbers
            .iter()
            .map(|n| DraftPhone {
                number: (*n).to_owned(),
                label: "work".to_owned(),
            })
            .collect(),
    };
    let refused = |r: multiline_client::Result<_>| AppError::from(r.unwrap_err());

    // Each number's error names its field; nothing reaches the connector.
    let e = refused(
        client
            .save_contact(None, draft("Dana", &["+44 7911 123457", "202 555 0199"]))
            .await,
    );
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        ("invalid_phone", Some("phones.1"))
    );
    assert!(e.message.contains("country code"), "{}", e.message);
    let e = refused(
        client
            .save_contact(None, draft("Dana", &["+1 111 555 0147"]))
            .await,
    );
    assert_eq!(
        e.message,
        "+1 111 555 0147 is not a valid number for its country."
    );
    let e = refused(
        client
            .save_contact(
                None,
                draft("Dana", &["+447911123457", "", "+44 7911 123457"]),
            )
            .await,
    );
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        ("duplicate_phone", Some("phones.2"))
    );
    // The connector's own refusal of a field says which.
    let e = refused(client.save_contact(None, draft("   ", &[])).await);
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        ("invalid_name", Some("name"))
    );
    assert_eq!(client.contacts(None).await.unwrap().len(), before);

    // Saved: numbers in E.164, blank fields dropped, in the cache at once.
    let dana = client
        .save_contact(None, draft("Dana Reyes", &["+44 7911 123457", " "]))
        .await
        .unwrap();
    assert_eq!(dana.phones.len(), 1);
    assert_eq!(dana.phones[0].number.as_str(), "+447911123457");
    assert_eq!(dana.company, None);
    assert_eq!(client.contact(dana.id).await.unwrap(), dana);

    let renamed = client
        .save_contact(Some(dana.id), draft("Dana Reyes-Ortiz", &["+447911123457"]))
        .await
        .unwrap();
    assert_eq!(
        client.contact(dana.id).await.unwrap().name,
        "Dana Reyes-Ortiz"
    );
    assert_eq!(renamed.id, dana.id);

    client.delete_contact(dana.id).await.unwrap();
    assert!(client.contact(dana.id).await.is_err());
    assert_eq!(client.contacts(None).await.unwrap().len(), before);
    // The connector agrees (a second delete: not found).
    let e = refused(client.delete_contact(dana.id).await.map(|_| dana.clone()));
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_text_whatsapp_cannot_deliver_is_retried_or_sent_by_sms() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = sign_in(dir.path(), demo.connector.url()).await;
    let thread = client.threads().await.unwrap()[0].id;
    let mut events = client.subscribe();

    // Ana's phone is off the network: WhatsApp takes the text, then fails it (131026).
    demo.sim.set_reachable(ANA, false);
    let sent = client
        .send_text(thread, "Can you call us back today?".into())
        .await
        .unwrap();
    let failed = until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.client_id == sent.client_id && message.state == DeliveryState::Failed)).await;
    let UiEvent::MessageUpserted { message: failed } = failed else {
        unreachable!()
    };
    assert_eq!(failed.remedy, Some(multiline_domain::messages::Remedy::Sms));

    // "Send by SMS": the same text, in the SMS thread with her number, as it now is.
    let sms = client.send_by_sms(thread, failed.id).await.unwrap();
    assert_eq!(sms.channel, multiline_domain::api::Channel::Sms);
    assert_ne!(sms.id, thread);
    assert_eq!(
        sms.last_message_preview.as_deref(),
        Some("Can you call us back today?")
    );
    let texted = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let Some(t) = demo
                .sim
                .texts_received("+12025550147")
                .into_iter()
                .find(|t| t.body == "Can you call us back today?")
            {
                return t;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the carrier got the text");
    assert_eq!(texted.body, "Can you call us back today?");

    // Back on the network, Retry (twice) sends the WhatsApp text once, the same message.
    demo.sim.set_reachable(ANA, true);
    let retried = client.retry_message(failed.id).await.unwrap();
    assert_eq!(retried.client_id, sent.client_id);
    client.retry_message(failed.id).await.unwrap();
    until(&mut events, |e| matches!(e, UiEvent::MessageUpserted { message } if message.id == failed.id && message.state == DeliveryState::Delivered)).await;
    let times = demo
        .sim
        .received(ANA)
        .iter()
        .filter(|r| r.text == "Can you call us back today?")
        .count();
    assert_eq!(
        times, 2,
        "the undelivered send (in the simulator's record) and one retry, never a third"
    );
}
