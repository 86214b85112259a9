//! The outbox's claims, early statuses, the inbox, events, the audit.

use super::{outbound, t, t0, thread, world};
use crate::store::{AuditEntry, Backlog, EarlyStatus, InboxBacklog, InboxSource, Store, StoreExt};
use multiline_domain::api::{DeliveryState, Event};

pub fn the_outbox_hands_out_heads_of_threads_once(s: &dyn Store) {
    let w = world(s);
    let (a, b) = s
        .write(|tx| {
            let a = thread(tx, &w)?;
            tx.close_thread(a)?;
            let b = thread(tx, &w)?;
            Ok((a, b))
        })
        .unwrap();
    let a1 = outbound(a, w.alex.user_id, "a1", t(1));
    let a2 = outbound(a, w.alex.user_id, "a2", t(2));
    let b1 = outbound(b, w.alex.user_id, "b1", t(3));
    s.write(|tx| {
        for (m, due) in [(&a1, t(1)), (&a2, t(2)), (&b1, t(3))] {
            tx.insert_message(m)?;
            tx.queue(m.id, m.thread, due)?;
        }
        Ok(())
    })
    .unwrap();
    let claim = |at| s.write(|tx| tx.claim_next(at)).unwrap();
    assert_eq!(claim(t0()), None, "nothing due before its time");
    assert_eq!(s.read(|tx| tx.next_due()).unwrap(), Some(t(1)));
    let first = claim(t(10)).unwrap();
    assert_eq!((first.message, first.attempts), (a1.id, 1));
    // a2 waits behind a1 (in flight); b1 is the head of its own thread.
    let second = claim(t(10)).unwrap();
    assert_eq!(second.message, b1.id);
    assert_eq!(claim(t(10)), None, "each handed out once");
    assert_eq!(
        s.read(|tx| tx.next_due()).unwrap(),
        None,
        "in flight are not due"
    );
    // Claims are dated: those older than a lease can be told from the others.
    assert_eq!(s.read(|tx| tx.in_flight(t(10))).unwrap(), []);
    assert_eq!(s.read(|tx| tx.in_flight(t(11))).unwrap(), [a1.id, b1.id]);
    // A claim is renewed only by the one who holds it (the time it was taken names it).
    assert!(!s.write(|tx| tx.renew_claim(b1.id, t(9), t(12))).unwrap());
    assert!(s.write(|tx| tx.renew_claim(b1.id, t(10), t(12))).unwrap());
    assert!(
        !s.write(|tx| tx.renew_claim(b1.id, t(10), t(13))).unwrap(),
        "renewed: now t12's"
    );
    assert_eq!(s.read(|tx| tx.in_flight(t(11))).unwrap(), [a1.id]);
    assert_eq!(s.read(|tx| tx.in_flight(t(13))).unwrap(), [a1.id, b1.id]);
    // a1 goes back for a retry at +20: a2 still waits behind it.
    s.write(|tx| tx.retry_at(a1.id, t(20))).unwrap();
    assert_eq!(s.read(|tx| tx.next_due()).unwrap(), Some(t(20)));
    assert_eq!(claim(t(15)), None);
    let retried = claim(t(20)).unwrap();
    assert_eq!((retried.message, retried.attempts), (a1.id, 2));
    s.write(|tx| tx.dequeue(a1.id)).unwrap();
    assert_eq!(claim(t(20)).unwrap().message, a2.id);
    s.write(|tx| {
        tx.dequeue(a2.id)?;
        tx.dequeue(b1.id)
    })
    .unwrap();
    assert!(s.read(|tx| tx.in_flight(t(99))).unwrap().is_empty());
    assert_eq!(claim(t(99)), None);
}

pub fn early_statuses_are_kept_then_taken_once(s: &dyn Store) {
    let w = world(s);
    let status = |state, error| EarlyStatus {
        wamid: "wamid.early".into(),
        state,
        error,
    };
    let failed = status(DeliveryState::Failed, Some((131026, "Unreachable.".into())));
    s.write(|tx| {
        tx.keep_early_status(w.line, &status(DeliveryState::Delivered, None), t(1))?;
        tx.keep_early_status(w.line, &failed, t(2))?;
        tx.keep_early_status(w.other_line, &status(DeliveryState::Read, None), t(3))
    })
    .unwrap();
    let taken = s
        .write(|tx| tx.take_early_statuses(w.line, "wamid.early"))
        .unwrap();
    assert_eq!(
        taken,
        [status(DeliveryState::Delivered, None), failed],
        "in arrival order"
    );
    assert!(
        s.write(|tx| tx.take_early_statuses(w.line, "wamid.early"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.write(|tx| tx.take_early_statuses(w.other_line, "wamid.early"))
            .unwrap(),
        [status(DeliveryState::Read, None)],
        "per line"
    );
}

/// On a store several instances share, a line's inbox is one instance's at a time, until
/// its lease runs out or it gives it up; the one process on its store is handed every row.
pub fn a_lines_inbox_is_one_instances_at_a_time(s: &dyn Store) {
    let w = world(s);
    let (r1, r2, r3) = s
        .write(|tx| {
            let r1 = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"n\":1}", t(1))?;
            let r2 = tx.inbox_push(w.other_line, InboxSource::Whatsapp, b"{\"n\":2}", t(2))?;
            let r3 = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"n\":3}", t(3))?;
            Ok((r1, r2, r3))
        })
        .unwrap();
    let [a, b, c, d] = [1u128, 2, 3, 4].map(uuid::Uuid::from_u128);
    // Claimed at `now` for a minute.
    let claim = |holder, now: i64| {
        s.queue(|tx| tx.inbox_claim(holder, t(now), t(now + 1), 10))
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    if !s.shared() {
        assert_eq!(claim(a, 5), [r1, r2, r3]);
        assert_eq!(claim(b, 5), [r1, r2, r3], "one process: one holder");
        s.queue(|tx| tx.inbox_release(a)).unwrap();
        return;
    }
    assert_eq!(claim(a, 5), [r1, r3], "the oldest row's line, in order");
    assert_eq!(claim(b, 5), [r2], "the line nobody holds");
    assert_eq!(claim(a, 5), [r1, r3], "renewed by its holder");
    assert!(claim(c, 5).is_empty(), "every line is held");
    // A's lease (renewed at 5) runs out at 6: its line is taken over; B's ran out too, and
    // B, first to ask again, has it back.
    assert_eq!(claim(c, 6), [r1, r3], "taken over after the lease");
    assert_eq!(claim(b, 6), [r2]);
    s.write(|tx| tx.inbox_done(r1, t(6))).unwrap();
    assert_eq!(claim(c, 6), [r3], "applied rows are not handed out again");
    assert!(claim(d, 6).is_empty());
    s.queue(|tx| tx.inbox_release(b)).unwrap();
    assert_eq!(claim(d, 6), [r2], "given up: taken at once");
}

pub fn the_inbox_retries_later_and_sets_aside(s: &dyn Store) {
    let w = world(s);
    let (first, second) = s
        .write(|tx| {
            let first = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"a\":1}", t(1))?;
            let second = tx.inbox_push(w.other_line, InboxSource::Carrier, b"{\"b\":2}", t(2))?;
            Ok((first, second))
        })
        .unwrap();
    let pending = |at| s.read(|tx| tx.inbox_pending(at, 10)).unwrap();
    assert!(pending(t0()).is_empty(), "not due before it came");
    let rows = pending(t(2));
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first, second]
    );
    assert_eq!(rows[0].source, InboxSource::Whatsapp);
    assert_eq!(rows[1].source, InboxSource::Carrier);
    assert_eq!(
        (rows[1].line, rows[1].body.as_slice()),
        (w.other_line, &b"{\"b\":2}"[..])
    );
    assert_eq!(rows[0].attempts, 0);
    // A failed row waits for its retry without holding the others up.
    let set_aside = s
        .write(|tx| tx.inbox_failed(first, "down", 3, t(10), t(3)))
        .unwrap();
    assert!(!set_aside);
    assert_eq!(
        pending(t(5)).iter().map(|r| r.id).collect::<Vec<_>>(),
        [second]
    );
    assert_eq!(s.read(|tx| tx.inbox_next_due()).unwrap(), Some(t(2)));
    s.write(|tx| tx.inbox_done(second, t(5))).unwrap();
    assert_eq!(s.read(|tx| tx.inbox_next_due()).unwrap(), Some(t(10)));
    let row = pending(t(10)).pop().unwrap();
    assert_eq!((row.id, row.attempts), (first, 1));
    assert!(
        !s.write(|tx| tx.inbox_failed(first, "down", 3, t(20), t(10)))
            .unwrap()
    );
    assert!(
        s.write(|tx| tx.inbox_failed(first, "down", 3, t(40), t(20)))
            .unwrap(),
        "third"
    );
    assert!(pending(t(99)).is_empty());
    assert_eq!(s.read(|tx| tx.inbox_next_due()).unwrap(), None);
    // Transcripts that came before their voicemail.
    s.write(|tx| {
        tx.keep_early_transcript(w.line, "RE1", "first words", t(1))?;
        tx.keep_early_transcript(w.line, "RE1", "the words", t(2))
    })
    .unwrap();
    assert_eq!(
        s.write(|tx| tx.take_early_transcript(w.other_line, "RE1"))
            .unwrap(),
        None
    );
    assert_eq!(
        s.write(|tx| tx.take_early_transcript(w.line, "RE1"))
            .unwrap()
            .as_deref(),
        Some("the words")
    );
    assert_eq!(
        s.write(|tx| tx.take_early_transcript(w.line, "RE1"))
            .unwrap(),
        None
    );
}

pub fn backlogs_count_what_waits(s: &dyn Store) {
    assert!(s.schema_current().unwrap(), "a store opened is migrated");
    let w = world(s);
    assert_eq!(s.read(|tx| tx.outbox_backlog()).unwrap(), []);
    assert_eq!(
        s.read(|tx| tx.inbox_backlog()).unwrap(),
        InboxBacklog::default()
    );
    let a = s.write(|tx| thread(tx, &w)).unwrap();
    let a1 = outbound(a, w.alex.user_id, "a1", t(1));
    let a2 = outbound(a, w.alex.user_id, "a2", t(2));
    s.write(|tx| {
        for m in [&a2, &a1] {
            tx.insert_message(m)?;
            tx.queue(m.id, m.thread, t(5))?;
        }
        Ok(())
    })
    .unwrap();
    // In flight still waits to be done; its age is its message's.
    s.write(|tx| tx.claim_next(t(5))).unwrap().unwrap();
    let backlog = Backlog {
        count: 2,
        oldest: Some(t(1)),
    };
    assert_eq!(
        s.read(|tx| tx.outbox_backlog()).unwrap(),
        [(w.line, backlog)]
    );
    s.write(|tx| {
        tx.dequeue(a1.id)?;
        tx.dequeue(a2.id)
    })
    .unwrap();
    assert_eq!(s.read(|tx| tx.outbox_backlog()).unwrap(), []);

    let (first, _) = s
        .write(|tx| {
            let first = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{}", t(3))?;
            let second = tx.inbox_push(w.other_line, InboxSource::Carrier, b"{}", t(4))?;
            tx.inbox_set_aside(w.line, InboxSource::Whatsapp, b"?", "unreadable", t(4))?;
            Ok((first, second))
        })
        .unwrap();
    assert_eq!(
        s.read(|tx| tx.inbox_backlog()).unwrap(),
        InboxBacklog {
            waiting: Backlog {
                count: 2,
                oldest: Some(t(3)),
            },
            set_aside: 1,
        }
    );
    s.write(|tx| tx.inbox_done(first, t(6))).unwrap();
    assert_eq!(
        s.read(|tx| tx.inbox_backlog()).unwrap().waiting,
        Backlog {
            count: 1,
            oldest: Some(t(4)),
        }
    );
}

pub fn events_are_numbered_per_user_without_gaps(s: &dyn Store) {
    let w = world(s);
    let seqs = s
        .write(|tx| {
            let mut seqs = Vec::new();
            for user in [
                w.alex.user_id,
                w.sam.user_id,
                w.alex.user_id,
                w.alex.user_id,
            ] {
                seqs.push(tx.push_event(user, &Event::ContactsChanged, t0())?);
            }
            Ok(seqs)
        })
        .unwrap();
    assert_eq!(seqs, [1, 1, 2, 3]);
    assert_eq!(s.read(|tx| tx.head_seq(w.alex.user_id)).unwrap(), 3);
    assert_eq!(s.read(|tx| tx.head_seq(w.olga.user_id)).unwrap(), 0);
    let after = |n, limit| -> Vec<u64> {
        s.read(|tx| tx.events_after(w.alex.user_id, n, limit))
            .unwrap()
            .into_iter()
            .map(|e| e.seq)
            .collect()
    };
    assert_eq!(after(0, 10), [1, 2, 3]);
    assert_eq!(after(1, 1), [2]);
    assert_eq!(after(3, 10), Vec::<u64>::new());
    assert_eq!(
        after(u64::MAX, 10),
        Vec::<u64>::new(),
        "a number past the end"
    );
    // The events of a transaction that failed are not numbered.
    let _ = s.write(|tx| -> crate::store::Result<()> {
        tx.push_event(w.alex.user_id, &Event::TemplatesChanged, t0())?;
        Err(crate::store::Error::NotFound)
    });
    assert_eq!(
        s.write(|tx| tx.push_event(w.alex.user_id, &Event::TemplatesChanged, t0()))
            .unwrap(),
        4
    );
    // Several at once: numbered on, in the order given, after one pushed alone.
    s.write(|tx| {
        tx.push_event(w.alex.user_id, &Event::ContactsChanged, t0())?;
        tx.push_events(
            w.alex.user_id,
            &[&Event::TemplatesChanged, &Event::ContactsChanged],
            t0(),
        )
    })
    .unwrap();
    assert_eq!(s.read(|tx| tx.head_seq(w.alex.user_id)).unwrap(), 7);
    let tail: Vec<(u64, Event)> = s
        .read(|tx| tx.events_after(w.alex.user_id, 4, 10))
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.event))
        .collect();
    assert_eq!(
        tail,
        [
            (5, Event::ContactsChanged),
            (6, Event::TemplatesChanged),
            (7, Event::ContactsChanged)
        ]
    );
    s.write(|tx| tx.push_events(w.sam.user_id, &[&Event::TemplatesChanged], t0()))
        .unwrap();
    assert_eq!(s.read(|tx| tx.head_seq(w.sam.user_id)).unwrap(), 2);
}

pub fn the_audit_is_kept_in_order_per_organization(s: &dyn Store) {
    let w = world(s);
    let thread = s.write(|tx| thread(tx, &w)).unwrap();
    let entry = |org, action: &str| AuditEntry {
        org,
        at: t(1),
        actor: "admin".into(),
        action: action.into(),
        thread: Some(thread),
        detail: serde_json::json!({ "n": action }),
    };
    s.write(|tx| {
        tx.append_audit(&entry(w.alex.org_id, "first"))?;
        tx.append_audit(&entry(w.olga.org_id, "theirs"))?;
        tx.append_audit(&entry(w.alex.org_id, "second"))
    })
    .unwrap();
    let record = s.read(|tx| tx.audit(w.alex.org_id)).unwrap();
    let actions: Vec<&str> = record
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["first", "second"]);
    assert_eq!(record[0]["actor"], "admin");
    assert_eq!(record[0]["thread_id"], thread.to_string());
    assert_eq!(record[0]["detail"]["n"], "first");
    assert_eq!(
        record[0]["at"],
        serde_json::to_value(t(1)).unwrap(),
        "its time, as written"
    );
}

pub fn dead_letters_are_listed_retried_and_applied_once(s: &dyn Store) {
    let w = world(s);
    let row = s
        .write(|tx| tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"c\":3}", t(1)))
        .unwrap();
    // Applied by one worker: a second worker's copy finds it done and writes nothing.
    assert!(s.write(|tx| tx.inbox_done(row, t(2))).unwrap());
    assert!(!s.write(|tx| tx.inbox_done(row, t(2))).unwrap());
    // A batch: only the rows still waiting are marked.
    let (a, b) = s
        .write(|tx| {
            let a = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"a\":1}", t(1))?;
            let b = tx.inbox_push(w.line, InboxSource::Whatsapp, b"{\"b\":2}", t(1))?;
            Ok((a, b))
        })
        .unwrap();
    let mut done = s.write(|tx| tx.inbox_done_all(&[row, b, a], t(2))).unwrap();
    done.sort();
    assert_eq!(done, [a, b]);
    assert!(
        s.write(|tx| tx.inbox_done_all(&[a, b], t(2)))
            .unwrap()
            .is_empty()
    );
    assert!(
        !s.write(|tx| tx.inbox_failed(row, "late", 1, t(3), t(2)))
            .unwrap(),
        "a done row is not failed afterwards"
    );
    assert!(s.read(|tx| tx.inbox_dead_letters(10)).unwrap().is_empty());
    // Set aside at once (unreadable), and after its last attempt.
    let unreadable = s
        .write(|tx| {
            tx.inbox_set_aside(
                w.line,
                InboxSource::Whatsapp,
                b"{\"no\":\"id\"}",
                "a message without an id",
                t(4),
            )
        })
        .unwrap();
    let failing = s
        .write(|tx| tx.inbox_push(w.other_line, InboxSource::Carrier, b"{}", t(5)))
        .unwrap();
    assert!(
        s.write(|tx| tx.inbox_failed(failing, "down", 1, t(6), t(5)))
            .unwrap()
    );
    let dead = s.read(|tx| tx.inbox_dead_letters(10)).unwrap();
    assert_eq!(
        dead.iter()
            .map(|d| (d.id, d.line, d.error.as_str(), d.attempts))
            .collect::<Vec<_>>(),
        [
            (unreadable, w.line, "a message without an id", 0),
            (failing, w.other_line, "down", 1)
        ]
    );
    assert_eq!(dead[0].body, b"{\"no\":\"id\"}");
    assert_eq!((dead[0].received_at, dead[0].dead_at), (t(4), t(4)));
    assert!(
        s.read(|tx| tx.inbox_pending(t(99), 10)).unwrap().is_empty(),
        "a dead letter waits for nobody"
    );
    // Retried: pending again, due now, attempts from zero; no longer a dead letter.
    assert!(s.write(|tx| tx.inbox_retry(failing, t(7))).unwrap());
    assert!(!s.write(|tx| tx.inbox_retry(failing, t(7))).unwrap());
    assert!(
        !s.write(|tx| tx.inbox_retry(row, t(7))).unwrap(),
        "never dead"
    );
    let pending = s.read(|tx| tx.inbox_pending(t(7), 10)).unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|r| (r.id, r.attempts))
            .collect::<Vec<_>>(),
        [(failing, 0)]
    );
    assert_eq!(
        s.read(|tx| tx.inbox_dead_letters(10))
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        [unreadable]
    );
}
