//! Threads: one business line, one guest, one or more participants. At most one open thread
//! per (line, channel, guest); closed threads stay readable. Also what changes a guest's
//! standing from outside a conversation: consent an admin records, an opt-out the carrier
//! reports.

use multiline_domain::api::{Channel, Event, Thread};
use multiline_domain::consent::Consent;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, ThreadId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowFacts;
use uuid::Uuid;

use super::{Env, Told, actor, announce, audit, check_participant, tell};
use crate::error::{Error, Result};
use crate::store::{Caller, GuestIds, NewThread, Standing, StoreExt};

/// The open thread with the contact on that number and channel, joining the caller to it if
/// a colleague holds it (F12: reply from the contact's icon), or a new one with the caller as
/// its participant. `unknown_number` if the number is not the contact's; `sms_unavailable`
/// for SMS on a line without a carrier; `voicemail_thread` for voicemail (a caller opens
/// those).
pub fn open_thread(
    env: &Env<'_>,
    caller: Caller,
    contact: ContactId,
    phone: &E164,
    channel: Channel,
) -> Result<(Thread, Told)> {
    let new_id: ThreadId = env.ids.new();
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
        let (id, told) = match tx.open_thread_of(line.id, channel, &guest)? {
            Some(id) => {
                if tx.join(id, caller.user_id, env.now)? {
                    audit(
                        tx,
                        caller.org_id,
                        env.now,
                        &actor(caller),
                        "participant.joined",
                        Some(id),
                        serde_json::json!({}),
                    )?;
                    (id, announce(tx, id, None, env.now)?)
                } else {
                    (id, Vec::new())
                }
            }
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
                (new_id, announce(tx, new_id, None, env.now)?)
            }
        };
        Ok((tx.thread_view(id, caller.user_id)?, told))
    })
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
