//! Messages.

use multiline_domain::api::{DeliveryState, Message, MessageBody};
use multiline_domain::ids::{ClientMessageId, MessageId, ThreadId, UserId};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{SqliteTx, enum_col, enum_str, from_micros, json, json_col, micros, touched, uuid_col};
use crate::store::{Error, MessageTx, NewMessage, Result};

const MESSAGE_COLUMNS: &str = "m.id, m.client_id, m.thread_id, m.direction, u.name, m.body, \
     m.state, m.failure, m.created_at";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let client_id: Option<String> = r.get(1)?;
    Ok(Message {
        id: MessageId(uuid_col(r.get(0)?)?),
        client_id: client_id.map(uuid_col).transpose()?.map(ClientMessageId),
        thread_id: ThreadId(uuid_col(r.get(2)?)?),
        direction: enum_col(r.get(3)?)?,
        author_name: r.get(4)?,
        body: json_col(r.get(5)?)?,
        state: enum_col(r.get(6)?)?,
        failure: r.get(7)?,
        created_at: from_micros(r.get(8)?),
    })
}

impl SqliteTx<'_> {
    fn message_id(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<MessageId>> {
        Ok(self
            .tx
            .query_row(sql, params, |r| Ok(MessageId(uuid_col(r.get(0)?)?)))
            .optional()?)
    }
}

impl MessageTx for SqliteTx<'_> {
    fn insert_message(&mut self, m: &NewMessage) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO messages (id, thread_id, direction, author_user_id, client_id, wamid,
                     body, state, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    m.id.to_string(),
                    m.thread.to_string(),
                    enum_str(&m.direction),
                    m.author.map(|a| a.to_string()),
                    m.client_id.map(|c| c.to_string()),
                    m.wamid,
                    json(&m.body),
                    enum_str(&m.state),
                    micros(m.created_at)
                ],
            )
            .map_err(|e| match Error::from(e) {
                Error::Conflict(_) => Error::Conflict("a message with this id exists"),
                other => other,
            })?;
        Ok(())
    }

    fn message(&mut self, id: MessageId) -> Result<Message> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
             WHERE m.id = ?1"
        );
        self.tx
            .query_row(&sql, [id.to_string()], message_row)
            .optional()?
            .ok_or(Error::NotFound)
    }

    fn messages(&mut self, thread: ThreadId) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
             WHERE m.thread_id = ?1 ORDER BY m.created_at, m.rowid"
        );
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
            .tx
            .query_row(
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
            .tx
            .query_row("SELECT 1 FROM messages WHERE wamid = ?1", [wamid], |_| {
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

    fn voicemail_by_recording(&mut self, line: Uuid, recording: &str) -> Result<Option<MessageId>> {
        self.message_id(
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = ?1 AND t.line_id = ?2 AND t.channel = 'voicemail'",
            params![recording, line.to_string()],
        )
    }

    fn newest_inbound_wamid(&mut self, thread: ThreadId) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row(
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
        let at: Option<i64> = self.tx.query_row(
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
        let n = self.tx.execute(
            "UPDATE messages SET state = ?2, failure = COALESCE(?3, failure) WHERE id = ?1",
            params![id.to_string(), enum_str(&state), failure],
        )?;
        touched(n)
    }

    fn set_message_wamid(&mut self, id: MessageId, wamid: &str) -> Result<()> {
        let n = self.tx.execute(
            "UPDATE messages SET wamid = ?2 WHERE id = ?1",
            params![id.to_string(), wamid],
        )?;
        touched(n)
    }

    fn set_message_body(&mut self, id: MessageId, body: &MessageBody) -> Result<()> {
        let n = self.tx.execute(
            "UPDATE messages SET body = ?2 WHERE id = ?1",
            params![id.to_string(), json(body)],
        )?;
        touched(n)
    }
}
