//! Snapshots of every type that is stored or sent: a change to the wire format shows up as a
//! snapshot diff to review (`cargo insta review`), never silently.

use chrono::{TimeZone, Utc};
use multiline_domain::api::{
    AdReferral, CardPhone, Channel, ContactCard, Degrees, DeliveryState, Direction, ErrorBody,
    ErrorDetail, Event, EventEnvelope, FormField, Forwarded, Message, MessageBody, Notice, Quote,
    Reaction, Thread, ThreadStatus, User,
};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{ClientMessageId, ContactId, MessageId, ThreadId, UserId};
use multiline_domain::participants::SystemEvent;
use multiline_domain::phone::E164;
use multiline_domain::templates::{
    ListedComponent, ParameterFormat, Part, Template, TemplateCategory, TemplateStatus,
};
use multiline_domain::window::{WindowFacts, WindowRule};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn at(h: u32) -> multiline_domain::time::Timestamp {
    Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap()
}

fn message() -> Message {
    Message {
        id: MessageId(id(1)),
        client_id: Some(ClientMessageId(id(2))),
        thread_id: ThreadId(id(3)),
        direction: Direction::Outbound,
        author_name: Some("Alex Morgan".into()),
        body: MessageBody::Text {
            text: "Your car is ready.".into(),
        },
        state: DeliveryState::Delivered,
        failure: None,
        remedy: None,
        created_at: at(9),
        reply_to: None,
        forwarded: None,
        ad: None,
        reactions: Vec::new(),
    }
}

fn thread() -> Thread {
    Thread {
        id: ThreadId(id(3)),
        channel: Channel::Whatsapp,
        contact_id: Some(ContactId(id(4))),
        contact_name: "Ana Silva".into(),
        guest_phone: Some(E164::parse("+12025550147", None).unwrap()),
        guest_user_id: Some("US.13491208655302741918".into()),
        status: ThreadStatus::Open,
        consent: Consent::Granted {
            at: at(8),
            reply: "YES".into(),
        },
        window_rule: WindowRule::AnyMessage,
        window: WindowFacts {
            last_message_at: Some(at(9)),
            last_guest_message_at: Some(at(8)),
        },
        template_required: false,
        last_message_preview: Some("Your car is ready.".into()),
        last_message_at: Some(at(9)),
        unread_count: 1,
        participants: vec![User {
            id: UserId(id(1)),
            name: "Alex Morgan".into(),
            email: "alex@northwind.example".into(),
        }],
        opened_at: Some(at(7)),
    }
}

#[test]
fn message_and_thread() {
    insta::assert_json_snapshot!("message", message());
    insta::assert_json_snapshot!("thread", thread());
}

/// Every kind a guest can send, and what is said about a message.
#[test]
fn every_kind_of_message() {
    let media_id = multiline_domain::ids::MediaId(id(9));
    let kinds = vec![
        MessageBody::Audio {
            media_id,
            mime_type: "audio/ogg; codecs=opus".into(),
            size: 13612,
            voice: true,
            duration_secs: Some(3),
        },
        MessageBody::Video {
            media_id,
            mime_type: "video/mp4".into(),
            size: 39422,
            caption: Some("The street at night".into()),
        },
        MessageBody::Document {
            media_id,
            mime_type: "application/pdf".into(),
            size: 1342,
            filename: "invoice.pdf".into(),
            caption: None,
        },
        MessageBody::Sticker {
            media_id,
            mime_type: "image/webp".into(),
            animated: true,
        },
        MessageBody::Location {
            latitude: Degrees(38.7075),
            longitude: Degrees(-9.1364),
            name: Some("Praça do Comércio".into()),
            address: None,
            url: None,
        },
        MessageBody::Contacts {
            cards: vec![ContactCard {
                name: "Barbara Johnson".into(),
                phones: vec![CardPhone {
                    number: "+1 (940) 555-1234".into(),
                    wa_id: Some("19405551234".into()),
                    label: Some("CELL".into()),
                }],
                emails: vec!["barbara@example.com".into()],
                organization: Some("Johnson Travel".into()),
            }],
        },
        MessageBody::Choice {
            text: "Double, sea view".into(),
            description: Some("EUR 110 a night".into()),
            id: Some("room_double_sea".into()),
        },
        MessageBody::Form {
            text: "Sent".into(),
            fields: vec![FormField {
                name: "nights".into(),
                value: "3".into(),
            }],
        },
        MessageBody::Notice {
            notice: Notice::NumberChanged {
                new_phone: Some(E164::from_stored("+16505554321").unwrap()),
                applied: false,
            },
            text: "Sheena Nelson changed their number to +16505554321".into(),
        },
        multiline_domain::messages::unsupported("order"),
    ];
    insta::assert_json_snapshot!("message_kinds", kinds);
    let mut reply = message();
    reply.direction = Direction::Inbound;
    reply.reply_to = Some(Quote {
        message_id: Some(MessageId(id(8))),
        direction: Some(Direction::Outbound),
        preview: "Your car is ready.".into(),
    });
    reply.forwarded = Some(Forwarded::Many);
    reply.ad = Some(AdReferral {
        headline: Some("Chat with us".into()),
        body: None,
        source_url: Some("https://fb.me/3cr4Wqqkv".into()),
    });
    reply.reactions = vec![Reaction {
        emoji: "👍".into(),
        by: "Ana Silva".into(),
        at: at(10),
    }];
    insta::assert_json_snapshot!("message_about", reply);
}

#[test]
fn events() {
    insta::assert_json_snapshot!(
        "event_message",
        EventEnvelope {
            seq: 7,
            event: Event::MessageUpserted { message: message() }
        }
    );
    insta::assert_json_snapshot!(
        "event_contacts",
        EventEnvelope {
            seq: 8,
            event: Event::ContactsChanged
        }
    );
    insta::assert_json_snapshot!(
        "system_event",
        SystemEvent::Transferred {
            from: multiline_domain::ids::UserId(id(5)),
            to: multiline_domain::ids::UserId(id(6))
        }
    );
}

#[test]
fn consent_states() {
    insta::assert_json_snapshot!(
        "consent",
        [
            Consent::None,
            Consent::Requested { at: at(1) },
            Consent::Granted {
                at: at(2),
                reply: "Yes".into()
            },
            Consent::Revoked {
                at: at(3),
                guest_returned_at: Some(at(4))
            },
        ]
    );
}

#[test]
fn errors_and_template_parameters() {
    insta::assert_json_snapshot!(
        "error",
        ErrorBody {
            error: ErrorDetail {
                code: multiline_domain::errors::ErrorCode::WindowClosedUseTemplate,
                message: "24 hours have passed; restart the conversation with a template message."
                    .into()
            }
        }
    );
    let template = Template::from_components(
        "appointment_reminder",
        "en_US",
        TemplateStatus::Approved,
        TemplateCategory::Utility,
        ParameterFormat::Positional,
        vec![
            ListedComponent {
                kind: "HEADER".into(),
                format: Some("TEXT".into()),
                text: Some("Reminder".into()),
                buttons: vec![],
                example: None,
            },
            ListedComponent {
                kind: "BODY".into(),
                format: None,
                text: Some("Hi {{1}}, see you at {{2}}.".into()),
                buttons: vec![],
                example: None,
            },
        ],
    )
    .unwrap();
    let values = [
        ((Part::Body, "1".to_owned()), "Ana".to_owned()),
        ((Part::Body, "2".to_owned()), "3 pm".to_owned()),
    ]
    .into();
    insta::assert_json_snapshot!(
        "template_components",
        template.send_components(&values).unwrap()
    );
}
