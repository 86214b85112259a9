//! The app's core: everything the MultiLine app does that is not drawing. It knows no Tauri
//! and is tested headless against the real connector and simulator.
//!
//! - [`connector`]: the `/v1` API client (the bearer token stays in Rust).
//! - [`cache`]: the local SQLite cache the UI reads first.
//! - [`sync`]: first sync, then one WebSocket whose events are applied in order, the last
//!   sequence number stored with each change, resumed after reconnects.
//! - [`outbox`]: messages are written locally before any network call, then sent in order;
//!   the client id is the connector's idempotency key, so a retry never duplicates.
//! - [`keychain`]: the session token in the OS keychain.
//! - [`photo`]: pictures through the photo pipeline, off the async runtime.
//! - [`view`]: what the UI renders, rules already applied.

pub mod cache;
pub mod connector;
pub mod keychain;
pub mod outbox;
pub mod photo;
pub mod sync;
pub mod view;
mod windows;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use multiline_domain::api::{
    Contact, ContactInput, ContactPhone, DeliveryState, Direction, FilledValue, Message,
    MessageBody, Session,
};
use multiline_domain::ids::{ClientMessageId, ContactId, MessageId, ThreadId};
use multiline_domain::phone::{E164, PhoneError};
use multiline_domain::templates::Template;
use multiline_domain::time::{Clock, Timestamp};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use crate::cache::{Cache, CacheError, OutboxRequest};
use crate::connector::{ApiError, ConnectorApi};
use crate::view::{AppError, SyncState, ThreadRow, ThreadSummary, UiEvent};

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the local cache failed: {0}")]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// A form's field is wrong: `field` names it ("phones.1").
    #[error("{message}")]
    InvalidField {
        code: &'static str,
        message: String,
        field: String,
    },
    /// The rules say no (consent, window): `code` is the domain's stable refusal code.
    #[error("{message}")]
    Refused { code: String, message: String },
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> AppError {
        let (code, message) = match &e {
            ClientError::Cache(_) => (
                "cache_failed".to_owned(),
                "The app's local storage failed. Restart the app.".to_owned(),
            ),
            ClientError::Api(ApiError::Unreachable(_)) => (
                "offline".to_owned(),
                "The connector cannot be reached. Check your connection.".to_owned(),
            ),
            ClientError::Api(ApiError::Unauthorized) => (
                "signed_out".to_owned(),
                "Your session ended. Sign in again.".to_owned(),
            ),
            ClientError::Api(ApiError::Refused { code, message, .. }) => {
                (code.clone(), message.clone())
            }
            ClientError::Api(ApiError::Server { .. }) => (
                "server_error".to_owned(),
                "The connector had a problem. Try again in a moment.".to_owned(),
            ),
            ClientError::NotFound(what) => (
                "not_found".to_owned(),
                format!("That {what} no longer exists."),
            ),
            ClientError::Invalid { code, message }
            | ClientError::InvalidField { code, message, .. } => {
                ((*code).to_owned(), message.clone())
            }
            ClientError::Refused { code, message } => (code.clone(), message.clone()),
        };
        if matches!(e, ClientError::Cache(_)) {
            tracing::error!(error = %e, "cache");
        }
        let field = match &e {
            ClientError::InvalidField { field, .. } => Some(field.clone()),
            // The connector's refusals of a contact's fields (F2).
            ClientError::Api(ApiError::Refused { code, .. }) => match code.as_str() {
                "invalid_name" => Some("name".to_owned()),
                "invalid_notes" => Some("notes".to_owned()),
                _ => None,
            },
            _ => None,
        };
        AppError {
            code,
            message,
            field,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A typed contact as the connector takes it: blank numbers dropped, each number read as
/// E.164 (with its country code), one given twice refused; the errors name their field
/// ("phones.N", N the number's place in the draft).
fn contact_input(draft: view::ContactDraft) -> Result<ContactInput> {
    let optional = |v: Option<String>| {
        v.map(|v| v.trim().to_owned())
            .filter(|v: &String| !v.is_empty())
    };
    let mut phones: Vec<ContactPhone> = Vec::new();
    for (i, p) in draft.phones.into_iter().enumerate() {
        let typed = p.number.trim();
        if typed.is_empty() {
            continue;
        }
        let field = format!("phones.{i}");
        let number = E164::parse(typed, None).map_err(|e| ClientError::InvalidField {
            code: "invalid_phone",
            message: match e {
                PhoneError::Unparseable { .. } => {
                    "Enter the number with its country code, like +1 202 555 0147.".to_owned()
                }
                PhoneError::Invalid { .. } => {
                    format!("{typed} is not a valid number for its country.")
                }
            },
            field: field.clone(),
        })?;
        if phones.iter().any(|known| known.number == number) {
            return Err(ClientError::InvalidField {
                code: "duplicate_phone",
                message: "The same number is listed twice.".to_owned(),
                field,
            });
        }
        let label = p.label.trim();
        phones.push(ContactPhone {
            number,
            label: if label.is_empty() { "mobile" } else { label }.to_owned(),
        });
    }
    Ok(ContactInput {
        name: draft.name,
        company: optional(draft.company),
        notes: optional(draft.notes),
        phones,
    })
}

/// A connector's address as a user typed it, checked and normalised: `https://` when no
/// scheme is given, http or https only, a host, no query or fragment, no trailing slash.
pub fn connector_url(input: &str) -> Result<String> {
    let invalid = || ClientError::Invalid {
        code: "invalid_connector_url",
        message: "Enter the connector's address, like https://connector.example.com.".into(),
    };
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|_| invalid())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(invalid());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod url_tests {
    use super::connector_url;

    #[test]
    fn connector_addresses_are_checked_and_normalised() {
        let ok = |s: &str| connector_url(s).unwrap();
        assert_eq!(ok("connector.example.com"), "https://connector.example.com");
        assert_eq!(ok(" https://c.example.com/ "), "https://c.example.com");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            ok("https://c.example.com/multiline/"),
            "https://c.example.com/multiline"
        );
        for bad in [
            "",
            "   ",
            "ftp://c.example.com",
            "https://",
            "https://c.example.com/?a=1",
            "https://user:pw@c.example.com",
            "http://exa mple.com",
        ] {
            let e = connector_url(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    super::ClientError::Invalid {
                        code: "invalid_connector_url",
                        ..
                    }
                ),
                "{bad:?}: {e:?}"
            );
        }
    }
}

/// Where the app keeps its files and which connector it talks to.
#[derive(Clone)]
pub struct ClientConfig {
    pub data_dir: PathBuf,
    pub connector_url: String,
    pub clock: Arc<dyn Clock>,
}

pub(crate) struct Inner {
    pub api: ConnectorApi,
    /// The account's folder (cache file, `media/`).
    pub dir: PathBuf,
    pub cache: Arc<Cache>,
    pub session: Session,
    pub clock: Arc<dyn Clock>,
    pub events: broadcast::Sender<UiEvent>,
    pub sync: Mutex<SyncState>,
    pub outbox_wake: Notify,
    /// Wakes the window timer for a pass over every thread (the clock jumped).
    pub windows_wake: Notify,
    /// A changed thread's next moment, for the window timer to wake at (no pass needed now).
    pub windows_moment: Mutex<Option<Timestamp>>,
    pub windows_moment_wake: Notify,
}

impl Inner {
    /// Runs a cache call on a blocking thread.
    pub async fn cache<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Cache) -> std::result::Result<T, CacheError> + Send + 'static,
    ) -> Result<T> {
        let cache = self.cache.clone();
        Ok(tokio::task::spawn_blocking(move || f(&cache))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?)
    }

    pub fn emit(&self, event: UiEvent) {
        // Nobody listening (no window yet) is fine: the UI loads from the cache.
        let _ = self.events.send(event);
    }

    pub fn set_sync(&self, state: SyncState) {
        let mut current = self.sync.lock().unwrap_or_else(|e| e.into_inner());
        if *current != state {
            *current = state.clone();
            drop(current);
            self.emit(UiEvent::SyncStateChanged { sync: state });
        }
    }

    pub fn summary(&self, thread: &multiline_domain::api::Thread) -> ThreadSummary {
        view::summary(
            thread,
            self.session.organization.whatsapp_enabled,
            self.clock.now(),
        )
    }
}

/// A signed-in app core. Dropping it stops its background work (what is queued stays queued
/// in the cache and resumes with the next `Client`).
pub struct Client {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Client {
    /// Signs in to the connector and starts syncing. The cache is one SQLite file per account.
    pub async fn sign_in(config: ClientConfig, email: &str, password: &str) -> Result<Client> {
        let (api, session) = ConnectorApi::sign_in(&config.connector_url, email, password).await?;
        Self::start(config, api, session).await
    }

    /// Resumes with a token from an earlier sign-in.
    pub async fn resume(config: ClientConfig, token: String) -> Result<Client> {
        let api = ConnectorApi::with_token(&config.connector_url, token);
        let session = api.me().await?;
        Self::start(config, api, session).await
    }

    async fn start(config: ClientConfig, api: ConnectorApi, session: Session) -> Result<Client> {
        let dir = config
            .data_dir
            .join("accounts")
            .join(session.user.id.to_string());
        let account_dir = dir.clone();
        let cache =
            tokio::task::spawn_blocking(move || -> std::result::Result<Cache, CacheError> {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    CacheError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
                })?;
                Cache::open(&dir.join("cache.sqlite3"))
            })
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        let inner = Arc::new(Inner {
            api,
            dir: account_dir,
            cache: Arc::new(cache),
            session,
            clock: config.clock,
            events: broadcast::channel(1024).0,
            sync: Mutex::new(SyncState::Connecting),
            outbox_wake: Notify::new(),
            windows_wake: Notify::new(),
            windows_moment: Mutex::new(None),
            windows_moment_wake: Notify::new(),
        });
        let tasks = vec![
            tokio::spawn(sync::run(inner.clone())),
            tokio::spawn(outbox::run(inner.clone())),
            tokio::spawn(windows::run(inner.clone())),
        ];
        Ok(Client { inner, tasks })
    }

    /// Signs out: the connector forgets the token and this client stops syncing and sending.
    /// The account's cache stays on disk (its queued messages go out at the next sign-in).
    /// A connector that cannot be reached is not an error: the token is forgotten here anyway,
    /// and expires there.
    pub async fn sign_out(&self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Err(error) = self.inner.api.sign_out().await {
            tracing::info!(%error, "the connector was not told of the sign-out");
        }
        self.inner.set_sync(SyncState::SignedOut);
    }

    /// One thread as it shows when open, from the cache (`None`: not known here).
    pub async fn thread_summary(&self, id: ThreadId) -> Result<Option<ThreadSummary>> {
        let thread = self.inner.cache(move |c| c.thread(id)).await?;
        Ok(thread.map(|t| self.inner.summary(&t)))
    }

    /// The core's clock (the demo's can be moved).
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Re-evaluates every thread's composer now (after the clock moved).
    pub fn clock_moved(&self) {
        self.inner.windows_wake.notify_one();
    }

    /// Live changes for the UI.
    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.inner.events.subscribe()
    }

    pub fn session(&self) -> Session {
        self.inner.session.clone()
    }

    /// The bearer token (for the keychain; never for the webview).
    pub fn token(&self) -> String {
        self.inner.api.token().to_owned()
    }

    pub fn sync_state(&self) -> SyncState {
        self.inner
            .sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the first sync has filled the cache (or failed).
    pub async fn wait_synced(&self) {
        let mut events = self.subscribe();
        loop {
            match self.sync_state() {
                SyncState::Online | SyncState::Error { .. } | SyncState::SignedOut => return,
                _ => {}
            }
            if events.recv().await.is_err() {
                return;
            }
        }
    }

    pub async fn contacts(&self, query: Option<String>) -> Result<Vec<Contact>> {
        self.inner
            .cache(move |c| c.contacts(query.as_deref()))
            .await
    }

    pub async fn contact(&self, id: ContactId) -> Result<Contact> {
        self.inner
            .cache(move |c| c.contact(id))
            .await?
            .ok_or(ClientError::NotFound("contact"))
    }

    /// F2: a contact added (`id` none) or changed by the user. Each number is read with
    /// libphonenumber, with its country code, and must be valid for its country; the
    /// connector checks the rest (name, notes) and tells every user. Kept in the cache at once,
    /// so the contact opens before the connector's event comes back.
    pub async fn save_contact(
        &self,
        id: Option<ContactId>,
        draft: view::ContactDraft,
    ) -> Result<Contact> {
        let input = contact_input(draft)?;
        let contact = match id {
            None => self.inner.api.create_contact(&input).await?,
            Some(id) => self.inner.api.update_contact(id, &input).await?,
        };
        let kept = contact.clone();
        self.inner.cache(move |c| c.put_contact(&kept)).await?;
        self.inner.emit(UiEvent::ContactsChanged);
        Ok(contact)
    }

    /// F2: deletes a contact for everyone in the organization; its threads keep their history.
    pub async fn delete_contact(&self, id: ContactId) -> Result<()> {
        self.inner.api.delete_contact(id).await?;
        self.inner.cache(move |c| c.remove_contact(id)).await?;
        self.inner.emit(UiEvent::ContactsChanged);
        Ok(())
    }

    /// Every thread's row, most recent activity first (the lists); the open thread's full
    /// summary is [`Client::thread_summary`].
    pub async fn threads(&self) -> Result<Vec<ThreadRow>> {
        self.inner
            .cache(|c| c.filter_map_threads(|t| Some(view::row(&t))))
            .await
    }

    /// A page of the rows: the `limit` threads after `after` (the last row of the page
    /// before; the first page when `None`), most recent activity first. A long list crosses
    /// to the UI page by page: its first rows are drawn while the rest are read, and the
    /// webview never parses one answer of 10,000 rows at once.
    pub async fn threads_page(
        &self,
        after: Option<cache::ThreadCursor>,
        limit: usize,
    ) -> Result<Vec<ThreadRow>> {
        let threads = self
            .inner
            .cache(move |c| c.threads_page(after.as_ref(), limit))
            .await?;
        Ok(threads.iter().map(view::row).collect())
    }

    pub async fn messages(&self, thread: ThreadId) -> Result<Vec<Message>> {
        self.inner.cache(move |c| c.messages(thread)).await
    }

    /// The newest `limit` messages before the message `before` names (the newest of all
    /// when `None`), oldest first: how a long thread opens, and then pages back.
    pub async fn messages_page(
        &self,
        thread: ThreadId,
        before: Option<cache::MessageCursor>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        self.inner
            .cache(move |c| c.messages_page(thread, before.as_ref(), limit))
            .await
    }

    /// Opens (or returns) the WhatsApp thread with a contact's number. Needs the connector.
    pub async fn open_whatsapp_thread(
        &self,
        contact: ContactId,
        phone: &str,
    ) -> Result<ThreadSummary> {
        self.open_thread(contact, phone, multiline_domain::api::Channel::Whatsapp)
            .await
    }

    /// Opens (or returns) the SMS thread with a contact's number (F22). Needs the connector.
    pub async fn open_sms_thread(&self, contact: ContactId, phone: &str) -> Result<ThreadSummary> {
        self.open_thread(contact, phone, multiline_domain::api::Channel::Sms)
            .await
    }

    async fn open_thread(
        &self,
        contact: ContactId,
        phone: &str,
        channel: multiline_domain::api::Channel,
    ) -> Result<ThreadSummary> {
        let phone = E164::parse(phone, None).map_err(|e| ClientError::Invalid {
            code: "invalid_phone",
            message: e.to_string(),
        })?;
        let thread = self.inner.api.open_thread(contact, phone, channel).await?;
        let t = thread.clone();
        self.inner.cache(move |c| c.put_thread(&t)).await?;
        let messages = self.inner.api.messages(thread.id).await?;
        self.inner.cache(move |c| c.put_messages(&messages)).await?;
        let summary = self.inner.summary(&thread);
        self.inner.emit(UiEvent::ThreadUpserted {
            thread: summary.clone(),
        });
        Ok(summary)
    }

    /// Prepares a picture for sending (F16-F18): decoded with limits, upright, metadata
    /// dropped, bounded and re-encoded under the Cloud API's limit, with a thumbnail. Runs
    /// on a blocking thread; progress arrives as `photo_progress` events.
    pub async fn prepare_photo(&self, source: photo::PhotoSource) -> Result<photo::PreparedPhoto> {
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
        let Some((width, height)) = known else {
            return Err(ClientError::NotFound("picture"));
        };
        let caption = caption
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        let media_id = uuid::Uuid::parse_str(&prepared)
            .map(multiline_domain::ids::MediaId)
            .map_err(|_| ClientError::NotFound("picture"))?;
        let body = MessageBody::Picture {
            // Provisional: the connector's copy carries the uploaded id.
            media_id,
            caption: caption.clone(),
            width,
            height,
        };
        self.queue(
            thread,
            |t| t.composer,
            body,
            OutboxRequest::Picture {
                prepared,
                caption,
                media_id: None,
            },
        )
        .await
    }

    /// A picture or a voicemail's recording, as a `data:` URL: one prepared here, or fetched
    /// once from the connector and kept in the account's `media/` folder.
    pub async fn media(&self, id: multiline_domain::ids::MediaId) -> Result<String> {
        photo::media_data_url(&self.inner, self.inner.dir.join("media"), id).await
    }

    /// The colleagues a thread's participant may add or hand the guest to (not the user).
    pub async fn colleagues(&self) -> Result<Vec<multiline_domain::api::User>> {
        let me = self.inner.session.user.id;
        let mut users = self.inner.api.colleagues().await?;
        users.retain(|u| u.id != me);
        Ok(users)
    }

    /// Adds a colleague, hands the guest over, leaves, or restarts (F20). Answers the thread
    /// as the user now sees it (a restart: the new one), or none when the user left it.
    pub async fn change_participants(
        &self,
        thread: ThreadId,
        change: view::ParticipantChange,
    ) -> Result<Option<ThreadSummary>> {
        let answer = self
            .inner
            .api
            .change_participants(thread, change.into())
            .await?;
        match answer.thread {
            Some(t) => {
                let put = t.clone();
                self.inner.cache(move |c| c.put_thread(&put)).await?;
                let summary = self.inner.summary(&t);
                self.inner.emit(UiEvent::ThreadUpserted {
                    thread: summary.clone(),
                });
                Ok(Some(summary))
            }
            // Gone for this user: the `thread_removed` event clears the cache.
            None => Ok(None),
        }
    }

    /// The user has the thread open: its unread count clears at once here, and on the
    /// connector (which tells the guest's phone) when it can be reached. Offline, the next
    /// open or sync settles it.
    pub async fn mark_read(&self, thread: ThreadId) -> Result<()> {
        let cached = self.inner.cache(move |c| c.thread(thread)).await?;
        if let Some(mut t) = cached.filter(|t| t.unread_count > 0) {
            t.unread_count = 0;
            let put = t.clone();
            self.inner.cache(move |c| c.put_thread(&put)).await?;
            self.inner.emit(UiEvent::ThreadUpserted {
                thread: self.inner.summary(&t),
            });
        }
        match self.inner.api.mark_read(thread).await {
            Err(e) if e.is_transient() => Ok(()),
            other => Ok(other?),
        }
    }

    /// The user played a voicemail (F22): the connector records when, once; the cache and
    /// the UI get the message as it now is.
    pub async fn mark_heard(&self, message: multiline_domain::ids::MessageId) -> Result<Message> {
        let heard = self.inner.api.mark_heard(message).await?;
        let put = heard.clone();
        self.inner.cache(move |c| c.put_message(&put)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: heard.clone(),
        });
        Ok(heard)
    }

    /// Writes a text to the outbox (shown at once as `sending`) and wakes the sender.
    /// Refused at once where the rules already say no.
    pub async fn send_text(&self, thread: ThreadId, text: String) -> Result<Message> {
        if text.trim().is_empty() {
            return Err(ClientError::Invalid {
                code: "empty_message",
                message: "The message is empty.".into(),
            });
        }
        let body = MessageBody::Text { text: text.clone() };
        self.queue(thread, |t| t.composer, body, OutboxRequest::Text { text })
            .await
    }

    /// The organization's approved templates (F15), from the cache.
    pub async fn templates(&self) -> Result<Vec<Template>> {
        self.inner.cache(|c| c.templates()).await
    }

    /// What the template would read like with `values`, and what is wrong with them.
    pub async fn preview_template(
        &self,
        name: String,
        language: String,
        values: Vec<FilledValue>,
    ) -> Result<view::TemplatePreview> {
        let template = self
            .inner
            .cache(|c| c.templates())
            .await?
            .into_iter()
            .find(|t| t.name == name && t.language == language)
            .ok_or(ClientError::NotFound("template"))?;
        Ok(view::template_preview(
            &template,
            &multiline_domain::api::template_values(&values),
        ))
    }

    /// Queues an approved template with its filled values (F9). Values are checked here
    /// first, with the Cloud API's rules, so mistakes show on the field at once.
    pub async fn send_template(
        &self,
        thread: ThreadId,
        name: String,
        language: String,
        values: Vec<FilledValue>,
    ) -> Result<Message> {
        let (n, l) = (name.clone(), language.clone());
        let template = self
            .inner
            .cache(move |c| c.templates())
            .await?
            .into_iter()
            .find(|t| t.name == n && t.language == l)
            .ok_or(ClientError::NotFound("template"))?;
        let map = multiline_domain::api::template_values(&values);
        let components = template
            .send_components(&map)
            .map_err(|errors| ClientError::Invalid {
                code: "invalid_template_values",
                message: multiline_domain::templates::describe(&errors),
            })?;
        let text = template.preview(&map);
        let body = MessageBody::Template {
            name: name.clone(),
            language: language.clone(),
            text,
            components,
        };
        self.queue(
            thread,
            |t| t.template,
            body,
            OutboxRequest::Template {
                name,
                language,
                values,
            },
        )
        .await
    }

    /// Queues the organization's opt-in request to the thread's guest (F4).
    pub async fn send_opt_in(&self, thread: ThreadId) -> Result<Message> {
        let body = MessageBody::Template {
            name: "opt-in".into(),
            language: String::new(),
            text: "Asking for consent to message on WhatsApp…".into(),
            components: Vec::new(),
        };
        self.queue(thread, |t| t.opt_in, body, OutboxRequest::OptIn)
            .await
    }

    /// Writes a message to the outbox (shown at once as `sending`) and wakes the sender,
    /// unless the rules (`allowed` picks which) already say no.
    async fn queue(
        &self,
        thread: ThreadId,
        allowed: impl FnOnce(ThreadSummary) -> view::Composer,
        body: MessageBody,
        request: OutboxRequest,
    ) -> Result<Message> {
        let t = self
            .inner
            .cache(move |c| c.thread(thread))
            .await?
            .ok_or(ClientError::NotFound("conversation"))?;
        if let view::Composer::Refused { reason, message } = allowed(self.inner.summary(&t)) {
            return Err(ClientError::Refused {
                code: reason,
                message,
            });
        }
        let client_id = ClientMessageId::random();
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
            created_at: self.inner.clock.now(),
        };
        let m = message.clone();
        self.inner.cache(move |c| c.enqueue(&m, &request)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: message.clone(),
        });
        self.inner.outbox_wake.notify_one();
        Ok(message)
    }
}
