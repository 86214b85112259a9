//! Pictures and documents: `POST /v1/media` stores an upload (a picture checked: JPEG or PNG
//! by its bytes, a readable header, at most the Cloud API's 5 MB; a document: one of the
//! types WhatsApp takes, its bytes of that kind, at most 100 MB), `GET /v1/media/{id}`
//! returns one the caller may see, `POST /v1/threads/{id}/pictures` and
//! `.../documents` send an uploaded one.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use multiline_domain::api::{MediaInfo, Message, SendDocumentRequest, SendPictureRequest};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{MediaId, ThreadId};
use multiline_domain::policy::{self, Attachment, Refusal};

use super::{ApiError, ApiJson, ApiPath, Auth};
use crate::ctx::Ctx;
use crate::usecases::{media, send};

/// The largest picture accepted: the Cloud API's image limit (the domain's rule).
pub const MAX_PICTURE_BYTES: usize = policy::MAX_WHATSAPP_IMAGE_BYTES as usize;

fn too_large() -> ApiError {
    ApiError::Refused(Refusal::ImageTooLarge)
}

/// The largest document accepted: the Cloud API's document limit (the domain's rule).
pub const MAX_DOCUMENT_BYTES: usize = policy::MAX_WHATSAPP_DOCUMENT_BYTES as usize;

/// Whether `bytes` are what a document of type `mime` starts with: a PDF's `%PDF-`, the
/// ZIP of an Office Open XML file, the compound file of an older Office file, UTF-8 text.
fn looks_like(mime: &str, bytes: &[u8]) -> bool {
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    match mime {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "text/plain" => std::str::from_utf8(bytes).is_ok(),
        m if m.contains("openxmlformats") => bytes.starts_with(b"PK\x03\x04"),
        _ => bytes.starts_with(OLE),
    }
}

/// A document upload (its `Content-Type` one WhatsApp takes): read up to 100 MB, its bytes
/// checked against its type.
async fn upload_document(
    ctx: Ctx,
    auth: Auth,
    mime: &'static str,
    body: Body,
) -> Result<(StatusCode, Json<MediaInfo>), ApiError> {
    let too_large = || ApiError::Refused(Refusal::DocumentTooLarge);
    let bytes = axum::body::to_bytes(body, MAX_DOCUMENT_BYTES)
        .await
        .map_err(|_| too_large())?;
    if bytes.is_empty() || !looks_like(mime, &bytes) {
        return Err(ApiError::BadRequest {
            code: ErrorCode::NotADocument,
            message: format!("The file is not a readable {mime} document."),
        });
    }
    let info = ctx
        .run(move |env| media::put_upload(env, auth.caller, mime, (0, 0), &bytes))
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(post, path = "/v1/media", tag = "media", security(("bearer" = [])), request_body(content = Vec<u8>, content_type = "image/jpeg", description = "A JPEG or PNG picture, at most 5 MB; or a document (`Content-Type` application/pdf, text/plain, or a Word, Excel or PowerPoint type), at most 100 MB."), responses((status = 201, body = MediaInfo), (status = 413, description = "`image_too_large`, `document_too_large`", body = super::ErrorBody), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_an_image`, `corrupt_image`, `not_a_document`.", body = super::ErrorBody)))]
pub async fn upload(
    State(ctx): State<Ctx>,
    auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<MediaInfo>), ApiError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(mime) = declared.and_then(|d| {
        policy::WHATSAPP_DOCUMENT_TYPES
            .iter()
            .map(|(_, m)| *m)
            .find(|m| *m == d)
    }) {
        if headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES)
        {
            return Err(ApiError::Refused(Refusal::DocumentTooLarge));
        }
        return upload_document(ctx, auth, mime, body).await;
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_PICTURE_BYTES)
    {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_PICTURE_BYTES)
        .await
        .map_err(|_| too_large())?;
    let limits = multiline_photo::Limits {
        max_input_bytes: MAX_PICTURE_BYTES,
        ..Default::default()
    };
    let header = multiline_photo::inspect(&bytes, &limits).map_err(|e| match e.code() {
        ErrorCode::UnsupportedImage => ApiError::Refused(Refusal::NotAnImage),
        code => ApiError::BadRequest {
            code,
            message: e.to_string(),
        },
    })?;
    let mime = header.mime_type();
    policy::check_picture(Attachment {
        mime_type: mime,
        bytes: bytes.len() as u64,
    })
    .map_err(ApiError::Refused)?;
    let size = (header.width, header.height);
    let info = ctx
        .run(move |env| media::put_upload(env, auth.caller, mime, size, &bytes))
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(get, path = "/v1/media/{id}", tag = "media", security(("bearer" = [])), params(("id" = MediaId, Path)), responses((status = 200, description = "The picture's bytes.", content_type = "image/jpeg", body = Vec<u8>), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `not_found` (also for a picture the caller may not see).", body = super::ErrorBody)))]
pub async fn download(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<MediaId>,
) -> Result<Response, ApiError> {
    let media = ctx
        .run(move |env| media::media_for(env, auth.caller, id))
        .await?;
    let (content_type, inline) = served_type(&media.info.mime_type, &media.bytes);
    let disposition = if inline { "inline" } else { "attachment" };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_DISPOSITION, disposition.to_owned()),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
        ],
        media.bytes,
    )
        .into_response())
}

/// Pictures, audio and video a web view may show in place (never SVG or HTML: a guest
/// chooses a file's declared type).
const INLINE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "audio/ogg",
    "audio/opus",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/amr",
    // Voicemail recordings (the carrier's).
    "audio/wav",
    "audio/x-wav",
    "video/mp4",
    "video/3gpp",
];

/// Documents served with their own type (as attachments).
const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/zip",
];

/// The `Content-Type` a stored file is served with, and whether it may be shown in place.
/// The declared type is a guest's word: a picture, audio or video type from a short list is
/// served as such (its parameters kept, `audio/ogg; codecs=opus`); a document type from a
/// short list (or an Office one) as an attachment; anything else as
/// `application/octet-stream`, an attachment. A picture, audio or video type is served in
/// place only when the bytes are one (sniffed): a "picture" that is something else is an
/// attachment of no type. Always with `nosniff`.
pub fn served_type(declared: &str, bytes: &[u8]) -> (String, bool) {
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let tidy = declared.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if INLINE_TYPES.contains(&essence.as_str()) {
        if !same_kind(&essence, bytes) {
            return ("application/octet-stream".to_owned(), false);
        }
        let t = if tidy { declared.to_owned() } else { essence };
        (t, true)
    } else if DOCUMENT_TYPES.contains(&essence.as_str())
        || essence.starts_with("application/vnd.openxmlformats-officedocument.")
    {
        (essence, false)
    } else {
        ("application/octet-stream".to_owned(), false)
    }
}

/// Whether `bytes` are what `essence` declares them to be: a picture for `image/`, a sound
/// or a film for `audio/` and `video/` (one container holds either).
fn same_kind(essence: &str, bytes: &[u8]) -> bool {
    use infer::MatcherType::{Audio, Image, Video};
    let Some(found) = infer::get(bytes) else {
        return false;
    };
    match essence.split('/').next() {
        Some("image") => found.matcher_type() == Image,
        Some("audio" | "video") => matches!(found.matcher_type(), Audio | Video),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::served_type;

    #[test]
    fn a_guests_declared_type_is_served_only_from_short_lists() {
        let cases = [
            ("image/jpeg", "image/jpeg", true),
            ("audio/ogg; codecs=opus", "audio/ogg; codecs=opus", true),
            ("Video/MP4", "Video/MP4", true),
            ("application/pdf", "application/pdf", false),
            ("text/html", "application/octet-stream", false),
            ("image/svg+xml", "application/octet-stream", false),
            (
                "application/x-msdownload",
                "application/octet-stream",
                false,
            ),
            (
                "image/png\r\nSet-Cookie: a=b",
                "application/octet-stream",
                false,
            ),
        ];
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        let ogg = *b"OggS\0\x02\0\0\0\0\0\0\0\0";
        let mp4 = *b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
        let pdf = *b"%PDF-1.7\n";
        for (declared, served, inline) in cases {
            let bytes: &[u8] = match declared.to_ascii_lowercase() {
                d if d.starts_with("image/") => &jpeg,
                d if d.starts_with("audio/") => &ogg,
                d if d.starts_with("video/") => &mp4,
                _ => &pdf,
            };
            assert_eq!(
                served_type(declared, bytes),
                (served.to_owned(), inline),
                "{declared}"
            );
        }
        // A declared picture that is a web page is an attachment of no type.
        assert_eq!(
            served_type("image/jpeg", b"<html><script>alert(1)</script>"),
            ("application/octet-stream".to_owned(), false)
        );
        assert_eq!(
            served_type("audio/ogg", &jpeg),
            ("application/octet-stream".to_owned(), false)
        );
    }
}

/// Queues an uploaded picture; answers 202 with the stored message. Idempotent on
/// `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/pictures", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = SendPictureRequest, responses((status = 202, description = "Queued (`sending`).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unknown_media`, `media_already_sent`, `caption_too_long`, `not_found`, and the refusals of a text send.", body = super::ErrorBody)))]
pub async fn send(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendPictureRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (message, told) = ctx
        .run(move |env| {
            send::send_picture(
                env,
                auth.caller,
                id,
                req.client_id,
                req.media_id,
                req.caption.as_deref(),
            )
        })
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}

/// Queues an uploaded document with its file name; answers 202 with the stored message.
/// Idempotent on `client_id`.
#[utoipa::path(post, path = "/v1/threads/{id}/documents", tag = "messages", security(("bearer" = [])), params(("id" = ThreadId, Path)), request_body = SendDocumentRequest, responses((status = 202, description = "Queued (`sending`).", body = Message), (status = "4XX", description = "Refused: `{\"error\": {\"code\", \"message\"}}` with a stable code: `unknown_media`, `media_already_sent`, `not_a_document`, `caption_too_long`, `invalid_request` (no file name), `not_found`, and the refusals of a text send.", body = super::ErrorBody)))]
pub async fn send_document(
    State(ctx): State<Ctx>,
    auth: Auth,
    ApiPath(id): ApiPath<ThreadId>,
    ApiJson(req): ApiJson<SendDocumentRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (message, told) = ctx
        .run(move |env| send::send_document(env, auth.caller, id, &req))
        .await?;
    ctx.tell(told);
    ctx.dispatch.notify_one();
    Ok((StatusCode::ACCEPTED, Json(message)))
}
