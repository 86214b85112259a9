//! Documents out: a file the user chose (the Expand menu's Document, a drop, a paste) is kept
//! on this device (`prepare_document`), then queued with its name (`send_document`): shown
//! at once as `sending`, uploaded by the outbox, then sent. WhatsApp takes PDF, Word, Excel,
//! PowerPoint and text files up to 100 MB (the domain's rule, as the connector applies it).

use multiline_domain::api::MessageBody;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{MediaId, ThreadId};
use multiline_domain::policy::{self, Attachment, Draft, MAX_WHATSAPP_DOCUMENT_BYTES};
use serde::Serialize;
use ts_rs::TS;

use crate::cache::OutboxRequest;
use crate::{Client, ClientError, Result};

/// A document kept on this device, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PreparedDocument {
    pub id: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

impl Client {
    /// Keeps a document's bytes on this device (refused over WhatsApp's 100 MB), answering
    /// the id to send it by.
    pub async fn prepare_document(&self, bytes: Vec<u8>) -> Result<PreparedDocument> {
        let size = bytes.len() as u64;
        if size > MAX_WHATSAPP_DOCUMENT_BYTES {
            return Err(policy::Refusal::DocumentTooLarge.into());
        }
        if bytes.is_empty() {
            return Err(ClientError::Invalid {
                code: ErrorCode::FileUnreadable,
                message: "The file is empty.".into(),
            });
        }
        let id = self.inner.ids.next_uuid().to_string();
        let file = self.inner.dir.join("media").join(format!("{id}.doc"));
        let f = file.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(f.parent().expect("media files live in a folder"))?;
            std::fs::write(&f, bytes)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        .map_err(|e| ClientError::Invalid {
            code: ErrorCode::MediaWriteFailed,
            message: format!("The document could not be saved on this device: {e}"),
        })?;
        let (media_id, now) = (id.clone(), self.inner.clock.now());
        self.inner
            .cache(move |c| c.put_media(&media_id, &file, &file, 0, 0, size as usize, now))
            .await?;
        Ok(PreparedDocument { id, bytes: size })
    }

    /// Queues a prepared document under `filename` (what the guest sees), with an optional
    /// caption: shown at once as `sending`; the outbox uploads it, then sends it. Documents
    /// follow the free-form rules (consent, window) and Meta's types and size.
    pub async fn send_document(
        &self,
        thread: ThreadId,
        prepared: String,
        filename: String,
        caption: Option<String>,
    ) -> Result<multiline_domain::api::Message> {
        let id = prepared.clone();
        let (_, _, bytes) = self
            .inner
            .cache(move |c| c.media_size(&id))
            .await?
            .ok_or(ClientError::NotFound("document"))?;
        let filename = filename.trim().to_owned();
        let mime_type = policy::document_type(&filename)
            .ok_or(policy::Refusal::NotADocument)?
            .to_owned();
        let media_id = uuid::Uuid::parse_str(&prepared)
            .map(MediaId)
            .map_err(|_| ClientError::NotFound("document"))?;
        let typed = caption;
        let caption = policy::caption_to_send(typed.as_deref()).map(str::to_owned);
        let body = MessageBody::Document {
            // Provisional: the connector's copy carries the uploaded id.
            media_id,
            mime_type: mime_type.clone(),
            size: bytes,
            filename: filename.clone(),
            caption: caption.clone(),
        };
        let draft = Draft::Document {
            caption: typed.as_deref(),
            attachment: Some(Attachment {
                mime_type: &mime_type,
                bytes,
            }),
        };
        let request = OutboxRequest::Document {
            prepared,
            filename,
            mime_type: mime_type.clone(),
            caption,
            media_id: None,
        };
        self.queue(thread, draft, body, request).await
    }
}
