//! The rules, as the use cases apply them, on a real store: sessions, organizations'
//! isolation, the send path (idempotent, ordered, refused where the domain says no),
//! statuses, retries, crashes, inbound messages, events, participants, contacts, pictures,
//! templates, the audit, consent and the window, SMS and voicemail. Each starts from an
//! empty store and uses explicit times (no clock, no sleeps). What every store backend must
//! keep is the persistence suite (`store_conformance`).

mod api_versions;
pub mod harness;

use chrono::{Duration, TimeZone, Utc};
use multiline_connector::error::{Error, Result};
use multiline_connector::store::{Caller, CarrierAccount, GuestIds, ListedTemplate, NewLine};
use multiline_connector::usecases::accounts::{SESSION_IDLE, SESSION_LIFETIME};
use multiline_connector::usecases::receive::{Inbound, ReceivedMedia, StatusUpdate};
use multiline_domain::api::{
    Contact, ContactInput, ContactPhone, DeliveryState, Direction, Event, MessageBody, ThreadStatus,
};
use multiline_domain::consent::{Consent, ConsentKeywords};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, ThreadId};
use multiline_domain::participants::Operation;
use multiline_domain::phone::E164;
use multiline_domain::policy::Refusal;
use multiline_domain::templates::{Part, TemplateValues};
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowRule;
use uuid::Uuid;

use harness::Rules;

/// A fixed start time: 1 March 2026, 09:00 UTC.
pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Two organizations: Acme (Alex, Sam; a line; contact Ana) and Other (Olga; a line).
pub struct World {
    pub alex: Caller,
    pub sam: Caller,
    pub olga: Caller,
    pub line: Uuid,
    pub other_line: Uuid,
    pub ana: Contact,
    pub ana_phone: E164,
}

pub fn new_line(owner: multiline_domain::ids::UserId, number: &str) -> NewLine {
    NewLine {
        phone_number_id: format!("pn-{number}"),
        waba_id: format!("waba-{number}"),
        display_phone_number: number.into(),
        access_token: "token".into(),
        app_secret: "secret".into(),
        verify_token: "verify".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        api_version: multiline_domain::graph_version::DEFAULT.into(),
        owner_user_id: owner,
    }
}

pub fn world(s: &Rules) -> World {
    let org = s.create_organization("Acme", true, t0()).unwrap();
    let alex = s
        .create_user(org, "Alex Doe", "alex@acme.test", "pw-alex-12345", t0())
        .unwrap();
    let sam = s
        .create_user(org, "Sam Roe", "sam@acme.test", "pw-sam-12345", t0())
        .unwrap();
    let line = s.connect_line(org, new_line(alex, "15550001111")).unwrap();
    let other = s.create_organization("Other", true, t0()).unwrap();
    let olga = s
        .create_user(other, "Olga", "olga@other.test", "pw-olga-12345", t0())
        .unwrap();
    let other_line = s
        .connect_line(other, new_line(olga, "15550002222"))
        .unwrap();
    let ana_phone = E164::parse("+12025550147", None).unwrap();
    let ana = s
        .create_contact(
            org,
            "Ana Lima",
            Some("Lima & Co"),
            &[ContactPhone {
                number: ana_phone.clone(),
                label: "mobile".into(),
            }],
            t0(),
        )
        .unwrap();
    let caller = |user_id, org_id| Caller { user_id, org_id };
    World {
        alex: caller(alex, org),
        sam: caller(sam, org),
        olga: caller(olga, other),
        line,
        other_line,
        ana,
        ana_phone,
    }
}

fn inbound(wamid: &str, from: &E164, text: &str, at: Timestamp) -> Inbound {
    Inbound {
        wamid: wamid.into(),
        channel: multiline_domain::api::Channel::Whatsapp,
        guest: GuestIds::phone(from.clone()),
        guest_name: None,
        body: MessageBody::Text { text: text.into() },
        payload: None,
        at,
        media: None,
        about: Default::default(),
    }
}

/// A guest's message reaching `line` at `at` (its webhook processed then); who was told.
pub fn writes(
    s: &Rules,
    line: Uuid,
    wamid: &str,
    from: &E164,
    text: &str,
    at: Timestamp,
) -> Vec<multiline_domain::ids::UserId> {
    let line = s.line(line).unwrap();
    s.ingest_inbound(&line, &inbound(wamid, from, text, at), at)
        .unwrap()
}

/// Alex's thread with Ana, with Ana's consent and a message from her at `t0` (window open).
pub fn open_conversation(s: &Rules, w: &World) -> ThreadId {
    let granted = Consent::Granted {
        at: t0(),
        reply: "YES".into(),
    };
    s.set_guest_consent(w.line, &w.ana_phone, &granted, t0())
        .unwrap();
    let (thread, _) = s
        .open_whatsapp_thread(w.alex, w.ana.id, &w.ana_phone, t0())
        .unwrap();
    writes(s, w.line, "wamid.in.1", &w.ana_phone, "hello", t0());
    thread.id
}

fn send(s: &Rules, who: Caller, thread: ThreadId, text: &str) -> Result<Uuid> {
    s.enqueue_text(who, thread, ClientMessageId::random(), text, t0())
        .map(|(m, _)| m.id.0)
}

fn state_of(s: &Rules, who: Caller, thread: ThreadId, id: Uuid) -> DeliveryState {
    s.messages(who, thread)
        .unwrap()
        .into_iter()
        .find(|m| m.id.0 == id)
        .expect("message stored")
        .state
}

fn listed(name: &str, status: &str, body: &str) -> ListedTemplate {
    ListedTemplate {
        name: name.into(),
        language: "en_US".into(),
        status: status.into(),
        category: "UTILITY".into(),
        parameter_format: None,
        components: serde_json::json!([{ "type": "BODY", "text": body }]),
    }
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::NotFound))
}

// ---- accounts ---------------------------------------------------------------------------

#[test]
fn sessions_expire_and_can_be_revoked() {
    let s = &Rules::new();
    let w = world(s);
    let wrong = s.sign_in("alex@acme.test", "nope", "tok-1", t0()).unwrap();
    assert!(wrong.is_none(), "a wrong password opens nothing");
    let unknown = s.sign_in("who@acme.test", "pw-alex-12345", "tok-1", t0());
    assert!(unknown.unwrap().is_none(), "an unknown email opens nothing");
    assert!(s.caller("tok-1", t0()).unwrap().is_none());

    let session = s
        .sign_in("ALEX@acme.test", "pw-alex-12345", "tok-1", t0())
        .unwrap()
        .expect("emails compare without case");
    assert_eq!(session.user.name, "Alex Doe");
    assert_eq!(session.organization.name, "Acme");
    assert_eq!(s.caller("tok-1", t0()).unwrap(), Some(w.alex));
    // Used every 10 days, it slides up to its lifetime, and not past it.
    let mut used = t0();
    while used + Duration::days(10) < t0() + SESSION_LIFETIME {
        used += Duration::days(10);
        assert_eq!(s.caller("tok-1", used).unwrap(), Some(w.alex), "{used}");
    }
    let almost = t0() + SESSION_LIFETIME - Duration::seconds(1);
    assert_eq!(s.caller("tok-1", almost).unwrap(), Some(w.alex));
    assert!(
        s.caller("tok-1", t0() + SESSION_LIFETIME)
            .unwrap()
            .is_none(),
        "expired after its lifetime"
    );
    // Unused for the idle limit, it ends.
    s.sign_in("alex@acme.test", "pw-alex-12345", "tok-3", t0())
        .unwrap()
        .unwrap();
    let idle_end = t0() + SESSION_IDLE;
    assert_eq!(
        s.caller("tok-3", idle_end - Duration::seconds(1)).unwrap(),
        Some(w.alex)
    );
    assert!(
        s.caller("tok-3", idle_end - Duration::seconds(2) + SESSION_IDLE)
            .unwrap()
            .is_some(),
        "the use just before slid it"
    );
    assert!(
        s.caller("tok-3", idle_end + SESSION_IDLE * 2)
            .unwrap()
            .is_none(),
        "idle too long"
    );

    s.sign_in("sam@acme.test", "pw-sam-12345", "tok-2", t0())
        .unwrap()
        .unwrap();
    s.sign_out("tok-2", t0()).unwrap();
    assert!(s.caller("tok-2", t0()).unwrap().is_none(), "revoked");
    assert_eq!(
        s.caller("tok-1", t0()).unwrap(),
        Some(w.alex),
        "others stay"
    );
    s.sign_out("never-issued", t0()).unwrap();
}

#[test]
fn only_a_hash_of_the_token_and_of_the_password_is_stored() {
    let s = &Rules::new();
    world(s);
    s.sign_in("alex@acme.test", "pw-alex-12345", "tok-secret", t0())
        .unwrap()
        .unwrap();
    let conn = rusqlite::Connection::open(s.path()).unwrap();
    let token: String = conn
        .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        token,
        multiline_connector::usecases::accounts::hash_token("tok-secret")
    );
    assert!(!token.contains("tok-secret"));
    let password: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE email = 'alex@acme.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(password.starts_with("$argon2id$"), "{password}");
}

#[test]
fn emails_are_unique_regardless_of_case() {
    let s = &Rules::new();
    let w = world(s);
    let again = s.create_user(
        w.alex.org_id,
        "Alex 2",
        "Alex@Acme.test",
        "pw-x-1234567",
        t0(),
    );
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    assert_eq!(
        s.user_by_email("alex@ACME.test").unwrap(),
        Some(w.alex.user_id)
    );
}

#[test]
fn organizations_see_only_their_own() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    assert!(is_not_found(s.contact(w.olga.org_id, w.ana.id)));
    assert!(s.contacts(w.olga.org_id, None).unwrap().is_empty());
    assert!(is_not_found(s.thread(w.olga, thread)));
    assert!(is_not_found(s.messages(w.olga, thread)));
    assert!(is_not_found(send(s, w.olga, thread, "hi")));
    assert!(s.threads(w.olga).unwrap().is_empty());
    let names = |who| -> Vec<String> {
        let mut names: Vec<_> = s
            .colleagues(who)
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(w.olga), ["Olga"]);
    assert_eq!(names(w.alex), ["Alex Doe", "Sam Roe"]);
    // Olga cannot open a thread with Acme's contact either.
    assert!(is_not_found(s.open_whatsapp_thread(
        w.olga,
        w.ana.id,
        &w.ana_phone,
        t0()
    )));
    assert_eq!(s.line_of_org(w.olga.org_id).unwrap().id, w.other_line);
    // The same guest writing to the other organization's line is another conversation.
    writes(s, w.other_line, "wamid.o.1", &w.ana_phone, "hi Olga", t0());
    let olga_threads = s.threads(w.olga).unwrap();
    assert_eq!(olga_threads.len(), 1);
    assert_ne!(olga_threads[0].id, thread);
    let texts: Vec<_> = s
        .messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .map(|m| m.body.preview())
        .collect();
    assert_eq!(texts, ["hello"], "Acme's thread has only Acme's messages");
}

#[test]
fn a_disabled_organization_sends_nothing() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    s.set_whatsapp_enabled(w.alex.org_id, false).unwrap();
    assert!(
        !s.session(w.alex.user_id)
            .unwrap()
            .organization
            .whatsapp_enabled
    );
    let refused = send(s, w.alex, thread, "hi");
    assert!(
        matches!(refused, Err(Error::Refused(Refusal::WhatsappDisabled))),
        "{refused:?}"
    );
    assert!(s.claim_next(t0()).unwrap().is_none());
    s.set_whatsapp_enabled(w.alex.org_id, true).unwrap();
    send(s, w.alex, thread, "hi").unwrap();
    assert!(s.claim_next(t0()).unwrap().is_some());
}

#[test]
fn refusals_write_nothing() {
    let s = &Rules::new();
    let w = world(s);
    let body = "Hi {{1}}, {{2}} would like to message you here. Reply YES to agree.";
    s.replace_templates(w.line, &[listed("optin_request", "APPROVED", body)], t0())
        .unwrap();
    let (thread, _) = s
        .open_asking_consent(
            w.alex,
            w.ana.id,
            &w.ana_phone,
            ClientMessageId::random(),
            t0(),
        )
        .unwrap();
    let before = s.row_counts().unwrap();
    let refused = send(s, w.alex, thread.id, "hi");
    assert!(
        matches!(refused, Err(Error::Refused(Refusal::ConsentMissing))),
        "{refused:?}"
    );
    let bad = ContactInput {
        name: "  ".into(),
        company: None,
        notes: None,
        phones: vec![],
    };
    let invalid = s.save_contact(w.alex, None, &bad, t0());
    assert!(matches!(
        invalid,
        Err(Error::Invalid {
            code: ErrorCode::InvalidName,
            ..
        })
    ));
    let mut values = TemplateValues::new();
    values.insert((Part::Body, "1".into()), "x".into());
    let unknown = s.enqueue_template(
        w.alex,
        thread.id,
        ClientMessageId::random(),
        ("no_such_template", "en_US"),
        &values,
        t0(),
    );
    assert!(unknown.is_err(), "an unknown template is refused");
    assert_eq!(s.row_counts().unwrap(), before, "nothing written anywhere");
}

// ---- the send path and the dispatch queue -----------------------------------------------

#[test]
fn sends_are_idempotent_and_ordered_per_thread() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let key = ClientMessageId::random();
    let (first, told) = s.enqueue_text(w.alex, thread, key, "one", t0()).unwrap();
    assert_eq!(told, [w.alex.user_id]);
    assert_eq!(first.state, DeliveryState::Sending);
    let (again, told) = s.enqueue_text(w.alex, thread, key, "one", t0()).unwrap();
    assert_eq!(again.id, first.id, "the same client id is the same message");
    assert!(told.is_empty(), "a repeated send announces nothing");
    let second = send(s, w.alex, thread, "two").unwrap();

    let job = s.claim_next(t0()).unwrap().expect("first is due");
    assert_eq!(job.message_id, first.id);
    assert_eq!(job.to, GuestIds::phone(w.ana_phone.clone()));
    assert_eq!(job.line.id, w.line);
    assert!(
        s.claim_next(t0()).unwrap().is_none(),
        "the thread's next waits for the one in flight"
    );
    s.complete_sent(first.id, "wamid.out.1", t0()).unwrap();
    assert_eq!(state_of(s, w.alex, thread, first.id.0), DeliveryState::Sent);
    let job = s.claim_next(t0()).unwrap().expect("second is due");
    assert_eq!(job.message_id.0, second);
    assert_eq!(
        s.messages(w.alex, thread).unwrap().len(),
        3,
        "hello, one, two"
    );
}

#[test]
fn statuses_never_go_backwards() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let one = send(s, w.alex, thread, "one").unwrap();
    let two = send(s, w.alex, thread, "two").unwrap();
    let status = |wamid: &str, state| StatusUpdate {
        callback: None,
        wamid: wamid.into(),
        state,
        error: None,
    };
    let job = s.claim_next(t0()).unwrap().unwrap();
    s.complete_sent(job.message_id, "wamid.1", t0()).unwrap();
    s.apply_status(w.line, &status("wamid.1", DeliveryState::Read), t0())
        .unwrap();
    s.apply_status(w.line, &status("wamid.1", DeliveryState::Delivered), t0())
        .unwrap();
    s.apply_status(w.line, &status("wamid.1", DeliveryState::Sent), t0())
        .unwrap();
    assert_eq!(state_of(s, w.alex, thread, one), DeliveryState::Read);

    // A status that overtakes the send's answer is kept until the wamid is known.
    let job = s.claim_next(t0()).unwrap().unwrap();
    s.apply_status(w.line, &status("wamid.2", DeliveryState::Delivered), t0())
        .unwrap();
    s.complete_sent(job.message_id, "wamid.2", t0()).unwrap();
    assert_eq!(state_of(s, w.alex, thread, two), DeliveryState::Delivered);

    // A failure after delivery is a state the user must see, with its reason.
    let three = send(s, w.alex, thread, "three").unwrap();
    let job = s.claim_next(t0()).unwrap().unwrap();
    s.complete_sent(job.message_id, "wamid.3", t0()).unwrap();
    let failed = StatusUpdate {
        callback: None,
        wamid: "wamid.3".into(),
        state: DeliveryState::Failed,
        error: Some((131026, "Message undeliverable".into())),
    };
    s.apply_status(w.line, &failed, t0()).unwrap();
    let msg = s
        .messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .find(|m| m.id.0 == three)
        .unwrap();
    assert_eq!(msg.state, DeliveryState::Failed);
    assert!(msg.failure.is_some_and(|f| !f.is_empty()));
}

#[test]
fn a_status_naming_a_message_in_flight_sends_it_and_a_late_failed_answer_changes_nothing() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let one = send(s, w.alex, thread, "one").unwrap();
    let two = send(s, w.alex, thread, "two").unwrap();
    let job = s.claim_next(t0()).unwrap().unwrap();
    // WhatsApp's status, with the send's callback data, comes before the send's answer.
    let delivered = StatusUpdate {
        callback: Some(job.message_id),
        wamid: "wamid.early".into(),
        state: DeliveryState::Delivered,
        error: None,
    };
    s.apply_status(w.line, &delivered, t0()).unwrap();
    assert_eq!(state_of(s, w.alex, thread, one), DeliveryState::Delivered);
    // Out of the queue: the thread's next goes without waiting for the answer.
    assert_eq!(s.claim_next(t0()).unwrap().unwrap().message_id.0, two);
    // The answer, when it comes: a timeout's failure is not believed, a success is the same.
    s.complete_failed(job.message_id, "no answer in time", false, t0())
        .unwrap();
    assert_eq!(state_of(s, w.alex, thread, one), DeliveryState::Delivered);
    s.complete_sent(job.message_id, "wamid.early", t0())
        .unwrap();
    assert_eq!(state_of(s, w.alex, thread, one), DeliveryState::Delivered);
    // Naming it again under another wamid (not the one it went out as): the message is no
    // longer being sent, so the status is kept for that wamid, never applied to it.
    let stray = StatusUpdate {
        callback: Some(job.message_id),
        wamid: "wamid.other".into(),
        state: DeliveryState::Read,
        error: None,
    };
    s.apply_status(w.line, &stray, t0()).unwrap();
    assert_eq!(state_of(s, w.alex, thread, one), DeliveryState::Delivered);
}

#[test]
fn a_job_in_flight_at_a_crash_is_not_confirmed_and_not_resent() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let held = send(s, w.alex, thread, "in flight").unwrap();
    let behind = send(s, w.alex, thread, "behind").unwrap();
    assert_eq!(s.claim_next(t0()).unwrap().unwrap().message_id.0, held);
    let told = s.recover_in_flight(t0()).unwrap();
    assert_eq!(told, [w.alex.user_id]);
    let msg = s
        .messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .find(|m| m.id.0 == held)
        .unwrap();
    assert_eq!(msg.state, DeliveryState::Unconfirmed);
    assert!(msg.failure.unwrap().contains("Check with the guest"));
    let next = s.claim_next(t0()).unwrap().expect("the one behind goes");
    assert_eq!(next.message_id.0, behind);
    assert!(
        s.claim_next(t0()).unwrap().is_none(),
        "the held one never again"
    );
}

#[test]
fn retries_wait_until_due() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let id = send(s, w.alex, thread, "retry me").unwrap();
    let job = s.claim_next(t0()).unwrap().unwrap();
    assert_eq!(job.attempts, 1);
    let later = t0() + Duration::seconds(30);
    s.retry_at(job.message_id, later).unwrap();
    assert_eq!(s.next_due().unwrap(), Some(later));
    assert!(
        s.claim_next(later - Duration::seconds(1))
            .unwrap()
            .is_none()
    );
    let job = s.claim_next(later).unwrap().expect("due now");
    assert_eq!(job.message_id.0, id);
    assert_eq!(job.attempts, 2);
    assert_eq!(state_of(s, w.alex, thread, id), DeliveryState::Sending);
    s.complete_sent(job.message_id, "wamid.r", later).unwrap();
    assert_eq!(s.next_due().unwrap(), None);
}

#[test]
fn a_template_required_failure_marks_the_thread() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    send(s, w.alex, thread, "late").unwrap();
    let job = s.claim_next(t0()).unwrap().unwrap();
    s.complete_failed(job.message_id, "24 hours have passed", true, t0())
        .unwrap();
    assert!(s.thread(w.alex, thread).unwrap().template_required);
    let refused = send(s, w.alex, thread, "again");
    assert!(
        matches!(
            refused,
            Err(Error::Refused(Refusal::WindowClosedUseTemplate))
        ),
        "{refused:?}"
    );
    // The guest writing again opens the window for free-form messages.
    let later = t0() + Duration::minutes(5);
    writes(s, w.line, "wamid.in.2", &w.ana_phone, "back", later);
    assert!(!s.thread(w.alex, thread).unwrap().template_required);
}

#[test]
fn retry_queues_the_same_failed_message_once() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    send(s, w.alex, thread, "hello").unwrap();
    let sent = s.messages(w.alex, thread).unwrap().pop().unwrap();
    let job = s.claim_next(t0()).unwrap().unwrap();
    let failure = multiline_connector::usecases::deliver::Failure::whatsapp(
        None,
        multiline_domain::cloud_errors::Disposition::Unknown,
        "broke".into(),
    );
    multiline_connector::usecases::deliver::complete_failed(&s.at(t0()), job.message_id, &failure)
        .unwrap();
    let failed = s.messages(w.alex, thread).unwrap().pop().unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(
        failed.remedy,
        Some(multiline_domain::messages::Remedy::Retry)
    );
    // Someone who is not in the thread may not.
    assert!(s.retry(w.olga, job.message_id, t0()).is_err());
    // Two retries (a double tap, two devices) queue it once, with the same id and client id.
    let (again, told) = s.retry(w.alex, job.message_id, t0()).unwrap();
    assert!(!told.is_empty());
    let (twice, told) = s.retry(w.alex, job.message_id, t0()).unwrap();
    assert!(told.is_empty());
    for m in [&again, &twice] {
        assert_eq!(m.id, sent.id);
        assert_eq!(m.client_id, sent.client_id);
        assert_eq!(m.state, DeliveryState::Sending);
        assert_eq!((m.failure.as_deref(), m.remedy), (None, None));
    }
    let job = s.claim_next(t0()).unwrap().expect("queued again");
    assert_eq!(job.message_id, sent.id);
    assert!(s.claim_next(t0()).unwrap().is_none(), "queued once");
    let before = s.messages(w.alex, thread).unwrap().len();
    s.complete_sent(job.message_id, "wamid.again", t0())
        .unwrap();
    assert_eq!(s.messages(w.alex, thread).unwrap().len(), before);
    // A message that is not failed is answered as it is.
    let (sent_one, told) = s.retry(w.alex, job.message_id, t0()).unwrap();
    assert_eq!(sent_one.state, DeliveryState::Sent);
    assert!(told.is_empty());
    assert!(s.claim_next(t0()).unwrap().is_none());
}

// ---- inbound --------------------------------------------------------------------------

#[test]
fn inbound_messages_are_stored_once() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let line = s.line(w.line).unwrap();
    assert!(s.knows_wamid("wamid.in.1").unwrap());
    assert!(!s.knows_wamid("wamid.in.2").unwrap());
    let at = t0() + Duration::seconds(10);
    let msg = inbound("wamid.in.2", &w.ana_phone, "second", at);
    assert_eq!(s.ingest_inbound(&line, &msg, at).unwrap(), [w.alex.user_id]);
    assert!(
        s.ingest_inbound(&line, &msg, at).unwrap().is_empty(),
        "a duplicate tells nobody"
    );
    let texts: Vec<_> = s
        .messages(w.alex, thread)
        .unwrap()
        .into_iter()
        .map(|m| (m.direction, m.body.preview()))
        .collect();
    assert_eq!(
        texts,
        [
            (Direction::Inbound, "hello".to_owned()),
            (Direction::Inbound, "second".to_owned())
        ]
    );
}

#[test]
fn a_new_guest_opens_a_thread_for_the_line_owner() {
    let s = &Rules::new();
    let w = world(s);
    let stranger = E164::parse("+447911123456", None).unwrap();
    let told = writes(s, w.line, "wamid.s.1", &stranger, "who is this?", t0());
    assert_eq!(told, [w.alex.user_id], "the line's owner");
    let threads = s.threads(w.alex).unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].guest_phone.as_ref(), Some(&stranger));
    assert_eq!(threads[0].unread_count, 1);
    assert!(s.threads(w.sam).unwrap().is_empty(), "not Sam's");
    let last = s.last_guest_messages(w.line).unwrap();
    assert_eq!(last, [(stranger, t0())]);
}

// ---- events -----------------------------------------------------------------------------

#[test]
fn events_are_numbered_per_user_without_gaps() {
    let s = &Rules::new();
    let w = world(s);
    assert_eq!(s.head_seq(w.alex.user_id).unwrap(), 0);
    let thread = open_conversation(s, &w);
    send(s, w.alex, thread, "one").unwrap();
    send(s, w.alex, thread, "two").unwrap();
    let all = s.events_after(w.alex.user_id, 0, 1000).unwrap();
    let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=all.len() as u64).collect();
    assert_eq!(seqs, expected, "1, 2, 3... with no gap");
    assert_eq!(s.head_seq(w.alex.user_id).unwrap(), all.len() as u64);
    let sent: Vec<String> = all
        .iter()
        .filter_map(|e| match &e.event {
            Event::MessageUpserted { message } => Some(message.body.preview()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, ["hello", "one", "two"], "in the order they happened");

    let tail = s.events_after(w.alex.user_id, 2, 2).unwrap();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    assert!(
        s.events_after(w.alex.user_id, all.len() as u64, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.head_seq(w.sam.user_id).unwrap(),
        0,
        "Sam saw nothing of it"
    );
    assert_eq!(s.head_seq(w.olga.user_id).unwrap(), 0);
}

// ---- participants -----------------------------------------------------------------------

#[test]
fn participants_decide_who_sees_a_thread() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    assert!(is_not_found(s.thread(w.sam, thread)));

    let (_, told) = s
        .change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    assert!(told.contains(&w.sam.user_id) && told.contains(&w.alex.user_id));
    assert_eq!(s.thread(w.sam, thread).unwrap().id, thread);
    let names = |who| -> Vec<String> {
        let t = s.thread(who, thread).unwrap();
        t.participants.into_iter().map(|u| u.name).collect()
    };
    assert_eq!(
        names(w.sam),
        ["Alex Doe", "Sam Roe"],
        "in the order they joined"
    );
    send(s, w.sam, thread, "Sam here").unwrap();
    let has_system_line = s
        .messages(w.sam, thread)
        .unwrap()
        .iter()
        .any(|m| m.direction == Direction::System);
    assert!(has_system_line, "the change shows in the thread");

    s.change_participants(w.alex, thread, Operation::Remove(w.sam.user_id), t0())
        .unwrap();
    assert!(is_not_found(s.thread(w.sam, thread)));
    assert_eq!(names(w.alex), ["Alex Doe"]);
    assert!(is_not_found(s.messages(w.sam, thread)));
    assert!(is_not_found(send(s, w.sam, thread, "still here?")));
    let removed = s
        .events_after(w.sam.user_id, 0, 1000)
        .unwrap()
        .into_iter()
        .any(|e| matches!(e.event, Event::ThreadRemoved { thread_id } if thread_id == thread));
    assert!(removed, "Sam's app is told to forget the thread");

    s.change_participants(w.alex, thread, Operation::Transfer(w.sam.user_id), t0())
        .unwrap();
    assert!(
        is_not_found(s.thread(w.alex, thread)),
        "Alex handed it over"
    );
    assert_eq!(s.thread(w.sam, thread).unwrap().id, thread);
    let olga = s.change_participants(w.sam, thread, Operation::Add(w.olga.user_id), t0());
    assert!(olga.is_err(), "no one from another organization");
}

// ---- contacts -----------------------------------------------------------------------------

#[test]
fn contacts_are_validated_searched_and_hidden() {
    let s = &Rules::new();
    let w = world(s);
    let ben = E164::parse("+33612345678", None).unwrap();
    let input = ContactInput {
        name: "Ben Martin".into(),
        company: Some("Boulangerie".into()),
        notes: None,
        phones: vec![ContactPhone {
            number: ben.clone(),
            label: "mobile".into(),
        }],
    };
    let twice = ContactInput {
        phones: vec![input.phones[0].clone(), input.phones[0].clone()],
        ..input.clone()
    };
    let dup = s.save_contact(w.alex, None, &twice, t0());
    assert!(matches!(
        dup,
        Err(Error::Invalid {
            code: ErrorCode::DuplicatePhone,
            ..
        })
    ));
    let (ben_contact, told) = s.save_contact(w.alex, None, &input, t0()).unwrap();
    assert!(
        told.contains(&w.sam.user_id),
        "every colleague's list changes"
    );
    let names = |q: Option<&str>| -> Vec<String> {
        s.contacts(w.alex.org_id, q)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    assert_eq!(names(None), ["Ana Lima", "Ben Martin"]);
    assert_eq!(names(Some("boul")), ["Ben Martin"], "by company");
    assert_eq!(names(Some("612345")), ["Ben Martin"], "by number");
    assert_eq!(names(Some("lima")), ["Ana Lima"]);

    let renamed = ContactInput {
        name: "Benoît Martin".into(),
        ..input
    };
    let (saved, _) = s
        .save_contact(w.alex, Some(ben_contact.id), &renamed, t0())
        .unwrap();
    assert_eq!(saved.id, ben_contact.id);
    assert_eq!(
        s.contact(w.alex.org_id, ben_contact.id).unwrap().name,
        "Benoît Martin"
    );
    assert!(is_not_found(s.save_contact(
        w.olga,
        Some(ben_contact.id),
        &renamed,
        t0()
    )));

    s.delete_contact(w.alex, ben_contact.id, t0()).unwrap();
    assert!(is_not_found(s.contact(w.alex.org_id, ben_contact.id)));
    assert_eq!(names(None), ["Ana Lima"]);
    assert!(is_not_found(s.delete_contact(w.alex, ben_contact.id, t0())));
}

// ---- media ------------------------------------------------------------------------------

#[test]
fn pictures_are_seen_by_uploader_then_participants() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    let bytes = b"\xFF\xD8\xFF pretend jpeg bytes".to_vec();
    let info = s
        .put_upload(w.alex, "image/jpeg", (640, 480), &bytes, t0())
        .unwrap();
    assert_eq!((info.width, info.height), (640, 480));
    assert_eq!(s.media_for(w.alex, info.id).unwrap().bytes, bytes);
    assert!(is_not_found(s.media_for(w.sam, info.id)), "not yet Sam's");
    assert!(is_not_found(s.media_for(w.olga, info.id)));

    s.enqueue_picture(
        w.alex,
        thread,
        ClientMessageId::random(),
        info.id,
        Some("look"),
        t0(),
    )
    .unwrap();
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    assert_eq!(
        s.media_for(w.sam, info.id).unwrap().bytes,
        bytes,
        "Sam is in the thread"
    );
    assert!(is_not_found(s.media_for(w.olga, info.id)));
    assert_eq!(s.media(info.id).unwrap().info.mime_type, "image/jpeg");
}

// ---- templates --------------------------------------------------------------------------

#[test]
fn only_approved_templates_are_offered() {
    let s = &Rules::new();
    let w = world(s);
    let listing = [
        listed(
            "appointment_reminder",
            "APPROVED",
            "Hi {{1}}, see you at {{2}}.",
        ),
        listed("summer_sale", "PENDING", "Sale!"),
        listed("old_notice", "REJECTED", "Old."),
    ];
    let told = s.replace_templates(w.line, &listing, t0()).unwrap();
    assert!(told.contains(&w.alex.user_id) && told.contains(&w.sam.user_id));
    let names: Vec<_> = s
        .approved_templates(w.alex.org_id)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["appointment_reminder"]);
    assert!(s.approved_templates(w.olga.org_id).unwrap().is_empty());
    assert!(
        s.replace_templates(w.line, &listing, t0())
            .unwrap()
            .is_empty(),
        "the same listing again changes nothing"
    );

    // An approved template goes out even with the window closed; a paused one does not.
    let thread = open_conversation(s, &w);
    let mut values = TemplateValues::new();
    values.insert((Part::Body, "1".into()), "Ana".into());
    values.insert((Part::Body, "2".into()), "10:00".into());
    let late = t0() + Duration::hours(25);
    let (msg, _) = s
        .enqueue_template(
            w.alex,
            thread,
            ClientMessageId::random(),
            ("appointment_reminder", "en_US"),
            &values,
            late,
        )
        .unwrap();
    assert_eq!(msg.body.preview(), "Hi Ana, see you at 10:00.");
    let paused = [listed(
        "appointment_reminder",
        "PAUSED",
        "Hi {{1}}, see you at {{2}}.",
    )];
    s.replace_templates(w.line, &paused, late).unwrap();
    assert!(s.approved_templates(w.alex.org_id).unwrap().is_empty());
    let refused = s.enqueue_template(
        w.alex,
        thread,
        ClientMessageId::random(),
        ("appointment_reminder", "en_US"),
        &values,
        late,
    );
    assert!(refused.is_err(), "a template no longer approved is refused");
}

// ---- audit ------------------------------------------------------------------------------

#[test]
fn the_audit_records_who_did_what() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    send(s, w.alex, thread, "hi").unwrap();
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    s.audit_admin(
        w.alex.org_id,
        t0(),
        "whatsapp.enabled",
        serde_json::json!({ "enabled": true }),
    )
    .unwrap();
    let audit = s.audit(w.alex.org_id).unwrap();
    let actions: Vec<&str> = audit.iter().filter_map(|r| r["action"].as_str()).collect();
    let position = |a: &str| actions.iter().position(|x| *x == a);
    let queued = position("message.queued").expect("the message is audited");
    let admin = position("whatsapp.enabled").expect("the admin change is audited");
    assert!(queued < admin, "oldest first: {actions:?}");
    assert!(
        actions.iter().any(|a| a.starts_with("participant")),
        "participant changes are audited: {actions:?}"
    );
    assert!(
        actions.iter().any(|a| a.starts_with("consent")),
        "consent changes are audited: {actions:?}"
    );
    let by_alex = audit
        .iter()
        .find(|r| r["action"] == "message.queued")
        .unwrap();
    assert_eq!(by_alex["actor"], w.alex.user_id.to_string());
    assert_eq!(by_alex["thread_id"], thread.to_string());
    assert_eq!(audit.last().unwrap()["actor"], "admin");
    // Other's record has only its own setting up (organization, user, line), by an admin.
    let theirs = s.audit(w.olga.org_id).unwrap();
    let actions: Vec<&str> = theirs.iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["organization.created", "user.created", "line.connected"],
        "scoped to the organization"
    );
}

// ---- reading and consent --------------------------------------------------------------------

#[test]
fn reading_clears_unread_for_the_reader_only() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    let at = t0() + Duration::seconds(5);
    writes(s, w.line, "wamid.in.2", &w.ana_phone, "still there?", at);
    assert_eq!(s.thread(w.sam, thread).unwrap().unread_count, 2);
    let (wamid, line_id, told) = s.mark_read(w.alex, thread, at).unwrap();
    assert_eq!(wamid.as_deref(), Some("wamid.in.2"));
    assert_eq!(line_id, w.line);
    assert_eq!(told, [w.alex.user_id]);
    assert_eq!(s.thread(w.alex, thread).unwrap().unread_count, 0);
    assert_eq!(
        s.thread(w.sam, thread).unwrap().unread_count,
        2,
        "Sam's stay"
    );
}

#[test]
fn opt_in_then_consent_opens_the_window() {
    let s = &Rules::new();
    let w = world(s);
    let body = "Hi {{1}}, {{2}} would like to message you here. Reply YES to agree.";
    s.replace_templates(w.line, &[listed("optin_request", "APPROVED", body)], t0())
        .unwrap();
    // Ana has never been asked: no thread without the opt-in request, and nothing written.
    let before = s.row_counts().unwrap();
    let unasked = s.open_whatsapp_thread(w.alex, w.ana.id, &w.ana_phone, t0());
    assert!(
        matches!(unasked, Err(Error::Refused(Refusal::ConsentMissing))),
        "{unasked:?}"
    );
    assert_eq!(
        s.row_counts().unwrap(),
        before,
        "no thread, no audit, no event"
    );
    assert!(s.threads(w.alex).unwrap().is_empty());
    // Opened with the request: one thread, the request queued in it.
    let asking = ClientMessageId::random();
    let (thread, _) = s
        .open_asking_consent(w.alex, w.ana.id, &w.ana_phone, asking, t0())
        .unwrap();
    assert_eq!(thread.consent, Consent::None, "asked once it is sent");
    let (request, _) = s.enqueue_opt_in(w.alex, thread.id, asking, t0()).unwrap();
    assert_eq!(
        s.messages(w.alex, thread.id).unwrap(),
        vec![request.clone()],
        "the same request, once"
    );
    // The same open again (a retried request) changes nothing.
    let (again, _) = s
        .open_asking_consent(w.alex, w.ana.id, &w.ana_phone, asking, t0())
        .unwrap();
    assert_eq!(again.id, thread.id);
    assert_eq!(s.messages(w.alex, thread.id).unwrap().len(), 1);
    assert_eq!(
        request.body.preview(),
        "Hi Ana, Acme would like to message you here. Reply YES to agree."
    );
    let job = s.claim_next(t0()).unwrap().unwrap();
    s.complete_sent(job.message_id, "wamid.optin", t0())
        .unwrap();
    let requested = s.thread(w.alex, thread.id).unwrap().consent;
    assert_eq!(
        requested,
        Consent::Requested { at: t0() },
        "pending once sent"
    );
    let pending = send(s, w.alex, thread.id, "hello?");
    assert!(
        matches!(pending, Err(Error::Refused(Refusal::ConsentPending))),
        "{pending:?}"
    );
    let at = t0() + Duration::minutes(1);
    let granted = Consent::Granted {
        at,
        reply: "YES".into(),
    };
    s.set_guest_consent(w.line, &w.ana_phone, &granted, at)
        .unwrap();
    writes(s, w.line, "wamid.y", &w.ana_phone, "YES", at);
    assert_eq!(s.thread(w.alex, thread.id).unwrap().consent, granted);
    send(s, w.alex, thread.id, "thanks!").unwrap();

    let opted_out = Consent::Revoked {
        at,
        guest_returned_at: None,
    };
    s.set_guest_consent(w.line, &w.ana_phone, &opted_out, at)
        .unwrap();
    let refused = send(s, w.alex, thread.id, "one more");
    assert!(
        matches!(refused, Err(Error::Refused(Refusal::OptedOut))),
        "{refused:?}"
    );
}

#[test]
fn an_organization_chooses_its_consent_words() {
    let s = &Rules::new();
    let w = world(s);
    assert_eq!(
        s.consent_keywords(w.alex.org_id).unwrap(),
        ConsentKeywords::default()
    );
    let baja = ConsentKeywords::custom(None, Some(&["baja".to_owned()])).unwrap();
    s.set_consent_keywords(w.alex.org_id, &baja).unwrap();
    assert_eq!(s.consent_keywords(w.alex.org_id).unwrap(), baja);
    assert_eq!(
        s.consent_keywords(w.olga.org_id).unwrap(),
        ConsentKeywords::default(),
        "per organization"
    );
    let thread = open_conversation(s, &w);
    let at = t0() + Duration::minutes(1);
    writes(s, w.line, "wamid.stop", &w.ana_phone, "STOP", at);
    assert!(
        matches!(
            s.thread(w.alex, thread).unwrap().consent,
            Consent::Granted { .. }
        ),
        "STOP is not one of Acme's words any more"
    );
    let later = at + Duration::minutes(1);
    writes(s, w.line, "wamid.baja", &w.ana_phone, "Baja.", later);
    assert!(matches!(
        s.thread(w.alex, thread).unwrap().consent,
        Consent::Revoked { .. }
    ));
    assert!(is_not_found(s.set_consent_keywords(
        multiline_domain::ids::OrganizationId::random(),
        &baja
    )));
}

#[test]
fn both_window_rules_close_at_24_hours() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w); // Ana wrote at t0.
    let at = |h| t0() + Duration::hours(h);
    let (msg, _) = s
        .enqueue_text(w.alex, thread, ClientMessageId::random(), "noted", at(20))
        .unwrap();
    let job = s.claim_next(at(20)).unwrap().unwrap();
    assert_eq!(job.message_id, msg.id);
    s.complete_sent(msg.id, "wamid.noted", at(20)).unwrap();
    let try_send = |now| s.enqueue_text(w.alex, thread, ClientMessageId::random(), "hi", now);

    // The product's rule: 24 h from the last message of either side (20 h + 24 h).
    assert_eq!(
        s.thread(w.alex, thread).unwrap().window_rule,
        WindowRule::AnyMessage
    );
    assert!(try_send(at(25)).is_ok());
    let job = s.claim_next(at(25)).unwrap().unwrap();
    s.retry_at(job.message_id, at(100)).unwrap(); // keep it queued, unsent
    let closed = try_send(at(44) + Duration::seconds(1));
    assert!(
        matches!(
            closed,
            Err(Error::Refused(Refusal::WindowClosedUseTemplate))
        ),
        "{closed:?}"
    );

    // Meta's rule: 24 h from the guest's last message only.
    s.set_window_rule(w.alex.org_id, WindowRule::GuestMessage)
        .unwrap();
    assert_eq!(
        s.thread(w.alex, thread).unwrap().window_rule,
        WindowRule::GuestMessage
    );
    assert!(try_send(at(23)).is_ok());
    let refused = try_send(at(24) + Duration::seconds(1));
    assert!(
        matches!(
            refused,
            Err(Error::Refused(Refusal::WindowClosedUseTemplate))
        ),
        "{refused:?}"
    );
    assert!(is_not_found(s.set_window_rule(
        multiline_domain::ids::OrganizationId::random(),
        WindowRule::AnyMessage
    )));
}

// ---- SMS and voicemail (F22) ---------------------------------------------------------

fn carrier() -> CarrierAccount {
    CarrierAccount {
        provider: "twilio".into(),
        account_sid: "AC00000000000000000000000000000001".into(),
        auth_token: "token".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        number: E164::parse("+13125550180", None).unwrap(),
    }
}

/// A voicemail of `secs` seconds left by `from`, as the carrier reports it (`id`).
fn voicemail_in(id: &str, from: &E164, secs: u32, recording: &[u8]) -> Inbound {
    Inbound {
        wamid: id.into(),
        channel: multiline_domain::api::Channel::Voicemail,
        guest: GuestIds::phone(from.clone()),
        guest_name: None,
        about: Default::default(),
        body: MessageBody::Voicemail {
            media_id: multiline_domain::ids::MediaId::random(),
            duration_secs: secs,
            transcript: None,
            heard_at: None,
        },
        payload: None,
        at: t0(),
        media: Some(ReceivedMedia {
            bytes: recording.to_vec(),
            mime_type: "audio/x-wav".into(),
            width: 0,
            height: 0,
        }),
    }
}

fn guest_sms(s: &Rules, w: &World, id: &str, text: &str, at: Timestamp) {
    let line = s.line(w.line).unwrap();
    let mut m = inbound(id, &w.ana_phone, text, at);
    m.channel = multiline_domain::api::Channel::Sms;
    s.ingest_inbound(&line, &m, at).unwrap();
}

/// SMS threads exist only where the line has a carrier; they sit beside the WhatsApp thread
/// with the same guest; text needs no consent or window; STOP stops it until START.
#[test]
fn sms_needs_a_carrier_and_stop_stops_it() {
    let s = &Rules::new();
    use multiline_domain::api::Channel;
    let w = world(s);
    let invalid = |r: Result<_>, want: ErrorCode| matches!(r, Err(Error::Invalid { code, .. }) if code == want);
    assert!(invalid(
        s.open_thread(w.alex, w.ana.id, &w.ana_phone, Channel::Sms, t0()),
        ErrorCode::SmsUnavailable
    ));
    s.set_line_carrier(w.line, Some(&carrier())).unwrap();
    assert_eq!(s.line(w.line).unwrap().carrier, Some(carrier()));
    assert!(invalid(
        s.open_thread(w.alex, w.ana.id, &w.ana_phone, Channel::Voicemail, t0()),
        ErrorCode::VoicemailThread
    ));
    let body = "Hi {{1}}, {{2}} would like to message you here. Reply YES to agree.";
    s.replace_templates(w.line, &[listed("optin_request", "APPROVED", body)], t0())
        .unwrap();
    let (whatsapp, _) = s
        .open_asking_consent(
            w.alex,
            w.ana.id,
            &w.ana_phone,
            ClientMessageId::random(),
            t0(),
        )
        .unwrap();
    let (sms, _) = s
        .open_thread(w.alex, w.ana.id, &w.ana_phone, Channel::Sms, t0())
        .unwrap();
    assert_ne!(sms.id, whatsapp.id);
    assert_eq!(sms.channel, Channel::Sms);
    // No consent was ever asked, and a day passes: a text still goes.
    let later = t0() + Duration::hours(30);
    s.enqueue_text(w.alex, sms.id, ClientMessageId::random(), "Hi Ana", later)
        .unwrap();
    assert!(matches!(
        s.enqueue_text(w.alex, whatsapp.id, ClientMessageId::random(), "Hi", later),
        Err(Error::Refused(Refusal::ConsentMissing))
    ));
    // Her texts land in the SMS thread, not the WhatsApp one.
    guest_sms(s, &w, "SM1", "Stop.", later);
    assert_eq!(s.messages(w.alex, sms.id).unwrap().len(), 2);
    assert_eq!(
        s.messages(w.alex, whatsapp.id).unwrap().len(),
        1,
        "the opt-in request alone"
    );
    assert!(matches!(
        s.enqueue_text(w.alex, sms.id, ClientMessageId::random(), "Sorry", later),
        Err(Error::Refused(Refusal::SmsStopped))
    ));
    assert_eq!(
        s.thread(w.alex, whatsapp.id).unwrap().consent,
        Consent::None,
        "WhatsApp consent is untouched"
    );
    guest_sms(s, &w, "SM2", "please", later);
    assert!(matches!(
        s.thread(w.alex, sms.id).unwrap().consent,
        Consent::Revoked { .. }
    ));
    guest_sms(s, &w, "SM3", "START", later);
    s.enqueue_text(
        w.alex,
        sms.id,
        ClientMessageId::random(),
        "Welcome back",
        later,
    )
    .unwrap();
    // Templates are WhatsApp's.
    assert!(matches!(
        s.enqueue_opt_in(w.alex, sms.id, ClientMessageId::random(), later),
        Err(Error::Refused(Refusal::WhatsappOnly))
    ));
}

/// A voicemail opens a voicemail thread for the line's owner with its recording; its
/// transcript is attached; heard once, by a participant only; nothing is sent there.
#[test]
fn a_voicemail_is_kept_transcribed_and_heard_once() {
    let s = &Rules::new();
    use multiline_domain::api::Channel;
    let w = world(s);
    s.set_line_carrier(w.line, Some(&carrier())).unwrap();
    let line = s.line(w.line).unwrap();
    let recording = vec![b'R', b'I', b'F', b'F', 0, 0, 0, 0];
    let voicemail = voicemail_in("RE1", &w.ana_phone, 7, &recording);
    let told = s.ingest_inbound(&line, &voicemail, t0()).unwrap();
    assert_eq!(told, vec![w.alex.user_id], "the line's owner");
    assert!(
        s.ingest_inbound(&line, &voicemail, t0())
            .unwrap()
            .is_empty(),
        "once"
    );
    let thread = s
        .threads(w.alex)
        .unwrap()
        .into_iter()
        .find(|t| t.channel == Channel::Voicemail)
        .unwrap();
    assert_eq!(
        thread.last_message_preview.as_deref(),
        Some("Voicemail (0:07)")
    );
    let message = s.messages(w.alex, thread.id).unwrap().remove(0);
    let MessageBody::Voicemail { media_id, .. } = message.body else {
        panic!("not a voicemail: {message:?}")
    };
    assert_eq!(s.media_for(w.alex, media_id).unwrap().bytes, recording);
    assert!(
        is_not_found(s.media_for(w.sam, media_id)),
        "not a participant"
    );

    s.attach_transcript(w.line, "RE1", "Call me back", t0())
        .unwrap();
    // Another line's recording of the same id touches nothing here (it waits for its own).
    assert!(
        s.attach_transcript(w.other_line, "RE1", "x", t0())
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.enqueue_text(w.alex, thread.id, ClientMessageId::random(), "Hi", t0()),
        Err(Error::Refused(Refusal::VoicemailOnly))
    ));

    assert!(is_not_found(s.mark_heard(w.sam, message.id, t0())));
    let later = t0() + Duration::minutes(3);
    let (heard, _) = s.mark_heard(w.alex, message.id, later).unwrap();
    let (again, told) = s
        .mark_heard(w.alex, message.id, later + Duration::hours(1))
        .unwrap();
    assert!(told.is_empty());
    assert_eq!(again.body, heard.body);
    assert_eq!(
        heard.body,
        MessageBody::Voicemail {
            media_id,
            duration_secs: 7,
            transcript: Some("Call me back".into()),
            heard_at: Some(later),
        }
    );
}

/// The carrier sends the transcript separately: one that comes first is kept, not lost.
#[test]
fn a_transcript_before_its_voicemail_waits_for_it() {
    let s = &Rules::new();
    use multiline_domain::api::Channel;
    let w = world(s);
    s.set_line_carrier(w.line, Some(&carrier())).unwrap();
    assert!(
        s.attach_transcript(w.line, "RE9", "Early words", t0())
            .unwrap()
            .is_empty()
    );
    let line = s.line(w.line).unwrap();
    let voicemail = voicemail_in("RE9", &w.ana_phone, 4, b"RIFF0000");
    s.ingest_inbound(&line, &voicemail, t0()).unwrap();
    let thread = s
        .threads(w.alex)
        .unwrap()
        .into_iter()
        .find(|t| t.channel == Channel::Voicemail)
        .unwrap();
    let message = s.messages(w.alex, thread.id).unwrap().remove(0);
    assert!(matches!(
        message.body,
        MessageBody::Voicemail { transcript: Some(ref t), .. } if t == "Early words"
    ));
}

#[test]
fn a_reply_from_a_closed_thread_lands_in_the_guests_open_one_or_reopens_it() {
    use multiline_connector::usecases::threads::Opened;
    let s = &Rules::new();
    let w = world(s);
    let first = open_conversation(s, &w);
    let opened = |o: Result<Opened>| match o {
        Ok(Opened::Thread { thread, .. }) => thread,
        other => panic!("not a thread: {other:?}"),
    };
    // An open thread is itself.
    assert_eq!(opened(s.reply_in(w.alex, first, t0())).id, first);
    // Restarted: the first is closed, a second open; replying from the first writes in it.
    let (second, _) = s
        .change_participants(w.alex, first, Operation::Restart, t0())
        .unwrap();
    let second = second.expect("the new thread").id;
    let reply = opened(s.reply_in(w.alex, first, t0()));
    assert_eq!((reply.id, reply.status), (second, ThreadStatus::Open));
    assert_eq!(
        s.thread(w.alex, first).unwrap().status,
        ThreadStatus::Closed
    );
    // Handed to Sam: Alex asks to join rather than writing beside him.
    s.change_participants(w.alex, second, Operation::Transfer(w.sam.user_id), t0())
        .unwrap();
    assert!(matches!(
        s.reply_in(w.alex, first, t0()),
        Ok(Opened::AskedToJoin { .. })
    ));
    // Sam leaves, the second closes: none is open, so the first opens again.
    s.change_participants(w.sam, second, Operation::Leave, t0())
        .unwrap();
    let reopened = opened(s.reply_in(w.alex, first, t0()));
    assert_eq!((reopened.id, reopened.status), (first, ThreadStatus::Open));
    send(s, w.alex, first, "Back in this conversation").unwrap();
    let audit = s.audit(w.alex.org_id).unwrap();
    assert!(audit.iter().any(|r| r["action"] == "thread.reopened"));
    // Someone not in it finds nothing.
    assert!(matches!(
        s.reply_in(w.olga, first, t0()),
        Err(Error::NotFound)
    ));
}

#[test]
fn a_private_note_reaches_colleagues_and_never_the_guest() {
    let s = &Rules::new();
    let w = world(s);
    let thread = open_conversation(s, &w);
    s.change_participants(w.alex, thread, Operation::Add(w.sam.user_id), t0())
        .unwrap();
    let key = ClientMessageId::random();
    let (note, told) = s
        .add_note(w.alex, thread, key, "She prefers calls after 5 pm.", t0())
        .unwrap();
    assert_eq!(note.direction, Direction::Note);
    assert_eq!(note.author_name.as_deref(), Some("Alex Doe"));
    let mut told = told;
    told.sort();
    let mut both = vec![w.alex.user_id, w.sam.user_id];
    both.sort();
    assert_eq!(told, both, "the thread's participants are told");
    // Nothing for the provider: no job, now or later.
    assert!(s.claim_next(t0()).unwrap().is_none());
    assert!(s.claim_next(t0() + Duration::hours(1)).unwrap().is_none());
    // Sam reads it in the thread; the same key again is the same note.
    assert!(s.messages(w.sam, thread).unwrap().contains(&note));
    let (again, told) = s
        .add_note(w.alex, thread, key, "She prefers calls after 5 pm.", t0())
        .unwrap();
    assert_eq!((again.id, told.len()), (note.id, 0));
    // Audited like a message.
    let audit = s.audit(w.alex.org_id).unwrap();
    assert!(
        audit.iter().any(|r| r["action"] == "note.added"
            && r["detail"]["message_id"] == serde_json::json!(note.id))
    );
    // Refused: empty, too long, or a thread the caller is not in.
    let refused = |r: Result<(multiline_domain::api::Message, _)>, want: Refusal| matches!(r, Err(Error::Refused(got)) if got == want);
    assert!(refused(
        s.add_note(w.alex, thread, ClientMessageId::random(), "  ", t0()),
        Refusal::EmptyMessage
    ));
    assert!(refused(
        s.add_note(
            w.alex,
            thread,
            ClientMessageId::random(),
            &"a".repeat(4097),
            t0()
        ),
        Refusal::WhatsappTextTooLong
    ));
    assert!(matches!(
        s.add_note(w.olga, thread, ClientMessageId::random(), "hi", t0()),
        Err(Error::NotFound)
    ));
}
