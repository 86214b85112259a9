//! The WhatsApp Business Cloud API, as the connector calls it: base URL and version come from
//! the line's configuration (Meta in production, the simulator in the demo and tests).

use std::time::Duration;

use multiline_domain::api::MessageBody;
use multiline_domain::phone::E164;
use serde::Deserialize;
use serde_json::json;

use crate::store::Line;

/// What to do about a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Try again later (5xx, timeouts, rate limits).
    Retry,
    /// A media upload/download hiccup: try once more, then fail.
    RetryOnce,
    /// Will never succeed as is: fail the message with the reason.
    Permanent,
    /// Outside Meta's 24 h window (131047): fail it and mark the thread "template required".
    TemplateRequired,
    /// The line cannot send at all (bad token, restricted account): keep the queue, alert.
    LineBlocked,
    /// The request may have reached the Cloud API (a timeout after sending, a lost answer):
    /// never retried, since the API has no idempotency key and a guest must not get it twice.
    Unknown,
}

/// What a user reads when a send's outcome is unknown.
pub const UNKNOWN_OUTCOME: &str = "The connection to WhatsApp broke while sending, so this message may not have been delivered. Send it again if needed.";

/// Classifies a transport error: only a failure to connect is known not to have sent.
fn transport_error(e: reqwest::Error) -> CloudError {
    let disposition = if e.is_connect() {
        Disposition::Retry
    } else {
        Disposition::Unknown
    };
    CloudError {
        code: None,
        message: e.to_string(),
        disposition,
    }
}

/// A transport error where a repeat is harmless (a listing, an upload, a download: nothing
/// reaches a guest).
fn retry_anyway(e: reqwest::Error) -> CloudError {
    CloudError {
        code: None,
        message: e.to_string(),
        disposition: Disposition::Retry,
    }
}

/// Makes a call that reaches no guest and answers its body; any failure may be retried.
async fn fetch(request: reqwest::RequestBuilder) -> Result<axum::body::Bytes, CloudError> {
    let response = request.send().await.map_err(retry_anyway)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(retry_anyway)?;
    if !status.is_success() {
        return Err(graph_error(status, &bytes));
    }
    Ok(bytes)
}

/// A Graph API URL for `line`: its base URL and API version, then `path`.
fn graph_url(line: &Line, path: &str) -> String {
    format!(
        "{}/{}/{path}",
        line.api_base_url.trim_end_matches('/'),
        line.api_version
    )
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("Cloud API error {code:?}: {message}")]
pub struct CloudError {
    /// The Graph API error code, when the API answered with one.
    pub code: Option<u32>,
    pub message: String,
    pub disposition: Disposition,
}

/// The connector's wording for a failure, shown to users.
pub fn describe_failure(code: u32, title: &str) -> String {
    match code {
        131047 => {
            "24 hours have passed since the guest's last message; send a template message.".into()
        }
        131026 => "The guest could not be reached on WhatsApp.".into(),
        131051 => "WhatsApp does not support this kind of message.".into(),
        132000 | 132012 | 131008 | 131009 => "The template's variables were not accepted.".into(),
        132001 => "This template does not exist (anymore).".into(),
        132015 | 132016 => "This template is paused or disabled.".into(),
        _ if title.is_empty() => format!("WhatsApp refused the message (error {code})."),
        _ => format!("WhatsApp refused the message: {title} (error {code})."),
    }
}

/// How the connector treats each Cloud API error code (../shared/whatsapp-cloud-api.md).
pub fn disposition(code: u32) -> Disposition {
    match code {
        131047 => Disposition::TemplateRequired,
        130429 | 131056 | 80007 | 4 => Disposition::Retry,
        131053 | 131052 => Disposition::RetryOnce,
        190 | 368 | 131031 => Disposition::LineBlocked,
        _ => Disposition::Permanent,
    }
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    message: String,
    code: u32,
}

#[derive(Deserialize)]
struct SendResponse {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// The HTTP client for a provider's API (the Cloud API, a carrier): a call that has not
/// answered in 20 s is given up (and, having been sent, never retried blindly).
pub(crate) fn provider_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("a TLS HTTP client builds")
}

/// A Cloud API client shared by all lines.
#[derive(Clone)]
pub struct CloudApi {
    http: reqwest::Client,
}

impl Default for CloudApi {
    fn default() -> Self {
        CloudApi {
            http: provider_client(),
        }
    }
}

#[derive(Deserialize)]
struct TemplatePage {
    data: Vec<crate::store::ListedTemplate>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

/// A bound on template pages, against a listing that never ends.
const MAX_TEMPLATE_PAGES: usize = 50;

impl CloudApi {
    /// Tells the Cloud API the guest's message `wamid` was read (blue ticks on their phone).
    pub async fn mark_read(&self, line: &Line, wamid: &str) -> Result<(), CloudError> {
        let url = graph_url(line, &format!("{}/messages", line.phone_number_id));
        let body =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        let response = self
            .http
            .post(url)
            .bearer_auth(&line.access_token)
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.unwrap_or_default();
        Err(graph_error(status, &bytes))
    }

    /// Every template of the line's WhatsApp Business Account, following `paging.next`.
    pub async fn templates(
        &self,
        line: &Line,
    ) -> Result<Vec<crate::store::ListedTemplate>, CloudError> {
        let mut url = Some(graph_url(
            line,
            &format!("{}/message_templates?limit=100", line.waba_id),
        ));
        let mut out = Vec::new();
        for _ in 0..MAX_TEMPLATE_PAGES {
            let Some(next) = url.take() else { break };
            let bytes = fetch(self.http.get(next).bearer_auth(&line.access_token)).await?;
            let page: TemplatePage = serde_json::from_slice(&bytes).map_err(|e| CloudError {
                code: None,
                message: format!("unexpected template listing: {e}"),
                disposition: Disposition::Permanent,
            })?;
            out.extend(page.data);
            url = page.paging.and_then(|p| p.next).filter(|n| !n.is_empty());
        }
        Ok(out)
    }

    /// Uploads a picture to the line's phone number; answers the Cloud API's media id.
    /// Nothing is sent to anyone yet, so every failure here may be retried.
    pub async fn upload_media(
        &self,
        line: &Line,
        bytes: Vec<u8>,
        mime_type: &str,
    ) -> Result<String, CloudError> {
        let url = graph_url(line, &format!("{}/media", line.phone_number_id));
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name("picture")
            .mime_str(mime_type)
            .map_err(|e| CloudError {
                code: None,
                message: e.to_string(),
                disposition: Disposition::Permanent,
            })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", file);
        let bytes = fetch(
            self.http
                .post(url)
                .bearer_auth(&line.access_token)
                .multipart(form),
        )
        .await?;
        #[derive(Deserialize)]
        struct Uploaded {
            id: String,
        }
        serde_json::from_slice::<Uploaded>(&bytes)
            .map(|u| u.id)
            .map_err(|e| CloudError {
                code: None,
                message: format!("unexpected answer: {e}"),
                disposition: Disposition::Retry,
            })
    }

    /// Downloads a guest's media: looks up its short-lived URL, fetches it with the line's
    /// token, and checks the SHA-256 the webhook announced. Answers the bytes and MIME type.
    pub async fn download_media(
        &self,
        line: &Line,
        media_id: &str,
        sha256: Option<&str>,
    ) -> Result<(Vec<u8>, String), CloudError> {
        #[derive(Deserialize)]
        struct Lookup {
            url: String,
            mime_type: String,
        }
        let url = graph_url(line, media_id);
        let bytes = fetch(self.http.get(url).bearer_auth(&line.access_token)).await?;
        let lookup: Lookup = serde_json::from_slice(&bytes).map_err(|e| CloudError {
            code: None,
            message: format!("unexpected answer: {e}"),
            disposition: Disposition::Retry,
        })?;
        let bytes = fetch(self.http.get(&lookup.url).bearer_auth(&line.access_token)).await?;
        if let Some(expected) = sha256 {
            use sha2::Digest;
            let actual = hex::encode(sha2::Sha256::digest(&bytes));
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(CloudError {
                    code: None,
                    message: "the downloaded media does not match its SHA-256".into(),
                    disposition: Disposition::Retry,
                });
            }
        }
        Ok((bytes.to_vec(), lookup.mime_type))
    }

    /// Sends one message; answers the wamid. A picture's `cloud_media_id` is the id its
    /// upload answered.
    pub async fn send(
        &self,
        line: &Line,
        to: &E164,
        body: &MessageBody,
    ) -> Result<String, CloudError> {
        self.send_with_media(line, to, body, None).await
    }

    pub async fn send_with_media(
        &self,
        line: &Line,
        to: &E164,
        body: &MessageBody,
        cloud_media_id: Option<&str>,
    ) -> Result<String, CloudError> {
        let payload = match body {
            MessageBody::Text { text } => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to.wa_id(),
                "type": "text",
                "text": { "body": text, "preview_url": false }
            }),
            MessageBody::Template {
                name,
                language,
                components,
                ..
            } => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to.wa_id(),
                "type": "template",
                "template": { "name": name, "language": { "code": language }, "components": components }
            }),
            MessageBody::Picture { caption, .. } => {
                let Some(id) = cloud_media_id else {
                    return Err(CloudError {
                        code: None,
                        message: "a picture is sent after its upload".into(),
                        disposition: Disposition::Permanent,
                    });
                };
                let mut image = json!({ "id": id });
                if let Some(caption) = caption.as_deref().filter(|c| !c.trim().is_empty()) {
                    image["caption"] = json!(caption);
                }
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": to.wa_id(),
                    "type": "image",
                    "image": image
                })
            }
            MessageBody::System { .. }
            | MessageBody::Unsupported { .. }
            | MessageBody::Voicemail { .. } => {
                return Err(CloudError {
                    code: None,
                    message: "unsupported message kind".into(),
                    disposition: Disposition::Permanent,
                });
            }
        };
        let url = graph_url(line, &format!("{}/messages", line.phone_number_id));
        let response = self
            .http
            .post(url)
            .bearer_auth(&line.access_token)
            .json(&payload)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        // After a 2xx the message was accepted: a lost or garbled answer is an unknown
        // outcome, never a reason to send again.
        let after_answer = if status.is_success() {
            Disposition::Unknown
        } else {
            Disposition::Retry
        };
        let bytes = response.bytes().await.map_err(|e| CloudError {
            code: None,
            message: e.to_string(),
            disposition: after_answer,
        })?;
        if status.is_success() {
            let parsed: SendResponse = serde_json::from_slice(&bytes).map_err(|e| CloudError {
                code: None,
                message: format!("unexpected answer: {e}"),
                disposition: Disposition::Unknown,
            })?;
            return parsed
                .messages
                .into_iter()
                .next()
                .map(|m| m.id)
                .ok_or(CloudError {
                    code: None,
                    message: "answer without a message id".into(),
                    disposition: Disposition::Unknown,
                });
        }
        Err(graph_error(status, &bytes))
    }
}

/// A Graph API error answer as a [`CloudError`].
fn graph_error(status: reqwest::StatusCode, bytes: &[u8]) -> CloudError {
    match serde_json::from_slice::<GraphErrorBody>(bytes) {
        Ok(body) => CloudError {
            code: Some(body.error.code),
            disposition: if status.is_server_error() {
                Disposition::Retry
            } else {
                disposition(body.error.code)
            },
            message: body.error.message,
        },
        Err(_) => CloudError {
            code: None,
            message: format!("HTTP {status}"),
            disposition: if status.is_server_error() || status.as_u16() == 429 {
                Disposition::Retry
            } else {
                Disposition::Permanent
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_api_error_codes_map_to_what_the_connector_does() {
        let cases = [
            (131047, Disposition::TemplateRequired),
            (131026, Disposition::Permanent),
            (131051, Disposition::Permanent),
            (131053, Disposition::RetryOnce),
            (131052, Disposition::RetryOnce),
            (130429, Disposition::Retry),
            (131056, Disposition::Retry),
            (80007, Disposition::Retry),
            (4, Disposition::Retry),
            (132000, Disposition::Permanent),
            (132001, Disposition::Permanent),
            (132015, Disposition::Permanent),
            (100, Disposition::Permanent),
            (190, Disposition::LineBlocked),
            (368, Disposition::LineBlocked),
            (131031, Disposition::LineBlocked),
        ];
        for (code, want) in cases {
            assert_eq!(disposition(code), want, "{code}");
        }
    }

    #[test]
    fn a_5xx_is_retried_whatever_its_code_and_a_bare_4xx_is_permanent() {
        let body = br#"{"error":{"message":"x","type":"OAuthException","code":131026}}"#;
        assert_eq!(
            graph_error(reqwest::StatusCode::BAD_GATEWAY, body).disposition,
            Disposition::Retry
        );
        assert_eq!(
            graph_error(reqwest::StatusCode::BAD_REQUEST, body).disposition,
            Disposition::Permanent
        );
        assert_eq!(
            graph_error(reqwest::StatusCode::TOO_MANY_REQUESTS, b"busy").disposition,
            Disposition::Retry
        );
        assert_eq!(
            graph_error(reqwest::StatusCode::FORBIDDEN, b"<html>").disposition,
            Disposition::Permanent
        );
    }
}
