//! Tauri commands: each takes state and arguments, calls one `multiline-client` function and
//! maps the error to `AppError { code, message }`.

use std::sync::Arc;

use multiline_client::account::Account;
use multiline_client::cache::{MessageCursor, ThreadCursor};
use multiline_client::photo::PhotoSource;
use multiline_client::view::{
    AccountState, AppError, ContactDraft, ParticipantChange, PreparedPhoto, SyncState,
    TemplatePreview, ThreadRow, ThreadSummary,
};
use multiline_domain::api::{Contact, FilledValue, Message, Session, User};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, MediaId, MessageId, ThreadId};
use multiline_domain::templates::Template;
use tauri::State;

/// The core, as the commands reach it.
type Core = Arc<Account>;

type Cmd<T> = Result<T, AppError>;

/// Signed in, signed out (what the sign-in screen needs), or failed to start.
#[tauri::command]
pub async fn account_state(core: State<'_, Core>) -> Cmd<AccountState> {
    Ok(core.state().await)
}

#[tauri::command]
pub async fn sign_in(
    core: State<'_, Core>,
    connector_url: String,
    email: String,
    password: String,
) -> Cmd<AccountState> {
    core.sign_in(&connector_url, &email, &password).await
}

#[tauri::command]
pub async fn sign_out(core: State<'_, Core>) -> Cmd<AccountState> {
    Ok(core.sign_out().await)
}

#[tauri::command]
pub async fn get_session(core: State<'_, Core>) -> Cmd<Session> {
    Ok(core.client().await?.session())
}

#[tauri::command]
pub async fn sync_state(core: State<'_, Core>) -> Cmd<SyncState> {
    Ok(core.client().await?.sync_state())
}

#[tauri::command]
pub async fn list_contacts(core: State<'_, Core>, query: Option<String>) -> Cmd<Vec<Contact>> {
    Ok(core.client().await?.contacts(query).await?)
}

#[tauri::command]
pub async fn get_contact(core: State<'_, Core>, contact_id: ContactId) -> Cmd<Contact> {
    Ok(core.client().await?.contact(contact_id).await?)
}

/// F2: adds a contact; its numbers as typed (errors name their field).
#[tauri::command]
pub async fn create_contact(core: State<'_, Core>, draft: ContactDraft) -> Cmd<Contact> {
    Ok(core.client().await?.save_contact(None, draft).await?)
}

/// F2: changes a contact.
#[tauri::command]
pub async fn update_contact(
    core: State<'_, Core>,
    contact_id: ContactId,
    draft: ContactDraft,
) -> Cmd<Contact> {
    Ok(core
        .client()
        .await?
        .save_contact(Some(contact_id), draft)
        .await?)
}

/// F2: deletes a contact for the organization; its threads keep their history.
#[tauri::command]
pub async fn delete_contact(core: State<'_, Core>, contact_id: ContactId) -> Cmd<()> {
    Ok(core.client().await?.delete_contact(contact_id).await?)
}

/// The lists' rows, most recent activity first; the open thread's summary is `get_thread`.
/// With `limit`, a page: the `limit` rows after the row `after` (the last row the UI has;
/// the first page when none), else every row.
#[tauri::command]
pub async fn list_threads(
    core: State<'_, Core>,
    after: Option<ThreadCursor>,
    limit: Option<u32>,
) -> Cmd<Vec<ThreadRow>> {
    let client = core.client().await?;
    Ok(match (limit, after) {
        (Some(limit), after) => {
            client
                .threads_page(after, limit.clamp(1, 5000) as usize)
                .await?
        }
        (None, None) => client.threads().await?,
        (None, Some(_)) => {
            return Err(AppError::new(
                ErrorCode::InvalidCursor,
                "A page of threads after a row needs a limit.",
            ));
        }
    })
}

/// The open thread: its row, what may be sent in it now, and who is in it.
#[tauri::command]
pub async fn get_thread(core: State<'_, Core>, thread_id: ThreadId) -> Cmd<Option<ThreadSummary>> {
    Ok(core.client().await?.thread_summary(thread_id).await?)
}

#[tauri::command]
pub async fn open_whatsapp_thread(
    core: State<'_, Core>,
    contact_id: ContactId,
    phone: String,
    ask_consent: bool,
) -> Cmd<ThreadSummary> {
    Ok(core
        .client()
        .await?
        .open_whatsapp_thread(contact_id, &phone, ask_consent)
        .await?)
}

/// Each of a contact's numbers on WhatsApp: where consent stands, and whether it may be asked.
#[tauri::command]
pub async fn whatsapp_standing(
    core: State<'_, Core>,
    contact_id: ContactId,
) -> Cmd<Vec<multiline_client::consent::NumberStanding>> {
    Ok(core.client().await?.whatsapp_standing(contact_id).await?)
}

/// The consent record of a thread's guest (Contact Details' "Consent record").
#[tauri::command]
pub async fn consent_record(
    core: State<'_, Core>,
    thread_id: ThreadId,
) -> Cmd<multiline_client::consent::ConsentRecord> {
    Ok(core.client().await?.consent_record(thread_id).await?)
}

/// Saves `content` (an export the UI made: JSON, a printable page) where the user chooses;
/// false when they cancelled.
#[tauri::command]
pub async fn save_text(app: tauri::AppHandle, filename: String, content: String) -> Cmd<bool> {
    let Some(path) = save_as(&app, &filename).await? else {
        return Ok(false);
    };
    tokio::fs::write(&path, content)
        .await
        .map_err(|e| os_failed(format!("The file could not be written: {e}")))?;
    Ok(true)
}

/// Messages with every word of `query`, newest first, grouped by conversation; within
/// `thread_id` when given. From the cache: works offline.
#[tauri::command]
pub async fn search_messages(
    core: State<'_, Core>,
    query: String,
    thread_id: Option<ThreadId>,
    limit: usize,
) -> Cmd<Vec<multiline_client::search::SearchGroup>> {
    Ok(core.client().await?.search(query, thread_id, limit).await?)
}

/// Replies from a thread (History): the thread to write in (itself, the guest's open one, or
/// itself reopened); `join_requested` when colleagues hold the guest's open one.
#[tauri::command]
pub async fn reply_from_thread(core: State<'_, Core>, thread_id: ThreadId) -> Cmd<ThreadSummary> {
    Ok(core.client().await?.reply_from(thread_id).await?)
}

/// A private note to the colleagues in the thread; never sent to the guest.
#[tauri::command]
pub async fn add_note(core: State<'_, Core>, thread_id: ThreadId, text: String) -> Cmd<Message> {
    Ok(core.client().await?.add_note(thread_id, &text).await?)
}

/// The core's "now" (the demo's clock, moved or not): the times the UI shows follow it.
#[tauri::command]
pub async fn clock_now(core: State<'_, Core>) -> Cmd<multiline_domain::time::Timestamp> {
    Ok(core.client().await?.now())
}

/// A desktop notification the UI decided on (a conversation's free messaging about to end).
/// A system without a notification service only logs it.
#[tauri::command]
pub async fn notify(app: tauri::AppHandle, title: String, body: String) -> Cmd<()> {
    use tauri_plugin_notification::NotificationExt;
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        tracing::info!(%error, "no desktop notification");
    }
    Ok(())
}

/// F22: the SMS thread with a contact's number.
#[tauri::command]
pub async fn open_sms_thread(
    core: State<'_, Core>,
    contact_id: ContactId,
    phone: String,
) -> Cmd<ThreadSummary> {
    Ok(core
        .client()
        .await?
        .open_sms_thread(contact_id, &phone)
        .await?)
}

/// F22: a voicemail was played.
#[tauri::command]
pub async fn mark_heard(
    core: State<'_, Core>,
    message_id: multiline_domain::ids::MessageId,
) -> Cmd<Message> {
    Ok(core.client().await?.mark_heard(message_id).await?)
}

/// A thread's messages: with `limit`, the newest `limit` before the message `before` (the
/// oldest the UI has), else every one.
#[tauri::command]
pub async fn list_messages(
    core: State<'_, Core>,
    thread_id: ThreadId,
    before: Option<MessageCursor>,
    limit: Option<u32>,
) -> Cmd<Vec<Message>> {
    let client = core.client().await?;
    Ok(match limit {
        Some(limit) => {
            client
                .messages_page(thread_id, before, limit.clamp(1, 1000) as usize)
                .await?
        }
        None => client.messages(thread_id).await?,
    })
}

#[tauri::command]
pub async fn send_text(core: State<'_, Core>, thread_id: ThreadId, text: String) -> Cmd<Message> {
    Ok(core.client().await?.send_text(thread_id, text).await?)
}

#[tauri::command]
pub async fn list_templates(core: State<'_, Core>) -> Cmd<Vec<Template>> {
    Ok(core.client().await?.templates().await?)
}

#[tauri::command]
pub async fn preview_template(
    core: State<'_, Core>,
    name: String,
    language: String,
    values: Vec<FilledValue>,
) -> Cmd<TemplatePreview> {
    Ok(core
        .client()
        .await?
        .preview_template(name, language, values)
        .await?)
}

#[tauri::command]
pub async fn send_template(
    core: State<'_, Core>,
    thread_id: ThreadId,
    name: String,
    language: String,
    values: Vec<FilledValue>,
) -> Cmd<Message> {
    Ok(core
        .client()
        .await?
        .send_template(thread_id, name, language, values)
        .await?)
}

#[tauri::command]
pub async fn send_opt_in(core: State<'_, Core>, thread_id: ThreadId) -> Cmd<Message> {
    Ok(core.client().await?.send_opt_in(thread_id).await?)
}

#[tauri::command]
pub async fn mark_read(core: State<'_, Core>, thread_id: ThreadId) -> Cmd<()> {
    Ok(core.client().await?.mark_read(thread_id).await?)
}

/// A picture the user chose (file dialog, paste, drop): its bytes arrive as the raw request
/// body (no JSON encoding of megabytes). Prepared off the async runtime, with progress
/// events.
#[tauri::command]
pub async fn prepare_photo(
    core: State<'_, Core>,
    request: tauri::ipc::Request<'_>,
) -> Cmd<PreparedPhoto> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "The picture did not arrive as bytes.",
        ));
    };
    let bytes = bytes.clone();
    Ok(core
        .client()
        .await?
        .prepare_photo(PhotoSource::Bytes(bytes))
        .await?)
}

/// A document the user chose (the Expand menu's Document, a drop, a paste): its bytes as the
/// raw request body, kept on this device until it is sent.
#[tauri::command]
pub async fn prepare_document(
    core: State<'_, Core>,
    request: tauri::ipc::Request<'_>,
) -> Cmd<multiline_client::documents::PreparedDocument> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "The document did not arrive as bytes.",
        ));
    };
    let bytes = bytes.clone();
    Ok(core.client().await?.prepare_document(bytes).await?)
}

/// Queues a prepared document under its file name, with an optional caption.
#[tauri::command]
pub async fn send_document(
    core: State<'_, Core>,
    thread_id: ThreadId,
    prepared_id: String,
    filename: String,
    caption: Option<String>,
) -> Cmd<Message> {
    Ok(core
        .client()
        .await?
        .send_document(thread_id, prepared_id, filename, caption)
        .await?)
}

#[tauri::command]
pub async fn send_picture(
    core: State<'_, Core>,
    thread_id: ThreadId,
    prepared_id: String,
    caption: Option<String>,
) -> Cmd<Message> {
    Ok(core
        .client()
        .await?
        .send_picture(thread_id, prepared_id, caption)
        .await?)
}

/// A message's file to show or play (a picture, a voice note, a video...), as a `data:` URL.
#[tauri::command]
pub async fn get_media(core: State<'_, Core>, media_id: MediaId) -> Cmd<String> {
    Ok(core.client().await?.media(media_id).await?)
}

/// A failed message's Retry: the same message, queued again once.
#[tauri::command]
pub async fn retry_message(core: State<'_, Core>, message_id: MessageId) -> Cmd<Message> {
    Ok(core.client().await?.retry_message(message_id).await?)
}

/// A failed WhatsApp text's "Send by SMS instead": answers the SMS thread it went to.
#[tauri::command]
pub async fn send_by_sms(
    core: State<'_, Core>,
    thread_id: ThreadId,
    message_id: MessageId,
) -> Cmd<ThreadSummary> {
    Ok(core
        .client()
        .await?
        .send_by_sms(thread_id, message_id)
        .await?)
}

/// A prepared picture uploaded for a template's header: its media id (the header's value).
#[tauri::command]
pub async fn upload_header_picture(
    core: State<'_, Core>,
    photo_id: String,
) -> Cmd<multiline_domain::ids::MediaId> {
    Ok(core.client().await?.upload_header_picture(photo_id).await?)
}

/// A prepared PDF uploaded for a template's document header: its media id.
#[tauri::command]
pub async fn upload_header_document(
    core: State<'_, Core>,
    prepared_id: String,
    filename: String,
) -> Cmd<multiline_domain::ids::MediaId> {
    Ok(core
        .client()
        .await?
        .upload_header_document(prepared_id, filename)
        .await?)
}

/// F23: use the guest's new number, as WhatsApp's notice in the thread says.
#[tauri::command]
pub async fn use_new_number(core: State<'_, Core>, message_id: MessageId) -> Cmd<Message> {
    Ok(core.client().await?.use_new_number(message_id).await?)
}

/// Opens a message's file (a document a guest sent) with the system's app for its type, under
/// the name its sender gave it.
#[tauri::command]
pub async fn open_media(
    app: tauri::AppHandle,
    core: State<'_, Core>,
    media_id: MediaId,
    filename: String,
) -> Cmd<()> {
    use tauri_plugin_opener::OpenerExt;
    let path = core
        .client()
        .await?
        .media_to_open(media_id, &filename)
        .await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| os_failed(format!("The file could not be opened: {e}")))
}

/// Saves a message's file where the user chooses (the system's save dialog, the sender's
/// file name proposed). False when the user cancelled.
#[tauri::command]
pub async fn save_media(
    app: tauri::AppHandle,
    core: State<'_, Core>,
    media_id: MediaId,
    filename: String,
) -> Cmd<bool> {
    let client = core.client().await?;
    let Some(path) = save_as(&app, &filename).await? else {
        return Ok(false);
    };
    client.save_media(media_id, &path).await?;
    Ok(true)
}

/// Asks where to save a file named `filename` (made safe); none when the user cancelled.
async fn save_as(app: &tauri::AppHandle, filename: &str) -> Cmd<Option<std::path::PathBuf>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save as")
        .set_file_name(multiline_client::media::safe_file_name(filename))
        .save_file(move |chosen| {
            let _ = tx.send(chosen);
        });
    let Some(chosen) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    chosen
        .into_path()
        .map(Some)
        .map_err(|e| os_failed(format!("That place cannot be written: {e}")))
}

/// Opens a web page in the system's browser: only `https:` and `http:` links (a map, an
/// ad's page).
#[tauri::command]
pub async fn open_url(app: tauri::AppHandle, url: String) -> Cmd<()> {
    use tauri_plugin_opener::OpenerExt;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError {
            code: ErrorCode::InvalidRequest,
            message: "Only web links can be opened.".into(),
            field: None,
        });
    }
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| os_failed(format!("The link could not be opened: {e}")))
}

/// Calls a number through the system's `tel:` handler (a softphone, Phone Link, FaceTime).
/// Where none is registered, answers `no_dialer` with the number to call from a phone: the
/// call icon never does nothing.
#[tauri::command]
pub async fn dial(app: tauri::AppHandle, number: String) -> Cmd<()> {
    use tauri_plugin_opener::OpenerExt;
    let number = multiline_domain::phone::E164::parse(&number, None).map_err(|_| AppError {
        code: ErrorCode::InvalidPhone,
        message: format!("{number} is not a phone number that can be called."),
        field: None,
    })?;
    if !crate::dialer::registered().await {
        return Err(AppError {
            code: ErrorCode::NoDialer,
            message: format!(
                "No app on this computer makes phone calls. Call {} from your phone.",
                number.international()
            ),
            field: None,
        });
    }
    app.opener()
        .open_url(format!("tel:{}", number.as_str()), None::<&str>)
        .map_err(|e| os_failed(format!("The call could not be started: {e}")))
}

fn os_failed(message: String) -> AppError {
    tracing::warn!(%message, "the system refused");
    AppError {
        code: ErrorCode::OpenFailed,
        message,
        field: None,
    }
}

/// F20: the colleagues to add to a thread or hand its guest to.
#[tauri::command]
pub async fn list_colleagues(core: State<'_, Core>) -> Cmd<Vec<User>> {
    Ok(core.client().await?.colleagues().await?)
}

/// F20: add a colleague, transfer, leave or restart.
#[tauri::command]
pub async fn change_participants(
    core: State<'_, Core>,
    thread_id: ThreadId,
    change: ParticipantChange,
) -> Cmd<Option<ThreadSummary>> {
    Ok(core
        .client()
        .await?
        .change_participants(thread_id, change)
        .await?)
}
