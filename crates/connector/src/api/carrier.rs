//! The carrier's callbacks (F22), per line: `/webhooks/carrier/{line}/{sms, status, voice,
//! hangup, recording, transcription}`. Each is form-encoded and signed by the provider with
//! the line's account secret; the signature is checked over the URL the provider called
//! (built on the connector's public URL) before anything is read. What a callback brings
//! (a text, a status, a recording, a transcript) is read into a [`CarrierEvent`], kept in
//! the durable inbox, and answered: the inbox worker fetches and stores it (`crate::inbox`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use multiline_domain::errors::ErrorCode;
use uuid::Uuid;

use super::{ApiError, ApiPath};
use crate::ctx::Ctx;
use crate::inbox::{self, CarrierEvent};
use crate::providers::carrier::{Carrier, WebhookRequest};
use crate::store::Line;
use crate::usecases::accounts;

/// What a caller with a withheld number hears.
const WITHHELD: &str = "Sorry, messages can't be left from a withheld number. Please call again with your number shown.";

/// What a caller hears before the beep.
const GREETING: &str = "You have reached our voicemail. Please leave a message after the tone.";

/// The provider's answer: its MIME type and body (TwiML for Twilio).
type Answer = (StatusCode, [(header::HeaderName, &'static str); 1], String);

fn answer((mime, body): (&'static str, String)) -> Answer {
    (StatusCode::OK, [(header::CONTENT_TYPE, mime)], body)
}

/// A verified callback: the line, its carrier, the request.
struct Verified<'a> {
    line: Line,
    carrier: &'a dyn Carrier,
    request: WebhookRequest,
}

/// Loads the line and checks the request's signature. A line without a carrier is
/// `not_found`; a missing or wrong signature `unauthorized`, with nothing read or stored.
async fn verified<'a>(
    ctx: &'a Ctx,
    line: Uuid,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified<'a>, ApiError> {
    let line = ctx.run(move |env| accounts::line(env, line)).await?;
    let config = line.carrier.clone().ok_or(ApiError::NotFound)?;
    let carrier = ctx
        .carriers
        .get(&config.provider)
        .ok_or(ApiError::NotFound)?;
    let params: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| ApiError::BadRequest {
            code: ErrorCode::InvalidForm,
            message: "The body is not a form (application/x-www-form-urlencoded).".into(),
        })?;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let request = WebhookRequest {
        url: format!("{}{path}", ctx.public_url.trim_end_matches('/')),
        params,
        signature: headers
            .get(carrier.signature_header())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    if !carrier.verify(&config, &request) {
        tracing::warn!(line = %line.id, path = %uri.path(), "carrier webhook with a missing or wrong signature refused");
        return Err(ApiError::Unauthorized);
    }
    Ok(Verified {
        line,
        carrier,
        request,
    })
}

fn unreadable(e: crate::providers::carrier::WebhookError) -> ApiError {
    ApiError::BadRequest {
        code: ErrorCode::InvalidWebhook,
        message: e.to_string(),
    }
}

/// Keeps what a verified callback brought and answers the carrier.
async fn keep(ctx: &Ctx, v: Verified<'_>, event: CarrierEvent) -> Result<Answer, ApiError> {
    let ack = v.carrier.acknowledge();
    inbox::keep_carrier_event(ctx, v.line.id, &event).await?;
    Ok(answer(ack))
}

/// A guest's text.
#[utoipa::path(post, path = "/webhooks/carrier/{line}/sms", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's inbound message fields (Twilio: MessageSid, From, To, Body, NumMedia)."), responses((status = 200, description = "Stored once (by the message's id); an empty TwiML answer."), (status = 401, description = "Missing or wrong signature: nothing stored.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `invalid_webhook`, `not_found` (no such line, or no carrier on it).", body = super::ErrorBody)))]
pub async fn sms(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    let text = v.carrier.inbound_text(&v.request).map_err(unreadable)?;
    let event = CarrierEvent::Text {
        id: text.id,
        from: text.from,
        text: text.text,
        media: text.media,
    };
    keep(&ctx, v, event).await
}

/// A sent text's delivery status.
#[utoipa::path(post, path = "/webhooks/carrier/{line}/status", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's status fields (Twilio: MessageSid, MessageStatus, ErrorCode)."), responses((status = 200, description = "Applied (statuses never move backwards)."), (status = 401, description = "Missing or wrong signature: nothing stored.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `invalid_webhook`, `not_found`.", body = super::ErrorBody)))]
pub async fn status(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    let status = v.carrier.text_status(&v.request).map_err(unreadable)?;
    let event = CarrierEvent::Status {
        id: status.id,
        state: status.state,
        error: status.error,
    };
    keep(&ctx, v, event).await
}

/// A call to the line: answered with the greeting and a recording (voicemail).
#[utoipa::path(post, path = "/webhooks/carrier/{line}/voice", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's call fields (Twilio: CallSid, From, To)."), responses((status = 200, description = "TwiML: say the greeting, record, report the recording and its transcript."), (status = 401, description = "Missing or wrong signature.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `invalid_webhook`, `not_found`.", body = super::ErrorBody)))]
pub async fn voice(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    // A withheld or non-phone caller (Twilio: +266696687, sip:, client:) cannot be given a
    // conversation: the caller hears why, never an application error.
    let caller = match v.carrier.caller(&v.request) {
        Ok(caller) => caller,
        Err(error) => {
            tracing::info!(line = %v.line.id, %error, "a call from a withheld number: not recorded");
            return Ok(answer(v.carrier.hang_up(Some(WITHHELD))));
        }
    };
    // The recording's callback does not name the caller: the URL does (and is signed).
    let from = serde_urlencoded::to_string([("from", caller.as_str())])
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let url = |kind: &str| ctx.carrier_webhook_url(v.line.id, kind);
    Ok(answer(v.carrier.answer_call(
        GREETING,
        &url("hangup"),
        &format!("{}?{from}", url("recording")),
        &format!("{}?{from}", url("transcription")),
    )))
}

/// After the recording: the call ends.
#[utoipa::path(post, path = "/webhooks/carrier/{line}/hangup", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's call fields."), responses((status = 200, description = "TwiML: hang up."), (status = 401, description = "Missing or wrong signature.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `not_found`.", body = super::ErrorBody)))]
pub async fn hangup(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    Ok(answer(v.carrier.hang_up(None)))
}

#[derive(serde::Deserialize)]
struct From {
    from: String,
}

fn caller_in(uri: &axum::http::Uri) -> Result<multiline_domain::phone::E164, ApiError> {
    let query: From =
        serde_urlencoded::from_str(uri.query().unwrap_or_default()).map_err(|_| {
            ApiError::BadRequest {
                code: ErrorCode::InvalidWebhook,
                message: "The callback URL does not name the caller.".into(),
            }
        })?;
    multiline_domain::phone::E164::parse(&query.from, None).map_err(|e| ApiError::BadRequest {
        code: ErrorCode::InvalidWebhook,
        message: format!("The caller is not a phone number: {e}"),
    })
}

/// A voicemail's recording is ready: kept in the durable inbox, then fetched from the carrier
/// (retried) and stored once, by the inbox worker.
#[utoipa::path(post, path = "/webhooks/carrier/{line}/recording", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("from" = String, Query, description = "The caller, as the voice answer put it in the callback URL."), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's recording fields (Twilio: RecordingSid, RecordingUrl, RecordingStatus, RecordingDuration)."), responses((status = 200, description = "Kept; the recording is fetched and stored once (by its id)."), (status = 401, description = "Missing or wrong signature: nothing stored.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `invalid_webhook`, `not_found`.", body = super::ErrorBody)))]
pub async fn recording(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    let from = caller_in(&uri)?;
    let recording = v.carrier.recording(&v.request).map_err(unreadable)?;
    if !recording.completed {
        // Nothing was recorded (the caller hung up at once).
        return Ok(answer(v.carrier.acknowledge()));
    }
    let event = CarrierEvent::Recording {
        recording_id: recording.id,
        url: recording.url,
        duration_secs: recording.duration_secs,
        from,
    };
    keep(&ctx, v, event).await
}

/// A voicemail's transcript (kept until its voicemail is stored, if it comes first).
#[utoipa::path(post, path = "/webhooks/carrier/{line}/transcription", tag = "webhooks", params(("line" = uuid::Uuid, Path), ("from" = String, Query, description = "The caller."), ("X-Twilio-Signature" = String, Header, description = "The carrier's signature over the URL and the form.")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The carrier's transcription fields (Twilio: RecordingSid, TranscriptionStatus, TranscriptionText)."), responses((status = 200, description = "Kept with the voicemail."), (status = 401, description = "Missing or wrong signature: nothing stored.", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `invalid_form`, `invalid_webhook`, `not_found`.", body = super::ErrorBody)))]
pub async fn transcription(
    State(ctx): State<Ctx>,
    ApiPath(line): ApiPath<Uuid>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let v = verified(&ctx, line, &uri, &headers, &body).await?;
    let transcript = v.carrier.transcript(&v.request).map_err(unreadable)?;
    match transcript.text {
        Some(text) => {
            let event = CarrierEvent::Transcript {
                recording_id: transcript.recording_id,
                text,
            };
            keep(&ctx, v, event).await
        }
        None => Ok(answer(v.carrier.acknowledge())),
    }
}
