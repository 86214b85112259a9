//! Messages.

use multiline_domain::api::{DeliveryState, Direction, Message, MessageBody, Quote, Reaction};
use multiline_domain::ids::{ClientMessageId, MessageId, ThreadId, UserId};
use multiline_domain::messages::Remedy;
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteTx, enum_col, enum_str, from_micros, json, json_col, micros, touched, uuid_col};
use crate::store::{Error, MessageTx, NewMessage, NewReaction, Result};

/// A message's columns and what is said about it: the message it answers (`q`, kept only
/// when of the same line: `qt`), and the guest's reaction (`r`).
const MESSAGE_SELECT: &str = "SELECT m.id, m.client_id, m.thread_id, m.direction, u.name, m.body,
         m.state, m.failure, m.created_at, m.forwarded, m.ad, m.reply_to_wamid,
         q.id, q.thread_id, q.direction, q.body, r.emoji, r.by_name, r.reacted_at,
         qt.line_id = t.line_id, m.remedy
     FROM messages m
     JOIN threads t ON t.id = m.thread_id
     LEFT JOIN users u ON u.id = m.author_user_id
     LEFT JOIN messages q ON q.wamid = m.reply_to_wamid
     LEFT JOIN threads qt ON qt.id = q.thread_id
     LEFT JOIN reactions r ON r.line_id = t.line_id AND r.target_wamid = m.wamid
         AND r.emoji <> ''";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let client_id: Option<String> = r.get(1)?;
    let thread_id = ThreadId(uuid_col(r.get(2)?)?);
    // A message of another line with the same wamid is not this one's to quote.
    let same_line = r.get::<_, Option<bool>>(19)?.unwrap_or(false);
    let reply_to = match r.get::<_, Option<String>>(11)? {
        None => None,
        Some(_) => Some(
            match r.get::<_, Option<String>>(12)?.filter(|_| same_line) {
                Some(id) => {
                    let quoted_thread = ThreadId(uuid_col(r.get(13)?)?);
                    let body: MessageBody = json_col(r.get(15)?)?;
                    Quote {
                        // A message of an earlier thread with the guest is quoted, not linked.
                        message_id: (quoted_thread == thread_id)
                            .then(|| uuid_col(id))
                            .transpose()?
                            .map(MessageId),
                        direction: Some(enum_col::<Direction>(r.get(14)?)?),
                        preview: body.preview(),
                    }
                }
                None => Quote {
                    message_id: None,
                    direction: None,
                    preview: String::new(),
                },
            },
        ),
    };
    let reactions = match r.get::<_, Option<String>>(16)? {
        Some(emoji) => vec![Reaction {
            emoji,
            by: r.get(17)?,
            at: from_micros(r.get(18)?),
        }],
        None => Vec::new(),
    };
    Ok(Message {
        id: MessageId(uuid_col(r.get(0)?)?),
        client_id: client_id.map(uuid_col).transpose()?.map(ClientMessageId),
        thread_id,
        direction: enum_col(r.get(3)?)?,
        author_name: r.get(4)?,
        body: json_col(r.get(5)?)?,
        state: enum_col(r.get(6)?)?,
        failure: r.get(7)?,
        remedy: r.get::<_, Option<String>>(20)?.map(enum_col).transpose()?,
        created_at: from_micros(r.get(8)?),
        forwarded: r.get::<_, Option<String>>(9)?.map(enum_col).transpose()?,
        ad: r.get::<_, Option<String>>(10)?.map(json_col).transpose()?,
        reply_to,
        reactions,
    })
}

impl SqliteTx<'_> {
    fn message_id(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<MessageId>> {
        Ok(self
            .row(sql, params, |r| Ok(MessageId(uuid_col(r.get(0)?)?)))
            .optional()?)
    }
}

impl MessageTx for SqliteTx<'_> {
    fn insert_message(&mut self, m: &NewMessage) -> Result<()> {
        self.exec(
            "INSERT INTO messages (id, thread_id, direction, author_user_id, client_id, wamid,
                     body, state, created_at, reply_to_wamid, forwarded, ad, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                m.id.to_string(),
                m.thread.to_string(),
                enum_str(&m.direction),
                m.author.map(|a| a.to_string()),
                m.client_id.map(|c| c.to_string()),
                m.wamid,
                json(&m.body),
                enum_str(&m.state),
                micros(m.created_at),
                m.about.reply_to,
                m.about.forwarded.as_ref().map(enum_str),
                m.about.ad.as_ref().map(json),
                m.about.raw
            ],
        )
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict("a message with this id exists"),
            other => other,
        })?;
        Ok(())
    }

    fn message(&mut self, id: MessageId) -> Result<Message> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.id = ?1");
        self.row(&sql, [id.to_string()], message_row)
            .optional()?
            .ok_or(Error::NotFound)
    }

    fn message_raw(&mut self, id: MessageId) -> Result<Option<String>> {
        self.row(
            "SELECT raw FROM messages WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(Error::NotFound)
    }

    fn messages(&mut self, thread: ThreadId) -> Result<Vec<Message>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.thread_id = ?1 ORDER BY m.created_at, m.rowid");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([thread.to_string()], message_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn message_by_client_id(
        &mut self,
        author: UserId,
        client_id: ClientMessageId,
    ) -> Result<Option<(MessageId, ThreadId)>> {
        Ok(self
            .row(
                "SELECT id, thread_id FROM messages WHERE author_user_id = ?1 AND client_id = ?2",
                params![author.to_string(), client_id.to_string()],
                |r| {
                    Ok((
                        MessageId(uuid_col(r.get(0)?)?),
                        ThreadId(uuid_col(r.get(1)?)?),
                    ))
                },
            )
            .optional()?)
    }

    fn wamid_known(&mut self, wamid: &str) -> Result<bool> {
        Ok(self
            .row("SELECT 1 FROM messages WHERE wamid = ?1", [wamid], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    fn outbound_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>> {
        self.message_id(
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = ?1 AND m.direction = 'outbound' AND t.line_id = ?2",
            params![wamid, line.to_string()],
        )
    }

    fn message_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>> {
        self.message_id(
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = ?1 AND t.line_id = ?2",
            params![wamid, line.to_string()],
        )
    }

    fn set_reaction(&mut self, line: Uuid, target: &str, r: &NewReaction) -> Result<()> {
        // A removal is kept as an empty emoji, so that a reaction delivered late (webhooks
        // come out of order) does not come back over a newer removal.
        self.exec(
            "INSERT INTO reactions (line_id, target_wamid, emoji, by_name, reacted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (line_id, target_wamid) DO UPDATE SET emoji = excluded.emoji,
                 by_name = excluded.by_name, reacted_at = excluded.reacted_at
             WHERE excluded.reacted_at >= reactions.reacted_at",
            params![
                line.to_string(),
                target,
                r.emoji.as_deref().unwrap_or_default(),
                r.by,
                micros(r.at)
            ],
        )?;
        Ok(())
    }

    fn voicemail_by_recording(&mut self, line: Uuid, recording: &str) -> Result<Option<MessageId>> {
        self.message_id(
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = ?1 AND t.line_id = ?2 AND t.channel = 'voicemail'",
            params![recording, line.to_string()],
        )
    }

    fn newest_inbound_wamid(&mut self, thread: ThreadId) -> Result<Option<String>> {
        Ok(self
            .row(
                "SELECT m.wamid FROM messages m JOIN threads t ON t.id = m.thread_id
                 WHERE m.thread_id = ?1 AND m.direction = 'inbound' AND m.wamid IS NOT NULL
                   AND t.channel = 'whatsapp'
                 ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1",
                [thread.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn latest_outbound_at(
        &mut self,
        thread: ThreadId,
        until: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let at: Option<i64> = self.row(
            "SELECT MAX(created_at) FROM messages
             WHERE thread_id = ?1 AND direction = 'outbound' AND created_at <= ?2",
            params![thread.to_string(), micros(until)],
            |r| r.get(0),
        )?;
        Ok(at.map(from_micros))
    }

    fn set_message_state(
        &mut self,
        id: MessageId,
        state: DeliveryState,
        failure: Option<&str>,
    ) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET state = ?2, failure = COALESCE(?3, failure) WHERE id = ?1",
            params![id.to_string(), enum_str(&state), failure],
        )?;
        touched(n)
    }

    fn set_message_remedy(&mut self, id: MessageId, remedy: Option<Remedy>) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET remedy = ?2 WHERE id = ?1",
            params![id.to_string(), remedy.as_ref().map(enum_str)],
        )?;
        touched(n)
    }

    fn unfail_message(&mut self, id: MessageId) -> Result<bool> {
        let n = self.exec(
            "UPDATE messages SET state = 'sending', failure = NULL, remedy = NULL, wamid = NULL
             WHERE id = ?1 AND state IN ('failed', 'unconfirmed')",
            params![id.to_string()],
        )?;
        Ok(n == 1)
    }

    fn set_message_wamid(&mut self, id: MessageId, wamid: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET wamid = ?2 WHERE id = ?1",
            params![id.to_string(), wamid],
        )?;
        touched(n)
    }

    fn set_message_body(&mut self, id: MessageId, body: &MessageBody) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET body = ?2 WHERE id = ?1",
            params![id.to_string(), json(body)],
        )?;
        touched(n)
    }
}
