//! Files of messages (pictures, voice notes, videos, documents, recordings): fetched once from
//! the connector and kept in the account's `media/` folder with their type, then handed to
//! the web view as `data:` URLs, or as files to open with the system's app or to save where
//! the user chooses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::MediaId;

use crate::{ClientError, Inner};

/// Files an earlier version kept, named by extension.
const LEGACY_TYPES: [(&str, &str); 3] = [
    ("jpg", "image/jpeg"),
    ("png", "image/png"),
    ("wav", "audio/wav"),
];

/// A medium's file in the cache (fetched from the connector the first time) and its type.
pub(crate) async fn cached(
    inner: &Arc<Inner>,
    media_dir: &Path,
    id: MediaId,
) -> crate::Result<(PathBuf, String)> {
    let key = id.to_string();
    // A picture prepared here and not sent yet.
    if let Some(file) = inner.cache(move |c| c.media_file(&key)).await?
        && tokio::fs::try_exists(&file).await.unwrap_or(false)
    {
        return Ok((file, "image/jpeg".to_owned()));
    }
    for (ext, mime) in LEGACY_TYPES {
        let file = media_dir.join(format!("{id}.{ext}"));
        if tokio::fs::try_exists(&file).await.unwrap_or(false) {
            return Ok((file, mime.to_owned()));
        }
    }
    let (file, type_file) = (
        media_dir.join(format!("{id}.bin")),
        media_dir.join(format!("{id}.type")),
    );
    if let (Ok(true), Ok(mime)) = (
        tokio::fs::try_exists(&file).await,
        tokio::fs::read_to_string(&type_file).await,
    ) {
        return Ok((file, mime));
    }
    let (bytes, mime) = inner.api.media(id).await?;
    // As a `data:` URL takes it; a carrier's `audio/x-wav` (a voicemail) as `audio/wav`.
    let mime: String = match mime
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
    {
        wav if wav.starts_with("audio/x-wav") => "audio/wav".to_owned(),
        other => other,
    };
    // Written whole, then named: a crash never leaves half a file under the final name.
    let store = async {
        tokio::fs::create_dir_all(media_dir).await?;
        let partial = media_dir.join(format!("{id}.part"));
        tokio::fs::write(&partial, &bytes).await?;
        tokio::fs::write(&type_file, &mime).await?;
        tokio::fs::rename(&partial, &file).await
    };
    store
        .await
        .map_err(|e| failed(ErrorCode::MediaWriteFailed, format!("keeping a file: {e}")))?;
    Ok((file, mime))
}

/// A medium as a `data:` URL for the web view.
pub(crate) async fn data_url(
    inner: &Arc<Inner>,
    media_dir: &Path,
    id: MediaId,
) -> crate::Result<String> {
    let (file, mime) = cached(inner, media_dir, id).await?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| failed(ErrorCode::FileUnreadable, format!("reading a file: {e}")))?;
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// A copy of a medium named `filename` (made safe), in `dir/<id>/`: what the system's app
/// opens, under the name its sender gave it.
pub(crate) async fn named_copy(
    inner: &Arc<Inner>,
    media_dir: &Path,
    open_dir: &Path,
    id: MediaId,
    filename: &str,
) -> crate::Result<PathBuf> {
    let (file, _) = cached(inner, media_dir, id).await?;
    let dir = open_dir.join(id.to_string());
    let copy = dir.join(safe_file_name(filename));
    let io = |e: std::io::Error| {
        failed(
            ErrorCode::MediaWriteFailed,
            format!("preparing the file to open: {e}"),
        )
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    tokio::fs::copy(&file, &copy).await.map_err(io)?;
    Ok(copy)
}

/// Writes a medium to `to` (where the user chose to save it).
pub(crate) async fn save(
    inner: &Arc<Inner>,
    media_dir: &Path,
    id: MediaId,
    to: &Path,
) -> crate::Result<()> {
    let (file, _) = cached(inner, media_dir, id).await?;
    tokio::fs::copy(&file, to)
        .await
        .map(|_| ())
        .map_err(|e| failed(ErrorCode::MediaWriteFailed, format!("saving the file: {e}")))
}

fn failed(code: ErrorCode, message: String) -> ClientError {
    tracing::warn!(%message, "media file");
    ClientError::Invalid { code, message }
}

/// A file name a guest chose, made safe to write: no folders, no control characters, no
/// leading dots, at most 120 characters; "document" when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        return "document".to_owned();
    }
    let mut out: String = clean.chars().take(120).collect();
    // Keep the extension when the name was cut.
    if clean.chars().count() > 120
        && let Some(ext) = Path::new(clean).extension().and_then(|e| e.to_str())
        && ext.len() <= 10
    {
        out = out.chars().take(119 - ext.len()).collect();
        out.push('.');
        out.push_str(ext);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn a_senders_file_name_is_made_safe_to_write() {
        let cases = [
            ("invoice.pdf", "invoice.pdf"),
            ("../../.ssh/authorized_keys", "authorized_keys"),
            ("C:\\Users\\x\\report.xlsx", "report.xlsx"),
            ("..hidden", "hidden"),
            ("  ", "document"),
            ("a\u{0}b\nc?.pdf", "abc.pdf"),
            ("..", "document"),
        ];
        for (given, safe) in cases {
            assert_eq!(safe_file_name(given), safe, "{given:?}");
        }
        let long = format!("{}.pdf", "x".repeat(300));
        let cut = safe_file_name(&long);
        assert_eq!(cut.chars().count(), 120);
        assert!(cut.ends_with(".pdf"));
    }
}
