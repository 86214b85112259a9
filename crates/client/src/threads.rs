//! Conversations: the lists and the open thread read from the cache; opening a thread,
//! reading it, playing a voicemail and changing who is in it go through the connector.

use multiline_domain::api::{Channel, Message, User};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, MessageId, ThreadId};
use multiline_domain::phone::E164;

use crate::cache::{MessageCursor, ThreadCursor};
use crate::view::{self, ThreadRow, ThreadSummary, UiEvent};
use crate::{Client, ClientError, Result};

impl Client {
    /// One thread as it shows when open, from the cache (`None`: not known here).
    pub async fn thread_summary(&self, id: ThreadId) -> Result<Option<ThreadSummary>> {
        let thread = self.inner.cache(move |c| c.thread(id)).await?;
        Ok(thread.map(|t| self.inner.summary(&t)))
    }

    /// Every thread's row, most recent activity first (the lists); the open thread's full
    /// summary is [`Client::thread_summary`].
    pub async fn threads(&self) -> Result<Vec<ThreadRow>> {
        let (enabled, now) = self.row_facts();
        self.inner
            .cache(move |c| c.filter_map_threads(|t| Some(view::row(&t, enabled, now))))
            .await
    }

    /// What a row needs beside its thread: the organization's WhatsApp switch and now.
    fn row_facts(&self) -> (bool, multiline_domain::time::Timestamp) {
        (
            self.inner.session.organization.whatsapp_enabled,
            self.inner.clock.now(),
        )
    }

    /// A page of the rows: the `limit` threads after `after` (the last row of the page
    /// before; the first page when `None`), most recent activity first. A long list crosses
    /// to the UI page by page: its first rows are drawn while the rest are read, and the
    /// webview never parses one answer of 10,000 rows at once.
    pub async fn threads_page(
        &self,
        after: Option<ThreadCursor>,
        limit: usize,
    ) -> Result<Vec<ThreadRow>> {
        let threads = self
            .inner
            .cache(move |c| c.threads_page(after.as_ref(), limit))
            .await?;
        let (enabled, now) = self.row_facts();
        Ok(threads.iter().map(|t| view::row(t, enabled, now)).collect())
    }

    pub async fn messages(&self, thread: ThreadId) -> Result<Vec<Message>> {
        self.inner.cache(move |c| c.messages(thread)).await
    }

    /// The newest `limit` messages before the message `before` names (the newest of all
    /// when `None`), oldest first: how a long thread opens, and then pages back.
    pub async fn messages_page(
        &self,
        thread: ThreadId,
        before: Option<MessageCursor>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        self.inner
            .cache(move |c| c.messages_page(thread, before.as_ref(), limit))
            .await
    }

    /// Opens (or returns) the WhatsApp thread with a contact's number. Needs the connector.
    ///
    /// A guest who must first be asked for consent has no thread until the opt-in request is
    /// sent: without `ask_consent`, that is `consent_missing` and nothing is created (the UI
    /// then offers to ask); with it, the thread opens with the request in it.
    pub async fn open_whatsapp_thread(
        &self,
        contact: ContactId,
        phone: &str,
        ask_consent: bool,
    ) -> Result<ThreadSummary> {
        let opt_in = ask_consent.then(|| self.inner.ids.new());
        self.open_thread(contact, phone, Channel::Whatsapp, opt_in)
            .await
    }

    /// Opens (or returns) the SMS thread with a contact's number (F22). Needs the connector.
    pub async fn open_sms_thread(&self, contact: ContactId, phone: &str) -> Result<ThreadSummary> {
        self.open_thread(contact, phone, Channel::Sms, None).await
    }

    async fn open_thread(
        &self,
        contact: ContactId,
        phone: &str,
        channel: Channel,
        opt_in: Option<multiline_domain::ids::ClientMessageId>,
    ) -> Result<ThreadSummary> {
        let phone = E164::parse(phone, None).map_err(|e| ClientError::Invalid {
            code: ErrorCode::InvalidPhone,
            message: e.to_string(),
        })?;
        let thread = self
            .inner
            .api
            .open_thread(contact, phone, channel, opt_in)
            .await?;
        self.opened(thread).await
    }

    /// Replies from `thread` (History: "reply from any thread"): the thread to write in, the
    /// guest's open conversation on the line, or this one reopened. Needs the connector.
    pub async fn reply_from(&self, thread: ThreadId) -> Result<ThreadSummary> {
        let thread = self.inner.api.reply_in(thread).await?;
        self.opened(thread).await
    }

    /// A private note to the colleagues in `thread` (never sent to the guest). Needs the
    /// connector: a note is not queued (it is for colleagues who read the connector's copy).
    pub async fn add_note(&self, thread: ThreadId, text: &str) -> Result<Message> {
        let client_id = self.inner.ids.new();
        let note = self.inner.api.add_note(thread, client_id, text).await?;
        let cached = note.clone();
        self.inner.cache(move |c| c.put_message(&cached)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: note.clone(),
        });
        Ok(note)
    }

    /// A thread the connector opened or returned: cached with its messages, announced.
    async fn opened(&self, thread: multiline_domain::api::Thread) -> Result<ThreadSummary> {
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

    /// The colleagues a thread's participant may add or hand the guest to (not the user).
    pub async fn colleagues(&self) -> Result<Vec<User>> {
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

    /// The user confirms WhatsApp's notice that the guest changed their number (F23): the
    /// thread writes to the new one; the notice comes back applied (the thread follows as an
    /// event).
    pub async fn use_new_number(&self, notice: MessageId) -> Result<Message> {
        let applied = self.inner.api.use_new_number(notice).await?;
        let put = applied.clone();
        self.inner.cache(move |c| c.put_message(&put)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: applied.clone(),
        });
        Ok(applied)
    }

    /// The user played a voicemail (F22): the connector records when, once; the cache and
    /// the UI get the message as it now is.
    pub async fn mark_heard(&self, message: MessageId) -> Result<Message> {
        let heard = self.inner.api.mark_heard(message).await?;
        let put = heard.clone();
        self.inner.cache(move |c| c.put_message(&put)).await?;
        self.inner.emit(UiEvent::MessageUpserted {
            message: heard.clone(),
        });
        Ok(heard)
    }
}
