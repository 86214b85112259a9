//! The simulated Twilio's HTTP side: its REST API (sending texts, serving recordings and
//! MMS files, with Basic auth and Twilio's error bodies) and the control API tests and the
//! demo use to play the phones.

// The carrier's state and helpers, and the imports the REST side shares with it.
use super::*;

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
    {
        let mut world = state.world();
        if world.failing_media > 0 {
            world.failing_media -= 1;
            drop(world);
            state.fetched(FileKind::MmsPicture, StatusCode::SERVICE_UNAVAILABLE);
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Service unavailable",
            );
        }
    }
    let found = state.world().media.get(&media).cloned();
    match found {
        Some((content_type, bytes)) => {
            state.fetched(FileKind::MmsPicture, StatusCode::OK);
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => {
            state.fetched(FileKind::MmsPicture, StatusCode::NOT_FOUND);
            error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            )
        }
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
            drop(world);
            state.fetched(FileKind::Recording, StatusCode::SERVICE_UNAVAILABLE);
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Service unavailable",
            );
        }
    }
    let found = state.world().recordings.get(id).cloned();
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    state.fetched(FileKind::Recording, status);
    match found {
        Some(bytes) => ([(header::CONTENT_TYPE, "audio/x-wav")], bytes).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        ),
    }
}

#[cfg(test)]
mod tests {
    // The carrier's state and helpers, and the imports the REST side shares with it.
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
