//! Threads, contacts and messages made up for cache tests and the cache benchmark.
#![allow(dead_code)] // each user takes what it needs

use chrono::{DateTime, Utc};
use multiline_domain::api::{
    Channel, Contact, DeliveryState, Direction, Message, MessageBody, Thread, ThreadStatus,
};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{ContactId, MessageId, ThreadId};
use multiline_domain::phone::E164;
use multiline_domain::window::{WindowFacts, WindowRule};

pub fn thread(name: &str, last: Option<DateTime<Utc>>) -> Thread {
    Thread {
        id: ThreadId::random(),
        channel: Channel::Whatsapp,
        contact_id: None,
        contact_name: name.to_owned(),
        guest_phone: Some(E164::parse("+12025550147", None).unwrap()),
        guest_user_id: None,
        status: ThreadStatus::Open,
        consent: Consent::None,
        window_rule: WindowRule::AnyMessage,
        window: WindowFacts {
            last_message_at: last,
            last_guest_message_at: last,
        },
        template_required: false,
        last_message_preview: None,
        last_message_at: last,
        unread_count: 0,
        participants: Vec::new(),
        opened_at: None,
    }
}

pub fn message(thread: ThreadId, text: &str, at: DateTime<Utc>) -> Message {
    Message {
        id: MessageId::random(),
        client_id: None,
        thread_id: thread,
        direction: Direction::Inbound,
        author_name: None,
        body: MessageBody::Text {
            text: text.to_owned(),
        },
        state: DeliveryState::Delivered,
        failure: None,
        remedy: None,
        created_at: at,
        reply_to: None,
        forwarded: None,
        ad: None,
        reactions: Vec::new(),
    }
}

pub fn contact(name: &str, company: Option<&str>) -> Contact {
    Contact {
        id: ContactId::random(),
        name: name.to_owned(),
        company: company.map(str::to_owned),
        notes: None,
        phones: Vec::new(),
    }
}
