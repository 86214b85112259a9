//! Store tests on real SQLite files in a temp dir.

use chrono::{TimeZone, Utc};
use multiline_domain::api::{ContactPhone, DeliveryState, MessageBody};
use multiline_domain::ids::ClientMessageId;
use multiline_domain::phone::E164;

use super::*;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

#[test]
fn migrations_are_valid() {
    migrations().validate().unwrap();
}

#[test]
fn sign_in_checks_the_password_and_tokens_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
    let org = store.create_organization("Org", true, t0()).unwrap();
    store
        .create_user(org, "Alex", "Alex@Example.com", "pw-123456", t0())
        .unwrap();
    assert!(
        store
            .sign_in("alex@example.com", "wrong", "tok", t0())
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .sign_in("nobody@example.com", "pw-123456", "tok", t0())
            .unwrap()
            .is_none()
    );
    let session = store
        .sign_in("alex@example.com", "pw-123456", "tok", t0())
        .unwrap()
        .unwrap();
    assert_eq!(session.user.name, "Alex");
    assert!(store.caller("tok", t0()).unwrap().is_some());
    assert!(
        store
            .caller("tok", t0() + SESSION_LIFETIME)
            .unwrap()
            .is_none(),
        "expired"
    );
    store.sign_out("tok", t0()).unwrap();
    assert!(store.caller("tok", t0()).unwrap().is_none(), "revoked");
    let stored: String = store
        .conn()
        .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, "tok", "only a hash of the token is stored");
}

#[test]
fn send_is_idempotent_on_client_id_and_queued_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
    let org = store.create_organization("Org", true, t0()).unwrap();
    let user = store
        .create_user(org, "Alex", "a@example.com", "pw-123456", t0())
        .unwrap();
    let line = store
        .connect_line(
            org,
            NewLine {
                phone_number_id: "1".into(),
                waba_id: "2".into(),
                display_phone_number: "15550001111".into(),
                access_token: "t".into(),
                app_secret: "s".into(),
                verify_token: "v".into(),
                api_base_url: "http://127.0.0.1:1".into(),
                api_version: "v21.0".into(),
                owner_user_id: user,
            },
        )
        .unwrap();
    let phone = E164::parse("+12025550147", None).unwrap();
    let contact = store
        .create_contact(
            org,
            "Ana",
            None,
            None,
            &[ContactPhone {
                number: phone.clone(),
                label: "mobile".into(),
            }],
            t0(),
        )
        .unwrap();
    let caller = Caller {
        user_id: user,
        org_id: org,
    };
    let (thread, _) = store
        .open_whatsapp_thread(caller, contact.id, &phone, t0())
        .unwrap();

    // No consent yet: refused, nothing stored.
    let refused = store.enqueue_text(caller, thread.id, ClientMessageId::random(), "hi", t0());
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::ConsentMissing))),
        "{refused:?}"
    );

    store
        .set_guest_consent(
            line,
            &phone,
            &multiline_domain::consent::Consent::Granted {
                at: t0(),
                reply: "yes".into(),
            },
            t0(),
        )
        .unwrap();
    let l = store.line(line).unwrap();
    store
        .ingest_inbound(
            &l,
            &InboundMessage {
                wamid: "w1".into(),
                from: phone.clone(),
                body: MessageBody::Text {
                    text: "hello".into(),
                },
                payload: None,
                at: t0(),
                cloud_media: None,
                media: None,
            },
            t0(),
        )
        .unwrap();
    let id = ClientMessageId::random();
    let (first, _) = store
        .enqueue_text(caller, thread.id, id, "one", t0())
        .unwrap();
    let (again, told) = store
        .enqueue_text(caller, thread.id, id, "one", t0())
        .unwrap();
    assert_eq!(first.id, again.id);
    assert!(told.is_empty(), "a repeated send announces nothing");
    let (second, _) = store
        .enqueue_text(caller, thread.id, ClientMessageId::random(), "two", t0())
        .unwrap();

    let job = store.claim_next(t0()).unwrap().unwrap();
    assert_eq!(job.message_id, first.id);
    assert!(
        store.claim_next(t0()).unwrap().is_none(),
        "the thread's next waits for the first"
    );
    store.complete_sent(first.id, "wamid.1", t0()).unwrap();
    assert_eq!(
        store.claim_next(t0()).unwrap().unwrap().message_id,
        second.id
    );

    // A status that arrives before the send's answer is applied once the wamid is known.
    store
        .apply_status(
            line,
            &StatusUpdate {
                wamid: "wamid.2".into(),
                state: DeliveryState::Delivered,
                error: None,
            },
            t0(),
        )
        .unwrap();
    store.complete_sent(second.id, "wamid.2", t0()).unwrap();
    let msgs = store.messages(caller, thread.id).unwrap();
    assert_eq!(
        msgs.iter().find(|m| m.id == second.id).unwrap().state,
        DeliveryState::Delivered
    );

    // Statuses never go backwards.
    store
        .apply_status(
            line,
            &StatusUpdate {
                wamid: "wamid.1".into(),
                state: DeliveryState::Read,
                error: None,
            },
            t0(),
        )
        .unwrap();
    store
        .apply_status(
            line,
            &StatusUpdate {
                wamid: "wamid.1".into(),
                state: DeliveryState::Delivered,
                error: None,
            },
            t0(),
        )
        .unwrap();
    let msgs = store.messages(caller, thread.id).unwrap();
    assert_eq!(
        msgs.iter().find(|m| m.id == first.id).unwrap().state,
        DeliveryState::Read
    );

    // A crash with a message in flight: failed, never re-sent.
    let (third, _) = store
        .enqueue_text(caller, thread.id, ClientMessageId::random(), "three", t0())
        .unwrap();
    assert_eq!(
        store.claim_next(t0()).unwrap().unwrap().message_id,
        third.id
    );
    store.recover_in_flight(t0()).unwrap();
    let msgs = store.messages(caller, thread.id).unwrap();
    assert_eq!(
        msgs.iter().find(|m| m.id == third.id).unwrap().state,
        DeliveryState::Failed
    );
    assert!(store.claim_next(t0()).unwrap().is_none());
}
