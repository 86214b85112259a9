//! Reads a transaction makes again and again, answered from memory after the first time.
//!
//! Applying a batch of webhooks reads the same organization, guest standings, participants
//! and audit chain head for message after message; each read is a round trip to the server,
//! and round trips are what a message costs on PostgreSQL (docs/benchmarks.md). What is
//! remembered lives as long as the transaction attempt ([`super::PgTx`]), where nothing else
//! changes it: a write holds the writes lock (no other write runs), a read sees one
//! snapshot. The transaction's own changes are the only ones it can miss, so any statement
//! that is not a plain `SELECT` and names a table a remembered answer was read from forgets
//! that answer (and the audit head is kept up to date by the one method that moves it).

use std::collections::{HashMap, HashSet};

use multiline_domain::api::{Message, User};
use multiline_domain::consent::Consent;
use multiline_domain::ids::{MessageId, OrganizationId, ThreadId, UserId};
use uuid::Uuid;

use crate::store::{OrgRecord, ThreadRecord};

/// What this transaction has read, by what it was asked.
#[derive(Default)]
pub(super) struct Remembered {
    /// `organization`: reads `organizations` and `lines` (whether SMS is on).
    pub organizations: HashMap<OrganizationId, OrgRecord>,
    /// `standing`, by its table (`consents` or `sms_consents`), line and guest key.
    pub standings: HashMap<(&'static str, Uuid, String), Consent>,
    /// `participants`: reads `participants`.
    pub participants: HashMap<ThreadId, Vec<UserId>>,
    /// The participants a thread's view lists: reads `participants` and `users`.
    pub participant_users: HashMap<ThreadId, Vec<User>>,
    /// Each organization's audit chain head (records, hash): moved only by `append_audit`.
    pub audit_heads: HashMap<OrganizationId, (i64, String)>,
    /// Thread records read by `thread` or found by `open_thread_of` (so that `learn_guest`
    /// writes only what is new, and the use case's next `thread` is free): reads `threads`,
    /// but kept by the statements that change nothing in a record (a preview) or whose
    /// method moves the record as the statement moves the row (see [`keeps_thread_records`]).
    pub threads: HashMap<ThreadId, ThreadRecord>,
    /// `latest_outbound_at`, by thread and until when (microseconds). Not forgotten by the
    /// statements' tables (every message inserted names `messages`): `insert_message`
    /// forgets a thread's when it adds an outbound message, the only change that moves it.
    pub latest_outbound: HashMap<(ThreadId, i64), Option<multiline_domain::time::Timestamp>>,
    /// `open_thread_of`, by line, channel and the guest's ids: reads `threads`, but
    /// forgotten only by the statements that can change which thread is a guest's open one
    /// (see [`keeps_open_threads`]).
    pub open_threads: HashMap<OpenThreadKey, Option<ThreadId>>,
    /// Whether a wamid is a message's (`wamid_known`), read for a batch at once by
    /// `expect_wamids`; kept up to date by the message statements that set wamids.
    pub wamids: HashMap<String, bool>,
    /// Wamids `expect_wamids` found no reaction waiting for (a guest's reaction may come
    /// before its message's webhook): reads `reactions`.
    pub unreacted: HashSet<String>,
    /// Messages this transaction inserted, as `message` would read them back, kept only when
    /// nothing else is joined to them (no author's name, no quoted message, no reaction):
    /// reads `messages`, `reactions` and `users`, and `threads` (a thread's line; only an
    /// `UPDATE` of a thread, which never moves it to another line, keeps them).
    pub inserted: HashMap<MessageId, Message>,
}

/// What `open_thread_of` was asked: line, channel, and the guest's key, number and user id.
pub(super) type OpenThreadKey = (Uuid, String, String, Option<String>, Option<String>);

/// The statements on `threads` that change neither a thread's guest, its status, its line,
/// its channel nor when it was made (what `open_thread_of` matches and orders by): a
/// thread's preview, activity and template flag. Every other statement naming `threads`
/// forgets the open threads found.
const KEEPS_OPEN_THREADS: &[&str] = &[
    "UPDATE threads SET last_message_preview",
    "UPDATE threads SET last_message_at",
    "UPDATE threads SET template_required",
];

/// What `set_preview` runs: a thread's preview, which is not in its record.
pub(super) const SET_PREVIEW: &str = "UPDATE threads SET last_message_preview = $2 WHERE id = $1";

/// What `guest_message_arrived` runs; the method moves the thread's record as it moves the
/// row, so the other records are kept.
pub(super) const GUEST_MESSAGE_ARRIVED: &str = "UPDATE threads SET last_message_preview = $2,
     last_message_at = GREATEST(COALESCE(last_message_at, 0), $3::bigint),
     last_guest_message_at = GREATEST(COALESCE(last_guest_message_at, 0), $3::bigint),
     template_required = FALSE
 WHERE id = $1";

/// Whether `sql` leaves the remembered thread records right (each statement on `threads`
/// forgets them but these).
fn keeps_thread_records(sql: &str) -> bool {
    sql == SET_PREVIEW || sql == GUEST_MESSAGE_ARRIVED
}

fn keeps_open_threads(sql: &str) -> bool {
    KEEPS_OPEN_THREADS.iter().any(|safe| starts_with(sql, safe))
}

fn starts_with(sql: &str, head: &str) -> bool {
    sql.trim_start().starts_with(head)
}

/// Whether learning these of a thread's guest would change anything (the rule
/// `learn_guest`'s statement keeps: a number only where none is known, a user id or a
/// name when different).
pub(super) fn would_learn(
    known: &ThreadRecord,
    phone: Option<&str>,
    user_id: Option<&str>,
    name: Option<&str>,
) -> bool {
    (phone.is_some() && known.guest.phone.is_none())
        || user_id.is_some_and(|u| known.guest.user_id.as_deref() != Some(u))
        || name.is_some_and(|n| known.guest_name.as_deref() != Some(n))
}

impl Remembered {
    /// Forgets what the statement `sql` may change, unless it only reads.
    pub fn forget_for(&mut self, sql: &str) {
        if is_plain_select(sql) {
            return;
        }
        let names = |table: &str| sql.contains(table);
        if names("organizations") || names("lines") {
            self.organizations.clear();
        }
        if names("consents") {
            self.standings.clear();
        }
        if names("participants") {
            self.participants.clear();
            self.participant_users.clear();
        }
        if names("users") {
            self.participant_users.clear();
        }
        if names("reactions") {
            self.unreacted.clear();
        }
        if names("messages")
            || names("reactions")
            || names("users")
            || (names("threads") && !starts_with(sql, "UPDATE threads "))
        {
            self.inserted.clear();
        }
        if names("audit") {
            self.audit_heads.clear();
        }
        if names("threads") {
            if !keeps_thread_records(sql) {
                self.threads.clear();
            }
            if !keeps_open_threads(sql) {
                self.open_threads.clear();
            }
        }
    }
}

/// Whether `sql` is a `SELECT` (which changes nothing: the data-modifying statements begin
/// with `INSERT`, `UPDATE`, `DELETE` or a `WITH`, and `SELECT pg_notify` writes no table).
fn is_plain_select(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("select"))
}

#[cfg(test)]
mod tests {
    use multiline_domain::phone::E164;

    use super::*;

    fn full() -> Remembered {
        let org = OrganizationId(Uuid::nil());
        let mut r = Remembered::default();
        r.standings
            .insert(("consents", Uuid::nil(), "k".into()), Consent::None);
        r.participants.insert(ThreadId(Uuid::nil()), vec![]);
        r.participant_users.insert(ThreadId(Uuid::nil()), vec![]);
        r.audit_heads.insert(org, (1, "h".into()));
        r
    }

    /// A thread's record, of Ana's WhatsApp thread.
    fn record() -> ThreadRecord {
        ThreadRecord {
            id: ThreadId(Uuid::nil()),
            org_id: OrganizationId(Uuid::nil()),
            line_id: Uuid::nil(),
            channel: multiline_domain::api::Channel::Whatsapp,
            guest: crate::store::GuestIds::of(None, Some("US.1".into())).unwrap(),
            guest_name: Some("Ana".into()),
            contact_id: None,
            status: multiline_domain::api::ThreadStatus::Open,
            template_required: false,
            window: Default::default(),
        }
    }

    fn counts(r: &Remembered) -> [usize; 4] {
        [
            r.standings.len(),
            r.participants.len(),
            r.participant_users.len(),
            r.audit_heads.len(),
        ]
    }

    #[test]
    fn a_guest_is_learnt_only_when_something_is_new() {
        let known = record();
        assert!(!would_learn(&known, None, None, None));
        assert!(!would_learn(&known, None, Some("US.1"), Some("Ana")));
        assert!(
            would_learn(&known, Some("+12025550147"), None, None),
            "a number"
        );
        assert!(
            would_learn(&known, None, Some("US.2"), None),
            "another user id"
        );
        assert!(
            would_learn(&known, None, None, Some("Ana B")),
            "another name"
        );
        let mut with_phone = known;
        with_phone.guest.phone = Some(E164::parse("+12025550147", None).unwrap());
        assert!(
            !would_learn(&with_phone, Some("+447911123456"), None, None),
            "a known number is never replaced"
        );
    }

    #[test]
    fn open_threads_are_forgotten_by_what_can_change_them() {
        let mut r = Remembered::default();
        let found = |r: &mut Remembered| {
            r.open_threads.insert(
                (Uuid::nil(), "whatsapp".into(), "US.1".into(), None, None),
                Some(ThreadId(Uuid::nil())),
            );
        };
        found(&mut r);
        for keeps in [
            "UPDATE threads SET last_message_preview = $2 WHERE id = $1",
            "UPDATE threads SET last_message_preview = $2, last_message_at = $3",
            "UPDATE threads SET last_message_at = GREATEST(last_message_at, $2)",
            "UPDATE threads SET template_required = $2 WHERE id = $1",
            "UPDATE messages SET state = $2 WHERE id = $1",
        ] {
            r.forget_for(keeps);
            assert_eq!(r.open_threads.len(), 1, "{keeps}");
        }
        for forgets in [
            "INSERT INTO threads (id, org_id) VALUES ($1, $2)",
            "UPDATE threads SET status = 'closed' WHERE id = $1",
            "UPDATE threads SET guest_phone = $2 WHERE id = $1",
            "UPDATE threads SET contact_id = $2 WHERE id = $1",
        ] {
            found(&mut r);
            r.forget_for(forgets);
            assert!(r.open_threads.is_empty(), "{forgets}");
        }
    }

    #[test]
    fn messages_inserted_are_forgotten_by_what_is_joined_to_them() {
        let remembered = || {
            let mut r = Remembered::default();
            let message: Message = serde_json::from_value(serde_json::json!({
                "id": Uuid::nil(), "client_id": null, "thread_id": Uuid::nil(),
                "direction": "inbound", "author_name": null,
                "body": {"type": "text", "text": "hi"}, "state": "delivered",
                "failure": null, "remedy": null, "created_at": "2026-03-01T09:00:00Z",
                "forwarded": null, "ad": null, "reply_to": null, "reactions": []
            }))
            .unwrap();
            r.inserted.insert(message.id, message);
            r.unreacted.insert("wamid.1".into());
            r
        };
        for keeps in [
            "UPDATE threads SET last_message_preview = $2 WHERE id = $1",
            "INSERT INTO events (user_id, seq, payload, created_at) VALUES ($1, $2, $3, $4)",
            "WITH added AS (INSERT INTO audit ...) INSERT INTO audit_heads ...",
            "SELECT m.id FROM messages m JOIN reactions r ON r.target_wamid = m.wamid",
        ] {
            let mut r = remembered();
            r.forget_for(keeps);
            assert_eq!((r.inserted.len(), r.unreacted.len()), (1, 1), "{keeps}");
        }
        for (forgets, unreacted) in [
            ("UPDATE messages SET state = $2 WHERE id = $1", 1),
            (
                "INSERT INTO reactions (line_id, target_wamid) VALUES ($1, $2)",
                0,
            ),
            ("UPDATE users SET name = $2 WHERE id = $1", 1),
            ("DELETE FROM threads WHERE id = $1", 1),
        ] {
            let mut r = remembered();
            r.forget_for(forgets);
            assert_eq!(
                (r.inserted.len(), r.unreacted.len()),
                (0, unreacted),
                "{forgets}"
            );
        }
    }

    #[test]
    fn thread_records_are_kept_only_by_what_leaves_them_right() {
        let remembered = || {
            let mut r = Remembered::default();
            let record = record();
            r.threads.insert(record.id, record);
            r
        };
        for keeps in [SET_PREVIEW, GUEST_MESSAGE_ARRIVED] {
            let mut r = remembered();
            r.forget_for(keeps);
            assert_eq!(r.threads.len(), 1, "{keeps}");
        }
        for forgets in [
            "UPDATE threads SET last_message_preview = $2, status = 'closed' WHERE id = $1",
            "UPDATE threads SET template_required = $2 WHERE id = $1",
            "UPDATE threads SET guest_phone = COALESCE(guest_phone, $2) WHERE id = $1",
        ] {
            let mut r = remembered();
            r.forget_for(forgets);
            assert!(r.threads.is_empty(), "{forgets}");
        }
    }

    #[test]
    fn reads_forget_nothing() {
        let mut r = full();
        r.forget_for("  SELECT state FROM consents WHERE line_id = $1");
        r.forget_for("select 1 from participants");
        assert_eq!(counts(&r), [1, 1, 1, 1]);
    }

    #[test]
    fn a_write_forgets_what_it_names() {
        let mut r = full();
        r.forget_for("UPDATE threads SET last_message_preview = $2 WHERE id = $1");
        assert_eq!(counts(&r), [1, 1, 1, 1], "threads are not remembered");
        r.forget_for("INSERT INTO sms_consents (line_id, guest, state) VALUES ($1, $2, $3)");
        assert_eq!(counts(&r), [0, 1, 1, 1]);
        r.forget_for("UPDATE users SET disabled_at = $2 WHERE id = $1");
        assert_eq!(
            counts(&r),
            [0, 1, 0, 1],
            "a user's name is in the view's list"
        );
        r.forget_for("WITH added AS (INSERT INTO audit ...) INSERT INTO audit_heads ...");
        assert_eq!(counts(&r), [0, 1, 0, 0]);
        r.forget_for("UPDATE participants SET left_at = $3");
        assert_eq!(counts(&r), [0, 0, 0, 0]);
    }
}
