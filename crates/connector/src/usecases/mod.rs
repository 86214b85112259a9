//! The connector's use cases: each decides with the domain's rules, then writes through the
//! store in one transaction (its change, its audit records and the events announcing it
//! commit together). The API parses a request and calls one of these; the workers (dispatch,
//! inbox) call them with what the providers answered. Nothing here speaks HTTP or knows a
//! provider; nothing in the store decides.
//!
//! - [`accounts`]: organizations, users, sessions, lines, settings (F1, F6-F8);
//! - [`api_versions`]: each line's Graph API version, and warnings before its end;
//! - [`contacts`]: the address book (F2-F3);
//! - [`threads`]: opening, reading, consent recorded by an admin, carrier opt-outs;
//! - [`participants`]: group threads (F19-F20);
//! - [`send`]: what a user sends, decided by `policy::decide` and queued (F4-F9, F18);
//! - [`deliver`]: what the Cloud API or the carrier answered a send;
//! - [`receive`]: guests' messages, statuses, transcripts (F5-F6, F10, F22);
//! - [`media`]: pictures and recordings;
//! - [`templates`]: the approved templates (F15);
//! - [`events`]: each user's event log, as the event socket reads it.
//!
//! Every use case takes an [`Env`]: the store, where new ids come from, and `now`.

pub mod accounts;
pub mod api_versions;
pub mod contacts;
pub mod deliver;
pub mod events;
pub mod media;
pub mod notes;
pub mod participants;
pub mod receive;
pub mod send;
pub mod templates;
pub mod threads;

use multiline_domain::api::{Event, Message};
use multiline_domain::ids::{IdSource, OrganizationId, ThreadId, UserId};
use multiline_domain::time::Timestamp;

use crate::error::{Error, Result};
use crate::store::{AuditEntry, Caller, Store, Tx};

/// What a use case runs with. Built for each call (`ctx::Ctx::run`): `now` is the
/// connector's clock when the call began.
pub struct Env<'a> {
    pub store: &'a dyn Store,
    pub ids: &'a dyn IdSource,
    pub now: Timestamp,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").field("now", &self.now).finish()
    }
}

/// Who is told of a change: the users with new events, each once (to wake their sockets).
pub type Told = Vec<UserId>;

/// Adds `users` to `told`, each user once.
pub(crate) fn tell(told: &mut Told, users: impl IntoIterator<Item = UserId>) {
    for user in users {
        if !told.contains(&user) {
            told.push(user);
        }
    }
}

/// Tells every participant of `thread` that it (and, if given, one of its messages) changed:
/// each gets the thread as they see it. Answers who was told. In a batch (see
/// [`hold_views`]) the message is told now and the thread at the batch's end.
pub(crate) fn announce(
    tx: &mut dyn Tx,
    thread: ThreadId,
    message: Option<&Message>,
    now: Timestamp,
) -> Result<Told> {
    let users = tx.participants(thread)?;
    if let Some(held) = tx.held_views() {
        if !held.contains(&thread) {
            held.push(thread);
        }
        if let Some(message) = message {
            let event = Event::MessageUpserted {
                message: message.clone(),
            };
            for &user in &users {
                tx.push_events(user, &[&event], now)?;
            }
        }
        return Ok(users);
    }
    let message = message.map(|message| Event::MessageUpserted {
        message: message.clone(),
    });
    for &user in &users {
        let thread = Event::ThreadUpserted {
            thread: tx.thread_view(thread, user)?,
        };
        // The message first, then the thread it changed.
        let events: Vec<&Event> = message.iter().chain([&thread]).collect();
        tx.push_events(user, &events, now)?;
    }
    Ok(users)
}

/// Starts a batch of changes in `tx` (many guest messages applied together): each thread
/// they change is told to its participants once, by [`tell_held_views`] at the batch's end,
/// after its last change, rather than after each. Its events commit together, so a user
/// sees the same thread either way; a thread's view costs a query, and a busy thread
/// changes many times a batch.
pub(crate) fn hold_views(tx: &mut dyn Tx) {
    *tx.held_views() = Some(Vec::new());
}

/// Ends the batch [`hold_views`] began: each thread it changed told as each participant
/// sees it now. Answers who was told.
pub(crate) fn tell_held_views(tx: &mut dyn Tx, now: Timestamp) -> Result<Told> {
    let held = tx.held_views().take().unwrap_or_default();
    let mut told = Vec::new();
    for thread in held {
        tell(&mut told, announce(tx, thread, None, now)?);
    }
    Ok(told)
}

/// Tells every user of the organization (the address book or the templates changed).
pub(crate) fn announce_to_org(
    tx: &mut dyn Tx,
    org: OrganizationId,
    event: &Event,
    now: Timestamp,
) -> Result<Told> {
    let users: Told = tx.users_of_org(org)?.into_iter().map(|u| u.id).collect();
    for &user in &users {
        tx.push_event(user, event, now)?;
    }
    Ok(users)
}

/// Appends an audit record.
pub(crate) fn audit(
    tx: &mut dyn Tx,
    org: OrganizationId,
    now: Timestamp,
    actor: &str,
    action: &str,
    thread: Option<ThreadId>,
    detail: serde_json::Value,
) -> Result<()> {
    tx.append_audit(&AuditEntry {
        org,
        at: now,
        actor: actor.to_owned(),
        action: action.to_owned(),
        thread,
        detail,
    })
}

/// `NotFound` unless `caller` is a current participant of `thread`: a thread's existence
/// does not leak to outsiders.
pub(crate) fn check_participant(tx: &mut dyn Tx, caller: Caller, thread: ThreadId) -> Result<()> {
    if tx.is_participant(caller, thread)? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The audit actor of a user.
pub(crate) fn actor(caller: Caller) -> String {
    caller.user_id.to_string()
}
