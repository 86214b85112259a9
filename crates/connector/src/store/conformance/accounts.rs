//! Atomicity, organizations, users, sessions, lines, contacts.

use multiline_domain::api::ContactPhone;
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::ids::{ContactId, OrganizationId};
use multiline_domain::phone::E164;
use multiline_domain::policy::Refusal;
use multiline_domain::window::WindowRule;

use super::{id, inbound, is_conflict, is_not_found, new_line, t, t0, thread, user, world};
use crate::store::{
    AuditEntry, CarrierAccount, ContactFields, Error, NewContact, OrgSetting, Store, StoreExt,
};

/// Work that returns an error leaves no trace: not its rows, not its events, not its audit.
pub fn work_that_fails_writes_nothing(s: &dyn Store) {
    let w = world(s);
    let before = s.row_counts().unwrap();
    let refused = s.write(|tx| -> crate::store::Result<()> {
        let thread = thread(tx, &w)?;
        let message = inbound(thread, "wamid.A", "hello", t0());
        tx.insert_message(&message)?;
        tx.queue(message.id, thread, t0())?;
        tx.push_event(
            w.alex.user_id,
            &multiline_domain::api::Event::ContactsChanged,
            t0(),
        )?;
        tx.append_audit(&AuditEntry {
            org: w.alex.org_id,
            at: t0(),
            actor: "test".into(),
            action: "test.refused".into(),
            thread: Some(thread),
            detail: serde_json::json!({}),
        })?;
        Err(Error::Refused(Refusal::OptedOut))
    });
    assert!(matches!(refused, Err(Error::Refused(Refusal::OptedOut))));
    assert_eq!(s.row_counts().unwrap(), before);
    // A failed unique insert in the middle of work aborts all of it too.
    let conflict = s.write(|tx| {
        let thread = thread(tx, &w)?;
        tx.insert_message(&inbound(thread, "wamid.B", "one", t0()))?;
        tx.insert_message(&inbound(thread, "wamid.B", "two", t0()))
    });
    assert!(is_conflict(conflict));
    assert_eq!(s.row_counts().unwrap(), before);
    assert!(!s.read(|tx| tx.wamid_known("wamid.B")).unwrap());
}

pub fn organizations_keep_their_settings(s: &dyn Store) {
    let w = world(s);
    let org = w.alex.org_id;
    let record = s.read(|tx| tx.organization(org)).unwrap();
    assert_eq!(record.name, "Acme");
    assert!(record.whatsapp_enabled);
    assert_eq!(record.window_rule, WindowRule::AnyMessage);
    assert_eq!(record.consent_keywords, ConsentKeywords::default());
    assert_eq!(
        record.opt_in_template,
        ("optin_request".to_owned(), "en_US".to_owned())
    );
    assert!(!record.sms_enabled);
    let words = ConsentKeywords::custom(Some(&["si".into()]), Some(&["basta".into()])).unwrap();
    s.write(|tx| {
        tx.set_org_setting(org, &OrgSetting::WhatsappEnabled(false))?;
        tx.set_org_setting(org, &OrgSetting::WindowRule(WindowRule::GuestMessage))?;
        tx.set_org_setting(org, &OrgSetting::ConsentKeywords(words.clone()))
    })
    .unwrap();
    let record = s.read(|tx| tx.organization(org)).unwrap();
    assert!(!record.whatsapp_enabled);
    assert_eq!(record.window_rule, WindowRule::GuestMessage);
    assert_eq!(record.consent_keywords, words);
    // The other organization is untouched; an unknown one is not found.
    let other = s.read(|tx| tx.organization(w.olga.org_id)).unwrap();
    assert!(other.whatsapp_enabled);
    let unknown = OrganizationId(id());
    assert!(is_not_found(s.write(|tx| {
        tx.set_org_setting(unknown, &OrgSetting::WhatsappEnabled(true))
    })));
    assert!(is_not_found(s.read(|tx| tx.organization(unknown))));
    let names: Vec<String> = s
        .read(|tx| tx.organizations())
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["Acme", "Other"], "oldest first");
    // A carrier on a line makes SMS possible for its organization.
    s.write(|tx| tx.set_line_carrier(w.line, Some(&carrier())))
        .unwrap();
    assert!(s.read(|tx| tx.organization(org)).unwrap().sms_enabled);
    assert!(
        s.read(|tx| tx.session(w.alex.user_id))
            .unwrap()
            .organization
            .sms_enabled
    );
}

pub fn carrier() -> CarrierAccount {
    CarrierAccount {
        provider: "twilio".into(),
        account_sid: "AC00000000000000000000000000000000".into(),
        auth_token: "carrier-secret".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        number: E164::parse("+13125550180", None).unwrap(),
    }
}

pub fn emails_are_unique(s: &dyn Store) {
    let w = world(s);
    let taken = s.write(|tx| user(tx, w.olga.org_id, "Another Alex", "alex@acme.test"));
    assert!(is_conflict(taken));
    let found = s
        .read(|tx| tx.user_by_email("alex@acme.test"))
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, w.alex.user_id);
    assert_eq!(found.org_id, w.alex.org_id);
    assert_eq!(found.password_hash, "hash of alex@acme.test");
    assert!(
        s.read(|tx| tx.user_by_email("nobody@acme.test"))
            .unwrap()
            .is_none()
    );
    let users: Vec<String> = s
        .read(|tx| tx.users_of_org(w.alex.org_id))
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(
        users,
        ["Alex Doe", "Sam Roe"],
        "by name, the organization's only"
    );
}

pub fn sessions_expire_and_can_be_revoked(s: &dyn Store) {
    let w = world(s);
    s.write(|tx| tx.insert_session("hash-1", w.alex.user_id, t0(), t(60)))
        .unwrap();
    s.write(|tx| tx.insert_session("hash-2", w.sam.user_id, t0(), t(60)))
        .unwrap();
    let caller = |hash: &str, at| {
        s.read(|tx| tx.session_caller(hash, at, t(-1)))
            .unwrap()
            .map(|(caller, _)| caller)
    };
    assert_eq!(caller("hash-1", t(59)), Some(w.alex));
    assert_eq!(caller("hash-1", t(60)), None, "expired at its end");
    assert_eq!(caller("unknown", t(1)), None);
    s.write(|tx| tx.revoke_session("hash-1", t(10))).unwrap();
    s.write(|tx| tx.revoke_session("unknown", t(10))).unwrap();
    assert_eq!(caller("hash-1", t(11)), None);
    assert_eq!(caller("hash-2", t(11)), Some(w.sam), "only that session");
    // Idle: last seen at or before `idle_since` is no caller; a use moves it forward.
    let seen = |hash: &str, at, idle_since| {
        s.read(|tx| tx.session_caller(hash, at, idle_since))
            .unwrap()
            .map(|(_, last_seen)| last_seen)
    };
    assert_eq!(seen("hash-2", t(20), t0()), None, "never used since t0");
    assert_eq!(seen("hash-2", t(20), t(-1)), Some(t0()));
    s.write(|tx| tx.touch_session("hash-2", t(15))).unwrap();
    s.write(|tx| tx.touch_session("hash-2", t(12))).unwrap();
    assert_eq!(seen("hash-2", t(20), t(14)), Some(t(15)), "never back");
    // All of a user's sessions at once; a disabled user's are no callers.
    s.write(|tx| tx.insert_session("hash-3", w.sam.user_id, t0(), t(60)))
        .unwrap();
    s.write(|tx| tx.set_user_disabled(w.sam.user_id, Some(t(16))))
        .unwrap();
    assert_eq!(caller("hash-3", t(17)), None, "disabled");
    let names: Vec<_> = s
        .read(|tx| tx.users_of_org(w.sam.org_id))
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Alex Doe"], "a disabled user is no colleague");
    s.write(|tx| tx.set_user_disabled(w.sam.user_id, None))
        .unwrap();
    assert_eq!(caller("hash-3", t(17)), Some(w.sam));
    assert_eq!(
        s.write(|tx| tx.revoke_sessions_of(w.sam.user_id, t(18)))
            .unwrap(),
        2
    );
    assert_eq!(caller("hash-2", t(19)), None);
    assert_eq!(caller("hash-3", t(19)), None);
    let session = s.read(|tx| tx.session(w.alex.user_id)).unwrap();
    assert_eq!(session.user.email, "alex@acme.test");
    assert_eq!(session.organization.name, "Acme");
}

/// Lines: updated by their phone number id (keeping their id), their carrier, their API
/// version and its warning, what blocks them as told.
pub fn lines_are_updated_by_their_phone_number_id(s: &dyn Store) {
    let w = world(s);
    let mut changed = new_line(w.sam.user_id, "15550001111");
    changed.api_base_url = "http://moved.example".into();
    let again = s
        .write(|tx| tx.upsert_line(w.alex.org_id, id(), &changed))
        .unwrap();
    assert_eq!(again, w.line, "the same line keeps its id");
    let line = s.read(|tx| tx.line(w.line)).unwrap();
    assert_eq!(line.api_base_url, "http://moved.example");
    assert_eq!(line.owner_user_id, w.sam.user_id);
    assert_eq!(line.carrier, None);
    assert_eq!(
        s.read(|tx| tx.line_of_org(w.olga.org_id)).unwrap().id,
        w.other_line
    );
    s.write(|tx| tx.set_line_carrier(w.line, Some(&carrier())))
        .unwrap();
    assert_eq!(
        s.read(|tx| tx.line(w.line)).unwrap().carrier,
        Some(carrier())
    );
    s.write(|tx| tx.set_line_carrier(w.line, None)).unwrap();
    assert_eq!(s.read(|tx| tx.line(w.line)).unwrap().carrier, None);
    assert!(is_not_found(s.read(|tx| tx.line(id()))));
    assert!(is_not_found(s.write(|tx| tx.set_line_carrier(id(), None))));

    // The API version, and the last warning about its end, each set alone.
    assert_eq!(
        s.read(|tx| tx.line(w.line)).unwrap().api_version_warned,
        None
    );
    s.write(|tx| tx.set_line_version_warned(w.line, "v21.0:30"))
        .unwrap();
    s.write(|tx| tx.set_line_api_version(w.line, "v26.0"))
        .unwrap();
    let line = s.read(|tx| tx.line(w.line)).unwrap();
    assert_eq!(line.api_version, "v26.0");
    assert_eq!(line.api_version_warned.as_deref(), Some("v21.0:30"));
    assert_eq!(
        line.api_base_url, "http://moved.example",
        "nothing else changed"
    );
    assert_ne!(
        s.read(|tx| tx.line(w.other_line)).unwrap().api_version,
        "v26.0",
        "only that line"
    );
    assert!(is_not_found(
        s.write(|tx| tx.set_line_api_version(id(), "v26.0"))
    ));
    assert!(is_not_found(
        s.write(|tx| tx.set_line_version_warned(id(), "v26.0:0"))
    ));
}

fn fields(name: &str, company: Option<&str>, numbers: &[&str]) -> ContactFields {
    ContactFields {
        name: name.into(),
        company: company.map(str::to_owned),
        notes: None,
        phones: numbers
            .iter()
            .map(|n| ContactPhone {
                number: E164::parse(n, None).unwrap(),
                label: "mobile".into(),
            })
            .collect(),
    }
}

pub fn contacts_are_scoped_searched_and_hidden(s: &dyn Store) {
    let w = world(s);
    let org = w.alex.org_id;
    let add = |org, f: ContactFields| {
        let contact = NewContact {
            id: ContactId(id()),
            org,
            fields: f,
            created_at: t0(),
        };
        s.write(|tx| tx.insert_contact(&contact)).unwrap();
        contact.id
    };
    let ben = add(org, fields("Ben 100% Carter", None, &["+447911123456"]));
    add(w.olga.org_id, fields("Bea Other", None, &["+447911123456"]));
    let names = |q: Option<&str>| -> Vec<String> {
        s.read(|tx| tx.contacts(org, q))
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    assert_eq!(
        names(None),
        ["Ana Lima", "Ben 100% Carter"],
        "by name, own only"
    );
    assert_eq!(names(Some("lima &")), ["Ana Lima"], "the company");
    assert_eq!(names(Some("7911")), ["Ben 100% Carter"], "a number");
    assert_eq!(names(Some("100%")), ["Ben 100% Carter"], "% is only text");
    assert_eq!(names(Some("0_")), Vec::<String>::new(), "_ is only text");
    assert!(is_not_found(s.read(|tx| tx.contact(w.olga.org_id, ben))));
    // Updated: fields and numbers replaced, in order.
    s.write(|tx| {
        tx.update_contact(
            org,
            ben,
            &fields(
                "Ben Carter",
                Some("Carter Ltd"),
                &["+33612345678", "+447911123456"],
            ),
        )
    })
    .unwrap();
    let contact = s.read(|tx| tx.contact(org, ben)).unwrap();
    assert_eq!(contact.company.as_deref(), Some("Carter Ltd"));
    assert_eq!(
        contact
            .phones
            .iter()
            .map(|p| p.number.as_str())
            .collect::<Vec<_>>(),
        ["+33612345678", "+447911123456"]
    );
    let french = E164::parse("+33612345678", None).unwrap();
    assert_eq!(
        s.read(|tx| tx.contact_by_phone(org, &french)).unwrap(),
        Some(ben)
    );
    assert_eq!(
        s.read(|tx| tx.contact_by_phone(w.olga.org_id, &french))
            .unwrap(),
        None
    );
    // Another organization cannot change it; hidden, it is gone from everything.
    assert!(is_not_found(s.write(|tx| tx.update_contact(
        w.olga.org_id,
        ben,
        &fields("Mine", None, &[])
    ))));
    assert!(is_not_found(s.write(|tx| tx.hide_contact(
        w.olga.org_id,
        ben,
        t0()
    ))));
    s.write(|tx| tx.hide_contact(org, ben, t(1))).unwrap();
    assert_eq!(names(None), ["Ana Lima"]);
    assert!(is_not_found(s.read(|tx| tx.contact(org, ben))));
    assert_eq!(
        s.read(|tx| tx.contact_by_phone(org, &french)).unwrap(),
        None
    );
    assert!(is_not_found(s.write(|tx| tx.hide_contact(org, ben, t(2)))));
    assert!(is_not_found(s.write(|tx| tx.update_contact(
        org,
        ben,
        &fields("Back", None, &[])
    ))));
}
