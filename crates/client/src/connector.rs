//! The connector's `/v1` API as the app calls it. The bearer token lives here, in memory,
//! and never reaches the webview.

use std::time::Duration;

use futures_util::StreamExt;

use multiline_domain::api::{
    APP_VERSION_HEADER, ContactInput, FilledValue, SendOptInRequest, SendTemplateRequest,
    VersionInfo,
};
use multiline_domain::api::{
    Contact, ErrorBody, Message, OpenThreadRequest, SendTextRequest, Session, SignInRequest,
    SignInResponse, Thread,
};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ClientMessageId, ContactId, ThreadId};
use multiline_domain::phone::E164;
use multiline_domain::templates::Template;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// A picture is uploaded in pieces of this size, each reported as upload progress.
const UPLOAD_CHUNK: usize = 64 * 1024;

/// A failed call to the connector.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Could not reach the connector (offline, restarting): worth retrying.
    #[error("the connector cannot be reached: {0}")]
    Unreachable(String),
    /// The session is missing, expired or revoked: sign in again.
    #[error("signed out")]
    Unauthorized,
    /// The connector refused the request for good, with its stable code and message.
    #[error("{message}")]
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// The connector failed (5xx): worth retrying.
    #[error("the connector failed ({status})")]
    Server { status: u16 },
}

impl ApiError {
    /// Worth trying again later?
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Unreachable(_) | ApiError::Server { .. })
    }
}

#[derive(Clone)]
pub struct ConnectorApi {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The app's version, named on every request ([`APP_VERSION_HEADER`]).
    app_version: String,
}

impl ConnectorApi {
    fn http(app_version: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(app_version) {
            headers.insert(APP_VERSION_HEADER, value);
        }
        reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .default_headers(headers)
            .build()
            .expect("an HTTP client builds")
    }

    /// `GET /v1/version`: `None` from a connector older than the route (it serves every
    /// app), or one that answers something else.
    async fn version(http: &reqwest::Client, base: &str) -> Result<Option<VersionInfo>, ApiError> {
        let response = send(http.get(format!("{base}/v1/version"))).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        decode(response).await.map(Some).or_else(|e| match e {
            ApiError::Refused { code, .. } if code != ErrorCode::AppTooOld => Ok(None),
            e => Err(e),
        })
    }

    /// Signs in; answers the API handle (holding the token) and the session. An app older
    /// than the connector serves is told so before its password is sent.
    pub async fn sign_in(
        base: &str,
        app_version: &str,
        email: &str,
        password: &str,
    ) -> Result<(ConnectorApi, Session), ApiError> {
        let base = base.trim_end_matches('/').to_owned();
        let http = Self::http(app_version);
        if let Some(info) = Self::version(&http, &base).await?
            && multiline_domain::version::is_older(app_version, &info.min_app_version)
        {
            return Err(ApiError::Refused {
                status: StatusCode::UPGRADE_REQUIRED.as_u16(),
                code: ErrorCode::AppTooOld,
                message: multiline_domain::version::too_old_message(
                    app_version,
                    &info.min_app_version,
                ),
            });
        }
        let request = http
            .post(format!("{base}/v1/session"))
            .json(&SignInRequest {
                email: email.to_owned(),
                password: password.to_owned(),
            });
        let signed: SignInResponse = decode(send(request).await?).await?;
        Ok((
            ConnectorApi {
                http,
                base,
                token: signed.token,
                app_version: app_version.to_owned(),
            },
            signed.session,
        ))
    }

    /// An API handle for a token kept from an earlier sign-in.
    pub fn with_token(base: &str, app_version: &str, token: String) -> ConnectorApi {
        ConnectorApi {
            http: Self::http(app_version),
            base: base.trim_end_matches('/').to_owned(),
            token,
            app_version: app_version.to_owned(),
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The app version this handle names on its requests.
    pub fn app_version(&self) -> &str {
        &self.app_version
    }

    /// `ws://host/v1/events?after=N`
    pub fn events_url(&self, after: u64) -> String {
        let ws = self.base.replacen("http", "ws", 1);
        format!("{ws}/v1/events?after={after}")
    }

    /// A request to the connector's `path`, signed with the session's token.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        decode(send(self.request(reqwest::Method::GET, path)).await?).await
    }

    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    async fn put<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    async fn send_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        decode(send(self.request(method, path).json(body)).await?).await
    }

    /// `POST /v1/contacts` (F2).
    pub async fn create_contact(&self, input: &ContactInput) -> Result<Contact, ApiError> {
        self.post("/v1/contacts", input).await
    }

    /// `PUT /v1/contacts/{id}` (F2).
    pub async fn update_contact(
        &self,
        id: ContactId,
        input: &ContactInput,
    ) -> Result<Contact, ApiError> {
        self.put(&format!("/v1/contacts/{id}"), input).await
    }

    /// `DELETE /v1/contacts/{id}` (F2): answered 204, no body.
    pub async fn delete_contact(&self, id: ContactId) -> Result<(), ApiError> {
        let path = format!("/v1/contacts/{id}");
        let response = send(self.request(reqwest::Method::DELETE, &path)).await?;
        if response.status().is_success() {
            return Ok(());
        }
        decode::<serde_json::Value>(response).await.map(|_| ())
    }

    /// The user's latest event number: a snapshot taken after reading it is at least as new.
    pub async fn events_head(&self) -> Result<u64, ApiError> {
        #[derive(serde::Deserialize)]
        struct Head {
            seq: u64,
        }
        self.get::<Head>("/v1/events/head").await.map(|h| h.seq)
    }

    pub async fn templates(&self) -> Result<Vec<Template>, ApiError> {
        self.get("/v1/templates").await
    }

    pub async fn send_template(
        &self,
        thread: ThreadId,
        client_id: ClientMessageId,
        name: &str,
        language: &str,
        values: &[FilledValue],
    ) -> Result<Message, ApiError> {
        let request = SendTemplateRequest {
            client_id,
            name: name.to_owned(),
            language: language.to_owned(),
            values: values.to_vec(),
        };
        self.post(&format!("/v1/threads/{thread}/templates"), &request)
            .await
    }

    pub async fn send_opt_in(
        &self,
        thread: ThreadId,
        client_id: ClientMessageId,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/opt-in"),
            &SendOptInRequest { client_id },
        )
        .await
    }

    pub async fn mark_read(&self, thread: ThreadId) -> Result<(), ApiError> {
        let path = format!("/v1/threads/{thread}/read");
        let response = send(
            self.request(reqwest::Method::POST, &path)
                .json(&serde_json::json!({})),
        )
        .await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::UNAUTHORIZED => Err(ApiError::Unauthorized),
            s if s.is_server_error() => Err(ApiError::Server { status: s.as_u16() }),
            s => Err(ApiError::Refused {
                status: s.as_u16(),
                code: ErrorCode::NotFound,
                message: "That conversation no longer exists.".into(),
            }),
        }
    }

    /// Ends the session at the connector. A token the connector no longer knows is already
    /// signed out.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        let response = send(self.request(reqwest::Method::DELETE, "/v1/session")).await?;
        match response.status() {
            s if s.is_success() || s == StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(ApiError::Server { status: s.as_u16() }),
        }
    }

    pub async fn me(&self) -> Result<Session, ApiError> {
        self.get("/v1/me").await
    }

    pub async fn contacts(&self) -> Result<Vec<Contact>, ApiError> {
        self.get("/v1/contacts").await
    }

    pub async fn threads(&self) -> Result<Vec<Thread>, ApiError> {
        self.get("/v1/threads").await
    }

    pub async fn messages(&self, thread: ThreadId) -> Result<Vec<Message>, ApiError> {
        self.get(&format!("/v1/threads/{thread}/messages")).await
    }

    pub async fn open_thread(
        &self,
        contact_id: ContactId,
        phone: E164,
        channel: multiline_domain::api::Channel,
        opt_in: Option<multiline_domain::ids::ClientMessageId>,
    ) -> Result<Thread, ApiError> {
        self.post(
            "/v1/threads",
            &OpenThreadRequest {
                contact_id,
                phone,
                channel,
                opt_in,
            },
        )
        .await
    }

    /// The thread to reply in from `thread` (`POST /v1/threads/{id}/reply`): itself if open,
    /// else the guest's open one, else itself reopened.
    pub async fn reply_in(&self, thread: ThreadId) -> Result<Thread, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/reply"),
            &serde_json::json!({}),
        )
        .await
    }

    /// A private note to the colleagues in `thread` (`POST /v1/threads/{id}/notes`).
    pub async fn add_note(
        &self,
        thread: ThreadId,
        client_id: multiline_domain::ids::ClientMessageId,
        text: &str,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/notes"),
            &multiline_domain::api::AddNoteRequest {
                client_id,
                text: text.to_owned(),
            },
        )
        .await
    }

    /// A voicemail was played (`POST /v1/messages/{id}/heard`).
    pub async fn mark_heard(
        &self,
        message: multiline_domain::ids::MessageId,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/messages/{message}/heard"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Sends a failed message again (`POST /v1/messages/{id}/retry`).
    pub async fn retry(
        &self,
        message: multiline_domain::ids::MessageId,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/messages/{message}/retry"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn use_new_number(
        &self,
        message: multiline_domain::ids::MessageId,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/messages/{message}/use-number"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn send_text(
        &self,
        thread: ThreadId,
        client_id: ClientMessageId,
        text: &str,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/messages"),
            &SendTextRequest {
                client_id,
                text: text.to_owned(),
            },
        )
        .await
    }
}

impl ConnectorApi {
    /// The organization's users (`GET /v1/users`).
    pub async fn colleagues(&self) -> Result<Vec<multiline_domain::api::User>, ApiError> {
        self.get("/v1/users").await
    }

    /// One change to a thread's participants (`POST /v1/threads/{id}/participants`).
    pub async fn change_participants(
        &self,
        thread: ThreadId,
        change: multiline_domain::api::ParticipantsRequest,
    ) -> Result<multiline_domain::api::ParticipantsResponse, ApiError> {
        self.post(&format!("/v1/threads/{thread}/participants"), &change)
            .await
    }

    /// Uploads a prepared picture (`POST /v1/media`). `progress` hears the bytes handed to
    /// the connection so far and the total, after each chunk.
    pub async fn upload_media(
        &self,
        bytes: Vec<u8>,
        mime_type: &str,
        mut progress: impl FnMut(u64, u64) + Send + 'static,
    ) -> Result<multiline_domain::api::MediaInfo, ApiError> {
        let total = bytes.len() as u64;
        let whole = bytes::Bytes::from(bytes);
        let chunks: Vec<bytes::Bytes> = (0..whole.len())
            .step_by(UPLOAD_CHUNK)
            .map(|start| whole.slice(start..(start + UPLOAD_CHUNK).min(whole.len())))
            .collect();
        let mut sent = 0u64;
        // Lazy: a chunk is taken (and counted) when the connection is ready for it.
        let body = futures_util::stream::iter(chunks).map(move |chunk| {
            sent += chunk.len() as u64;
            progress(sent, total);
            Ok::<_, std::io::Error>(chunk)
        });
        let request = self
            .request(reqwest::Method::POST, "/v1/media")
            .header(reqwest::header::CONTENT_TYPE, mime_type)
            .header(reqwest::header::CONTENT_LENGTH, total)
            .body(reqwest::Body::wrap_stream(body));
        decode(send(request).await?).await
    }

    /// Sends an uploaded picture (`POST /v1/threads/{id}/pictures`), idempotent on
    /// `client_id`.
    pub async fn send_picture(
        &self,
        thread: ThreadId,
        client_id: ClientMessageId,
        media_id: multiline_domain::ids::MediaId,
        caption: Option<String>,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/pictures"),
            &multiline_domain::api::SendPictureRequest {
                client_id,
                media_id,
                caption,
            },
        )
        .await
    }

    /// Sends an uploaded document under `filename` (`POST /v1/threads/{id}/documents`),
    /// idempotent on `client_id`.
    pub async fn send_document(
        &self,
        thread: ThreadId,
        client_id: ClientMessageId,
        media_id: multiline_domain::ids::MediaId,
        filename: String,
        caption: Option<String>,
    ) -> Result<Message, ApiError> {
        self.post(
            &format!("/v1/threads/{thread}/documents"),
            &multiline_domain::api::SendDocumentRequest {
                client_id,
                media_id,
                filename,
                caption,
            },
        )
        .await
    }

    /// A picture's bytes and MIME type (`GET /v1/media/{id}`).
    pub async fn media(
        &self,
        id: multiline_domain::ids::MediaId,
    ) -> Result<(Vec<u8>, String), ApiError> {
        let path = format!("/v1/media/{id}");
        let response = send(self.request(reqwest::Method::GET, &path)).await?;
        if !response.status().is_success() {
            return Err(decode::<serde_json::Value>(response).await.unwrap_err());
        }
        let mime = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("image/jpeg")
            .to_owned();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        Ok((bytes.to_vec(), mime))
    }
}

/// Sends a request; a connector that cannot be reached (or whose answer broke off) is
/// `Unreachable`, which the outbox retries.
async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
    request
        .send()
        .await
        .map_err(|e| ApiError::Unreachable(e.to_string()))
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ApiError> {
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()));
    }
    if status == StatusCode::UNAUTHORIZED {
        return Err(ApiError::Unauthorized);
    }
    if status.is_server_error() {
        return Err(ApiError::Server {
            status: status.as_u16(),
        });
    }
    let body: Option<ErrorBody> = response.json().await.ok();
    Err(match body {
        Some(b) => ApiError::Refused {
            status: status.as_u16(),
            code: b.error.code,
            message: b.error.message,
        },
        None => ApiError::Refused {
            status: status.as_u16(),
            code: ErrorCode::Unknown,
            message: format!("The connector answered {status}."),
        },
    })
}
