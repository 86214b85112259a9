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
    /// Guests' MMS files: (content type, bytes) by media sid.
    media: HashMap<String, (String, Vec<u8>)>,
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

pub(crate) fn router(state: Arc<TwilioState>) -> Router {
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(create_message),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Recordings/{file}",
            get(get_recording),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}",
            get(get_media),
        )
        // The control API (tests and the demo): a phone texts or calls, what it received.
        .route(
            "/control/sms/{phone}",
            post(control_text).get(control_texts),
        )
        .route("/control/sms/{phone}/picture", post(control_picture))
        .route("/control/voicemail/{phone}", post(control_voicemail))
        // A guest's MMS picture may be a few MB.
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct ControlText {
    text: String,
}

async fn control_text(
    State(state): State<Arc<TwilioState>>,
    Path(phone): Path<String>,
    axum::Json(body): axum::Json<ControlText>,
) -> Response {
    match state.guest_texts(&phone, &body.text) {
        Ok(sid) => axum::Json(json!({ "sid": sid })).into_response(),
        Err(e) => (StatusCode::CONFLICT, e).into_response(),
    }
}

async fn control_texts(
    State(state): State<Arc<TwilioState>>,
    Path(phone): Path<String>,
) -> Response {
    axum::Json(state.texts(&phone)).into_response()
}

#[derive(serde::Deserialize)]
struct Caption {
    #[serde(default)]
    caption: String,
}

/// The body is the picture (`content-type` its type); `?caption=` the text sent with it.
async fn control_picture(
    State(state): State<Arc<TwilioState>>,
    Path(phone): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Caption>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("image/jpeg");
    match state.guest_texts_picture(&phone, &query.caption, body.to_vec(), content_type) {
        Ok(sid) => axum::Json(json!({ "sid": sid })).into_response(),
        Err(e) => (StatusCode::CONFLICT, e).into_response(),
    }
}

async fn get_media(
    State(state): State<Arc<TwilioState>>,
    Path((account, _message, media)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorized(&state, &account, &headers) {
        return *refused;
    }
    match state.world().media.get(&media) {
        Some((content_type, bytes)) => (
            [(header::CONTENT_TYPE, content_type.clone())],
            bytes.clone(),
        )
            .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        ),
    }
}

#[derive(serde::Deserialize)]
struct ControlVoicemail {
    seconds: u32,
    transcript: Option<String>,
}

async fn control_voicemail(
    State(state): State<Arc<TwilioState>>,
    Path(phone): Path<String>,
    axum::Json(body): axum::Json<ControlVoicemail>,
) -> Response {
    match state.guest_leaves_voicemail(
        &phone,
        body.seconds.clamp(1, 180),
        body.transcript.as_deref(),
    ) {
        Ok(sid) => axum::Json(json!({ "call_sid": sid })).into_response(),
        Err(e) => (StatusCode::CONFLICT, e).into_response(),
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

/// HTTP Basic with this account's SID and Auth Token, for this account's URLs.
fn authorized(
    state: &TwilioState,
    account: &str,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            state.account.account_sid, state.account.auth_token
        ))
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            20003,
            "Authenticate",
        )));
    }
    if account != state.account.account_sid {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )));
    }
    Ok(())
}

async fn create_message(
    State(state): State<Arc<TwilioState>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = authorized(&state, &account, &headers) {
        return *refused;
    }
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let (to, from, body) = (field("To"), field("From"), field("Body"));
    let valid_to = to.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    });
    if !valid_to {
        return error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if from != state.account.number {
        return error(
            StatusCode::BAD_REQUEST,
            21606,
            &format!(
                "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."
            ),
        );
    }
    if body.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    if state.world().opted_out.contains(to) {
        return error(
            StatusCode::BAD_REQUEST,
            21610,
            "Attempt to send to unsubscribed recipient",
        );
    }
    let sid = sid("SM");
    let callback = form.get("StatusCallback").cloned();
    let unreachable = state.world().unreachable.contains(to);
    state.world().texts.push(Text {
        sid: sid.clone(),
        to: to.to_owned(),
        body: body.to_owned(),
        status: "queued".into(),
    });
    let answer = json!({
        "sid": sid,
        "account_sid": state.account.account_sid,
        "to": to,
        "from": from,
        "body": body,
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "api_version": "2010-04-01",
        "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
    });
    if let Some(callback) = callback {
        let (state, to) = (state.clone(), to.to_owned());
        tokio::spawn(async move {
            let _order = state.order.lock().await;
            let steps: &[(&str, Option<&str>)] = if unreachable {
                &[("sent", None), ("undelivered", Some("30003"))]
            } else {
                &[("sent", None), ("delivered", None)]
            };
            for (status, code) in steps {
                let mut fields = vec![
                    ("AccountSid".to_owned(), state.account.account_sid.clone()),
                    ("MessageSid".to_owned(), sid.clone()),
                    ("SmsSid".to_owned(), sid.clone()),
                    ("MessageStatus".to_owned(), (*status).to_owned()),
                    ("SmsStatus".to_owned(), (*status).to_owned()),
                    ("From".to_owned(), state.account.number.clone()),
                    ("To".to_owned(), to.clone()),
                    ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
                ];
                if let Some(code) = code {
                    fields.push(("ErrorCode".to_owned(), (*code).to_owned()));
                }
                if let Some(text) = state.world().texts.iter_mut().find(|t| t.sid == sid) {
                    text.status = (*status).to_owned();
                }
                if let Err(error) = state.post(&callback, fields).await {
                    tracing::warn!(%error, "status callback failed");
                }
            }
        });
    }
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn get_recording(
    State(state): State<Arc<TwilioState>>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorized(&state, &account, &headers) {
        return *refused;
    }
    let id = file.strip_suffix(".wav").unwrap_or(&file);
    {
        let mut world = state.world();
        if world.failing_recordings > 0 {
            world.failing_recordings -= 1;
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Service unavailable",
            );
        }
    }
    match state.world().recordings.get(id) {
        Some(bytes) => ([(header::CONTENT_TYPE, "audio/x-wav")], bytes.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn finds_the_record_verb() {
        let twiml = r#"<?xml version="1.0"?><Response><Say>Hi</Say><Record action="https://a/h" recordingStatusCallback="https://a/r?from=%2B1&amp;x=1" transcribe="true"/></Response>"#;
        let record = record_verb(twiml).unwrap();
        assert_eq!(
            record["recordingStatusCallback"],
            "https://a/r?from=%2B1&x=1"
        );
        assert_eq!(record["transcribe"], "true");
        assert!(record_verb("<Response><Say>Hi</Say></Response>").is_none());
    }

    #[test]
    fn a_recording_is_a_wav_as_long_as_asked() {
        let wav = recording(3);
        let reader = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
        assert_eq!(reader.duration(), 3 * 8000);
        assert_eq!(reader.spec().sample_rate, 8000);
    }
}
