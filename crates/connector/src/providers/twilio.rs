//! Twilio: Programmable Messaging (`Messages.json`, status callbacks, inbound webhooks) and
//! Voice (`<Record>` with recording and transcription callbacks), as Twilio documents them.
//!
//! Requests to Twilio use HTTP Basic with the Account SID and Auth Token. Twilio signs each
//! webhook with `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the Auth Token, over
//! the full URL it called followed by every POST field's name and value, sorted by name.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use multiline_domain::api::DeliveryState;
use multiline_domain::phone::E164;
use serde::Deserialize;
use sha1::Sha1;

use super::carrier::{
    Carrier, InboundMedia, InboundText, Recording, TextStatus, Transcript, WebhookError,
    WebhookRequest,
};
use super::{Disposition, ProviderError};
use crate::store::CarrierAccount;

/// Twilio's API.
pub struct Twilio {
    http: reqwest::Client,
}

impl Default for Twilio {
    fn default() -> Self {
        Twilio {
            http: super::http_client(),
        }
    }
}

/// `X-Twilio-Signature` for a request to `url` with form `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Twilio's error body.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// The sentence for a Twilio error code (REST errors and status callbacks' `ErrorCode`).
pub fn describe(code: u32, message: &str) -> String {
    match code {
        21610 => "This person replied STOP to your texts; they must reply START before you can text them again.".into(),
        21211 | 21614 => "This number can't receive texts.".into(),
        21408 | 21612 => "Texts to this number's country or network are not enabled for your line.".into(),
        30003 => "The phone was unreachable (off or out of coverage).".into(),
        30004 => "The recipient blocks texts from this number.".into(),
        30005 => "This number does not exist or is no longer in service.".into(),
        30006 => "This number is a landline or can't receive texts.".into(),
        30007 => "The carrier filtered this text as unwanted.".into(),
        _ if message.is_empty() => format!("The carrier refused the text (error {code})."),
        _ => format!("The carrier refused the text: {message} (error {code})."),
    }
}

fn xml_attr(value: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(value)
}

impl Twilio {
    /// A file of the account's (a recording, an MMS picture) with the account's credentials,
    /// which go only to the account's own API; its MIME type, or `default_type`.
    async fn fetch(
        &self,
        config: &CarrierAccount,
        url: &str,
        default_type: &str,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        let base = config.api_base_url.trim_end_matches('/');
        if !url.starts_with(&format!("{base}/")) {
            return Err(ProviderError {
                code: None,
                message: format!("the file is not at {base}"),
                disposition: Disposition::Permanent,
            });
        }
        let response = self
            .http
            .get(url)
            .basic_auth(&config.account_sid, Some(&config.auth_token))
            .send()
            .await
            .map_err(ProviderError::transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(ProviderError {
                code: None,
                message: format!("fetching {url}: {status}"),
                disposition: if status.is_server_error() {
                    Disposition::RetryOnce
                } else {
                    Disposition::Permanent
                },
            });
        }
        let mime = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(default_type)
            .to_owned();
        let bytes = response.bytes().await.map_err(ProviderError::transport)?;
        Ok((bytes.to_vec(), mime))
    }
}

#[async_trait::async_trait]
impl Carrier for Twilio {
    fn signature_header(&self) -> &'static str {
        "x-twilio-signature"
    }

    fn verify(&self, config: &CarrierAccount, request: &WebhookRequest) -> bool {
        let Some(given) = request.signature.as_deref() else {
            return false;
        };
        let expected = signature(&config.auth_token, &request.url, &request.params);
        subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes()).into()
    }

    async fn send_text(
        &self,
        config: &CarrierAccount,
        to: &E164,
        text: &str,
        status_callback: &str,
    ) -> Result<String, ProviderError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.api_base_url.trim_end_matches('/'),
            config.account_sid
        );
        let response = self
            .http
            .post(url)
            .basic_auth(&config.account_sid, Some(&config.auth_token))
            .form(&[
                ("To", to.as_str()),
                ("From", config.number.as_str()),
                ("Body", text),
                ("StatusCallback", status_callback),
            ])
            .send()
            .await
            .map_err(ProviderError::transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(ProviderError::transport)?;
        if status.is_success() {
            let created: Created = serde_json::from_slice(&body).map_err(|e| ProviderError {
                code: None,
                message: format!("Twilio's answer was not understood: {e}"),
                disposition: Disposition::Unknown,
            })?;
            return Ok(created.sid);
        }
        let error: ErrorBody = serde_json::from_slice(&body).unwrap_or(ErrorBody {
            code: None,
            message: None,
        });
        let message = error.message.unwrap_or_else(|| status.to_string());
        let disposition = match (status.as_u16(), error.code) {
            (429, _) | (500.., _) => Disposition::Retry,
            (401 | 403, _) | (_, Some(20003)) => Disposition::LineBlocked,
            _ => Disposition::Permanent,
        };
        Err(ProviderError {
            code: error.code,
            message,
            disposition,
        })
    }

    async fn fetch_media(
        &self,
        config: &CarrierAccount,
        media: &InboundMedia,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        self.fetch(config, &media.url, &media.content_type).await
    }

    async fn fetch_recording(
        &self,
        config: &CarrierAccount,
        recording: &Recording,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        self.fetch(config, &format!("{}.wav", recording.url), "audio/x-wav")
            .await
    }

    fn answer_call(
        &self,
        greeting: &str,
        after: &str,
        recording_callback: &str,
        transcript_callback: &str,
    ) -> (&'static str, String) {
        // `action` is requested when the recording ends (without it Twilio would request
        // this document again and record a second time). Two minutes at most: Twilio
        // transcribes recordings of up to 120 s only.
        let body = format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Response><Say>{}</Say>",
                r#"<Record action="{}" maxLength="120" playBeep="true" timeout="5" "#,
                r#"recordingStatusCallback="{}" recordingStatusCallbackEvent="completed absent" "#,
                r#"transcribe="true" transcribeCallback="{}"/>"#,
                "</Response>"
            ),
            quick_xml::escape::escape(greeting),
            xml_attr(after),
            xml_attr(recording_callback),
            xml_attr(transcript_callback),
        );
        ("text/xml", body)
    }

    fn hang_up(&self, say: Option<&str>) -> (&'static str, String) {
        let say = say
            .map(|s| format!("<Say>{}</Say>", quick_xml::escape::escape(s)))
            .unwrap_or_default();
        (
            "text/xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Response>{say}<Hangup/></Response>"#),
        )
    }

    fn means_opted_out(&self, code: u32) -> bool {
        code == 21610
    }

    fn describe_failure(&self, code: u32, message: &str) -> String {
        describe(code, message)
    }

    fn acknowledge(&self) -> (&'static str, String) {
        (
            "text/xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#.into(),
        )
    }

    fn inbound_text(&self, request: &WebhookRequest) -> Result<InboundText, WebhookError> {
        let count: usize = request
            .get("NumMedia")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let media = (0..count.min(10))
            .filter_map(|i| {
                Some(InboundMedia {
                    url: request.get(&format!("MediaUrl{i}"))?.to_owned(),
                    content_type: request
                        .get(&format!("MediaContentType{i}"))
                        .unwrap_or("application/octet-stream")
                        .to_owned(),
                })
            })
            .collect();
        Ok(InboundText {
            id: request.require("MessageSid")?.to_owned(),
            from: request.phone("From")?,
            text: request.get("Body").unwrap_or_default().to_owned(),
            media,
        })
    }

    fn text_status(&self, request: &WebhookRequest) -> Result<TextStatus, WebhookError> {
        let id = request.require("MessageSid")?.to_owned();
        let status = request.require("MessageStatus")?;
        let state = match status {
            "accepted" | "scheduled" | "queued" | "sending" | "sent" => DeliveryState::Sent,
            "delivered" => DeliveryState::Delivered,
            "read" => DeliveryState::Read,
            "undelivered" | "failed" | "canceled" => DeliveryState::Failed,
            other => return Err(WebhookError(format!("unknown MessageStatus {other:?}"))),
        };
        let error = (state == DeliveryState::Failed).then(|| {
            let code = request
                .get("ErrorCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            (code, describe(code, ""))
        });
        Ok(TextStatus { id, state, error })
    }

    fn caller(&self, request: &WebhookRequest) -> Result<E164, WebhookError> {
        request.phone("From")
    }

    fn recording(&self, request: &WebhookRequest) -> Result<Recording, WebhookError> {
        let id = request.require("RecordingSid")?.to_owned();
        // `absent` (nothing said) and `failed` may come without a URL.
        let completed = request.get("RecordingStatus").unwrap_or("completed") == "completed";
        Ok(Recording {
            id,
            url: if completed {
                request.require("RecordingUrl")?.to_owned()
            } else {
                String::new()
            },
            duration_secs: request
                .get("RecordingDuration")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
            completed,
        })
    }

    fn transcript(&self, request: &WebhookRequest) -> Result<Transcript, WebhookError> {
        let completed = request.get("TranscriptionStatus") == Some("completed");
        Ok(Transcript {
            recording_id: request.require("RecordingSid")?.to_owned(),
            text: request
                .get("TranscriptionText")
                .filter(|t| completed && !t.trim().is_empty())
                .map(|t| t.trim().to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in Twilio's security documentation.
    #[test]
    fn signs_as_twilio_documents() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    fn config() -> CarrierAccount {
        CarrierAccount {
            provider: "twilio".into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            auth_token: "secret".into(),
            api_base_url: "https://api.twilio.com".into(),
            number: E164::parse("+13125550180", None).unwrap(),
        }
    }

    #[test]
    fn verifies_the_signature_over_url_and_fields() {
        let params = vec![
            ("From".to_string(), "+12025550147".to_string()),
            ("Body".to_string(), "Hello".to_string()),
        ];
        let url = "https://connector.example/webhooks/carrier/x/sms".to_string();
        let good = signature("secret", &url, &params);
        let twilio = Twilio::default();
        let request = |url: &str, params: &[(String, String)], sig: Option<&str>| WebhookRequest {
            url: url.into(),
            params: params.to_vec(),
            signature: sig.map(str::to_owned),
        };
        assert!(twilio.verify(&config(), &request(&url, &params, Some(&good))));
        assert!(!twilio.verify(&config(), &request(&url, &params, None)));
        let mut changed = params.clone();
        changed[1].1 = "Hello!".into();
        assert!(!twilio.verify(&config(), &request(&url, &changed, Some(&good))));
        assert!(!twilio.verify(
            &config(),
            &request("https://elsewhere.example/sms", &params, Some(&good))
        ));
    }

    #[test]
    fn reads_statuses_and_their_failures() {
        let twilio = Twilio::default();
        let status = |fields: &[(&str, &str)]| {
            twilio.text_status(&WebhookRequest {
                url: String::new(),
                params: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                signature: None,
            })
        };
        let delivered = status(&[("MessageSid", "SM1"), ("MessageStatus", "delivered")]).unwrap();
        assert_eq!(
            (delivered.state, delivered.error),
            (DeliveryState::Delivered, None)
        );
        let failed = status(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30006"),
        ])
        .unwrap();
        assert_eq!(failed.state, DeliveryState::Failed);
        assert_eq!(
            failed.error,
            Some((
                30006,
                "This number is a landline or can't receive texts.".into()
            ))
        );
        assert!(status(&[("MessageSid", "SM1"), ("MessageStatus", "lost")]).is_err());
        assert!(status(&[("MessageStatus", "sent")]).is_err());
    }

    #[tokio::test]
    async fn the_accounts_credentials_go_only_to_its_own_api() {
        let elsewhere = Recording {
            id: "RE1".into(),
            url: "https://attacker.example/2010-04-01/Accounts/AC0/Recordings/RE1".into(),
            duration_secs: 3,
            completed: true,
        };
        // Refused before any request (the address does not resolve anyway).
        let error = Twilio::default()
            .fetch_recording(&config(), &elsewhere)
            .await
            .unwrap_err();
        assert_eq!(error.disposition, Disposition::Permanent);
        assert!(error.message.contains("not at https://api.twilio.com"));
        let picture = InboundMedia {
            url: "https://attacker.example/Media/ME1".into(),
            content_type: "image/jpeg".into(),
        };
        let error = Twilio::default()
            .fetch_media(&config(), &picture)
            .await
            .unwrap_err();
        assert_eq!(error.disposition, Disposition::Permanent);
    }

    #[test]
    fn an_absent_recording_needs_no_url() {
        let recording = Twilio::default()
            .recording(&WebhookRequest {
                url: String::new(),
                params: vec![
                    ("RecordingSid".into(), "RE1".into()),
                    ("RecordingStatus".into(), "absent".into()),
                ],
                signature: None,
            })
            .unwrap();
        assert!(!recording.completed);
    }

    #[test]
    fn answers_a_call_with_a_recording_and_escaped_urls() {
        let (mime, twiml) = Twilio::default().answer_call(
            "Leave a message & we'll call back",
            "https://c.example/hangup",
            "https://c.example/rec?from=%2B1&x=1",
            "https://c.example/tr",
        );
        assert_eq!(mime, "text/xml");
        assert!(twiml.contains("<Say>Leave a message &amp; we&apos;ll call back</Say>"));
        assert!(
            twiml.contains(r#"recordingStatusCallback="https://c.example/rec?from=%2B1&amp;x=1""#)
        );
        assert!(twiml.contains(r#"transcribe="true""#));
        assert!(twiml.contains(r#"maxLength="120""#));
    }
}
