//! The simulator playing Twilio (SMS and voicemail, F22), as Twilio documents its API:
//!
//! - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: HTTP Basic (Account SID and
//!   Auth Token), form fields `To`, `From`, `Body`, `StatusCallback`; answers `201` with the
//!   message (`sid` `SM...`, `status` `queued`), then posts `sent` and `delivered` (or
//!   `undelivered` with `ErrorCode` 30003 for an unreachable phone) to the status callback.
//!   Errors are `{"code", "message", "more_info", "status"}`: 20003 (authentication), 21211
//!   (invalid `To`), 21602 (no body), 21606 (`From` is not the account's number), 21610 (the
//!   recipient texted STOP).
//! - A guest's text (with a picture: MMS, `NumMedia`, `MediaUrl0`, `MediaContentType0`, the
//!   file served at `.../Messages/{MessageSid}/Media/{MediaSid}` with Basic auth) is posted
//!   to the number's messaging webhook; STOP-like words opt the
//!   number out as Twilio's Advanced Opt-Out does (`OptOutType` is added), START-like words
//!   opt it back in.
//! - A guest's call is posted to the number's voice webhook; the TwiML answer must contain
//!   `<Record>`. The recording (a WAV tone as long as the message) is then served at
//!   `/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav`, reported to the
//!   `recordingStatusCallback`, the `action` URL is requested, and, with `transcribe`, the
//!   transcript goes to the `transcribeCallback`.
//!
//! Every webhook is form-encoded and signed with `X-Twilio-Signature` (HMAC-SHA1 of the URL
//! and the sorted fields, keyed with the Auth Token, base64).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha1::Sha1;

/// The Twilio account the simulator plays.
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: String,
    /// The business line's number (E.164).
    pub number: String,
}

impl TwilioAccount {
    /// The demo's account; tests use it too.
    pub fn demo() -> TwilioAccount {
        TwilioAccount {
            account_sid: "AC5ee1f0d0c0b0a0908070605040302010".into(),
            auth_token: "9f3a1c2b7d4e6f8091a2b3c4d5e6f708".into(),
            number: "+13125550180".into(),
        }
    }
}

/// A text the business sent and the simulator accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Text {
    pub sid: String,
    pub to: String,
    pub body: String,
    /// The last status reported to the business.
    pub status: String,
}

#[derive(Default)]
struct World {
    sms_url: Option<String>,
    voice_url: Option<String>,
    texts: Vec<Text>,
    opted_out: HashSet<String>,
    unreachable: HashSet<String>,
    recordings: HashMap<String, Vec<u8>>,
    /// The next recording downloads that fail with a 503 (a carrier hiccup).
    failing_recordings: u32,
    /// The next MMS file downloads that fail with a 503.
    failing_media: u32,
    /// Guests' MMS files: (content type, bytes) by media sid.
    media: HashMap<String, (String, Vec<u8>)>,
    /// What crossed between the business and the carrier, in order.
    exchanges: Vec<Exchange>,
}

/// One exchange between the business and the simulated carrier, as it happened: tests read
/// their order (a webhook is answered before anything it names is fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// The business answered a webhook (2xx) posted to this URL.
    WebhookAnswered { url: String },
    /// The business fetched a file (a recording, an MMS picture); the status it got.
    FileFetched { what: FileKind, status: u16 },
}

/// What a fetched file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Recording,
    MmsPicture,
}

pub(crate) struct TwilioState {
    pub account: TwilioAccount,
    base_url: Mutex<String>,
    world: Mutex<World>,
    http: reqwest::Client,
    /// Webhooks go out one after the other, in the order they happened.
    order: tokio::sync::Mutex<()>,
}

/// `X-Twilio-Signature` for a webhook to `url` with form `params`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn sid(prefix: &str) -> String {
    format!("{prefix}{}", crate::opaque_id())
}

fn is_opt_out(text: &str) -> Option<bool> {
    let word = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_ascii_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => {
            Some(true)
        }
        "START" | "YES" | "UNSTOP" => Some(false),
        _ => None,
    }
}

/// A tone as long as the message: 8 kHz, 16-bit mono WAV, as Twilio's recordings are.
pub fn recording(seconds: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut out, spec).expect("a WAV header writes");
        for n in 0..seconds * 8000 {
            let t = n as f32 / 8000.0;
            let sample = (t * 440.0 * std::f32::consts::TAU).sin() * 0.2 * i16::MAX as f32;
            writer
                .write_sample(sample as i16)
                .expect("samples write to memory");
        }
        writer.finalize().expect("a WAV finalizes in memory");
    }
    out.into_inner()
}

/// The `<Record>` verb's attributes in a TwiML answer.
fn record_verb(twiml: &str) -> Option<HashMap<String, String>> {
    let mut reader = quick_xml::Reader::from_str(twiml);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"Record" =>
            {
                let mut attrs = HashMap::new();
                for a in e.attributes().flatten() {
                    let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?
                        .into_owned();
                    attrs.insert(key, value);
                }
                return Some(attrs);
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

impl TwilioState {
    pub(crate) fn new(account: TwilioAccount) -> Arc<TwilioState> {
        Arc::new(TwilioState {
            account,
            base_url: Mutex::new(String::new()),
            world: Mutex::new(World::default()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a plain HTTP client builds"),
            order: tokio::sync::Mutex::new(()),
        })
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_base_url(&self, url: String) {
        *self.base_url.lock().unwrap_or_else(|e| e.into_inner()) = url;
    }

    fn base_url(&self) -> String {
        self.base_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_webhooks(&self, sms_url: String, voice_url: String) {
        let mut w = self.world();
        w.sms_url = Some(sms_url);
        w.voice_url = Some(voice_url);
    }

    pub(crate) fn texts(&self, to: &str) -> Vec<Text> {
        self.world()
            .texts
            .iter()
            .filter(|t| t.to == to)
            .cloned()
            .collect()
    }

    /// The number opts out at the carrier without the business seeing it (a STOP to another
    /// service on a shared short code, a carrier-level block): texts to it get 21610.
    pub(crate) fn set_opted_out(&self, phone: &str) {
        self.world().opted_out.insert(phone.to_owned());
    }

    pub(crate) fn fail_recording_downloads(&self, count: u32) {
        self.world().failing_recordings += count;
    }

    pub(crate) fn fail_media_downloads(&self, count: u32) {
        self.world().failing_media += count;
    }

    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.world().exchanges.clone()
    }

    fn fetched(&self, what: FileKind, status: StatusCode) {
        self.world().exchanges.push(Exchange::FileFetched {
            what,
            status: status.as_u16(),
        });
    }

    pub(crate) fn set_reachable(&self, phone: &str, reachable: bool) {
        let mut w = self.world();
        if reachable {
            w.unreachable.remove(phone);
        } else {
            w.unreachable.insert(phone.to_owned());
        }
    }

    /// Posts a signed webhook, retried a few times while the business is not answering;
    /// answers the body of the business's 200.
    async fn post(&self, url: &str, params: Vec<(String, String)>) -> Result<String, String> {
        let signature = twilio_signature(&self.account.auth_token, url, &params);
        let mut delay = Duration::from_millis(50);
        let mut last = String::new();
        for _ in 0..8 {
            let result = self
                .http
                .post(url)
                .header("x-twilio-signature", &signature)
                .form(&params)
                .send()
                .await;
            match result {
                Ok(r) if r.status().is_success() => {
                    self.world().exchanges.push(Exchange::WebhookAnswered {
                        url: url.to_owned(),
                    });
                    return r.text().await.map_err(|e| e.to_string());
                }
                // Twilio does not retry a refusal (it logs error 11200).
                Ok(r) if r.status().is_client_error() => {
                    return Err(format!("{url} answered {}", r.status()));
                }
                Ok(r) => last = format!("{url} answered {}", r.status()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        Err(last)
    }

    fn common(&self, from: &str) -> Vec<(String, String)> {
        vec![
            ("AccountSid".into(), self.account.account_sid.clone()),
            ("From".into(), from.to_owned()),
            ("To".into(), self.account.number.clone()),
            ("ApiVersion".into(), "2010-04-01".into()),
        ]
    }

    /// The guest texts the business. Returns the message's sid.
    pub(crate) fn guest_texts(self: &Arc<Self>, from: &str, body: &str) -> Result<String, String> {
        self.guest_texts_with(from, body, None)
    }

    /// The guest texts a picture (MMS) with `body` as its words. Returns the message's sid.
    pub(crate) fn guest_texts_picture(
        self: &Arc<Self>,
        from: &str,
        body: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<String, String> {
        self.guest_texts_with(from, body, Some((bytes, content_type.to_owned())))
    }

    fn guest_texts_with(
        self: &Arc<Self>,
        from: &str,
        body: &str,
        picture: Option<(Vec<u8>, String)>,
    ) -> Result<String, String> {
        let url = self
            .world()
            .sms_url
            .clone()
            .ok_or("no messaging webhook set")?;
        let sid = sid("SM");
        let mut params = self.common(from);
        params.extend([
            ("MessageSid".into(), sid.clone()),
            ("SmsSid".into(), sid.clone()),
            ("Body".into(), body.to_owned()),
            ("NumSegments".into(), "1".into()),
        ]);
        match picture {
            Some((bytes, content_type)) => {
                let media_sid = self::sid("ME");
                let url = format!(
                    "{}/2010-04-01/Accounts/{}/Messages/{sid}/Media/{media_sid}",
                    self.base_url(),
                    self.account.account_sid
                );
                self.world()
                    .media
                    .insert(media_sid, (content_type.clone(), bytes));
                params.extend([
                    ("NumMedia".into(), "1".into()),
                    ("MediaUrl0".into(), url),
                    ("MediaContentType0".into(), content_type),
                ]);
            }
            None => params.push(("NumMedia".into(), "0".into())),
        }
        match is_opt_out(body) {
            Some(true) => {
                self.world().opted_out.insert(from.to_owned());
                params.push(("OptOutType".into(), "STOP".into()));
            }
            Some(false) if self.world().opted_out.remove(from) => {
                params.push(("OptOutType".into(), "START".into()));
            }
            Some(false) | None => {}
        }
        let state = self.clone();
        tokio::spawn(async move {
            let _order = state.order.lock().await;
            if let Err(error) = state.post(&url, params).await {
                tracing::warn!(%error, "inbound SMS webhook failed");
            }
        });
        Ok(sid)
    }

    /// The guest calls the line and leaves a `seconds`-long message (with what a
    /// transcription would read). Returns the call's sid; the rest happens as the business's
    /// answers direct.
    pub(crate) fn guest_leaves_voicemail(
        self: &Arc<Self>,
        from: &str,
        seconds: u32,
        transcript: Option<&str>,
    ) -> Result<String, String> {
        let url = self
            .world()
            .voice_url
            .clone()
            .ok_or("no voice webhook set")?;
        let call = sid("CA");
        let (state, from, transcript, call_sid) = (
            self.clone(),
            from.to_owned(),
            transcript.map(str::to_owned),
            call.clone(),
        );
        tokio::spawn(async move {
            let _order = state.order.lock().await;
            if let Err(error) = state
                .call(&url, &call_sid, &from, seconds, transcript)
                .await
            {
                tracing::warn!(%error, "simulated call failed");
            }
        });
        Ok(call)
    }

    async fn call(
        &self,
        voice_url: &str,
        call_sid: &str,
        from: &str,
        seconds: u32,
        transcript: Option<String>,
    ) -> Result<(), String> {
        let mut params = self.common(from);
        params.extend([
            ("CallSid".into(), call_sid.to_owned()),
            ("CallStatus".into(), "ringing".into()),
            ("Direction".into(), "inbound".into()),
        ]);
        let twiml = self.post(voice_url, params.clone()).await?;
        let record = record_verb(&twiml).ok_or("the answer to the call has no <Record>")?;
        let recording_sid = sid("RE");
        self.world()
            .recordings
            .insert(recording_sid.clone(), recording(seconds));
        let recording_url = format!(
            "{}/2010-04-01/Accounts/{}/Recordings/{recording_sid}",
            self.base_url(),
            self.account.account_sid
        );
        if let Some(callback) = record.get("recordingStatusCallback") {
            let fields = vec![
                ("AccountSid".into(), self.account.account_sid.clone()),
                ("CallSid".into(), call_sid.to_owned()),
                ("RecordingSid".into(), recording_sid.clone()),
                ("RecordingUrl".into(), recording_url.clone()),
                ("RecordingStatus".into(), "completed".into()),
                ("RecordingDuration".into(), seconds.to_string()),
                ("RecordingChannels".into(), "1".into()),
                ("RecordingSource".into(), "RecordVerb".into()),
            ];
            self.post(callback, fields).await?;
        }
        if let Some(action) = record.get("action") {
            let mut fields = params.clone();
            fields.extend([
                ("RecordingUrl".into(), recording_url.clone()),
                ("RecordingDuration".into(), seconds.to_string()),
                ("Digits".into(), "hangup".into()),
            ]);
            self.post(action, fields).await?;
        }
        let transcribe = record.get("transcribe").is_some_and(|v| v == "true");
        if let (true, Some(callback), Some(text)) =
            (transcribe, record.get("transcribeCallback"), transcript)
        {
            let mut fields = params;
            fields.extend([
                ("TranscriptionSid".into(), sid("TR")),
                ("TranscriptionText".into(), text),
                ("TranscriptionStatus".into(), "completed".into()),
                ("RecordingSid".into(), recording_sid.clone()),
                ("RecordingUrl".into(), recording_url),
            ]);
            self.post(callback, fields).await?;
        }
        Ok(())
    }
}

mod http;

pub(crate) use http::router;
