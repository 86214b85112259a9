//! Threads: one business line, one guest, one or more participants. At most one open thread
//! per (line, channel, guest); closed threads stay readable. Also what changes a guest's
//! standing from outside a conversation: consent an admin records, an opt-out the carrier
//! reports.

use multiline_domain::api::{Channel, Event, MessageBody, Thread, ThreadStatus};
use multiline_domain::consent::Consent;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, ContactId, MessageId, ThreadId};
use multiline_domain::participants::SystemEvent;
use multiline_domain::phone::E164;
use multiline_domain::policy::{self, OutboundKind, Refusal, SendFacts};
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use uuid::Uuid;

use super::{Env, Told, actor, announce, audit, check_participant, tell};
use crate::error::{Error, Result};
use crate::store::{Caller, GuestIds, NewThread, Standing, StoreExt, Tx};

/// What opening a conversation came to.
#[derive(Debug)]
pub enum Opened {
    /// The caller's open thread with the guest (found, or new with the caller in it).
    Thread { thread: Box<Thread>, told: Told },
    /// Colleagues hold the open thread with this guest: the caller is not let in (only a
    /// participant adds people); the thread shows that they asked to join, and its
    /// participants are told.
    AskedToJoin { holders: Vec<String>, told: Told },
}

/// The open thread with the contact on that number and channel, or a new one with the
/// caller as its participant (F12: reply from the contact's icon). Membership is the only
/// key to a thread: when colleagues hold the open thread with this guest, the caller asks
/// to join, visibly ([`Opened::AskedToJoin`]), never silently. `unknown_number` if the
/// number is not the contact's; `sms_unavailable` for SMS on a line without a carrier;
/// `voicemail_thread` for voicemail (a caller opens those).
///
/// A WhatsApp guest who must first be asked for consent (no consent, or a request unanswered
/// for 24 hours, or an opt-out after which they wrote again) gets a thread only with the
/// opt-in request: `opt_in` sends it in the same transaction; without it, `consent_missing`
/// and nothing is created (the user may still decide not to ask).
pub fn open_thread(
    env: &Env<'_>,
    caller: Caller,
    contact: ContactId,
    phone: &E164,
    channel: Channel,
    opt_in: Option<ClientMessageId>,
) -> Result<Opened> {
    let new_id: ThreadId = env.ids.new();
    let ask_id: MessageId = env.ids.new();
    env.store.write(|tx| {
        let c = tx.contact(caller.org_id, contact)?;
        if !c.phones.iter().any(|p| &p.number == phone) {
            return Err(Error::invalid(
                ErrorCode::UnknownNumber,
                "That number is not one of the contact's numbers.",
            ));
        }
        let line = tx.line_of_org(caller.org_id)?;
        match channel {
            Channel::Whatsapp => {}
            Channel::Sms if line.carrier.is_some() => {}
            Channel::Sms => {
                return Err(Error::invalid(
                    ErrorCode::SmsUnavailable,
                    "Texting is not set up for your line.",
                ));
            }
            Channel::Voicemail => {
                return Err(Error::invalid(
                    ErrorCode::VoicemailThread,
                    "Voicemail conversations start with a call, not from here.",
                ));
            }
        }
        let guest = GuestIds::phone(phone.clone());
        let (id, mut told) = match tx.open_thread_of(line.id, channel, &guest)? {
            Some(id) if tx.is_participant(caller, id)? => (id, Vec::new()),
            Some(id) => return ask_to_join(env, tx, caller, id, ask_id),
            None => {
                tx.insert_thread(&NewThread {
                    id: new_id,
                    org: caller.org_id,
                    line: line.id,
                    channel,
                    guest,
                    guest_name: None,
                    contact: Some(contact),
                    participants: vec![caller.user_id],
                    window: WindowFacts::default(),
                    template_required: false,
                    created_at: env.now,
                })?;
                audit(
                    tx,
                    caller.org_id,
                    env.now,
                    &actor(caller),
                    "thread.opened",
                    Some(new_id),
                    serde_json::json!({ "guest": phone, "channel": channel }),
                )?;
                if channel == Channel::Whatsapp && opt_in.is_none() {
                    // Rolled back with the error: nothing of the new thread stays.
                    let view = tx.thread_view(new_id, caller.user_id)?;
                    let enabled = tx.organization(caller.org_id)?.whatsapp_enabled;
                    let facts = SendFacts::of(&view, enabled);
                    if policy::may_send(&facts, OutboundKind::OptInTemplate, env.now).is_ok() {
                        return Err(Refusal::ConsentMissing.into());
                    }
                }
                (new_id, announce(tx, new_id, None, env.now)?)
            }
        };
        if let (Channel::Whatsapp, Some(client_id)) = (channel, opt_in) {
            let (_, asked) = super::send::opt_in_within(env, tx, caller, id, client_id)?;
            told.extend(asked);
        }
        Ok(Opened::Thread {
            thread: Box::new(tx.thread_view(id, caller.user_id)?),
            told,
        })
    })
}

/// The caller replies from `thread` (F13: "You can access any of your threads to reply from
/// the History page"): an open thread is itself; a closed one continues in the guest's open
/// conversation on that line and channel (the caller's, or an ask to join the colleagues'
/// who hold it), or, when none is open, is reopened (audited, announced). At most one open
/// thread per (line, channel, guest) holds throughout. `voicemail_thread` for a voicemail
/// (a caller opens those; the app offers a text or WhatsApp instead).
pub fn reply_in(env: &Env<'_>, caller: Caller, thread: ThreadId) -> Result<Opened> {
    let ask_id: MessageId = env.ids.new();
    env.store.write(|tx| {
        check_participant(tx, caller, thread)?;
        let record = tx.thread(thread)?;
        if record.channel == Channel::Voicemail {
            return Err(Error::invalid(
                ErrorCode::VoicemailThread,
                "Voicemail conversations start with a call: text or WhatsApp the caller instead.",
            ));
        }
        let id = match record.status {
            ThreadStatus::Open => thread,
            ThreadStatus::Closed => {
                match tx.open_thread_of(record.line_id, record.channel, &record.guest)? {
                    Some(open) if tx.is_participant(caller, open)? => open,
                    Some(open) => return ask_to_join(env, tx, caller, open, ask_id),
                    None => {
                        tx.reopen_thread(thread)?;
                        audit(
                            tx,
                            caller.org_id,
                            env.now,
                            &actor(caller),
                            "thread.reopened",
                            Some(thread),
                            serde_json::json!({ "channel": record.channel }),
                        )?;
                        let told = announce(tx, thread, None, env.now)?;
                        return Ok(Opened::Thread {
                            thread: Box::new(tx.thread_view(thread, caller.user_id)?),
                            told,
                        });
                    }
                }
            }
        };
        Ok(Opened::Thread {
            thread: Box::new(tx.thread_view(id, caller.user_id)?),
            told: Vec::new(),
        })
    })
}

/// The caller asks to join `thread`: a system line its participants see (once until they
/// answer: a second ask adds nothing), audited. Answers who holds it.
fn ask_to_join(
    env: &Env<'_>,
    tx: &mut dyn Tx,
    caller: Caller,
    thread: ThreadId,
    line_id: MessageId,
) -> Result<Opened> {
    let holders = tx.participants(thread)?;
    let names: std::collections::HashMap<_, _> = tx
        .users_of_org(caller.org_id)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let name = |u| names.get(&u).cloned().unwrap_or_else(|| "Someone".into());
    let asked = SystemEvent::AskedToJoin {
        user: caller.user_id,
    };
    // Already asked, with nothing about them since: not again.
    let pending = tx
        .messages(thread)?
        .iter()
        .rev()
        .find_map(|m| match &m.body {
            MessageBody::System { event, .. } if concerns(event, caller) => Some(event == &asked),
            _ => None,
        });
    let mut told = Vec::new();
    if pending != Some(true) {
        let text = asked.sentence(name);
        super::participants::system_line(tx, line_id, thread, &asked, &text, env.now)?;
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            asked.action(),
            Some(thread),
            serde_json::json!({ "event": asked, "text": text }),
        )?;
        let message = tx.message(line_id)?;
        told = announce(tx, thread, Some(&message), env.now)?;
    }
    Ok(Opened::AskedToJoin {
        holders: holders.into_iter().map(name).collect(),
        told,
    })
}

/// Whether a system line is about `caller` being in the thread or asking to be.
fn concerns(event: &SystemEvent, caller: Caller) -> bool {
    let me = caller.user_id;
    match *event {
        SystemEvent::Added { user, .. }
        | SystemEvent::Removed { user, .. }
        | SystemEvent::Left { user }
        | SystemEvent::AskedToJoin { user } => user == me,
        SystemEvent::Transferred { from, to } => from == me || to == me,
        SystemEvent::Closed { .. } | SystemEvent::Restarted { .. } => false,
    }
}

/// The caller's threads, newest activity first.
pub fn threads(env: &Env<'_>, caller: Caller) -> Result<Vec<Thread>> {
    env.store.read(|tx| tx.threads_of(caller))
}

/// A thread the caller is in.
pub fn thread(env: &Env<'_>, caller: Caller, id: ThreadId) -> Result<Thread> {
    env.store.read(|tx| {
        check_participant(tx, caller, id)?;
        tx.thread_view(id, caller.user_id)
    })
}

/// Records a guest's WhatsApp consent (F4-F6) as an admin's act (seeding, importing consent
/// given elsewhere): audited, and announced to the participants of the guest's threads.
/// `guest` is the guest's key: their number (E.164), or their WhatsApp user id for a guest
/// known only by it.
pub fn set_guest_consent(
    env: &Env<'_>,
    line: Uuid,
    guest: &str,
    consent: &Consent,
) -> Result<Told> {
    env.store.write(|tx| {
        let org = tx.line(line)?.org_id;
        tx.set_standing(Standing::Whatsapp, line, guest, consent, env.now)?;
        audit(
            tx,
            org,
            env.now,
            "admin",
            "consent.recorded",
            None,
            serde_json::json!({ "guest": guest, "to": consent }),
        )?;
        let mut told = Vec::new();
        for thread in tx.threads_of_guest(line, guest, None)? {
            tell(&mut told, announce(tx, thread, None, env.now)?);
        }
        Ok(told)
    })
}

/// The carrier refused a text because the number opted out (a STOP the connector did not
/// see, F22): texts to it stay refused until the guest opts back in. Audited per SMS thread,
/// announced. `guest` is the guest's key (their number, for texts).
pub fn sms_opted_out(env: &Env<'_>, line: Uuid, guest: &str) -> Result<Told> {
    env.store.write(|tx| {
        let before = tx.standing(Standing::Sms, line, guest)?;
        if matches!(before, Consent::Revoked { .. }) {
            return Ok(Vec::new());
        }
        let after = Consent::Revoked {
            at: env.now,
            guest_returned_at: None,
        };
        tx.set_standing(Standing::Sms, line, guest, &after, env.now)?;
        let org = tx.line(line)?.org_id;
        let mut told = Vec::new();
        for thread in tx.threads_of_guest(line, guest, Some(Channel::Sms))? {
            audit(
                tx,
                org,
                env.now,
                "carrier",
                "consent.changed",
                Some(thread),
                serde_json::json!({ "from": before, "to": after,
                    "why": "the carrier reports the number opted out" }),
            )?;
            tell(&mut told, announce(tx, thread, None, env.now)?);
        }
        Ok(told)
    })
}

/// When each guest of a line last wrote (their latest message over all threads).
pub fn last_guest_messages(env: &Env<'_>, line: Uuid) -> Result<Vec<(E164, Timestamp)>> {
    env.store.read(|tx| tx.last_guest_messages(line))
}

/// What [`mark_read`] leaves for the caller to do: the read receipt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The newest guest message of a WhatsApp thread, for the Cloud API's read receipt.
    pub wamid: Option<String>,
    pub line: Uuid,
    pub told: Told,
}

/// The caller has read the thread up to now (F10 unread counts: per user, so only the caller
/// is told).
pub fn mark_read(env: &Env<'_>, caller: Caller, thread: ThreadId) -> Result<Read> {
    env.store.write(|tx| {
        check_participant(tx, caller, thread)?;
        tx.set_last_read(thread, caller.user_id, env.now)?;
        let wamid = tx.newest_inbound_wamid(thread)?;
        let line = tx.thread(thread)?.line_id;
        let view = tx.thread_view(thread, caller.user_id)?;
        tx.push_event(
            caller.user_id,
            &Event::ThreadUpserted { thread: view },
            env.now,
        )?;
        Ok(Read {
            wamid,
            line,
            told: vec![caller.user_id],
        })
    })
}
