//! Snapshots of every type that is stored or sent: a change to the wire format shows up as a
//! snapshot diff to review (`cargo insta review`), never silently.

use chrono::{TimeZone, Utc};
use multiline_domain::api::{
    Channel, DeliveryState, Direction, ErrorBody, ErrorDetail, Event, EventEnvelope, Message,
    MessageBody, Thread, ThreadStatus, User,
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
        created_at: at(9),
    }
}

fn thread() -> Thread {
    Thread {
        id: ThreadId(id(3)),
        channel: Channel::Whatsapp,
        contact_id: Some(ContactId(id(4))),
        contact_name: "Ana Silva".into(),
        guest_phone: E164::parse("+12025550147", None).unwrap(),
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
    }
}

#[test]
fn message_and_thread() {
    insta::assert_json_snapshot!("message", message());
    insta::assert_json_snapshot!("thread", thread());
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
            },
            ListedComponent {
                kind: "BODY".into(),
                format: None,
                text: Some("Hi {{1}}, see you at {{2}}.".into()),
                buttons: vec![],
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
