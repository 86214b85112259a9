//! Messages.

use multiline_domain::api::{DeliveryState, Direction, Message, MessageBody, Quote, Reaction};
use multiline_domain::ids::{ClientMessageId, MessageId, ThreadId, UserId};
use multiline_domain::messages::Remedy;
use multiline_domain::time::Timestamp;
use postgres::Row;
use uuid::Uuid;

use std::collections::HashSet;

use super::{
    Params, PgTx, col, enum_at, enum_str, from_micros, json, json_at, json_str, micros,
    opt_json_at, opt_time_at, opt_uuid_at, time_at, touched, uuid_at,
};
use crate::store::{MessageTx, NewMessage, NewReaction, Result};

/// A message's columns and what is said about it: the message it answers (`q`, kept only
/// when of the same line: `qt`), and the guest's reaction (`r`).
macro_rules! message_select {
    () => {
        "SELECT m.id, m.client_id, m.thread_id, m.direction, u.name, m.body,
         m.state, m.failure, m.created_at, m.forwarded, m.ad, m.reply_to_wamid,
         q.id, q.thread_id, q.direction, q.body, r.emoji, r.by_name, r.reacted_at,
         qt.line_id = t.line_id, m.remedy
     FROM messages m
     JOIN threads t ON t.id = m.thread_id
     LEFT JOIN users u ON u.id = m.author_user_id
     LEFT JOIN messages q ON q.wamid = m.reply_to_wamid
     LEFT JOIN threads qt ON qt.id = q.thread_id
     LEFT JOIN reactions r ON r.line_id = t.line_id AND r.target_wamid = m.wamid
         AND r.emoji <> ''"
    };
}

/// `message`'s statement.
const MESSAGE_BY_ID: &str = concat!(message_select!(), " WHERE m.id = $1");

/// `messages`' statement.
const MESSAGES_OF_THREAD: &str = concat!(
    message_select!(),
    " WHERE m.thread_id = $1 ORDER BY m.created_at, m.seq"
);

/// A nullable enum column.
fn opt_enum_at<T: serde::de::DeserializeOwned>(row: &Row, i: usize) -> Result<Option<T>> {
    if col::<Option<&str>>(row, i)?.is_none() {
        return Ok(None);
    }
    enum_at(row, i).map(Some)
}

/// What a message of `thread_id` answers, from `message_select!`'s columns 12 to 15.
fn quote_row(row: &Row, thread_id: ThreadId, same_line: bool) -> Result<Quote> {
    let quoted: Option<&str> = col(row, 12)?;
    if quoted.is_none() || !same_line {
        return Ok(Quote {
            message_id: None,
            direction: None,
            preview: String::new(),
        });
    }
    let quoted_thread = ThreadId(uuid_at(row, 13)?);
    let body: MessageBody = json_at(row, 15)?;
    Ok(Quote {
        // A message of an earlier thread with the guest is quoted, not linked.
        message_id: (quoted_thread == thread_id)
            .then(|| uuid_at(row, 12))
            .transpose()?
            .map(MessageId),
        direction: Some(enum_at::<Direction>(row, 14)?),
        preview: body.preview(),
    })
}

/// A message from `message_select!`'s columns.
fn message_row(row: &Row) -> Result<Message> {
    let thread_id = ThreadId(uuid_at(row, 2)?);
    // A message of another line with the same wamid is not this one's to quote.
    let same_line = col::<Option<bool>>(row, 19)?.unwrap_or(false);
    let reply_to = match col::<Option<&str>>(row, 11)? {
        None => None,
        Some(_) => Some(quote_row(row, thread_id, same_line)?),
    };
    let reactions = match col::<Option<String>>(row, 16)? {
        Some(emoji) => vec![Reaction {
            emoji,
            by: col(row, 17)?,
            at: time_at(row, 18)?,
        }],
        None => Vec::new(),
    };
    Ok(Message {
        id: MessageId(uuid_at(row, 0)?),
        client_id: opt_uuid_at(row, 1)?.map(ClientMessageId),
        thread_id,
        direction: enum_at(row, 3)?,
        author_name: col(row, 4)?,
        body: json_at(row, 5)?,
        state: enum_at(row, 6)?,
        failure: col(row, 7)?,
        remedy: opt_enum_at(row, 20)?,
        created_at: time_at(row, 8)?,
        forwarded: opt_enum_at(row, 9)?,
        ad: opt_json_at(row, 10)?,
        reply_to,
        reactions,
    })
}

/// `m` as [`MessageTx::message`] will read it back once inserted, when nothing else is
/// joined to it: no author (whose name is read), no quoted message, and a wamid that
/// `expect_wamids` found no reaction waiting for. Each column goes through the conversion a
/// read gives it (times to whole microseconds, documents through their text). None when it
/// must be read.
fn as_read_back(
    tx: &PgTx<'_>,
    m: &NewMessage,
    body: &str,
    ad: Option<&str>,
) -> Result<Option<Message>> {
    let unreacted = match &m.wamid {
        Some(wamid) => tx.remembered.unreacted.contains(wamid),
        None => true,
    };
    if m.author.is_some() || m.about.reply_to.is_some() || !unreacted {
        return Ok(None);
    }
    Ok(Some(Message {
        id: m.id,
        client_id: m.client_id,
        thread_id: m.thread,
        direction: m.direction,
        author_name: None,
        body: json_str(body)?,
        state: m.state,
        failure: None,
        remedy: None,
        created_at: from_micros(micros(m.created_at)),
        forwarded: m.about.forwarded,
        ad: ad.map(json_str).transpose()?,
        reply_to: None,
        reactions: Vec::new(),
    }))
}

/// The message id in the first column of a query's one row, if any.
fn message_id(tx: &mut PgTx<'_>, sql: &str, params: Params<'_>) -> Result<Option<MessageId>> {
    tx.opt(sql, params)?
        .map(|row| uuid_at(&row, 0).map(MessageId))
        .transpose()
}

impl MessageTx for PgTx<'_> {
    fn insert_message(&mut self, m: &NewMessage) -> Result<()> {
        // Held: sent with the next statement (usually the read of the message itself),
        // which tells a `Conflict` on a taken id, wamid or client id (see `conn`).
        if m.direction == Direction::Outbound {
            self.remembered
                .latest_outbound
                .retain(|(thread, _), _| *thread != m.thread);
        }
        if let Some(wamid) = &m.wamid {
            self.remembered.wamids.insert(wamid.clone(), true);
        }
        let body = json(&m.body);
        let ad = m.about.ad.as_ref().map(json);
        let read_back = as_read_back(self, m, &body, ad.as_deref())?;
        self.later(
            "INSERT INTO messages (id, thread_id, direction, author_user_id, client_id, wamid,
                     body, state, created_at, reply_to_wamid, forwarded, ad, raw)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            vec![
                Box::new(m.id.to_string()),
                Box::new(m.thread.to_string()),
                Box::new(enum_str(&m.direction)),
                Box::new(m.author.map(|a| a.to_string())),
                Box::new(m.client_id.map(|c| c.to_string())),
                Box::new(m.wamid.clone()),
                Box::new(body),
                Box::new(enum_str(&m.state)),
                Box::new(micros(m.created_at)),
                Box::new(m.about.reply_to.clone()),
                Box::new(m.about.forwarded.as_ref().map(enum_str)),
                Box::new(ad),
                Box::new(m.about.raw.clone()),
            ],
            false,
        )?;
        // After the statement, whose table names would forget it.
        if let Some(message) = read_back {
            self.remembered.inserted.insert(m.id, message);
        }
        Ok(())
    }

    fn message(&mut self, id: MessageId) -> Result<Message> {
        if let Some(message) = self.remembered.inserted.get(&id) {
            return Ok(message.clone());
        }
        let row = self.one(MESSAGE_BY_ID, &[&id.to_string()])?;
        message_row(&row)
    }

    fn message_raw(&mut self, id: MessageId) -> Result<Option<String>> {
        let row = self.one("SELECT raw FROM messages WHERE id = $1", &[&id.to_string()])?;
        col(&row, 0)
    }

    fn messages(&mut self, thread: ThreadId) -> Result<Vec<Message>> {
        self.all(MESSAGES_OF_THREAD, &[&thread.to_string()])?
            .iter()
            .map(message_row)
            .collect()
    }

    fn message_by_client_id(
        &mut self,
        author: UserId,
        client_id: ClientMessageId,
    ) -> Result<Option<(MessageId, ThreadId)>> {
        let Some(row) = self.opt(
            "SELECT id, thread_id FROM messages WHERE author_user_id = $1 AND client_id = $2",
            &[&author.to_string(), &client_id.to_string()],
        )?
        else {
            return Ok(None);
        };
        Ok(Some((
            MessageId(uuid_at(&row, 0)?),
            ThreadId(uuid_at(&row, 1)?),
        )))
    }

    fn wamid_known(&mut self, wamid: &str) -> Result<bool> {
        if let Some(known) = self.remembered.wamids.get(wamid) {
            return Ok(*known);
        }
        Ok(self
            .opt("SELECT 1 FROM messages WHERE wamid = $1", &[&wamid])?
            .is_some())
    }

    fn expect_wamids(&mut self, wamids: &[&str]) -> Result<()> {
        // The messages that have them, and the reactions waiting for them (on any line).
        let rows = self.all(
            "SELECT wamid, FALSE FROM messages WHERE wamid = ANY($1)
             UNION ALL
             SELECT target_wamid, TRUE FROM reactions
             WHERE target_wamid = ANY($1) AND emoji <> ''",
            &[&wamids],
        )?;
        let (mut known, mut reacted) = (HashSet::new(), HashSet::new());
        for row in &rows {
            let wamid: String = col(row, 0)?;
            match col::<bool>(row, 1)? {
                true => reacted.insert(wamid),
                false => known.insert(wamid),
            };
        }
        for &wamid in wamids {
            self.remembered
                .wamids
                .insert(wamid.to_owned(), known.contains(wamid));
            if !reacted.contains(wamid) {
                self.remembered.unreacted.insert(wamid.to_owned());
            }
        }
        Ok(())
    }

    fn outbound_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>> {
        message_id(
            self,
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = $1 AND m.direction = 'outbound' AND t.line_id = $2",
            &[&wamid, &line.to_string()],
        )
    }

    fn message_by_wamid(&mut self, line: Uuid, wamid: &str) -> Result<Option<MessageId>> {
        message_id(
            self,
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = $1 AND t.line_id = $2",
            &[&wamid, &line.to_string()],
        )
    }

    fn set_reaction(&mut self, line: Uuid, target: &str, r: &NewReaction) -> Result<()> {
        // A removal is kept as an empty emoji, so that a reaction delivered late (webhooks
        // come out of order) does not come back over a newer removal.
        self.exec(
            "INSERT INTO reactions (line_id, target_wamid, emoji, by_name, reacted_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (line_id, target_wamid) DO UPDATE SET emoji = excluded.emoji,
                 by_name = excluded.by_name, reacted_at = excluded.reacted_at
             WHERE excluded.reacted_at >= reactions.reacted_at",
            &[
                &line.to_string(),
                &target,
                &r.emoji.as_deref().unwrap_or_default(),
                &r.by,
                &micros(r.at),
            ],
        )?;
        Ok(())
    }

    fn voicemail_by_recording(&mut self, line: Uuid, recording: &str) -> Result<Option<MessageId>> {
        message_id(
            self,
            "SELECT m.id FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.wamid = $1 AND t.line_id = $2 AND t.channel = 'voicemail'",
            &[&recording, &line.to_string()],
        )
    }

    fn newest_inbound_wamid(&mut self, thread: ThreadId) -> Result<Option<String>> {
        self.opt(
            "SELECT m.wamid FROM messages m JOIN threads t ON t.id = m.thread_id
             WHERE m.thread_id = $1 AND m.direction = 'inbound' AND m.wamid IS NOT NULL
               AND t.channel = 'whatsapp'
             ORDER BY m.created_at DESC, m.seq DESC LIMIT 1",
            &[&thread.to_string()],
        )?
        .map(|row| col::<String>(&row, 0))
        .transpose()
    }

    fn latest_outbound_at(
        &mut self,
        thread: ThreadId,
        until: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let key = (thread, micros(until));
        if let Some(known) = self.remembered.latest_outbound.get(&key) {
            return Ok(*known);
        }
        let row = self.one(
            "SELECT MAX(created_at) FROM messages
             WHERE thread_id = $1 AND direction = 'outbound' AND created_at <= $2",
            &[&thread.to_string(), &key.1],
        )?;
        let latest = opt_time_at(&row, 0)?;
        self.remembered.latest_outbound.insert(key, latest);
        Ok(latest)
    }

    fn set_message_state(
        &mut self,
        id: MessageId,
        state: DeliveryState,
        failure: Option<&str>,
    ) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET state = $2, failure = COALESCE($3::text, failure) WHERE id = $1",
            &[&id.to_string(), &enum_str(&state), &failure],
        )?;
        touched(n)
    }

    fn set_message_remedy(&mut self, id: MessageId, remedy: Option<Remedy>) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET remedy = $2 WHERE id = $1",
            &[&id.to_string(), &remedy.as_ref().map(enum_str)],
        )?;
        touched(n)
    }

    fn unfail_message(&mut self, id: MessageId) -> Result<bool> {
        // Its wamid goes: whether a wamid is known is read again.
        self.remembered.wamids.clear();
        let n = self.exec(
            "UPDATE messages SET state = 'sending', failure = NULL, remedy = NULL, wamid = NULL
             WHERE id = $1 AND state IN ('failed', 'unconfirmed')",
            &[&id.to_string()],
        )?;
        Ok(n == 1)
    }

    fn set_message_wamid(&mut self, id: MessageId, wamid: &str) -> Result<()> {
        // A wamid it had before goes: whether a wamid is known is read again.
        self.remembered.wamids.clear();
        let n = self.exec(
            "UPDATE messages SET wamid = $2 WHERE id = $1",
            &[&id.to_string(), &wamid],
        )?;
        touched(n)
    }

    fn set_message_body(&mut self, id: MessageId, body: &MessageBody) -> Result<()> {
        let n = self.exec(
            "UPDATE messages SET body = $2 WHERE id = $1",
            &[&id.to_string(), &json(body)],
        )?;
        touched(n)
    }
}
