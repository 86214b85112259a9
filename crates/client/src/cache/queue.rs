//! The outbox: messages written on this device and waiting for the connector, kept in the
//! same file as the messages they show, so a queued message and its bubble never disagree.

use multiline_domain::api::{DeliveryState, FilledValue, Message, Thread};
use multiline_domain::ids::{ClientMessageId, ThreadId};
use rusqlite::{OptionalExtension, params};

use super::{Cache, CacheError, Result, upsert_message, upsert_thread};

/// What a queued message asks the connector to send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxRequest {
    Text {
        text: String,
    },
    Template {
        name: String,
        language: String,
        values: Vec<FilledValue>,
    },
    OptIn,
    /// A picture prepared on this device (`prepare_photo`): uploaded first (then `media_id`
    /// is remembered, so a retry does not upload again), then sent.
    Picture {
        prepared: String,
        caption: Option<String>,
        #[serde(default)]
        media_id: Option<multiline_domain::ids::MediaId>,
    },
    /// A document kept on this device (`prepare_document`), sent under `filename`: uploaded
    /// once, as for a picture.
    Document {
        prepared: String,
        filename: String,
        mime_type: String,
        caption: Option<String>,
        #[serde(default)]
        media_id: Option<multiline_domain::ids::MediaId>,
    },
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientMessageId,
    pub thread_id: ThreadId,
    pub request: OutboxRequest,
    pub attempts: u32,
}

impl Cache {
    /// Writes a message locally (shown as `sending`) and queues it, in one transaction:
    /// once this returns, the message survives the app being killed. Its thread's row shows
    /// it at once (preview and time, as the connector's copy will); answers that thread.
    pub fn enqueue(&self, message: &Message, request: &OutboxRequest) -> Result<Option<Thread>> {
        let client_id = message
            .client_id
            .expect("outbox messages carry a client id");
        self.write(|tx| {
            upsert_message(tx, message)?;
            tx.execute(
                "INSERT INTO outbox (client_id, thread_id, request) VALUES (?1, ?2, ?3)",
                params![
                    client_id.to_string(),
                    message.thread_id.to_string(),
                    serde_json::to_string(request)?
                ],
            )?;
            let data: Option<String> = tx
                .query_row(
                    "SELECT data FROM threads WHERE id = ?1",
                    [message.thread_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(data) = data else {
                return Ok(None);
            };
            let mut thread: Thread = serde_json::from_str(&data)?;
            thread.last_message_preview = Some(message.body.preview());
            thread.last_message_at = Some(message.created_at);
            upsert_thread(tx, &thread)?;
            Ok(Some(thread))
        })
    }

    /// Queued messages, oldest first.
    pub fn pending(&self) -> Result<Vec<Pending>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT client_id, thread_id, request, attempts FROM outbox ORDER BY position",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (c, t, request, attempts) = row?;
            let parse = |s: &str| {
                uuid::Uuid::parse_str(s)
                    .map_err(|e| CacheError::Corrupt(serde::de::Error::custom(e)))
            };
            Ok(Pending {
                client_id: ClientMessageId(parse(&c)?),
                thread_id: ThreadId(parse(&t)?),
                request: serde_json::from_str(&request)?,
                attempts,
            })
        })
        .collect()
    }

    /// Replaces a queued message's request (a picture's upload finished).
    pub fn update_request(
        &self,
        client_id: ClientMessageId,
        request: &OutboxRequest,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET request = ?2 WHERE client_id = ?1",
            params![client_id.to_string(), serde_json::to_string(request)?],
        )?;
        Ok(())
    }

    pub fn count_attempt(&self, client_id: ClientMessageId) -> Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE client_id = ?1",
            [client_id.to_string()],
        )?;
        Ok(())
    }

    /// The connector accepted the message: store its copy, drop it from the outbox.
    pub fn accepted(&self, message: &Message) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM outbox WHERE client_id = ?1",
                [message.client_id.map(|c| c.to_string())],
            )?;
            upsert_message(tx, message)
        })
    }

    /// The connector refused the message for good: mark it failed with the reason.
    pub fn refused(&self, client_id: ClientMessageId, reason: &str) -> Result<Option<Message>> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM outbox WHERE client_id = ?1",
                [client_id.to_string()],
            )?;
            let data: Option<String> = tx
                .query_row(
                    "SELECT data FROM messages WHERE key = ?1",
                    [client_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(data) = data else { return Ok(None) };
            let mut message: Message = serde_json::from_str(&data)?;
            message.state = DeliveryState::Failed;
            message.failure = Some(reason.to_owned());
            upsert_message(tx, &message)?;
            Ok(Some(message))
        })
    }
}
