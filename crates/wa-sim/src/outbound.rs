//! What a business may send, checked as the Cloud API checks it (Meta's "Messages" reference:
//! developers.facebook.com/documentation/business-messaging/whatsapp/messages): each type's
//! shape and limits. Answers what the guest phone shows for it.

use axum::http::StatusCode;
use serde_json::Value;

use crate::graph_error::GraphError;
use crate::state::SimState;

/// A text body: up to 4,096 characters.
const MAX_TEXT: usize = 4096;
/// A media caption: up to 1,024 characters.
const MAX_CAPTION: usize = 1024;

fn required(what: &str) -> GraphError {
    GraphError::invalid(format!("(#100) The parameter {what} is required."))
}

fn too_long(what: &str, max: usize) -> GraphError {
    GraphError::invalid(format!(
        "(#100) Param {what} must be at most {max} characters long."
    ))
}

/// A media object: by `id` (an uploaded file of this number) or by `link` (https).
fn media(state: &SimState, kind: &str, m: &Value) -> Result<(), GraphError> {
    match (m["id"].as_str(), m["link"].as_str()) {
        (Some(id), _) => {
            if !state.world().media.contains_key(id) {
                return Err(GraphError::new(
                    StatusCode::BAD_REQUEST,
                    100,
                    format!("(#100) Invalid parameter: media id '{id}' does not exist"),
                ));
            }
        }
        (None, Some(link)) => {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(GraphError::invalid(format!(
                    "(#100) Invalid parameter: {kind}['link'] is not a URL"
                )));
            }
        }
        (None, None) => return Err(required(&format!("{kind}['id'] or {kind}['link']"))),
    }
    if let Some(caption) = m["caption"].as_str()
        && caption.chars().count() > MAX_CAPTION
    {
        return Err(too_long(&format!("{kind}['caption']"), MAX_CAPTION));
    }
    Ok(())
}

/// Checks one message of `kind` (not a template) and answers the text the guest reads.
pub(crate) fn check(state: &SimState, kind: &str, request: &Value) -> Result<String, GraphError> {
    let m = &request[kind];
    let text = match kind {
        "text" => {
            let body = m["body"]
                .as_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| required("text['body']"))?;
            if body.chars().count() > MAX_TEXT {
                return Err(too_long("text['body']", MAX_TEXT));
            }
            body.to_owned()
        }
        "image" | "video" | "audio" | "sticker" => {
            media(state, kind, m)?;
            m["caption"].as_str().unwrap_or_default().to_owned()
        }
        "document" => {
            media(state, kind, m)?;
            let name = m["filename"].as_str().unwrap_or("Untitled");
            match m["caption"].as_str() {
                Some(c) if !c.is_empty() => format!("📄 {name}: {c}"),
                _ => format!("📄 {name}"),
            }
        }
        "location" => {
            let lat = m["latitude"]
                .as_f64()
                .or_else(|| m["latitude"].as_str()?.parse().ok());
            let long = m["longitude"]
                .as_f64()
                .or_else(|| m["longitude"].as_str()?.parse().ok());
            match (lat, long) {
                (Some(lat), Some(long)) if lat.abs() <= 90.0 && long.abs() <= 180.0 => {
                    format!("📍 {}", m["name"].as_str().unwrap_or("Location"))
                }
                _ => return Err(required("location['latitude'] and location['longitude']")),
            }
        }
        "contacts" => {
            let cards = request["contacts"].as_array().filter(|c| !c.is_empty());
            let cards = cards.ok_or_else(|| required("contacts"))?;
            let names: Vec<&str> = cards
                .iter()
                .map(|c| c["name"]["formatted_name"].as_str())
                .collect::<Option<_>>()
                .ok_or_else(|| required("contacts['name']['formatted_name']"))?;
            format!("👤 {}", names.join(", "))
        }
        "reaction" => {
            m["message_id"]
                .as_str()
                .ok_or_else(|| required("reaction['message_id']"))?;
            m["emoji"].as_str().unwrap_or_default().to_owned()
        }
        "interactive" => {
            let body = m["body"]["text"]
                .as_str()
                .ok_or_else(|| required("interactive['body']['text']"))?;
            match m["type"].as_str() {
                Some("button") => {
                    let buttons = m["action"]["buttons"].as_array().map_or(0, Vec::len);
                    if !(1..=3).contains(&buttons) {
                        return Err(GraphError::invalid(
                            "(#100) Invalid parameter: interactive buttons must be 1 to 3",
                        ));
                    }
                }
                Some("list") => {
                    if m["action"]["sections"].as_array().is_none_or(Vec::is_empty) {
                        return Err(required("interactive['action']['sections']"));
                    }
                }
                Some("cta_url") => {}
                _ => return Err(required("interactive['type']")),
            }
            body.to_owned()
        }
        other => {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                131051,
                format!("Unsupported message type: {other}"),
            ));
        }
    };
    Ok(text)
}

/// The distinct `{{...}}` variables of a template text, in order.
fn variables(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !seen.contains(&name) {
            seen.push(name);
        }
        rest = &after[end + 2..];
    }
    seen
}

fn mismatch(details: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, 132012, details)
}

fn count(expected: usize) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        132000,
        format!("Number of parameters does not match the expected number of params ({expected})"),
    )
}

/// The `components` of a template send against the template as approved, as Meta checks
/// them: the header's file or place (132012 when missing or of another type), each text
/// part's parameter count (132000), named parameters for a NAMED template and none for a
/// POSITIONAL one (132012), no new line, tab or five spaces in a value (132018), and the
/// value of each URL button with a variable ending and each copy-code button (132000).
pub(crate) fn check_template_components(
    found: &crate::state::Template,
    request: &Value,
) -> Result<(), GraphError> {
    let listed = found.components.as_array().cloned().unwrap_or_default();
    let given = request["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sent = |kind: &str| given.iter().find(|c| c["type"] == kind);
    let named = found.parameter_format == "NAMED";
    for part in ["HEADER", "BODY"] {
        let Some(component) = listed.iter().find(|c| c["type"] == part) else {
            continue;
        };
        let params = sent(&part.to_ascii_lowercase())
            .and_then(|c| c["parameters"].as_array().cloned())
            .unwrap_or_default();
        let format = component["format"].as_str().unwrap_or("TEXT");
        if part == "HEADER" && format != "TEXT" {
            let want = format.to_ascii_lowercase();
            let ok = params.len() == 1
                && params[0]["type"] == want
                && (want == "location"
                    || params[0][&want]["id"].is_string()
                    || params[0][&want]["link"].is_string());
            if !ok {
                return Err(mismatch(format!(
                    "header: expected one {want} parameter with an id or a link"
                )));
            }
            continue;
        }
        let vars = variables(component["text"].as_str().unwrap_or_default());
        if params.len() != vars.len() {
            return Err(count(vars.len()));
        }
        for p in &params {
            let value = p["text"].as_str().unwrap_or_default();
            match (named, p["parameter_name"].as_str()) {
                (true, Some(n)) if vars.iter().any(|v| v == n) => {}
                (false, None) => {}
                _ => {
                    return Err(mismatch(format!(
                        "{}: parameter_name does not match the template's parameter format",
                        part.to_ascii_lowercase()
                    )));
                }
            }
            if value.contains(['\n', '\t']) || value.contains("     ") {
                return Err(GraphError::new(
                    StatusCode::BAD_REQUEST,
                    132018,
                    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                ));
            }
        }
    }
    let buttons = listed
        .iter()
        .find(|c| c["type"] == "BUTTONS")
        .and_then(|c| c["buttons"].as_array().cloned())
        .unwrap_or_default();
    for (i, button) in buttons.iter().enumerate() {
        let (sub_type, param) = match button["type"].as_str() {
            Some("URL") if button["url"].as_str().is_some_and(|u| u.contains("{{")) => {
                ("url", "text")
            }
            Some("COPY_CODE") => ("copy_code", "coupon_code"),
            _ => continue,
        };
        let ok = given.iter().any(|c| {
            c["type"] == "button"
                && c["sub_type"] == sub_type
                && c["index"].as_str() == Some(i.to_string().as_str())
                && c["parameters"][0][param].is_string()
        });
        if !ok {
            return Err(count(1));
        }
    }
    Ok(())
}

/// The template's body as the guest reads it: each `{{1}}` or `{{name}}` replaced by its
/// parameter's text (positional ones in order, named ones by `parameter_name`).
pub(crate) fn filled_body(found: &crate::state::Template, request: &Value) -> String {
    let listed = found.components.as_array().cloned().unwrap_or_default();
    let text = listed
        .iter()
        .find(|c| c["type"] == "BODY")
        .and_then(|c| c["text"].as_str())
        .unwrap_or_default()
        .to_owned();
    let params = request["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "body")
        .and_then(|c| c["parameters"].as_array().cloned())
        .unwrap_or_default();
    let mut out = text;
    for (i, name) in variables(&out.clone()).iter().enumerate() {
        let value = params
            .iter()
            .find(|p| p["parameter_name"].as_str() == Some(name.as_str()))
            .or_else(|| params.get(i))
            .and_then(|p| p["text"].as_str())
            .unwrap_or_default();
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

/// What the guest reads on a template's buttons (a copy-code button: "Copy offer code").
pub(crate) fn button_labels(state: &SimState, template: &Value) -> Vec<String> {
    let name = template["name"].as_str().unwrap_or_default();
    let language = template["language"]["code"].as_str().unwrap_or_default();
    let world = state.world();
    let Some(found) = world
        .templates
        .iter()
        .find(|t| t.name == name && t.language == language)
    else {
        return Vec::new();
    };
    found
        .components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "BUTTONS")
        .flat_map(|c| c["buttons"].as_array().cloned().unwrap_or_default())
        .map(|b| match b["text"].as_str() {
            Some(text) => text.to_owned(),
            None => "Copy offer code".to_owned(),
        })
        .collect()
}
