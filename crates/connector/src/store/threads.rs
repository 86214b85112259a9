//! Threads: one business line, one guest, one or more participants. At most one open thread
//! per (line, guest); closed threads stay readable.

use multiline_domain::api::{Channel, Thread, ThreadStatus, User};
use multiline_domain::consent::Consent;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, ThreadId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use multiline_domain::window::{WindowFacts, WindowRule};
use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::{Caller, Result, SqliteStore, StoreError, ThreadStore, from_micros, micros, uuid_col};

/// Where a guest's standing is kept: WhatsApp consent (F4-F6), or whether texts may go to the
/// number (F22: STOP / START). Both are the domain's `Consent`, `None` until something
/// happened.
#[derive(Clone, Copy)]
pub(crate) enum Standing {
    Whatsapp,
    Sms,
}

impl Standing {
    /// The standing a thread on `channel` is sent under (none for voicemail).
    pub(crate) fn of(channel: Channel) -> Option<Standing> {
        match channel {
            Channel::Whatsapp => Some(Standing::Whatsapp),
            Channel::Sms => Some(Standing::Sms),
            Channel::Voicemail => None,
        }
    }

    fn table(self) -> &'static str {
        match self {
            Standing::Whatsapp => "consents",
            Standing::Sms => "sms_consents",
        }
    }

    /// The standing of `guest` on `line` (`None` until something happened).
    pub(crate) fn get(self, tx: &Transaction<'_>, line: Uuid, guest: &E164) -> Result<Consent> {
        // The table name is one of our own literals, never input.
        let sql = format!(
            "SELECT state FROM {} WHERE line_id = ?1 AND guest_phone = ?2",
            self.table()
        );
        let state: Option<String> = tx
            .query_row(&sql, params![line.to_string(), guest.as_str()], |r| {
                r.get(0)
            })
            .optional()?;
        match state {
            None => Ok(Consent::None),
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))
            }
        }
    }

    pub(crate) fn set(
        self,
        tx: &Transaction<'_>,
        line: Uuid,
        guest: &E164,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (line_id, guest_phone, state, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (line_id, guest_phone) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            self.table()
        );
        tx.execute(
            &sql,
            params![
                line.to_string(),
                guest.as_str(),
                serde_json::to_string(consent).expect("serializes"),
                micros(now)
            ],
        )?;
        Ok(())
    }
}

/// The standing that decides what may be sent in a thread on `channel`: WhatsApp consent,
/// the number's SMS standing, or nothing (voicemail).
pub(crate) fn consent_on(
    tx: &Transaction<'_>,
    line: Uuid,
    channel: Channel,
    guest: &E164,
) -> Result<Consent> {
    Standing::of(channel).map_or(Ok(Consent::None), |s| s.get(tx, line, guest))
}

pub(crate) fn channel_str(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "whatsapp",
        Channel::Sms => "sms",
        Channel::Voicemail => "voicemail",
    }
}

/// Is `user` a current participant of `thread` in their organization? `NotFound` otherwise,
/// so a thread's existence does not leak to outsiders.
pub(crate) fn check_participant(
    tx: &Transaction<'_>,
    caller: Caller,
    thread: ThreadId,
) -> Result<()> {
    let ok: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM participants p JOIN threads t ON t.id = p.thread_id
             WHERE p.thread_id = ?1 AND p.user_id = ?2 AND p.left_at IS NULL AND t.org_id = ?3",
            params![
                thread.to_string(),
                caller.user_id.to_string(),
                caller.org_id.to_string()
            ],
            |r| r.get(0),
        )
        .optional()?;
    ok.map(|_| ()).ok_or(StoreError::NotFound)
}

/// The thread as `user` sees it.
pub(crate) fn thread_for(tx: &Transaction<'_>, id: ThreadId, user: UserId) -> Result<Thread> {
    let row = tx
        .query_row(
            "SELECT t.line_id, t.channel, t.guest_phone, t.contact_id, c.name, t.status, t.template_required,
                    t.last_message_at, t.last_guest_message_at, t.last_message_preview, o.window_rule,
                    (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.direction = 'inbound'
                        AND m.created_at > COALESCE(p.last_read_at, 0))
             FROM threads t
             JOIN organizations o ON o.id = t.org_id
             LEFT JOIN contacts c ON c.id = t.contact_id
             LEFT JOIN participants p ON p.thread_id = t.id AND p.user_id = ?2
             WHERE t.id = ?1",
            params![id.to_string(), user.to_string()],
            |r| {
                Ok((
                    uuid_col(r.get(0)?)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, i64>(11)?,
                ))
            },
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let (
        line,
        channel,
        guest,
        contact_id,
        contact_name,
        status,
        template_required,
        last,
        last_guest,
        preview,
        rule,
        unread,
    ) = row;
    let guest = E164::from_stored(&guest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    let channel =
        serde_json::from_value::<Channel>(serde_json::Value::String(channel)).map_err(corrupt)?;
    Ok(Thread {
        id,
        channel,
        contact_id: contact_id
            .map(|c| Uuid::parse_str(&c).map(ContactId))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        contact_name: contact_name.unwrap_or_else(|| guest.to_string()),
        consent: consent_on(tx, line, channel, &guest)?,
        guest_phone: guest,
        status: serde_json::from_value::<ThreadStatus>(serde_json::Value::String(status))
            .map_err(corrupt)?,
        window_rule: serde_json::from_value::<WindowRule>(serde_json::Value::String(rule))
            .map_err(corrupt)?,
        window: WindowFacts {
            last_message_at: last.map(from_micros),
            last_guest_message_at: last_guest.map(from_micros),
        },
        template_required,
        last_message_preview: preview,
        last_message_at: last.map(from_micros),
        unread_count: unread as u32,
        participants: participant_users(tx, id)?,
    })
}

/// A thread's current participants, in the order they joined.
fn participant_users(tx: &Transaction<'_>, thread: ThreadId) -> Result<Vec<User>> {
    let mut stmt = tx.prepare_cached(
        "SELECT u.id, u.name, u.email FROM participants p JOIN users u ON u.id = p.user_id
         WHERE p.thread_id = ?1 AND p.left_at IS NULL ORDER BY p.joined_at, u.name",
    )?;
    let rows = stmt.query_map([thread.to_string()], |r| {
        Ok(User {
            id: UserId(uuid_col(r.get(0)?)?),
            name: r.get(1)?,
            email: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The open thread of (line, channel, guest), if any.
pub(crate) fn open_thread_of(
    tx: &Transaction<'_>,
    line: Uuid,
    channel: Channel,
    guest: &E164,
) -> Result<Option<ThreadId>> {
    Ok(tx
        .query_row(
            "SELECT id FROM threads WHERE line_id = ?1 AND channel = ?3 AND guest_phone = ?2 AND status = 'open'",
            params![line.to_string(), guest.as_str(), channel_str(channel)],
            |r| Ok(ThreadId(uuid_col(r.get(0)?)?)),
        )
        .optional()?)
}

/// Creates an open thread with `participants`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_thread(
    tx: &Transaction<'_>,
    org: multiline_domain::ids::OrganizationId,
    line: Uuid,
    channel: Channel,
    guest: &E164,
    contact: Option<ContactId>,
    participants: &[UserId],
    now: Timestamp,
) -> Result<ThreadId> {
    let id = ThreadId::random();
    tx.execute(
        "INSERT INTO threads (id, org_id, line_id, channel, guest_phone, contact_id, status, created_at)
         VALUES (?1, ?2, ?3, ?7, ?4, ?5, 'open', ?6)",
        params![id.to_string(), org.to_string(), line.to_string(), guest.as_str(), contact.map(|c| c.to_string()), micros(now), channel_str(channel)],
    )?;
    for user in participants {
        tx.execute(
            "INSERT INTO participants (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
            params![id.to_string(), user.to_string(), micros(now)],
        )?;
    }
    Ok(id)
}

/// The contact of the organization that has this number, if any.
pub(crate) fn contact_by_phone(
    tx: &Transaction<'_>,
    org: multiline_domain::ids::OrganizationId,
    phone: &E164,
) -> Result<Option<ContactId>> {
    Ok(tx
        .query_row(
            "SELECT c.id FROM contacts c JOIN contact_phones p ON p.contact_id = c.id
             WHERE c.org_id = ?1 AND p.number = ?2 AND c.deleted_at IS NULL ORDER BY c.created_at LIMIT 1",
            params![org.to_string(), phone.as_str()],
            |r| Ok(ContactId(uuid_col(r.get(0)?)?)),
        )
        .optional()?)
}

impl ThreadStore for SqliteStore {
    /// Opens the thread with a contact's number on `channel` (WhatsApp or SMS), or returns
    /// the open one (joining the caller to it if a colleague holds it: F12 "reply from the
    /// contact's WhatsApp icon").
    fn open_thread(
        &self,
        caller: Caller,
        contact: ContactId,
        phone: &E164,
        channel: Channel,
        now: Timestamp,
    ) -> Result<(Thread, Vec<UserId>)> {
        self.write(|tx| {
            let c = super::contact_in(tx, caller.org_id, contact)?;
            if !c.phones.iter().any(|p| &p.number == phone) {
                return Err(StoreError::Invalid { code: ErrorCode::UnknownNumber, message: "That number is not one of the contact's numbers.".into() });
            }
            let line = super::line_by(tx, "org_id", &caller.org_id.to_string())?;
            match channel {
                Channel::Whatsapp => {}
                Channel::Sms if line.carrier.is_some() => {}
                Channel::Sms => return Err(StoreError::Invalid { code: ErrorCode::SmsUnavailable, message: "Texting is not set up for your line.".into() }),
                Channel::Voicemail => return Err(StoreError::Invalid { code: ErrorCode::VoicemailThread, message: "Voicemail conversations start with a call, not from here.".into() }),
            }
            let (id, notify) = match open_thread_of(tx, line.id, channel, phone)? {
                Some(id) => {
                    let joined = tx.execute(
                        "INSERT INTO participants (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (thread_id, user_id) DO UPDATE SET left_at = NULL, joined_at = excluded.joined_at
                         WHERE participants.left_at IS NOT NULL",
                        params![id.to_string(), caller.user_id.to_string(), micros(now)],
                    )?;
                    if joined > 0 {
                        super::audit(tx, caller.org_id, now, &caller.user_id.to_string(), "participant.joined", Some(id), serde_json::json!({}))?;
                        (id, super::events::announce(tx, id, None, now)?)
                    } else {
                        (id, Vec::new())
                    }
                }
                None => {
                    let id = create_thread(tx, caller.org_id, line.id, channel, phone, Some(contact), &[caller.user_id], now)?;
                    super::audit(tx, caller.org_id, now, &caller.user_id.to_string(), "thread.opened", Some(id), serde_json::json!({ "guest": phone, "channel": channel }))?;
                    (id, super::events::announce(tx, id, None, now)?)
                }
            };
            Ok((thread_for(tx, id, caller.user_id)?, notify))
        })
    }

    /// The caller's threads, newest activity first.
    fn threads(&self, caller: Caller) -> Result<Vec<Thread>> {
        self.read(|tx| {
            let ids = {
                let mut stmt = tx.prepare_cached(
                    "SELECT t.id FROM threads t JOIN participants p ON p.thread_id = t.id
                     WHERE p.user_id = ?1 AND p.left_at IS NULL AND t.org_id = ?2
                     ORDER BY COALESCE(t.last_message_at, t.created_at) DESC",
                )?;
                stmt.query_map(
                    params![caller.user_id.to_string(), caller.org_id.to_string()],
                    |r| Ok(ThreadId(uuid_col(r.get(0)?)?)),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            ids.into_iter()
                .map(|id| thread_for(tx, id, caller.user_id))
                .collect()
        })
    }

    fn thread(&self, caller: Caller, id: ThreadId) -> Result<Thread> {
        self.read(|tx| {
            check_participant(tx, caller, id)?;
            thread_for(tx, id, caller.user_id)
        })
    }

    /// Records a guest's consent (demo seeding and admin tools; replies change it through
    /// webhook processing): audited as the admin's, announced to the guest's threads.
    fn set_guest_consent(
        &self,
        line: Uuid,
        guest: &E164,
        consent: &Consent,
        now: Timestamp,
    ) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let org = super::line_by(tx, "id", &line.to_string())?.org_id;
            Standing::Whatsapp.set(tx, line, guest, consent, now)?;
            super::audit(
                tx,
                org,
                now,
                "admin",
                "consent.recorded",
                None,
                serde_json::json!({ "guest": guest, "to": consent }),
            )?;
            let threads: Vec<ThreadId> = tx
                .prepare_cached("SELECT id FROM threads WHERE line_id = ?1 AND guest_phone = ?2")?
                .query_map(params![line.to_string(), guest.as_str()], |r| {
                    Ok(ThreadId(uuid_col(r.get(0)?)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut told = Vec::new();
            for thread in threads {
                super::events::tell(&mut told, super::events::announce(tx, thread, None, now)?);
            }
            Ok(told)
        })
    }

    /// The carrier refused a text because the number opted out (a STOP the connector did not
    /// see): texts to it stay refused until the guest opts back in. Audited, announced.
    fn sms_opted_out(&self, line: Uuid, guest: &E164, now: Timestamp) -> Result<Vec<UserId>> {
        self.write(|tx| {
            let before = Standing::Sms.get(tx, line, guest)?;
            if matches!(before, Consent::Revoked { .. }) {
                return Ok(Vec::new());
            }
            let after = Consent::Revoked {
                at: now,
                guest_returned_at: None,
            };
            Standing::Sms.set(tx, line, guest, &after, now)?;
            let org = super::line_by(tx, "id", &line.to_string())?.org_id;
            let threads: Vec<ThreadId> = tx
                .prepare_cached(
                    "SELECT id FROM threads WHERE line_id = ?1 AND guest_phone = ?2 AND channel = 'sms'",
                )?
                .query_map(params![line.to_string(), guest.as_str()], |r| {
                    Ok(ThreadId(uuid_col(r.get(0)?)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut told = Vec::new();
            for thread in threads {
                super::audit(
                    tx,
                    org,
                    now,
                    "carrier",
                    "consent.changed",
                    Some(thread),
                    serde_json::json!({ "from": before, "to": after, "why": "the carrier reports the number opted out" }),
                )?;
                super::events::tell(&mut told, super::events::announce(tx, thread, None, now)?);
            }
            Ok(told)
        })
    }

    /// When each guest of a line last wrote (their latest message over all threads).
    fn last_guest_messages(&self, line: Uuid) -> Result<Vec<(E164, Timestamp)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT guest_phone, MAX(last_guest_message_at) FROM threads
             WHERE line_id = ?1 AND last_guest_message_at IS NOT NULL GROUP BY guest_phone",
        )?;
        let rows = stmt.query_map([line.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        rows.map(|row| {
            let (phone, at) = row?;
            Ok((
                E164::from_stored(&phone).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                from_micros(at),
            ))
        })
        .collect()
    }

    /// The caller has read the thread up to `now` (F10 unread counts). Returns the newest
    /// inbound wamid of a WhatsApp thread (for the Cloud API's read receipt), the line, and who to tell (only the
    /// caller: unread counts are per user).
    fn mark_read(
        &self,
        caller: Caller,
        thread: ThreadId,
        now: Timestamp,
    ) -> Result<(Option<String>, Uuid, Vec<UserId>)> {
        self.write(|tx| {
            check_participant(tx, caller, thread)?;
            tx.execute(
                "UPDATE participants SET last_read_at = ?3 WHERE thread_id = ?1 AND user_id = ?2",
                params![thread.to_string(), caller.user_id.to_string(), micros(now)],
            )?;
            let wamid: Option<String> = tx
                .query_row(
                    "SELECT m.wamid FROM messages m JOIN threads t ON t.id = m.thread_id
                     WHERE m.thread_id = ?1 AND m.direction = 'inbound' AND m.wamid IS NOT NULL
                       AND t.channel = 'whatsapp'
                     ORDER BY m.created_at DESC LIMIT 1",
                    [thread.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let line: String = tx.query_row(
                "SELECT line_id FROM threads WHERE id = ?1",
                [thread.to_string()],
                |r| r.get(0),
            )?;
            let view = thread_for(tx, thread, caller.user_id)?;
            super::events::push(
                tx,
                caller.user_id,
                &multiline_domain::api::Event::ThreadUpserted { thread: view },
                now,
            )?;
            Ok((wamid, uuid_col(line)?, vec![caller.user_id]))
        })
    }
}
