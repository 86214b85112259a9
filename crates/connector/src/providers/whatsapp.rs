//! WhatsApp through Meta's Cloud API, behind [`WhatsApp`]: what the connector needs of it,
//! in its terms. [`CloudApi`] calls the Graph API at each line's base URL and version (Meta in
//! production, the simulator in the demo and tests). Webhooks are read by
//! `multiline-whatsapp-webhook`; what each error code means is the domain's
//! (`cloud_errors`).

use multiline_domain::api::MessageBody;
use multiline_domain::cloud_errors::{Disposition, disposition};
use multiline_whatsapp_webhook::{MediaRef, Sha256};
use serde::Deserialize;
use serde_json::json;

use super::ProviderError;
use crate::store::{GuestIds, Line, ListedTemplate};

/// What the connector asks of WhatsApp. Every failure says whether to retry.
#[async_trait::async_trait]
pub trait WhatsApp: Send + Sync {
    /// Sends one message to the guest from the line; answers its wamid. A picture is sent
    /// by the Cloud API media id its upload answered (`media_id`). `callback` (the message's
    /// id) rides along as `biz_opaque_callback_data`: Meta echoes it in the message's status
    /// webhooks, which is how a send whose answer was lost is recognised.
    async fn send(
        &self,
        line: &Line,
        to: &GuestIds,
        body: &MessageBody,
        media_id: Option<&str>,
        callback: &str,
    ) -> Result<String, ProviderError>;
    /// Uploads a picture to the line's number; answers the Cloud API's media id.
    async fn upload_media(
        &self,
        line: &Line,
        bytes: Vec<u8>,
        mime_type: &str,
    ) -> Result<String, ProviderError>;
    /// A guest's file: its bytes (checked against the digest the webhook announced, when it
    /// did) and MIME type; refused for good over `max_bytes`.
    async fn download_media(
        &self,
        line: &Line,
        media: &MediaRef,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, String), ProviderError>;
    /// Tells the guest's phone their message `wamid` was read.
    async fn mark_read(&self, line: &Line, wamid: &str) -> Result<(), ProviderError>;
    /// Every template of the line's WhatsApp Business Account.
    async fn templates(&self, line: &Line) -> Result<Vec<ListedTemplate>, ProviderError>;
}

/// A transport error where a repeat is harmless (a listing, an upload, a download: nothing
/// reaches a guest).
fn retry_anyway(e: reqwest::Error) -> ProviderError {
    ProviderError {
        code: None,
        message: e.to_string(),
        disposition: Disposition::Retry,
    }
}

/// Makes a call that reaches no guest and answers its body; any failure may be retried.
async fn fetch(request: reqwest::RequestBuilder) -> Result<axum::body::Bytes, ProviderError> {
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

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphError,
}

/// Meta's error object: `message` is `(#<code>) <title>`, `error_data.details` says more.
#[derive(Deserialize)]
struct GraphError {
    message: String,
    code: u32,
    #[serde(default)]
    error_data: Option<GraphErrorData>,
}

#[derive(Deserialize)]
struct GraphErrorData {
    #[serde(default)]
    details: Option<String>,
}

impl GraphError {
    /// What a person reads: `error_data.details`, which Meta says to rely on ("WhatsApp error
    /// codes": titles "will eventually be deprecated"), else the title without Meta's
    /// `(#code) ` prefix.
    fn words(&self) -> String {
        let details = self.error_data.as_ref().and_then(|d| d.details.as_deref());
        match details.map(str::trim).filter(|d| !d.is_empty()) {
            Some(details) => details.to_owned(),
            None => {
                let prefix = format!("(#{}) ", self.code);
                let message = self.message.trim();
                message.strip_prefix(&prefix).unwrap_or(message).to_owned()
            }
        }
    }
}

#[derive(Deserialize)]
struct SendResponse {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// A Cloud API client shared by all lines.
#[derive(Clone)]
pub struct CloudApi {
    http: reqwest::Client,
}

impl Default for CloudApi {
    fn default() -> Self {
        CloudApi {
            http: super::http_client(),
        }
    }
}

impl CloudApi {
    /// A client that gives a call up after `timeout` (tests of a lost answer).
    pub fn with_timeout(timeout: std::time::Duration) -> CloudApi {
        CloudApi {
            http: super::http_client_with(timeout),
        }
    }
}

#[derive(Deserialize)]
struct TemplatePage {
    data: Vec<ListedTemplate>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    next: Option<String>,
}

/// A bound on template pages, against a listing that never ends.
const MAX_TEMPLATE_PAGES: usize = 50;

#[async_trait::async_trait]
impl WhatsApp for CloudApi {
    /// Tells the Cloud API the guest's message `wamid` was read (blue ticks on their phone).
    async fn mark_read(&self, line: &Line, wamid: &str) -> Result<(), ProviderError> {
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
            .map_err(ProviderError::transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.unwrap_or_default();
        Err(graph_error(status, &bytes))
    }

    /// Every template of the line's WhatsApp Business Account, following `paging.next`.
    async fn templates(&self, line: &Line) -> Result<Vec<ListedTemplate>, ProviderError> {
        let mut url = Some(graph_url(
            line,
            &format!("{}/message_templates?limit=100", line.waba_id),
        ));
        let mut out = Vec::new();
        for _ in 0..MAX_TEMPLATE_PAGES {
            let Some(next) = url.take() else { break };
            let bytes = fetch(self.http.get(next).bearer_auth(&line.access_token)).await?;
            let page: TemplatePage = serde_json::from_slice(&bytes).map_err(|e| ProviderError {
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
    async fn upload_media(
        &self,
        line: &Line,
        bytes: Vec<u8>,
        mime_type: &str,
    ) -> Result<String, ProviderError> {
        let url = graph_url(line, &format!("{}/media", line.phone_number_id));
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name("picture")
            .mime_str(mime_type)
            .map_err(|e| ProviderError {
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
            .map_err(|e| ProviderError {
                code: None,
                message: format!("unexpected answer: {e}"),
                disposition: Disposition::Retry,
            })
    }

    /// Downloads a guest's file: looks up its short-lived URL (every time: a URL lives five
    /// minutes, the id seven days), fetches it with the line's token, and compares its
    /// SHA-256 with the webhook's as bytes (base64 there, hex in the lookup). Answers the
    /// bytes and MIME type.
    async fn download_media(
        &self,
        line: &Line,
        media: &MediaRef,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        #[derive(Deserialize)]
        struct Lookup {
            url: String,
            mime_type: String,
            #[serde(default)]
            file_size: Option<u64>,
        }
        let too_large = |size: u64| ProviderError {
            code: None,
            message: format!(
                "the {} is {size} bytes, more than WhatsApp's {max_bytes}",
                media.kind.as_str()
            ),
            disposition: Disposition::Permanent,
        };
        let url = graph_url(line, &media.id);
        let bytes = fetch(self.http.get(url).bearer_auth(&line.access_token)).await?;
        let lookup: Lookup = serde_json::from_slice(&bytes).map_err(|e| ProviderError {
            code: None,
            message: format!("unexpected answer: {e}"),
            disposition: Disposition::Retry,
        })?;
        if let Some(size) = lookup.file_size.filter(|&s| s > max_bytes) {
            return Err(too_large(size));
        }
        let bytes = fetch(self.http.get(&lookup.url).bearer_auth(&line.access_token)).await?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        if let Some(expected) = media.sha256
            && Sha256::of(&bytes) != expected
        {
            return Err(ProviderError {
                code: None,
                message: "the downloaded media does not match its SHA-256".into(),
                disposition: Disposition::Retry,
            });
        }
        Ok((bytes.to_vec(), lookup.mime_type))
    }

    async fn send(
        &self,
        line: &Line,
        to: &GuestIds,
        body: &MessageBody,
        cloud_media_id: Option<&str>,
        callback: &str,
    ) -> Result<String, ProviderError> {
        let mut payload = match body {
            MessageBody::Text { text } => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                                "type": "text",
                "text": { "body": text, "preview_url": false }
            }),
            MessageBody::Template {
                name,
                language,
                components,
                ..
            } => {
                // A header file the user attached goes by the id its upload answered.
                let mut components = components.clone();
                if let Some(id) = cloud_media_id {
                    for m in components
                        .iter_mut()
                        .flat_map(|c| c.parameters.iter_mut())
                        .filter_map(|p| p.media_mut())
                        .filter(|m| m.id.is_some())
                    {
                        m.id = Some(id.to_owned());
                    }
                }
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "type": "template",
                    "template": { "name": name, "language": { "code": language }, "components": components }
                })
            }
            MessageBody::Picture { caption, .. } => {
                let Some(id) = cloud_media_id else {
                    return Err(ProviderError {
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
                                        "type": "image",
                    "image": image
                })
            }
            MessageBody::Document {
                filename, caption, ..
            } => {
                let Some(id) = cloud_media_id else {
                    return Err(ProviderError {
                        code: None,
                        message: "a document is sent after its upload".into(),
                        disposition: Disposition::Permanent,
                    });
                };
                let mut document = json!({ "id": id, "filename": filename });
                if let Some(caption) = caption.as_deref().filter(|c| !c.trim().is_empty()) {
                    document["caption"] = json!(caption);
                }
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "type": "document",
                    "document": document
                })
            }
            _ => {
                return Err(ProviderError {
                    code: None,
                    message: "unsupported message kind".into(),
                    disposition: Disposition::Permanent,
                });
            }
        };
        payload["biz_opaque_callback_data"] = json!(callback);
        // The number with its `+` (without it Meta may read it in the business number's
        // country); a guest known only by their business-scoped user id by `recipient`.
        match (&to.phone, &to.user_id) {
            (Some(phone), _) => payload["to"] = json!(phone.as_str()),
            (None, Some(user_id)) => payload["recipient"] = json!(user_id),
            (None, None) => {
                return Err(ProviderError {
                    code: None,
                    message: "the guest has neither a number nor a WhatsApp user id".into(),
                    disposition: Disposition::Permanent,
                });
            }
        }
        let url = graph_url(line, &format!("{}/messages", line.phone_number_id));
        let response = self
            .http
            .post(url)
            .bearer_auth(&line.access_token)
            .json(&payload)
            .send()
            .await
            .map_err(ProviderError::transport)?;
        let status = response.status();
        // After a 2xx the message was accepted: a lost or garbled answer is an unknown
        // outcome, never a reason to send again.
        let after_answer = if status.is_success() {
            Disposition::Unknown
        } else {
            Disposition::Retry
        };
        let bytes = response.bytes().await.map_err(|e| ProviderError {
            code: None,
            message: e.to_string(),
            disposition: after_answer,
        })?;
        if status.is_success() {
            let parsed: SendResponse =
                serde_json::from_slice(&bytes).map_err(|e| ProviderError {
                    code: None,
                    message: format!("unexpected answer: {e}"),
                    disposition: Disposition::Unknown,
                })?;
            return parsed
                .messages
                .into_iter()
                .next()
                .map(|m| m.id)
                .ok_or(ProviderError {
                    code: None,
                    message: "answer without a message id".into(),
                    disposition: Disposition::Unknown,
                });
        }
        Err(graph_error(status, &bytes))
    }
}

/// A Graph API error answer as a [`ProviderError`].
fn graph_error(status: reqwest::StatusCode, bytes: &[u8]) -> ProviderError {
    match serde_json::from_slice::<GraphErrorBody>(bytes) {
        Ok(body) => ProviderError {
            code: Some(body.error.code),
            disposition: if status.is_server_error() {
                Disposition::Retry
            } else {
                disposition(body.error.code)
            },
            message: body.error.words(),
        },
        Err(_) => ProviderError {
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

    /// Meta's error shape ("WhatsApp error codes": the title in `message` after `(#code)`,
    /// the details in `error_data`), as recorded from a send to a number not in a test
    /// number's allowed list (github.com/Neurotech-HQ/heyoo/issues/40).
    #[test]
    fn metas_error_shape_reads_as_its_details_else_its_title() {
        let body = br#"{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp","details":"Recipient's phone number is not whitelisted: add the recipient's phone number to a recipient list, then try again."},"error_subcode":2655007,"fbtrace_id":"Akf6LRk1j9htPAuzA5P971E"}}"#;
        let error = graph_error(reqwest::StatusCode::BAD_REQUEST, body);
        assert_eq!(error.code, Some(131030));
        assert_eq!(
            error.message,
            "Recipient's phone number is not whitelisted: add the recipient's phone number to \
             a recipient list, then try again."
        );
        // Without details: the title, without its prefix; a bare message stays as it is.
        let body = br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}}"#;
        assert_eq!(
            graph_error(reqwest::StatusCode::BAD_REQUEST, body).message,
            "Invalid parameter"
        );
        let body = br#"{"error":{"message":"Something odd","code":4242}}"#;
        assert_eq!(
            graph_error(reqwest::StatusCode::BAD_REQUEST, body).message,
            "Something odd"
        );
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
