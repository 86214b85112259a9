//! Membership is the only key to a thread: a colleague who opens a conversation with a
//! guest a participant holds asks to join, visibly, and is not let in; a removed
//! participant neither comes back that way nor reads, nor is sent, what is said after.

use chrono::Duration;
use multiline_connector::usecases::threads::Opened;
use multiline_domain::api::{Event, MessageBody};
use multiline_domain::participants::Operation;

use crate::usecases::harness::Rules;
use crate::usecases::{open_conversation, t0, world, writes};

#[test]
fn a_colleague_asks_to_join_and_is_let_in_only_by_a_participant() {
    let s = Rules::new();
    let w = world(&s);
    let thread = open_conversation(&s, &w);
    let Opened::AskedToJoin { holders, told } =
        s.open_or_ask(w.sam, w.ana.id, &w.ana_phone, t0()).unwrap()
    else {
        panic!("Sam was let into Alex's thread");
    };
    assert_eq!(holders, ["Alex Doe"]);
    assert_eq!(told, [w.alex.user_id], "the participants are told");
    assert!(
        s.messages(w.sam, thread).is_err(),
        "Sam still cannot read it"
    );
    let asked: Vec<_> = s
        .messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .filter_map(|m| match m.body {
            MessageBody::System { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(asked, ["Sam Roe asked to join the conversation"]);
    // Asking again adds nothing until a participant answers.
    let Opened::AskedToJoin { told, .. } =
        s.open_or_ask(w.sam, w.ana.id, &w.ana_phone, t0()).unwrap()
    else {
        panic!("let in on the second ask");
    };
    assert!(told.is_empty());
    assert!(
        s.audit(w.alex.org_id)
            .unwrap()
            .iter()
            .any(|a| a["action"] == "participant.join_requested")
    );
    // Alex adds Sam: now opening it is Sam's thread.
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    match s.open_or_ask(w.sam, w.ana.id, &w.ana_phone, t0()).unwrap() {
        Opened::Thread { thread: t, .. } => assert_eq!(t.id, thread),
        Opened::AskedToJoin { .. } => panic!("a participant is in"),
    }
}

#[test]
fn a_removed_participant_does_not_come_back_nor_read_nor_receive_what_follows() {
    let s = Rules::new();
    let w = world(&s);
    let thread = open_conversation(&s, &w);
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    let later = t0() + Duration::minutes(5);
    s.change_participants(w.alex, thread, Operation::Remove(w.sam.user_id), later)
        .unwrap();
    let head = s.head_seq(w.sam.user_id).unwrap();
    // Ana writes after the removal.
    let after = later + Duration::minutes(1);
    let told = writes(
        &s,
        w.line,
        "wamid.after",
        &w.ana_phone,
        "Only for Alex",
        after,
    );
    assert!(!told.contains(&w.sam.user_id));
    // Sam: not through the thread, not by reopening it, not by replaying events.
    assert!(s.messages(w.sam, thread).is_err());
    assert!(matches!(
        s.open_or_ask(w.sam, w.ana.id, &w.ana_phone, after).unwrap(),
        Opened::AskedToJoin { .. }
    ));
    assert!(s.messages(w.sam, thread).is_err(), "asking let nothing in");
    let replay = s.events_after(w.sam.user_id, 0, 10_000).unwrap();
    let leaked = replay.iter().any(|e| {
        matches!(&e.event, Event::MessageUpserted { message }
            if matches!(&message.body, MessageBody::Text { text } if text == "Only for Alex"))
    });
    assert!(!leaked, "the replay holds nothing said after the removal");
    assert_eq!(
        s.events_after(w.sam.user_id, head, 100).unwrap().len(),
        0,
        "nothing at all since"
    );
}
