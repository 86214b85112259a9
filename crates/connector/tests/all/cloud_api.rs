//! Meta's payloads as the ground truth. Every file of `tests/fixtures/cloud-api` is one
//! webhook body shaped as Meta's documentation and recorded exchanges show it (SOURCES.md
//! there says where each comes from). Each is replayed through the real route, signed over
//! its exact bytes (Meta's `\u` escapes and all), in an order where later ones refer to
//! earlier ones, and must become exactly what it should: messages, reactions, status
//! changes, notices, problems, or dead letters. No file may be left out.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::TimeZone;
use multiline_connector::store::StoreExt;
use multiline_connector::usecases::threads;
use multiline_domain::api::{
    Degrees, DeliveryState, Direction, Event, Forwarded, Message, MessageBody, Notice, Thread,
};
use multiline_domain::consent::Consent;
use multiline_domain::phone::E164;
use multiline_domain::time::Clock as _;
use serde_json::json;

use crate::support::Harness;

const SHEENA: &str = "+16505551234";
const SHEENA_USER_ID: &str = "US.13491208655302741918";
const ALEX_USER_ID: &str = "US.20581937460218375512";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cloud-api")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../wa-sim/samples")
            .join(name),
    )
    .unwrap()
}

struct Replay {
    h: Harness,
    replayed: BTreeSet<String>,
}

impl Replay {
    /// Posts the fixture's exact bytes, signed with the line's app secret, and applies the
    /// inbox. Answers the HTTP status.
    async fn post(&mut self, name: &str) -> u16 {
        let body = std::fs::read(dir().join(format!("{name}.json"))).unwrap();
        let line = self.h.line();
        let r = self
            .h
            .http
            .post(self.h.line_webhook())
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                wa_sim::signature(&line.app_secret, &body),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.h.settle().await;
        self.replayed.insert(name.to_owned());
        r.status().as_u16()
    }

    async fn replay(&mut self, name: &str) {
        assert_eq!(self.post(name).await, 200, "{name}");
    }

    async fn threads(&self) -> Vec<Thread> {
        self.h.get("/v1/threads").await
    }

    async fn thread_of(&self, phone: &str) -> Thread {
        let phone = E164::from_stored(phone).unwrap();
        self.threads()
            .await
            .into_iter()
            .find(|t| t.guest_phone.as_ref() == Some(&phone))
            .unwrap_or_else(|| panic!("a thread with {phone}"))
    }

    async fn messages_of(&self, phone: &str) -> Vec<Message> {
        let thread = self.thread_of(phone).await;
        self.h.messages(&thread).await
    }

    /// Every message of every thread.
    async fn all_messages(&self) -> usize {
        let mut n = 0;
        for t in self.threads().await {
            n += self.h.messages(&t).await.len();
        }
        n
    }

    /// Replays `name`, which must add exactly one message to Sheena's thread; answers it
    /// (wherever the guest's timestamp sorts it).
    async fn one_more(&mut self, name: &str) -> Message {
        let before = self.all_messages().await;
        let known: Vec<_> = self
            .messages_of(SHEENA)
            .await
            .into_iter()
            .map(|m| m.id)
            .collect();
        self.replay(name).await;
        assert_eq!(self.all_messages().await, before + 1, "{name}: one message");
        let mut new: Vec<Message> = self
            .messages_of(SHEENA)
            .await
            .into_iter()
            .filter(|m| !known.contains(&m.id))
            .collect();
        assert_eq!(new.len(), 1, "{name}: in Sheena's thread");
        new.pop().unwrap()
    }

    async fn media(&self, body: &MessageBody) -> Vec<u8> {
        self.h.media(body.media_id().expect("a file")).await
    }
}

#[tokio::test]
async fn every_payload_meta_publishes_becomes_what_it_should() {
    // The fixtures' guests wrote on 24 November 2025, 16:03 to 17:11 UTC: the clock is just
    // after, so that every message is recent.
    let h = Harness::start_at(chrono::Utc.timestamp_opt(1_764_004_875, 0).unwrap()).await;
    let line = h.line();
    assert_eq!(
        line.phone_number_id, "106540352242922",
        "the fixtures' number"
    );
    for (id, file, mime) in [
        ("1001000000000001", "photo.jpg", "image/jpeg"),
        ("1001000000000002", "song.mp3", "audio/mpeg"),
        ("1001000000000003", "voice.ogg", "audio/ogg; codecs=opus"),
        ("1001000000000004", "clip.mp4", "video/mp4"),
        ("1001000000000005", "invoice.pdf", "application/pdf"),
        ("1001000000000006", "sticker.webp", "image/webp"),
        ("1001000000000007", "sticker-animated.webp", "image/webp"),
    ] {
        h.demo.sim.put_media(id, sample(file), mime);
    }
    let mut r = Replay {
        h,
        replayed: BTreeSet::new(),
    };

    // ---- texts, and who the guest is ----
    let before = r.all_messages().await;
    r.replay("text").await;
    let sheena = r.thread_of(SHEENA).await;
    assert_eq!(
        sheena.contact_name, "Sheena Nelson",
        "her WhatsApp profile name"
    );
    let first = r.messages_of(SHEENA).await.pop().unwrap();
    assert_eq!(
        first.body,
        MessageBody::Text {
            text: "Hi! Is the double room still free for Nov 28?".into()
        }
    );
    assert_eq!(first.direction, Direction::Inbound);
    assert_eq!(r.all_messages().await, before + 1);

    let m = r.one_more("text-unicode").await;
    assert_eq!(
        m.body,
        MessageBody::Text {
            text: "Olá! Vocês têm café da manhã incluído? 😊👍 Vi aqui: https://example.com/reservas/quarto-duplo?noites=3&hospedes=2".into()
        },
        "Meta's \\u escapes and \\/ read back"
    );
    assert_eq!(
        r.thread_of(SHEENA).await.guest_user_id.as_deref(),
        Some(SHEENA_USER_ID),
        "the user id learnt, in the same thread"
    );

    // ---- files: downloaded, checked against the webhook's base64 digest, stored ----
    let m = r.one_more("image").await;
    let MessageBody::Picture {
        caption,
        width,
        height,
        ..
    } = &m.body
    else {
        panic!("a picture: {:?}", m.body)
    };
    assert_eq!((caption.as_deref(), *width, *height), (None, 640, 480));
    assert_eq!(r.media(&m.body).await, sample("photo.jpg"));
    let m = r.one_more("image-caption").await;
    assert!(
        matches!(&m.body, MessageBody::Picture { caption: Some(c), .. } if c == "Vista da varanda 🌅")
    );
    let m = r.one_more("audio").await;
    assert!(
        matches!(&m.body, MessageBody::Audio { voice: false, mime_type, size, .. }
            if mime_type == "audio/mpeg" && *size == sample("song.mp3").len() as u64),
        "{:?}",
        m.body
    );
    assert_eq!(r.media(&m.body).await, sample("song.mp3"));
    let m = r.one_more("voice").await;
    assert!(
        matches!(
            &m.body,
            MessageBody::Audio {
                voice: true,
                duration_secs: Some(3),
                ..
            }
        ),
        "its length read from the file: {:?}",
        m.body
    );
    assert_eq!(r.media(&m.body).await, sample("voice.ogg"));
    let m = r.one_more("video").await;
    assert!(
        matches!(&m.body, MessageBody::Video { caption: Some(c), mime_type, .. }
            if c == "This is the noise from the street at night" && mime_type == "video/mp4")
    );
    assert_eq!(r.media(&m.body).await, sample("clip.mp4"));
    let m = r.one_more("document").await;
    assert!(
        matches!(&m.body, MessageBody::Document { filename, caption: Some(c), mime_type, .. }
            if filename == "invoice.pdf" && c == "Invoice 1042" && mime_type == "application/pdf")
    );
    assert_eq!(r.media(&m.body).await, sample("invoice.pdf"));
    // A document is served as an attachment, never sniffed.
    let served =
        r.h.http
            .get(r.h.url(&format!("/v1/media/{}", m.body.media_id().unwrap())))
            .bearer_auth(&r.h.token)
            .send()
            .await
            .unwrap();
    assert_eq!(served.headers()["content-type"], "application/pdf");
    assert_eq!(served.headers()["content-disposition"], "attachment");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let m = r.one_more("sticker").await;
    assert!(matches!(
        &m.body,
        MessageBody::Sticker {
            animated: false,
            ..
        }
    ));
    assert_eq!(r.media(&m.body).await, sample("sticker.webp"));
    let m = r.one_more("sticker-animated").await;
    assert!(matches!(
        &m.body,
        MessageBody::Sticker { animated: true, .. }
    ));
    assert_eq!(r.media(&m.body).await, sample("sticker-animated.webp"));

    // ---- places, cards, choices, forms ----
    let m = r.one_more("location").await;
    assert_eq!(
        m.body,
        MessageBody::Location {
            latitude: Degrees(38.7075),
            longitude: Degrees(-9.1364),
            name: Some("Praça do Comércio".into()),
            address: Some("Praça do Comércio, 1100-148 Lisboa, Portugal".into()),
            url: Some("https://maps.google.com/?cid=11694822330104683544".into()),
        }
    );
    let m = r.one_more("location-pin").await;
    assert!(matches!(
        &m.body,
        MessageBody::Location {
            name: None,
            address: None,
            ..
        }
    ));
    let m = r.one_more("contacts").await;
    let MessageBody::Contacts { cards } = &m.body else {
        panic!("contact cards: {:?}", m.body)
    };
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[0].name, "Barbara Johnson");
    assert_eq!(cards[0].organization.as_deref(), Some("Johnson Travel"));
    assert_eq!(cards[0].phones.len(), 2);
    assert!(cards[0].phones.iter().all(|p| p.wa_id.is_some()));
    assert_eq!(cards[0].emails, ["barbara.johnson@example.com"]);
    assert_eq!(cards[1].name, "Rui Costa");
    assert!(cards[1].phones[0].wa_id.is_none());

    let m = r.one_more("button").await;
    assert_eq!(
        m.body,
        MessageBody::Choice {
            text: "Confirm".into(),
            description: None,
            id: Some("CONFIRM_BOOKING_1042".into())
        }
    );
    let quote = m.reply_to.as_ref().expect("it answers a template");
    assert_eq!(
        (quote.message_id, quote.preview.as_str()),
        (None, ""),
        "a message not in this connector"
    );
    let m = r.one_more("interactive-button-reply").await;
    assert_eq!(
        m.body,
        MessageBody::Choice {
            text: "Late check-in".into(),
            description: None,
            id: Some("late-checkin".into())
        }
    );
    let m = r.one_more("interactive-list-reply").await;
    assert!(
        matches!(&m.body, MessageBody::Choice { text, description: Some(d), .. }
            if text == "Double, sea view" && d == "EUR 110 a night, breakfast included")
    );
    let m = r.one_more("interactive-nfm-reply").await;
    let MessageBody::Form { fields, .. } = &m.body else {
        panic!("a form: {:?}", m.body)
    };
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"arrival_date") && !names.contains(&"flow_token"));
    assert_eq!(
        fields.iter().find(|f| f.name == "nights").unwrap().value,
        "3"
    );

    // ---- what is said about a message: replies, forwarding, ads ----
    let m = r.one_more("reply-context").await;
    let quote = m.reply_to.as_ref().unwrap();
    assert_eq!(
        quote.message_id,
        Some(first.id),
        "linked to what it answers"
    );
    assert_eq!(
        quote.preview,
        "Hi! Is the double room still free for Nov 28?"
    );
    let m = r.one_more("forwarded").await;
    assert_eq!(m.forwarded, Some(Forwarded::Once));
    let m = r.one_more("forwarded-frequently").await;
    assert_eq!(m.forwarded, Some(Forwarded::Many));
    let m = r.one_more("referral").await;
    let ad = m.ad.as_ref().expect("the ad it came from");
    assert_eq!(ad.headline.as_deref(), Some("Chat with us"));
    assert_eq!(ad.source_url.as_deref(), Some("https://fb.me/3cr4Wqqkv"));

    // ---- reactions: on the message, changed and removed in place ----
    let before = r.all_messages().await;
    r.replay("reaction").await;
    assert_eq!(
        r.all_messages().await,
        before,
        "a reaction is not a message"
    );
    let reacted = r
        .messages_of(SHEENA)
        .await
        .into_iter()
        .find(|m| m.id == first.id)
        .unwrap();
    assert_eq!(reacted.reactions.len(), 1);
    assert_eq!(reacted.reactions[0].emoji, "👍");
    assert_eq!(reacted.reactions[0].by, "Sheena Nelson");
    let summary = r.thread_of(SHEENA).await.last_message_preview.unwrap();
    assert_eq!(
        summary,
        "Sheena Nelson reacted 👍 to \u{201c}Hi! Is the double room still free for Nov 28?\u{201d}"
    );
    r.replay("reaction-removed").await;
    let unreacted = r
        .messages_of(SHEENA)
        .await
        .into_iter()
        .find(|m| m.id == first.id)
        .unwrap();
    assert!(unreacted.reactions.is_empty(), "removed in place");
    // Delivered late (webhooks come out of order): the older reaction does not come back.
    r.replay("reaction").await;
    let still = r
        .messages_of(SHEENA)
        .await
        .into_iter()
        .find(|m| m.id == first.id)
        .unwrap();
    assert!(still.reactions.is_empty(), "the newer removal wins");

    // ---- kinds the app cannot show yet: in the thread, named, with what Meta sent ----
    let m = r.one_more("order").await;
    assert_eq!(
        m.body,
        MessageBody::Unsupported {
            kind: Some("order".into()),
            description: "A message of a kind this app can't show yet (order)".into()
        }
    );
    let raw =
        r.h.demo
            .connector
            .ctx
            .store
            .read(|tx| tx.message_raw(m.id))
            .unwrap()
            .expect("what Meta sent is kept");
    assert!(raw.contains("breakfast_basket") && raw.contains("\"type\":\"order\""));
    let m = r.one_more("unsupported").await;
    assert!(
        matches!(&m.body, MessageBody::Unsupported { kind: Some(k), .. } if k == "poll_creation"),
        "{:?}",
        m.body
    );

    // ---- notices about the guest: system lines ----
    let m = r.one_more("system-number-changed").await;
    assert_eq!(m.direction, Direction::System);
    assert_eq!(
        m.body,
        MessageBody::Notice {
            notice: Notice::NumberChanged {
                new_phone: Some(E164::from_stored("+16505554321").unwrap()),
                applied: false
            },
            text: "Sheena Nelson changed their number to +16505554321".into()
        }
    );
    let m = r.one_more("system-identity-changed").await;
    assert!(
        matches!(&m.body, MessageBody::Notice { text, .. } if text == "Sheena Nelson's security code changed")
    );
    let m = r.one_more("system-user-id-changed").await;
    assert!(
        matches!(
            &m.body,
            MessageBody::Notice {
                notice: Notice::UserIdChanged,
                ..
            }
        ),
        "found by her new user id, no `from`: {:?}",
        m.body
    );
    let m = r.one_more("request-welcome").await;
    assert_eq!(m.direction, Direction::System);
    assert!(
        matches!(&m.body, MessageBody::Notice { notice: Notice::OpenedChat, text } if text == "Sheena Nelson opened a chat with you")
    );
    assert_eq!(
        r.thread_of(SHEENA).await.unread_count,
        r.messages_of(SHEENA)
            .await
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .count() as u32,
        "a notice counts as nothing unread"
    );

    // ---- guests as Meta identifies them ----
    let before = r.all_messages().await;
    r.replay("username-user").await;
    let alex = r
        .threads()
        .await
        .into_iter()
        .find(|t| t.guest_user_id.as_deref() == Some(ALEX_USER_ID))
        .expect("a thread for a guest without a number");
    assert_eq!(alex.guest_phone, None);
    assert_eq!(alex.contact_name, "Alex Rivera");
    r.replay("user-id-and-number").await;
    let alex_now = r
        .threads()
        .await
        .into_iter()
        .filter(|t| t.guest_user_id.as_deref() == Some(ALEX_USER_ID))
        .collect::<Vec<_>>();
    assert_eq!(
        alex_now.len(),
        1,
        "the number joins the same guest and thread"
    );
    assert_eq!(alex_now[0].id, alex.id);
    assert_eq!(
        alex_now[0].guest_phone.as_ref().map(|p| p.as_str()),
        Some("+16505559876")
    );
    assert_eq!(r.h.messages(&alex).await.len(), 2);
    r.replay("wa-id-brazil").await;
    let joao = r.thread_of("+551187654321").await;
    assert_eq!(
        joao.contact_name, "João Silva",
        "a wa_id a phone library refuses"
    );
    assert_eq!(r.all_messages().await, before + 3);

    // ---- batches: several entries and changes, duplicates, one broken element ----
    let before = r.all_messages().await;
    r.replay("batch-entries").await;
    assert_eq!(
        r.all_messages().await,
        before + 4,
        "four messages, three statuses"
    );
    assert!(
        r.messages_of(SHEENA)
            .await
            .iter()
            .any(|m| matches!(&m.body, MessageBody::Location { name: None, .. }))
    );
    assert_eq!(r.h.messages(&joao).await.len(), 3);
    let before = r.all_messages().await;
    r.replay("batch-duplicate").await;
    assert_eq!(
        r.all_messages().await,
        before + 1,
        "the same wamid twice: once"
    );
    let before = r.all_messages().await;
    r.replay("batch-one-malformed").await;
    assert_eq!(
        r.all_messages().await,
        before + 3,
        "nothing lost for one bad element"
    );
    // In the guest's order (their timestamps, 2 s apart).
    let last3: Vec<MessageBody> = r
        .messages_of(SHEENA)
        .await
        .into_iter()
        .rev()
        .take(3)
        .rev()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        last3[0],
        MessageBody::Text {
            text: "First message, fine.".into()
        }
    );
    assert_eq!(
        last3[1],
        MessageBody::Unsupported {
            kind: Some("text".into()),
            description: "A message this app could not read (text)".into()
        },
        "its sender and id known: kept, said"
    );
    assert_eq!(
        last3[2],
        MessageBody::Text {
            text: "Third message, fine.".into()
        }
    );

    // ---- account-level problems: audited, told to the line's owner ----
    let mut socket = r.h.events(0).await;
    r.replay("account-errors").await;
    let told = crate::support::next_matching(&mut socket, |e| {
        matches!(&e.event, Event::LineProblem { .. })
    })
    .await;
    let Event::LineProblem { text } = told.event else {
        unreachable!()
    };
    assert!(
        text.contains("Rate limit hit") && text.contains("130429"),
        "{text}"
    );
    assert!(
        r.h.audit()
            .iter()
            .any(|a| a["action"] == "line.problem" && a["detail"]["code"] == 130429)
    );

    // ---- statuses of the business's messages, as Meta sends them ----
    statuses(&mut r).await;

    // ---- the new number, once a user chooses to use it ----
    let notice = r
        .messages_of(SHEENA)
        .await
        .into_iter()
        .find(|m| {
            matches!(
                m.body,
                MessageBody::Notice {
                    notice: Notice::NumberChanged { .. },
                    ..
                }
            )
        })
        .unwrap();
    let text = r.messages_of(SHEENA).await[0].id;
    let refused =
        r.h.post(&format!("/v1/messages/{text}/use-number"), json!({}))
            .await;
    assert_eq!(refused.status(), 400, "a text has no number to use");
    let used: Message =
        r.h.post(&format!("/v1/messages/{}/use-number", notice.id), json!({}))
            .await
            .json()
            .await
            .unwrap();
    assert!(matches!(
        used.body,
        MessageBody::Notice {
            notice: Notice::NumberChanged { applied: true, .. },
            ..
        }
    ));
    let moved = r.thread_of("+16505554321").await;
    assert_eq!(
        moved.id, sheena.id,
        "the same thread, writing to the new number"
    );
    assert!(
        r.h.audit()
            .iter()
            .any(|a| a["action"] == "guest.number_changed" && a["detail"]["to"] == "+16505554321")
    );

    let all: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    let missing: Vec<_> = all.difference(&r.replayed).collect();
    assert!(missing.is_empty(), "fixtures never replayed: {missing:?}");
}

/// The business sends Sheena five texts, each given the wamid a status fixture names (the
/// simulator's own statuses off); then Meta's statuses are replayed. A status that came
/// before its message is applied when the send's answer names it.
async fn statuses(r: &mut Replay) {
    const SENT_DELIVERED_READ: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3RTRBNkM4RDBGMkIzQzVFNjcA";
    const EARLY: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIzRUEwMkM0RDZGOEI5Q0JFQ0QA";
    const FAILED: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTZDOEUwRjJCNEQ1RTdBODkA";
    const PLAYED: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4RjVCN0Q5RTFBM0M0RDZGNzgA";
    const BY_USER_ID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIwQjdEOUYxQTNDNUU2RjhCOUEA";
    r.replay("status-before-message").await;

    let sim = &r.h.demo.sim;
    sim.add_guest("16505551234", "Sheena Nelson");
    sim.set_guest_last_message_at("16505551234", r.h.clock.now());
    sim.set_quiet_statuses(true);
    sim.assign_next_wamids(
        [SENT_DELIVERED_READ, EARLY, FAILED, PLAYED, BY_USER_ID].map(str::to_owned),
    );
    threads::set_guest_consent(
        &r.h.env(),
        r.h.line().id,
        SHEENA,
        &Consent::Granted {
            at: r.h.clock.now(),
            reply: "YES".into(),
        },
    )
    .unwrap();
    let thread = r.thread_of(SHEENA).await;
    let mut sent = Vec::new();
    for text in ["one", "two", "three", "four", "five"] {
        sent.push(r.h.send_text(&thread, text).await.id);
    }
    let state_of =
        |messages: &[Message], i: usize| messages.iter().find(|m| m.id == sent[i]).unwrap().state;
    r.h.until_arrived(|| async {
        let messages = r.h.messages(&thread).await;
        (0..5)
            .all(|i| state_of(&messages, i) != DeliveryState::Sending)
            .then_some(())
    })
    .await;
    let messages = r.h.messages(&thread).await;
    assert_eq!(
        state_of(&messages, 1),
        DeliveryState::Delivered,
        "the early status"
    );
    assert_eq!(state_of(&messages, 0), DeliveryState::Sent);

    r.replay("status-sent").await;
    r.replay("status-delivered").await;
    assert_eq!(
        state_of(&r.h.messages(&thread).await, 0),
        DeliveryState::Delivered
    );
    r.replay("status-read").await;
    r.replay("status-failed").await;
    r.replay("status-played").await;
    r.replay("status-user-id").await;
    let messages = r.h.messages(&thread).await;
    assert_eq!(state_of(&messages, 0), DeliveryState::Read);
    let failed = messages.iter().find(|m| m.id == sent[2]).unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(
        failed.failure.as_deref(),
        Some("The guest could not be reached on WhatsApp (the number may not use it).")
    );
    assert_eq!(state_of(&messages, 3), DeliveryState::Played);
    assert_eq!(state_of(&messages, 4), DeliveryState::Delivered);
}
