//! A send whose fate is unknown (the connector died between calling WhatsApp and recording
//! its answer) is "not confirmed", not failed; WhatsApp's later status, naming the message
//! in its callback data, settles it; until then a user may send it again, once.

use multiline_connector::usecases::receive::StatusUpdate;
use multiline_domain::api::DeliveryState;

use crate::usecases::harness::Rules;
use crate::usecases::{open_conversation, t0, world};

fn state_of(
    s: &Rules,
    w: &crate::usecases::World,
    thread: multiline_domain::ids::ThreadId,
    id: multiline_domain::ids::MessageId,
) -> DeliveryState {
    s.messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap()
        .state
}

/// Alex's text to Ana, taken by the dispatcher, then the connector dies before recording
/// WhatsApp's answer, and starts again.
fn cut_by_a_crash(
    s: &Rules,
    w: &crate::usecases::World,
    text: &str,
) -> (
    multiline_domain::ids::ThreadId,
    multiline_domain::ids::MessageId,
) {
    let thread = open_conversation(s, w);
    let id = s
        .enqueue_text(
            w.alex,
            thread,
            multiline_domain::ids::ClientMessageId::random(),
            text,
            t0(),
        )
        .unwrap()
        .0
        .id;
    assert_eq!(s.claim_next(t0()).unwrap().unwrap().message_id, id);
    s.recover_in_flight(t0()).unwrap();
    (thread, id)
}

#[test]
fn a_send_cut_by_a_crash_is_not_confirmed_until_whatsapps_status_settles_it() {
    let s = Rules::new();
    let w = world(&s);
    let (thread, id) = cut_by_a_crash(&s, &w, "Your car is ready");
    assert_eq!(state_of(&s, &w, thread, id), DeliveryState::Unconfirmed);
    assert!(
        s.claim_next(t0()).unwrap().is_none(),
        "never sent again by itself"
    );
    // WhatsApp's status names it by its callback data: it was delivered.
    let told = s
        .apply_status(
            w.line,
            &StatusUpdate {
                wamid: "wamid.lost-answer".into(),
                state: DeliveryState::Delivered,
                error: None,
                callback: Some(id),
            },
            t0(),
        )
        .unwrap();
    assert!(told.contains(&w.alex.user_id));
    assert_eq!(state_of(&s, &w, thread, id), DeliveryState::Delivered);
    // Settled: sending it again is no longer offered.
    assert!(s.retry(w.alex, id, t0()).unwrap().1.is_empty());
}

#[test]
fn a_user_who_checked_sends_a_not_confirmed_message_again_once() {
    let s = Rules::new();
    let w = world(&s);
    let (_, id) = cut_by_a_crash(&s, &w, "Did this arrive?");
    let (again, _) = s.retry(w.alex, id, t0()).unwrap();
    assert_eq!(again.state, DeliveryState::Sending);
    assert_eq!(s.claim_next(t0()).unwrap().unwrap().message_id, id);
    let (twice, told) = s.retry(w.alex, id, t0()).unwrap();
    assert!(
        told.is_empty() && twice.state == DeliveryState::Sending,
        "one retry"
    );
}
