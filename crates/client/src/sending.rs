//! Sending: a message is decided with the domain's one rule ([`policy::decide`], the same
//! the connector applies), written to the outbox (shown at once as `sending`), and sent by
//! the outbox worker. Pictures are prepared first (F16-F18); templates are checked as the
//! Cloud API checks them (F9, F15).

use multiline_domain::api::{DeliveryState, Direction, FilledValue, Message, MessageBody};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, MediaId, MessageId, ThreadId};
use multiline_domain::policy::{self, Attachment, Draft};
use multiline_domain::templates::Template;

use crate::cache::OutboxRequest;
use crate::view::{self, UiEvent};
use crate::{Client, ClientError, Result, media, photo};

impl Client {
    /// Writes a text to the outbox (shown at once as `sending`) and wakes the sender.
    /// Refused at once where the rules already say no.
    pub async fn send_text(&self, thread: ThreadId, text: String) -> Result<Message> {
        let text = policy::text_to_send(&text).to_owned();
        let body = MessageBody::Text { text: text.clone() };
        self.queue(
            thread,
            Draft::Text(&text),
            body,
            OutboxRequest::Text { text: text.clone() },
        )
        .await
    }

    /// Prepares a picture for sending (F16-F18): decoded with limits, upright, metadata
    /// dropped, bounded and re-encoded under the Cloud API's limit, with a thumbnail. Runs
    /// on a blocking thread; progress arrives as `photo_progress` events.
    pub async fn prepare_photo(
        &self,
        source: photo::PhotoSource,
    ) -> Result<crate::view::PreparedPhoto> {
        photo::prepare(&self.inner, self.inner.dir.join("media"), source).await
    }

    /// Queues a prepared picture (`prepare_photo`) with an optional caption, shown at once
    /// as `sending`; the outbox uploads it, then sends it. Pictures follow the free-form
    /// rules (consent, window).
    pub async fn send_picture(
        &self,
        thread: ThreadId,
        prepared: String,
        caption: Option<String>,
    ) -> Result<Message> {
        let id = prepared.clone();
        let known = self.inner.cache(move |c| c.media_size(&id)).await?;
        let Some((width, height, bytes)) = known else {
            return Err(ClientError::NotFound("picture"));
        };
        let media_id = uuid::Uuid::parse_str(&prepared)
            .map(MediaId)
            .map_err(|_| ClientError::NotFound("picture"))?;
        let typed = caption;
        let caption = policy::caption_to_send(typed.as_deref()).map(str::to_owned);
        let body = MessageBody::Picture {
            // Provisional: the connector's copy carries the uploaded id.
            media_id,
            caption: caption.clone(),
            width,
            height,
        };
        let draft = Draft::Picture {
            caption: typed.as_deref(),
            // The pipeline writes JPEG only.
            attachment: Some(Attachment {
                mime_type: "image/jpeg",
                bytes,
            }),
        };
        self.queue(
            thread,
            draft,
            body,
            OutboxRequest::Picture {
                prepared,
                caption,
                media_id: None,
            },
        )
        .await
    }

    /// A message's file (a picture, a voice note, a video, a document, a recording) as a
    /// `data:` URL: one prepared here, or fetched once from the connector and kept in the
    /// account's `media/` folder.
    pub async fn media(&self, id: MediaId) -> Result<String> {
        media::data_url(&self.inner, &self.inner.dir.join("media"), id).await
    }

    /// A copy of a message's file named `filename` (made safe): what the system's app opens.
    pub async fn media_to_open(&self, id: MediaId, filename: &str) -> Result<std::path::PathBuf> {
        let dir = &self.inner.dir;
        media::named_copy(
            &self.inner,
            &dir.join("media"),
            &dir.join("open"),
            id,
            filename,
        )
        .await
    }

    /// Writes a message's file to `to`, where the user chose to save it.
    pub async fn save_media(&self, id: MediaId, to: &std::path::Path) -> Result<()> {
        media::save(&self.inner, &self.inner.dir.join("media"), id, to).await
    }

    /// The organization's approved templates (F15), from the cache.
    pub async fn templates(&self) -> Result<Vec<Template>> {
        self.inner.cache(|c| c.templates()).await
    }

    async fn template(&self, name: String, language: String) -> Result<Template> {
        self.inner
            .cache(|c| c.templates())
            .await?
            .into_iter()
            .find(|t| t.name == name && t.language == language)
            .ok_or(ClientError::NotFound("template"))
    }

    /// What the template would read like with `values`, and what is wrong with them.
    pub async fn preview_template(
        &self,
        name: String,
        language: String,
        values: Vec<FilledValue>,
    ) -> Result<view::TemplatePreview> {
        let template = self.template(name, language).await?;
        Ok(view::template_preview(
            &template,
            &multiline_domain::api::template_values(&values),
        ))
    }

    /// Queues an approved template with its filled values (F9). Whether a template may go
    /// is decided first, as the connector decides; then the values are checked with the
    /// Cloud API's rules, so mistakes show on the field at once.
    pub async fn send_template(
        &self,
        thread: ThreadId,
        name: String,
        language: String,
        values: Vec<FilledValue>,
    ) -> Result<Message> {
        let facts = self.send_facts(thread).await?;
        policy::decide(&facts, &Draft::Template, self.inner.clock.now())?;
        let template = self.template(name.clone(), language.clone()).await?;
        let map = multiline_domain::api::template_values(&values);
        let components = template
            .send_components(&map)
            .map_err(|errors| ClientError::Invalid {
                code: ErrorCode::InvalidTemplateValues,
                message: multiline_domain::templates::describe(&errors),
            })?;
        let body = MessageBody::Template {
            name: name.clone(),
            language: language.clone(),
            text: template.preview(&map),
            components,
            header: template.header_file(&map).map(Box::new),
            buttons: template.button_labels(),
        };
        let request = OutboxRequest::Template {
            name,
            language,
            values,
        };
        self.queue(thread, Draft::Template, body, request).await
    }

    /// Sends a failed message again (its Retry): the same message, with its client id, queued
    /// by the connector once however often this is called. Needs the connector.
    pub async fn retry_message(&self, message: MessageId) -> Result<Message> {
        let again = self.inner.api.retry(message).await?;
        let put = again.clone();
        self.inner.cache(move |c| c.put_message(&put)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: again.clone(),
        });
        Ok(again)
    }

    /// "Send by SMS instead" for a WhatsApp text that could not be delivered (the number is
    /// not on WhatsApp): the text goes, as a new message, to the SMS thread with the same
    /// guest's number (opened if needed). Answers that thread, for the UI to show.
    pub async fn send_by_sms(
        &self,
        thread: ThreadId,
        message: MessageId,
    ) -> Result<view::ThreadSummary> {
        let t = self
            .inner
            .cache(move |c| c.thread(thread))
            .await?
            .ok_or(ClientError::NotFound("conversation"))?;
        let messages = self.inner.cache(move |c| c.messages(thread)).await?;
        let text = match messages
            .into_iter()
            .find(|m| m.id == message)
            .map(|m| m.body)
        {
            Some(MessageBody::Text { text }) => text,
            Some(_) => {
                return Err(ClientError::Invalid {
                    code: ErrorCode::MmsUnsupported,
                    message: "Only a text can be sent by SMS instead.".into(),
                });
            }
            None => return Err(ClientError::NotFound("message")),
        };
        let (Some(contact), Some(phone)) = (t.contact_id, t.guest_phone.clone()) else {
            return Err(ClientError::Invalid {
                code: ErrorCode::SmsUnavailable,
                message: "This guest has no saved phone number to text.".into(),
            });
        };
        let sms = self.open_sms_thread(contact, phone.as_str()).await?;
        self.send_text(sms.id, text).await?;
        // As the thread is now (the UI puts this answer over its row: a summary read before
        // the send would undo the events that came meanwhile).
        Ok(self.thread_summary(sms.id).await?.unwrap_or(sms))
    }

    /// Uploads a prepared picture (`prepare_photo`) for a template's header now, answering
    /// the connector's media id (the header's value). Needs the connector.
    pub async fn upload_header_picture(&self, prepared: String) -> Result<MediaId> {
        let id = prepared.clone();
        let file = self
            .inner
            .cache(move |c| c.media_file(&id))
            .await?
            .ok_or(ClientError::NotFound("picture"))?;
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| ClientError::Invalid {
                code: ErrorCode::PictureMissing,
                message: format!("The picture could not be read: {e}"),
            })?;
        let info = self
            .inner
            .api
            .upload_media(bytes, "image/jpeg", |_, _| {})
            .await?;
        Ok(info.id)
    }

    /// Uploads a prepared document (`prepare_document`) for a template's DOCUMENT header now,
    /// answering the connector's media id (the header's value). Meta takes a PDF there.
    pub async fn upload_header_document(
        &self,
        prepared: String,
        filename: String,
    ) -> Result<MediaId> {
        if policy::document_type(&filename) != Some("application/pdf") {
            return Err(ClientError::Invalid {
                code: ErrorCode::NotADocument,
                message: "A template's document must be a PDF.".into(),
            });
        }
        let id = prepared.clone();
        let file = self
            .inner
            .cache(move |c| c.media_file(&id))
            .await?
            .ok_or(ClientError::NotFound("document"))?;
        let bytes = tokio::fs::read(&file)
            .await
            .map_err(|e| ClientError::Invalid {
                code: ErrorCode::FileUnreadable,
                message: format!("The document could not be read: {e}"),
            })?;
        let info = self
            .inner
            .api
            .upload_media(bytes, "application/pdf", |_, _| {})
            .await?;
        Ok(info.id)
    }

    /// Queues the organization's opt-in request to the thread's guest (F4).
    pub async fn send_opt_in(&self, thread: ThreadId) -> Result<Message> {
        let body = MessageBody::Template {
            name: "opt-in".into(),
            language: String::new(),
            text: "Asking for consent to message on WhatsApp…".into(),
            components: Vec::new(),
            header: None,
            buttons: Vec::new(),
        };
        self.queue(thread, Draft::OptIn, body, OutboxRequest::OptIn)
            .await
    }

    /// The facts the rules decide on, from the cached thread.
    async fn send_facts(&self, thread: ThreadId) -> Result<policy::SendFacts> {
        let t = self
            .inner
            .cache(move |c| c.thread(thread))
            .await?
            .ok_or(ClientError::NotFound("conversation"))?;
        Ok(policy::SendFacts::of(
            &t,
            self.inner.session.organization.whatsapp_enabled,
        ))
    }

    /// Writes a message to the outbox (shown at once as `sending`) and wakes the sender,
    /// unless the rules already say no to `draft`.
    pub(crate) async fn queue(
        &self,
        thread: ThreadId,
        draft: Draft<'_>,
        body: MessageBody,
        request: OutboxRequest,
    ) -> Result<Message> {
        let facts = self.send_facts(thread).await?;
        let now = self.inner.clock.now();
        policy::decide(&facts, &draft, now)?;
        let client_id: ClientMessageId = self.inner.ids.new();
        let message = Message {
            // Provisional: replaced by the connector's copy, matched by client id.
            id: MessageId(client_id.0),
            client_id: Some(client_id),
            thread_id: thread,
            direction: Direction::Outbound,
            author_name: Some(self.inner.session.user.name.clone()),
            body,
            state: DeliveryState::Sending,
            failure: None,
            remedy: None,
            created_at: now,
            reply_to: None,
            forwarded: None,
            ad: None,
            reactions: Vec::new(),
        };
        let m = message.clone();
        let row = self.inner.cache(move |c| c.enqueue(&m, &request)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: message.clone(),
        });
        if let Some(thread) = row {
            self.inner.emit(UiEvent::ThreadUpserted {
                thread: self.inner.summary(&thread),
            });
        }
        self.inner.outbox_wake.notify_one();
        Ok(message)
    }
}
