//! The Graph API endpoints: `POST /{version}/{phone-number-id}/messages`,
//! `GET /{version}/{waba-id}/message_templates`, media upload (`POST .../media`), lookup
//! (`GET /{version}/{media-id}`) and the short-lived download URL, with Meta's error shapes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use multiline_domain::window::WINDOW;
use serde_json::{Value, json};

pub(crate) use crate::graph_error::GraphError;
use crate::state::{Fault, Received, SimState};

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/{version}/{phone_number_id}/messages", post(send))
        .route("/{version}/{waba_id}/message_templates", get(templates))
        .route("/{version}/{phone_number_id}/media", post(upload_media))
        .route("/{version}/{media_id}", get(media_lookup))
        .route("/media-download/{token}", get(media_download))
        .route("/whatsapp_business/attachments/", get(attachment))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            check_version,
        ))
        // Uploads up to the 100 MB document limit plus the multipart framing; larger ones
        // get Meta's error rather than a bare 413.
        .layer(axum::extract::DefaultBodyLimit::max(
            DOCUMENT_LIMIT + 1024 * 1024,
        ))
        .with_state(state)
}

/// Paths that name no Graph API version (the download links and the attachments page).
const UNVERSIONED: [&str; 2] = ["media-download", "whatsapp_business"];

/// The Graph API version in the path, against Meta's schedule on the simulator's clock: a
/// version that has ended (v21.0 from 21 January 2027) or is not written as Meta writes them
/// is refused. Meta's Graph API generally answers calls to an ended version as the oldest
/// one still available, and refuses the calls that changed since; the simulator refuses
/// every call, the stricter case, so that the connector's handling of it is tested
/// (code 2635, "deprecated version", which the connector treats as the line being blocked
/// until an admin moves it).
async fn check_version(
    State(state): State<Arc<SimState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let first = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    if UNVERSIONED.contains(&first.as_str()) {
        return next.run(request).await;
    }
    let today = state.clock.now().date_naive();
    match multiline_domain::graph_version::standing(&first, today) {
        Ok(multiline_domain::graph_version::Standing::Ended { .. }) => {
            *state
                .world()
                .refused_versions
                .entry(first.clone())
                .or_default() += 1;
            GraphError::new(
                StatusCode::BAD_REQUEST,
                2635,
                format!(
                    "You are calling a deprecated version of the Graph API ({first}). Please \
                 update to the latest version: v{}.0.",
                    multiline_domain::graph_version::VERSIONS[0].major
                ),
            )
            .into_response()
        }
        Ok(_) => next.run(request).await,
        Err(_) => GraphError::invalid(format!(
            "Unknown path components: /{first} is not a Graph API version"
        ))
        .into_response(),
    }
}

/// How long a download link lives (Meta: "a few minutes").
const DOWNLOAD_LINK_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

fn media_error(details: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, 131053, details)
}

/// `POST /{phone-number-id}/media`: multipart with `messaging_product`, `type` and `file`.
/// Meta's limit for a document: 100 MB.
const DOCUMENT_LIMIT: usize = 100 * 1024 * 1024;

async fn upload_media(
    State(state): State<Arc<SimState>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    play_fault(&state).await?;
    if phone_number_id != state.config.phone_number_id {
        return Err(GraphError::unknown_object("post", &phone_number_id));
    }
    let (mut product, mut kind, mut file) = (None, None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| GraphError::invalid(format!("Malformed multipart body: {e}")))?
    {
        match field.name() {
            Some("messaging_product") => product = field.text().await.ok(),
            Some("type") => kind = field.text().await.ok(),
            Some("file") => {
                let declared = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| media_error(format!("The file could not be read: {e}")))?;
                file = Some((declared, bytes));
            }
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return Err(GraphError::invalid(
            "(#100) The parameter messaging_product is required.",
        ));
    }
    let kind = kind.ok_or_else(|| GraphError::invalid("(#100) The parameter type is required."))?;
    let (_, bytes) =
        file.ok_or_else(|| GraphError::invalid("(#100) The parameter file is required."))?;
    // Meta's supported media types (images 5 MB; documents 100 MB), checked by their bytes.
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
    let (magic_ok, limit, what) = match kind.as_str() {
        "image/jpeg" => (
            bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            crate::state::IMAGE_LIMIT,
            "images",
        ),
        "image/png" => (
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            crate::state::IMAGE_LIMIT,
            "images",
        ),
        "application/pdf" => (bytes.starts_with(b"%PDF-"), DOCUMENT_LIMIT, "documents"),
        "text/plain" => (
            std::str::from_utf8(&bytes).is_ok(),
            DOCUMENT_LIMIT,
            "documents",
        ),
        k if k.starts_with("application/vnd.openxmlformats-officedocument.") => (
            bytes.starts_with(b"PK\x03\x04"),
            DOCUMENT_LIMIT,
            "documents",
        ),
        "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => {
            (bytes.starts_with(OLE), DOCUMENT_LIMIT, "documents")
        }
        other => return Err(media_error(format!("Unsupported media type: {other}"))),
    };
    if !magic_ok {
        return Err(media_error(format!("The file is not a valid {kind}")));
    }
    if bytes.len() > limit {
        return Err(media_error(format!(
            "The file is {} bytes: {what} may be at most {} MB",
            bytes.len(),
            limit / (1024 * 1024)
        )));
    }
    let id = state.store_media(bytes.to_vec(), &kind);
    Ok(Json(json!({ "id": id })))
}

/// During a planned media outage: Meta's "Service temporarily unavailable".
fn media_outage(state: &SimState) -> Result<(), GraphError> {
    let now = state.clock.now();
    match state.world().media_down_until {
        Some(until) if now < until => Err(GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            "Service temporarily unavailable",
        )),
        _ => Ok(()),
    }
}

/// `GET /{media-id}`: the metadata and a short-lived download URL; the SHA-256 in hex
/// (webhooks give it in base64).
async fn media_lookup(
    State(state): State<Arc<SimState>>,
    Path((_version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    play_fault(&state).await?;
    media_outage(&state)?;
    let now = state.clock.now();
    let mut world = state.world();
    let media = world
        .media
        .get(&media_id)
        .cloned()
        .ok_or_else(|| GraphError::unknown_object("get", &media_id))?;
    let token = crate::opaque_id().to_string();
    world.downloads.insert(
        token.clone(),
        (media_id.clone(), now + DOWNLOAD_LINK_LIFETIME),
    );
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}/media-download/{token}"),
        "mime_type": media.mime_type,
        "sha256": hex::encode(media.sha256),
        "file_size": media.bytes.len(),
        "id": media_id,
    })))
}

/// The download URL: bearer token required, expires after a few minutes.
async fn media_download(
    State(state): State<Arc<SimState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    check_token(&state, &headers)?;
    media_outage(&state)?;
    let now = state.clock.now();
    let world = state.world();
    let media = world
        .downloads
        .get(&token)
        .filter(|(_, expires)| now < *expires)
        .and_then(|(id, _)| world.media.get(id))
        .ok_or_else(|| GraphError::new(StatusCode::NOT_FOUND, 100, "The URL has expired"))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, media.mime_type.clone())],
        media.bytes.clone(),
    )
        .into_response())
}

#[derive(serde::Deserialize)]
struct Attachment {
    mid: String,
}

/// The download link a media webhook carries (`url`): bearer token required.
async fn attachment(
    State(state): State<Arc<SimState>>,
    axum::extract::Query(q): axum::extract::Query<Attachment>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    check_token(&state, &headers)?;
    media_outage(&state)?;
    let world = state.world();
    let media = world
        .media
        .get(&q.mid)
        .ok_or_else(|| GraphError::new(StatusCode::NOT_FOUND, 100, "Unknown media"))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, media.mime_type.clone())],
        media.bytes.clone(),
    )
        .into_response())
}

fn check_token(state: &SimState, headers: &HeaderMap) -> Result<(), GraphError> {
    let expected = format!("Bearer {}", state.config.access_token);
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(got) if got == expected => Ok(()),
        _ => Err(GraphError::new(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )),
    }
}

/// `POST /{version}/{phone-number-id}/messages`. Like Meta's servers, the simulator goes on
/// with a send whose caller stopped waiting (a timeout): the work runs to its end on its
/// own task, and only its answer is lost.
async fn send(
    State(state): State<Arc<SimState>>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    tokio::spawn(send_on(state, (version, phone_number_id), headers, body))
        .await
        .unwrap_or_else(|e| {
            Err(GraphError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                2,
                format!("The simulator failed: {e}"),
            ))
        })
}

async fn send_on(
    state: Arc<SimState>,
    (_version, phone_number_id): (String, String),
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    let mut late = play_fault(&state).await?;
    if phone_number_id != state.config.phone_number_id {
        return Err(GraphError::unknown_object("post", &phone_number_id));
    }
    let request: Value = serde_json::from_slice(&body)
        .map_err(|_| GraphError::invalid("The request body is not valid JSON"))?;
    if request["messaging_product"] != "whatsapp" {
        return Err(GraphError::invalid(
            "(#100) The parameter messaging_product is required.",
        ));
    }
    // Mark-as-read shares the endpoint.
    if request["status"] == "read" {
        return Ok(Json(json!({ "success": true })));
    }
    // `to` (a number, with or without `+`) wins over `recipient` (a business-scoped user
    // id), as Meta documents.
    let to = match (request["to"].as_str(), request["recipient"].as_str()) {
        (Some(to), _) if !to.trim_start_matches('+').is_empty() => {
            to.trim_start_matches('+').to_owned()
        }
        (_, Some(user_id)) => state
            .world()
            .guests
            .values()
            .find(|g| g.user_id == user_id)
            .map(|g| g.wa_id.clone())
            .ok_or_else(|| {
                GraphError::new(
                    StatusCode::BAD_REQUEST,
                    131026,
                    "Message undeliverable: no WhatsApp user has this user id",
                )
            })?,
        _ => {
            return Err(GraphError::invalid("(#100) The parameter to is required."));
        }
    };
    let kind = request["type"].as_str().unwrap_or("text").to_owned();
    let text = match kind.as_str() {
        "template" => check_template(&state, &request["template"])?,
        other => crate::outbound::check(&state, other, &request)?,
    };
    let now = state.clock.now();
    let template_category = (kind == "template")
        .then(|| {
            let name = request["template"]["name"].as_str().unwrap_or_default();
            state
                .world()
                .templates
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.category.clone())
        })
        .flatten();
    let reachable = !state.world().unreachable.contains(&to);
    let buttons = if kind == "template" {
        crate::outbound::button_labels(&state, &request["template"])
    } else {
        Vec::new()
    };
    let (wamid, chat_open, quiet, user_id) = {
        let mut world = state.world();
        let wamid = world.wamid();
        let quiet = world.quiet_statuses;
        // A number not on WhatsApp: accepted, then `failed` with 131026 (Meta's usual way;
        // it answers 131026 at once only sometimes).
        let Some(guest) = world.guests.get_mut(&to) else {
            drop(world);
            state.failed(&wamid, &to, 131026);
            return Ok(Json(accepted(&request, &to, None, &wamid, &kind)));
        };
        // Meta's rule: free-form only within 24 h of the guest's last message; outside it
        // the send is accepted and fails moments later with 131047.
        let in_window = guest.last_message_at.is_some_and(|at| now < at + WINDOW);
        if kind != "template" && !in_window {
            late = Some(131047);
        }
        if let Some(code) = late {
            let user_id = guest.user_id.clone();
            drop(world);
            state.failed(&wamid, &to, code);
            return Ok(Json(accepted(&request, &to, Some(&user_id), &wamid, &kind)));
        }
        let chat_open = guest.chat_open_until.is_some_and(|until| now < until);
        guest.received.push(Received {
            wamid: wamid.clone(),
            at: now,
            kind: kind.clone(),
            text,
            request: request.clone(),
            // Read at once with the chat open; never, off the network.
            read: chat_open || !reachable,
            buttons: buttons.clone(),
        });
        (wamid, chat_open, quiet, guest.user_id.clone())
    };
    // Acceptance is not delivery: statuses follow as webhooks, in order. A phone off the
    // network never gets it: `failed` with 131026. A guest with the chat open reads it at
    // once: `read` comes with no `delivered` before it (as Meta's may).
    if !quiet {
        let category = template_category.as_deref();
        state.status(&wamid, &to, "sent", category);
        match (reachable, chat_open) {
            (false, _) => state.status(&wamid, &to, "failed", None),
            (true, true) => state.status(&wamid, &to, "read", None),
            (true, false) => state.status(&wamid, &to, "delivered", category),
        }
    }
    Ok(Json(accepted(&request, &to, Some(&user_id), &wamid, &kind)))
}

/// Meta's answer to an accepted send: the contact as asked for, the wamid, and for a
/// template its `message_status` (`accepted`; paced templates would say
/// `held_for_quality_assessment`).
fn accepted(request: &Value, to: &str, user_id: Option<&str>, wamid: &str, kind: &str) -> Value {
    let contact = if request["to"].is_string() {
        json!({ "input": request["to"], "wa_id": to })
    } else {
        json!({ "input": request["recipient"], "user_id": user_id })
    };
    let mut message = json!({ "id": wamid });
    if kind == "template" {
        message["message_status"] = json!("accepted");
    }
    json!({
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [message]
    })
}

/// Plays the next injected fault, if any: an error answer, or a delay before going on. A
/// late failure goes on too, answering the code the send must fail with by webhook.
async fn play_fault(state: &SimState) -> Result<Option<u32>, GraphError> {
    // Watched before the fault is taken, so a release right after it is not missed.
    let mut releases = state.releases.subscribe();
    let seen = *releases.borrow_and_update();
    match state.next_fault() {
        None => Ok(None),
        Some(Fault::Late { code }) => Ok(Some(code)),
        Some(Fault::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(None)
        }
        Some(Fault::Hold) => {
            // The sender lives in `state`, as long as this call.
            let _ = releases.wait_for(|n| *n != seen).await;
            Ok(None)
        }
        Some(Fault::ServerError) => Err(GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            "Service temporarily unavailable",
        )),
        Some(Fault::RateLimit) => Err(GraphError::new(
            StatusCode::TOO_MANY_REQUESTS,
            130429,
            "Rate limit hit: too many messages sent from this phone number",
        )),
        Some(Fault::Error { code, status }) => Err(GraphError::new(
            status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::BAD_REQUEST),
            code,
            format!("Injected error {code}"),
        )),
    }
}

/// Looks the template up like Meta does (name + language) and checks its status and
/// parameters (see `outbound::check_template_components`). Returns the body as the guest
/// reads it, filled.
fn check_template(state: &SimState, template: &Value) -> Result<String, GraphError> {
    let name = template["name"].as_str().unwrap_or_default();
    let language = template["language"]["code"].as_str().unwrap_or_default();
    let found = {
        let world = state.world();
        world
            .templates
            .iter()
            .find(|t| t.name == name && t.language == language)
            .cloned()
    };
    let found = found.ok_or_else(|| {
        GraphError::new(
            StatusCode::NOT_FOUND,
            132001,
            format!("Template name does not exist in the translation: {name} ({language})"),
        )
    })?;
    let refused = |code, why: &str| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("Template is {why}: {name}"),
        )
    };
    match found.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => return Err(refused(132015, "paused")),
        "DISABLED" => return Err(refused(132016, "disabled")),
        _ => return Err(refused(132001, "not approved")),
    }
    crate::outbound::check_template_components(&found, template)?;
    Ok(crate::outbound::filled_body(&found, template))
}

#[derive(serde::Deserialize)]
struct ListingQuery {
    /// `summary=total_count`: Meta adds `{"summary": {"total_count": N}}`.
    #[serde(default)]
    summary: Option<String>,
}

/// `GET /{version}/{waba-id}/message_templates`: every template with its components (and
/// each variable's `example`), one page; `summary` when asked for.
async fn templates(
    State(state): State<Arc<SimState>>,
    Path((_version, waba_id)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<ListingQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_token(&state, &headers)?;
    if waba_id != state.config.waba_id {
        return Err(GraphError::unknown_object("get", &waba_id));
    }
    let templates = {
        let mut world = state.world();
        world.template_listings += 1;
        world.templates.clone()
    };
    let data = serde_json::to_value(&templates).expect("templates serialize");
    let mut answer =
        json!({ "data": data, "paging": { "cursors": { "before": "", "after": "" } } });
    if query
        .summary
        .is_some_and(|s| s.split(',').any(|f| f.trim() == "total_count"))
    {
        answer["summary"] = json!({ "total_count": templates.len() });
    }
    Ok(Json(answer))
}
