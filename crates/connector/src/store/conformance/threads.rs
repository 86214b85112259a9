//! Threads, participants, standings.

use multiline_domain::api::{Channel, ThreadStatus};
use multiline_domain::consent::Consent;
use multiline_domain::ids::ThreadId;
use multiline_domain::phone::E164;
use multiline_domain::window::WindowFacts;

use super::{id, inbound, is_conflict, is_not_found, t, thread, world};
use crate::store::{GuestIds, NewThread, Standing, Store, StoreExt};

pub fn a_thread_reads_as_each_participant_sees_it(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    s.write(|tx| {
        tx.join(thread, w.sam.user_id, t(1))?;
        tx.insert_message(&inbound(thread, "wamid.1", "one", t(2)))?;
        tx.insert_message(&inbound(thread, "wamid.2", "two", t(3)))?;
        tx.set_preview(thread, "two")?;
        tx.record_activity(thread, t(3), true)?;
        tx.set_standing(
            Standing::Whatsapp,
            w.line,
            &w.ana_guest.key,
            &Consent::Requested { at: t(1) },
            t(1),
        )?;
        tx.set_last_read(thread, w.sam.user_id, t(2))
    })
    .unwrap();
    let alex = s.read(|tx| tx.thread_view(thread, w.alex.user_id)).unwrap();
    assert_eq!(alex.contact_name, "Ana Lima");
    assert_eq!(alex.guest_phone.as_ref(), Some(&w.ana_phone));
    assert_eq!(alex.status, ThreadStatus::Open);
    assert_eq!(alex.unread_count, 2);
    assert_eq!(alex.last_message_preview.as_deref(), Some("two"));
    assert_eq!(alex.last_message_at, Some(t(3)));
    assert_eq!(alex.consent, Consent::Requested { at: t(1) });
    assert_eq!(
        alex.participants.iter().map(|u| u.id).collect::<Vec<_>>(),
        [w.alex.user_id, w.sam.user_id],
        "in the order they joined"
    );
    let sam = s.read(|tx| tx.thread_view(thread, w.sam.user_id)).unwrap();
    assert_eq!(sam.unread_count, 1, "read up to t+2 minutes");
    // An SMS thread reads the SMS standing, not WhatsApp consent.
    let sms = ThreadId(id());
    s.write(|tx| {
        tx.insert_thread(&NewThread {
            id: sms,
            org: w.alex.org_id,
            line: w.line,
            channel: Channel::Sms,
            guest: w.ana_guest.clone(),
            guest_name: None,
            contact: None,
            participants: vec![w.alex.user_id],
            window: WindowFacts::default(),
            template_required: false,
            created_at: t(4),
        })
    })
    .unwrap();
    let view = s.read(|tx| tx.thread_view(sms, w.alex.user_id)).unwrap();
    assert_eq!(view.consent, Consent::None);
    assert_eq!(
        view.contact_name,
        w.ana_phone.to_string(),
        "no contact: the number"
    );
    // Newest activity first; only the caller's, only their organization's.
    let listed: Vec<ThreadId> = s
        .read(|tx| tx.threads_of(w.alex))
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [sms, thread]);
    // Each as its own view reads (a backend may read a list's views together).
    for listed in s.read(|tx| tx.threads_of(w.alex)).unwrap() {
        let alone = s.read(|tx| tx.thread_view(listed.id, w.alex.user_id));
        assert_eq!(listed, alone.unwrap());
    }
    assert!(s.read(|tx| tx.threads_of(w.olga)).unwrap().is_empty());
    assert_eq!(
        s.read(|tx| tx.threads_of_guest(w.line, &w.ana_guest.key, None))
            .unwrap(),
        [thread, sms]
    );
    assert_eq!(
        s.read(|tx| tx.threads_of_guest(w.line, &w.ana_guest.key, Some(Channel::Sms)))
            .unwrap(),
        [sms]
    );
    assert!(is_not_found(
        s.read(|tx| tx.thread_view(ThreadId(id()), w.alex.user_id))
    ));
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(
        (
            record.org_id,
            record.line_id,
            record.channel,
            record.contact_id
        ),
        (w.alex.org_id, w.line, Channel::Whatsapp, Some(w.ana))
    );
}

pub fn participants_join_leave_and_come_back(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let is_in = |c| s.read(|tx| tx.is_participant(c, thread)).unwrap();
    assert!(is_in(w.alex));
    assert!(!is_in(w.sam));
    assert!(s.write(|tx| tx.join(thread, w.sam.user_id, t(1))).unwrap());
    assert!(
        !s.write(|tx| tx.join(thread, w.sam.user_id, t(2))).unwrap(),
        "in already"
    );
    assert!(is_in(w.sam));
    s.write(|tx| tx.leave(thread, w.alex.user_id, t(3)))
        .unwrap();
    assert!(!is_in(w.alex));
    assert_eq!(
        s.read(|tx| tx.participants(thread)).unwrap(),
        [w.sam.user_id]
    );
    assert!(
        s.write(|tx| tx.join(thread, w.alex.user_id, t(4))).unwrap(),
        "back"
    );
    assert_eq!(
        s.read(|tx| tx.participants(thread)).unwrap(),
        [w.sam.user_id, w.alex.user_id],
        "rejoining counts from the new time"
    );
    // A user of another organization is never a participant of this one's threads.
    let olga_as_acme = crate::store::Caller {
        user_id: w.olga.user_id,
        org_id: w.olga.org_id,
    };
    s.write(|tx| tx.join(thread, w.olga.user_id, t(5))).unwrap();
    assert!(!is_in(olga_as_acme));
}

pub fn one_open_thread_per_line_channel_and_guest(s: &dyn Store) {
    let w = world(s);
    let first = s.write(|tx| thread(tx, &w)).unwrap();
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &w.ana_guest))
            .unwrap(),
        Some(first)
    );
    assert!(
        is_conflict(s.write(|tx| thread(tx, &w))),
        "a second open one"
    );
    s.write(|tx| tx.close_thread(first)).unwrap();
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &w.ana_guest))
            .unwrap(),
        None
    );
    let second = s.write(|tx| thread(tx, &w)).unwrap();
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &w.ana_guest))
            .unwrap(),
        Some(second)
    );
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Sms, &w.ana_guest))
            .unwrap(),
        None,
        "per channel"
    );
    assert_eq!(
        s.read(|tx| tx.thread(first)).unwrap().status,
        ThreadStatus::Closed
    );
    assert!(is_not_found(s.write(|tx| tx.close_thread(ThreadId(id())))));
    // A closed thread opens again only while no other is open for the guest.
    assert!(
        is_conflict(s.write(|tx| tx.reopen_thread(first))),
        "reopened beside the open one"
    );
    s.write(|tx| tx.close_thread(second)).unwrap();
    s.write(|tx| tx.reopen_thread(first)).unwrap();
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &w.ana_guest))
            .unwrap(),
        Some(first)
    );
    assert!(is_not_found(s.write(|tx| tx.reopen_thread(ThreadId(id())))));
}

pub fn activity_only_moves_forward(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    s.write(|tx| {
        tx.record_activity(thread, t(10), true)?;
        tx.record_activity(thread, t(20), false)?;
        tx.record_activity(thread, t(5), true)?;
        tx.set_template_required(thread, true)
    })
    .unwrap();
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(
        record.window,
        WindowFacts {
            last_message_at: Some(t(20)),
            last_guest_message_at: Some(t(10)),
        }
    );
    assert!(record.template_required);
    assert_eq!(
        s.read(|tx| tx.last_guest_messages(w.line)).unwrap(),
        [(w.ana_phone.clone(), t(10))]
    );
    assert!(
        s.read(|tx| tx.last_guest_messages(w.other_line))
            .unwrap()
            .is_empty()
    );
    // A thread restarted with facts carried over starts from them.
    s.write(|tx| tx.close_thread(thread)).unwrap();
    let carried = ThreadId(id());
    s.write(|tx| {
        tx.insert_thread(&NewThread {
            id: carried,
            org: w.alex.org_id,
            line: w.line,
            channel: Channel::Whatsapp,
            guest: w.ana_guest.clone(),
            guest_name: None,
            contact: Some(w.ana),
            participants: vec![w.alex.user_id, w.sam.user_id],
            window: record.window,
            template_required: true,
            created_at: t(30),
        })
    })
    .unwrap();
    let restarted = s.read(|tx| tx.thread(carried)).unwrap();
    assert_eq!(restarted.window, record.window);
    assert!(restarted.template_required);
}

pub fn standings_are_kept_per_kind_line_and_guest(s: &dyn Store) {
    let w = world(s);
    let ben = E164::parse("+447911123456", None).unwrap();
    let granted = Consent::Granted {
        at: t(1),
        reply: "yes".into(),
    };
    let stopped = Consent::Revoked {
        at: t(2),
        guest_returned_at: None,
    };
    s.write(|tx| {
        tx.set_standing(Standing::Whatsapp, w.line, &w.ana_guest.key, &granted, t(1))?;
        tx.set_standing(Standing::Sms, w.line, &w.ana_guest.key, &stopped, t(2))
    })
    .unwrap();
    let standing = |kind, line, guest: &str| s.read(|tx| tx.standing(kind, line, guest)).unwrap();
    assert_eq!(
        standing(Standing::Whatsapp, w.line, &w.ana_guest.key),
        granted
    );
    assert_eq!(standing(Standing::Sms, w.line, &w.ana_guest.key), stopped);
    assert_eq!(
        standing(Standing::Whatsapp, w.line, ben.as_str()),
        Consent::None
    );
    assert_eq!(
        standing(Standing::Whatsapp, w.other_line, &w.ana_guest.key),
        Consent::None
    );
    s.write(|tx| {
        tx.set_standing(
            Standing::Whatsapp,
            w.line,
            &w.ana_guest.key,
            &Consent::None,
            t(3),
        )
    })
    .unwrap();
    assert_eq!(
        standing(Standing::Whatsapp, w.line, &w.ana_guest.key),
        Consent::None
    );
}

pub fn guests_are_found_by_either_id_and_what_is_learnt_is_kept(s: &dyn Store) {
    let w = world(s);
    let user_id = "US.13491208655302741918".to_owned();
    let by_user_id = GuestIds::of(None, Some(user_id.clone())).unwrap();
    assert_eq!(
        by_user_id.key, user_id,
        "keyed by the user id without a number"
    );
    let thread = ThreadId(id());
    s.write(|tx| {
        tx.insert_thread(&NewThread {
            id: thread,
            org: w.alex.org_id,
            line: w.line,
            channel: Channel::Whatsapp,
            guest: by_user_id.clone(),
            guest_name: Some("Sheena Nelson".into()),
            contact: None,
            participants: vec![w.alex.user_id],
            window: WindowFacts::default(),
            template_required: false,
            created_at: t(1),
        })
    })
    .unwrap();
    let view = s.read(|tx| tx.thread_view(thread, w.alex.user_id)).unwrap();
    assert_eq!(
        (
            view.guest_phone,
            view.guest_user_id.as_deref(),
            view.contact_name.as_str()
        ),
        (None, Some(user_id.as_str()), "Sheena Nelson")
    );
    // A later message names both: found by the user id, and the number is learnt.
    let phone = E164::from_wa_id("16505551234").unwrap();
    let both = GuestIds::of(Some(phone.clone()), Some(user_id.clone())).unwrap();
    assert_eq!(
        both.key,
        phone.as_str(),
        "a new guest with a number is keyed by it"
    );
    let found = s
        .read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &both))
        .unwrap();
    assert_eq!(found, Some(thread));
    s.write(|tx| tx.learn_guest(thread, &both, None)).unwrap();
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(record.guest.key, user_id, "the key never changes");
    assert_eq!(record.guest.phone.as_ref(), Some(&phone));
    assert_eq!(
        record.guest_name.as_deref(),
        Some("Sheena Nelson"),
        "not forgotten"
    );
    // Now found by the number alone too; not on another line or channel.
    let by_phone = GuestIds::phone(phone.clone());
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &by_phone))
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.other_line, Channel::Whatsapp, &by_phone))
            .unwrap(),
        None
    );
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Sms, &by_phone))
            .unwrap(),
        None
    );
    // Standing is kept by the key.
    let granted = Consent::Granted {
        at: t(2),
        reply: "YES".into(),
    };
    s.write(|tx| tx.set_standing(Standing::Whatsapp, w.line, &user_id, &granted, t(2)))
        .unwrap();
    let view = s.read(|tx| tx.thread_view(thread, w.alex.user_id)).unwrap();
    assert_eq!(view.consent, granted);
    assert_eq!(view.guest_phone, Some(phone.clone()));
    // A new number, as a user confirmed it: written to, found by; the key stays.
    let moved = E164::from_wa_id("16505554321").unwrap();
    s.write(|tx| tx.set_guest_phone(thread, &moved)).unwrap();
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(
        (record.guest.phone, record.guest.key),
        (Some(moved.clone()), user_id)
    );
    assert_eq!(
        s.read(|tx| tx.open_thread_of(w.line, Channel::Whatsapp, &GuestIds::phone(moved.clone())))
            .unwrap(),
        Some(thread)
    );
}

/// A guest's message moves a thread in one call: preview, the window's facts (forward only),
/// no template required.
pub fn a_guest_message_moves_its_thread(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    s.write(|tx| {
        tx.record_activity(thread, t(20), false)?;
        tx.set_template_required(thread, true)?;
        tx.guest_message_arrived(thread, t(15), "Is it ready?")
    })
    .unwrap();
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(
        record.window,
        WindowFacts {
            last_message_at: Some(t(20)),
            last_guest_message_at: Some(t(15)),
        },
        "the latest message stays the later one"
    );
    assert!(!record.template_required);
    let view = s.read(|tx| tx.thread_view(thread, w.alex.user_id)).unwrap();
    assert_eq!(view.last_message_preview.as_deref(), Some("Is it ready?"));
    s.write(|tx| tx.guest_message_arrived(thread, t(25), "Thanks"))
        .unwrap();
    let record = s.read(|tx| tx.thread(thread)).unwrap();
    assert_eq!(
        (
            record.window.last_message_at,
            record.window.last_guest_message_at
        ),
        (Some(t(25)), Some(t(25)))
    );
    assert!(
        is_not_found(s.write(|tx| tx.guest_message_arrived(ThreadId(id()), t(1), "x"))),
        "an unknown thread"
    );
}

/// What a write reads after changing it is what it changed (a backend that remembers what
/// it read within a transaction must forget it when the transaction changes it).
pub fn a_write_reads_its_own_changes(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let granted = Consent::Granted {
        at: t(1),
        reply: "yes".into(),
    };
    s.write(|tx| {
        let key = w.ana_guest.key.as_str();
        assert_eq!(tx.standing(Standing::Whatsapp, w.line, key)?, Consent::None);
        tx.set_standing(Standing::Whatsapp, w.line, key, &granted, t(1))?;
        assert_eq!(tx.standing(Standing::Whatsapp, w.line, key)?, granted);

        let before = tx.participants(thread)?;
        let view = tx.thread_view(thread, w.alex.user_id)?;
        assert_eq!(view.consent, granted, "the view's standing too");
        assert!(!before.contains(&w.olga.user_id));
        tx.join(thread, w.olga.user_id, t(2))?;
        assert!(tx.participants(thread)?.contains(&w.olga.user_id));
        let view = tx.thread_view(thread, w.alex.user_id)?;
        assert!(view.participants.iter().any(|u| u.id == w.olga.user_id));
        tx.leave(thread, w.olga.user_id, t(3))?;
        assert!(!tx.participants(thread)?.contains(&w.olga.user_id));

        let org = w.alex.org_id;
        assert!(tx.organization(org)?.whatsapp_enabled);
        tx.set_org_setting(org, &crate::store::OrgSetting::WhatsappEnabled(false))?;
        assert!(!tx.organization(org)?.whatsapp_enabled);

        // Found, then something new learnt: written.
        let named = GuestIds::of(Some(w.ana_phone.clone()), Some("US.77".into())).unwrap();
        assert_eq!(
            tx.open_thread_of(w.line, Channel::Whatsapp, &named)?,
            Some(thread)
        );
        tx.learn_guest(thread, &named, Some("Ana B"))?;
        let record = tx.thread(thread)?;
        assert_eq!(
            (
                record.guest.user_id.as_deref(),
                record.guest_name.as_deref()
            ),
            (Some("US.77"), Some("Ana B"))
        );
        // Found again, a new name: written again.
        tx.open_thread_of(w.line, Channel::Whatsapp, &named)?;
        tx.learn_guest(thread, &named, Some("Ana C"))?;
        assert_eq!(tx.thread(thread)?.guest_name.as_deref(), Some("Ana C"));
        // A thread read, moved, read again.
        assert!(!tx.thread(thread)?.template_required);
        tx.set_template_required(thread, true)?;
        assert!(tx.thread(thread)?.template_required);
        tx.guest_message_arrived(thread, t(4), "Hi")?;
        let record = tx.thread(thread)?;
        assert!(!record.template_required);
        assert_eq!(record.window.last_guest_message_at, Some(t(4)));
        assert_eq!(record.window.last_message_at, Some(t(4)));
        tx.record_activity(thread, t(9), false)?;
        tx.guest_message_arrived(thread, t(5), "Late")?;
        let record = tx.thread(thread)?;
        assert_eq!(
            (
                record.window.last_message_at,
                record.window.last_guest_message_at
            ),
            (Some(t(9)), Some(t(5)))
        );

        // The guest's open thread, found, closed, then another opened.
        let ana = w.ana_guest.clone();
        assert_eq!(
            tx.open_thread_of(w.line, Channel::Whatsapp, &ana)?,
            Some(thread)
        );
        tx.close_thread(thread)?;
        assert_eq!(tx.open_thread_of(w.line, Channel::Whatsapp, &ana)?, None);
        let next = super::thread(tx, &w)?;
        assert_eq!(
            tx.open_thread_of(w.line, Channel::Whatsapp, &ana)?,
            Some(next)
        );

        // Wamids asked about together, then one stored.
        tx.expect_wamids(&["wamid.A", "wamid.B"])?;
        assert!(!tx.wamid_known("wamid.A")?);
        tx.insert_message(&inbound(next, "wamid.A", "hi", t(6)))?;
        assert!(tx.wamid_known("wamid.A")?);
        assert!(!tx.wamid_known("wamid.B")?);
        Ok(())
    })
    .unwrap();
}
