//! Pictures chosen in the app (file dialog, drag-and-drop, paste, camera) go through the
//! photo pipeline (`multiline-photo`) on a blocking thread, with progress pushed to the UI,
//! and are kept in the account's `media/` folder until sent.

use std::path::PathBuf;

use base64::Engine;
use multiline_domain::errors::ErrorCode;
use multiline_photo::{Options, Photo, PhotoError, Stage};

use crate::view::{PhotoProgress, PreparedPhoto, UiEvent};
use crate::{ClientError, Inner};

/// Where a picture comes from.
#[derive(Debug, Clone)]
pub enum PhotoSource {
    /// A file the user picked or dropped.
    File(PathBuf),
    /// Bytes pasted or taken by the camera.
    Bytes(Vec<u8>),
}

impl From<PhotoError> for ClientError {
    fn from(e: PhotoError) -> ClientError {
        ClientError::Invalid {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub(crate) async fn prepare(
    inner: &std::sync::Arc<Inner>,
    media_dir: PathBuf,
    source: PhotoSource,
) -> crate::Result<PreparedPhoto> {
    let id = inner.ids.next_uuid().to_string();
    let events = inner.events.clone();
    let progress_id = id.clone();
    let limits = Options::default().limits;
    let photo: Photo = tokio::task::spawn_blocking(move || -> crate::Result<Photo> {
        let bytes = match source {
            PhotoSource::Bytes(bytes) => bytes,
            PhotoSource::File(path) => read_file(&path, limits.max_input_bytes)?,
        };
        Ok(multiline_photo::process(
            &bytes,
            &Options::default(),
            |stage: Stage| {
                let _ = events.send(UiEvent::PhotoProgress {
                    progress: PhotoProgress {
                        id: progress_id.clone(),
                        percent: (stage.fraction() * 100.0).round() as u8,
                    },
                });
            },
        )?)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;

    let file = media_dir.join(format!("{id}.jpg"));
    let thumbnail = media_dir.join(format!("{id}.thumb.jpg"));
    let (f, t) = (file.clone(), thumbnail.clone());
    let (image, thumb) = (photo.image.bytes.clone(), photo.thumbnail.bytes.clone());
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(f.parent().expect("media files live in a folder"))?;
        std::fs::write(&f, image)?;
        std::fs::write(&t, thumb)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    .map_err(|e| ClientError::Invalid {
        code: ErrorCode::MediaWriteFailed,
        message: format!("The picture could not be saved on this device: {e}"),
    })?;
    let (media_id, w, h, n) = (
        id.clone(),
        photo.image.width,
        photo.image.height,
        photo.image.bytes.len(),
    );
    let now = inner.clock.now();
    inner
        .cache(move |c| c.put_media(&media_id, &file, &thumbnail, w, h, n, now))
        .await?;
    Ok(PreparedPhoto {
        id,
        width: photo.image.width,
        height: photo.image.height,
        bytes: photo.image.bytes.len() as u32,
        thumbnail: format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&photo.thumbnail.bytes)
        ),
    })
}

/// Reads a picked file, refusing one over the limit before reading it.
fn read_file(path: &std::path::Path, max: usize) -> crate::Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| ClientError::Invalid {
        code: ErrorCode::FileUnreadable,
        message: format!("The file could not be read: {e}"),
    };
    let len = std::fs::metadata(path).map_err(unreadable)?.len();
    if len > max as u64 {
        return Err(PhotoError::FileTooLarge {
            mb: (len as usize).div_ceil(1024 * 1024),
            max_mb: max / (1024 * 1024),
        }
        .into());
    }
    std::fs::read(path).map_err(unreadable)
}
