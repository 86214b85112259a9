//! The store conformance suite: what any backend must do to keep the contract ([`super`]),
//! checked through [`super::Store`] and [`super::Tx`] alone: atomicity, scoping, ordering,
//! idempotency (unique keys), claims, the inbox's retries, the append-only audit.
//! [`super::sqlite::SqliteStore`] runs it in the connector's tests
//! (`tests/all/store_conformance.rs`); a new backend runs it the same way before the
//! connector may use it:
//!
//! ```text
//! multiline_connector::store_conformance!(|| {
//!     let db = TestDatabase::new();      // anything kept alive while the test runs
//!     let store = PgStore::connect(&db.url()).unwrap();
//!     (db, store)
//! });
//! ```
//!
//! It tests persistence, not rules: the rules are the use cases' and are tested there
//! (`tests/all/usecases.rs`), on a real store. Each check starts from an empty store and
//! uses explicit times (no clock, no sleeps).

mod accounts;
mod messages;
mod queues;
mod threads;

pub use accounts::*;
pub use messages::*;
pub use queues::*;
pub use threads::*;

use chrono::{TimeZone, Utc};
use multiline_domain::api::{Channel, ContactPhone, DeliveryState, Direction, MessageBody};
use multiline_domain::ids::{ContactId, MessageId, OrganizationId, ThreadId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use uuid::Uuid;

use super::{
    Caller, ContactFields, Error, GuestIds, NewContact, NewLine, NewMessage, NewThread, NewUser,
    Result, Store, StoreExt, Tx,
};

/// Generates one `#[test]` per check for the store that `$make` returns as `(guard, store)`:
/// the guard (a temp dir, a test database) lives as long as the test.
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@each $make;
            work_that_fails_writes_nothing,
            organizations_keep_their_settings,
            emails_are_unique,
            sessions_expire_and_can_be_revoked,
            lines_are_updated_by_their_phone_number_id,
            contacts_are_scoped_searched_and_hidden,
            a_thread_reads_as_each_participant_sees_it,
            participants_join_leave_and_come_back,
            one_open_thread_per_line_channel_and_guest,
            activity_only_moves_forward,
            standings_are_kept_per_kind_line_and_guest,
            guests_are_found_by_either_id_and_what_is_learnt_is_kept,
            a_guest_message_moves_its_thread,
            a_write_reads_its_own_changes,
            messages_are_unique_by_wamid_and_client_id,
            messages_are_listed_in_order_and_found_by_their_ids,
            what_a_message_says_about_itself_and_its_reactions_are_kept,
            a_message_reads_in_its_own_transaction_as_stored,
            the_outbox_hands_out_heads_of_threads_once,
            early_statuses_are_kept_then_taken_once,
            the_inbox_retries_later_and_sets_aside,
            a_lines_inbox_is_one_instances_at_a_time,
            dead_letters_are_listed_retried_and_applied_once,
            backlogs_count_what_waits,
            media_are_scoped_to_their_organization,
            templates_are_replaced_and_changes_noticed,
            events_are_numbered_per_user_without_gaps,
            the_audit_is_kept_in_order_per_organization,
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let (_guard, store) = ($make)();
                $crate::store::conformance::$check(&store);
            }
        )*
    };
}

/// A fixed start time: 1 March 2026, 09:00 UTC.
pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// `t0` plus `minutes`.
pub fn t(minutes: i64) -> Timestamp {
    t0() + chrono::Duration::minutes(minutes)
}

fn id() -> Uuid {
    // Tests make their own ids: nothing here depends on which.
    MessageId::random().0
}

/// Two organizations: Acme (Alex, Sam; a line; contact Ana) and Other (Olga; a line).
pub struct World {
    pub alex: Caller,
    pub sam: Caller,
    pub olga: Caller,
    pub line: Uuid,
    pub other_line: Uuid,
    pub ana: ContactId,
    pub ana_phone: E164,
    /// Ana as a guest: known by her number.
    pub ana_guest: GuestIds,
}

pub fn new_line(owner: UserId, number: &str) -> NewLine {
    NewLine {
        phone_number_id: format!("pn-{number}"),
        waba_id: format!("waba-{number}"),
        display_phone_number: number.into(),
        access_token: "token".into(),
        app_secret: "secret".into(),
        verify_token: "verify".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        api_version: "v21.0".into(),
        owner_user_id: owner,
    }
}

fn user(tx: &mut dyn Tx, org: OrganizationId, name: &str, email: &str) -> Result<UserId> {
    let user = NewUser {
        id: UserId(id()),
        org,
        name: name.into(),
        email: email.into(),
        password_hash: format!("hash of {email}"),
        created_at: t0(),
    };
    tx.insert_user(&user)?;
    Ok(user.id)
}

pub fn world(s: &dyn Store) -> World {
    s.write(|tx| {
        let org = OrganizationId(id());
        tx.insert_organization(org, "Acme", true, t0())?;
        let alex = user(tx, org, "Alex Doe", "alex@acme.test")?;
        let sam = user(tx, org, "Sam Roe", "sam@acme.test")?;
        let line = tx.upsert_line(org, id(), &new_line(alex, "15550001111"))?;
        let other = OrganizationId(id());
        tx.insert_organization(other, "Other", true, t(1))?;
        let olga = user(tx, other, "Olga", "olga@other.test")?;
        let other_line = tx.upsert_line(other, id(), &new_line(olga, "15550002222"))?;
        let ana_phone = E164::parse("+12025550147", None).unwrap();
        let ana = ContactId(id());
        tx.insert_contact(&NewContact {
            id: ana,
            org,
            fields: ContactFields {
                name: "Ana Lima".into(),
                company: Some("Lima & Co".into()),
                notes: None,
                phones: vec![ContactPhone {
                    number: ana_phone.clone(),
                    label: "mobile".into(),
                }],
            },
            created_at: t0(),
        })?;
        let caller = |user_id, org_id| Caller { user_id, org_id };
        Ok(World {
            alex: caller(alex, org),
            sam: caller(sam, org),
            olga: caller(olga, other),
            line,
            other_line,
            ana,
            ana_guest: GuestIds::phone(ana_phone.clone()),
            ana_phone,
        })
    })
    .unwrap()
}

/// A new open WhatsApp thread of `w.line` with Ana, Alex its participant.
pub fn thread(tx: &mut dyn Tx, w: &World) -> Result<ThreadId> {
    let thread = ThreadId(id());
    tx.insert_thread(&NewThread {
        id: thread,
        org: w.alex.org_id,
        line: w.line,
        channel: Channel::Whatsapp,
        guest: w.ana_guest.clone(),
        guest_name: None,
        contact: Some(w.ana),
        participants: vec![w.alex.user_id],
        window: WindowFacts::default(),
        template_required: false,
        created_at: t0(),
    })?;
    Ok(thread)
}

/// A guest's text in `thread`.
pub fn inbound(thread: ThreadId, wamid: &str, text: &str, at: Timestamp) -> NewMessage {
    NewMessage {
        id: MessageId(id()),
        thread,
        direction: Direction::Inbound,
        author: None,
        client_id: None,
        wamid: Some(wamid.into()),
        body: MessageBody::Text { text: text.into() },
        state: DeliveryState::Delivered,
        created_at: at,
        about: Default::default(),
    }
}

/// A user's text in `thread`, sending.
pub fn outbound(thread: ThreadId, author: UserId, text: &str, at: Timestamp) -> NewMessage {
    NewMessage {
        id: MessageId(id()),
        thread,
        direction: Direction::Outbound,
        author: Some(author),
        client_id: Some(multiline_domain::ids::ClientMessageId(id())),
        wamid: None,
        body: MessageBody::Text { text: text.into() },
        state: DeliveryState::Sending,
        created_at: at,
        about: Default::default(),
    }
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::NotFound))
}
