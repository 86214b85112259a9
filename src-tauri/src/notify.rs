//! Desktop notifications: a guest's new message while the app's window is not in front says
//! who wrote and what (the thread's contact, the message's preview). Only live messages: one
//! the core reports again (a resync, a status change) or one older than a couple of minutes
//! (a sync after being offline brings many) does not notify.

use std::collections::VecDeque;

use multiline_client::view::UiEvent;
use multiline_domain::api::{Direction, Message};
use multiline_domain::time::Timestamp;

/// Messages older than this when they arrive are history, not news.
const FRESH: chrono::Duration = chrono::Duration::minutes(2);
/// How many notified message ids are remembered (a message is notified once).
const REMEMBERED: usize = 256;

/// Which messages were already notified.
#[derive(Default)]
pub struct Seen(VecDeque<multiline_domain::ids::MessageId>);

/// The guest's message to notify for this event, if any; remembers it as notified.
/// `window_focused` is asked last, only for such a message (it is a call to the UI thread,
/// and a sync brings thousands of events).
pub fn worth_notifying<'e>(
    event: &'e UiEvent,
    window_focused: impl FnOnce() -> bool,
    now: Timestamp,
    seen: &mut Seen,
) -> Option<&'e Message> {
    let UiEvent::MessageUpserted { message } = event else {
        return None;
    };
    if message.direction != Direction::Inbound
        || now - message.created_at > FRESH
        || seen.0.contains(&message.id)
        || window_focused()
    {
        return None;
    }
    if seen.0.len() == REMEMBERED {
        seen.0.pop_front();
    }
    seen.0.push_back(message.id);
    Some(message)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use multiline_domain::api::{DeliveryState, MessageBody};
    use multiline_domain::ids::{MessageId, ThreadId};

    use super::*;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    fn message(direction: Direction, age: chrono::Duration) -> UiEvent {
        UiEvent::MessageUpserted {
            message: Message {
                id: MessageId::random(),
                client_id: None,
                thread_id: ThreadId::random(),
                direction,
                author_name: None,
                body: MessageBody::Text {
                    text: "Is my car ready?".into(),
                },
                state: DeliveryState::Delivered,
                failure: None,
                remedy: None,
                created_at: now() - age,
                reply_to: None,
                forwarded: None,
                ad: None,
                reactions: Vec::new(),
            },
        }
    }

    #[test]
    fn a_fresh_guest_message_notifies_once_while_the_window_is_in_the_background() {
        let mut seen = Seen::default();
        let event = message(Direction::Inbound, chrono::Duration::seconds(1));
        assert!(worth_notifying(&event, || false, now(), &mut seen).is_some());
        assert!(
            worth_notifying(&event, || false, now(), &mut seen).is_none(),
            "the same message again (a status, a resync) is not news"
        );
    }

    #[test]
    fn nothing_notifies_in_front_for_our_own_messages_or_for_history() {
        let mut seen = Seen::default();
        let fresh = chrono::Duration::seconds(1);
        let inbound = message(Direction::Inbound, fresh);
        assert!(
            worth_notifying(&inbound, || true, now(), &mut seen).is_none(),
            "in front"
        );
        let outbound = message(Direction::Outbound, fresh);
        assert!(worth_notifying(&outbound, || false, now(), &mut seen).is_none());
        let system = message(Direction::System, fresh);
        assert!(worth_notifying(&system, || false, now(), &mut seen).is_none());
        let old = message(Direction::Inbound, chrono::Duration::minutes(10));
        assert!(
            worth_notifying(&old, || false, now(), &mut seen).is_none(),
            "brought by a sync"
        );
        assert!(worth_notifying(&UiEvent::Resync, || false, now(), &mut seen).is_none());
    }

    #[test]
    fn remembers_a_bounded_number_of_messages() {
        let mut seen = Seen::default();
        for _ in 0..(REMEMBERED + 10) {
            let event = message(Direction::Inbound, chrono::Duration::seconds(1));
            assert!(worth_notifying(&event, || false, now(), &mut seen).is_some());
        }
        assert_eq!(seen.0.len(), REMEMBERED);
    }
}
