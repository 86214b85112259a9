//! Pictures: stored with their size and hash, readable by the uploader until sent, then by
//! the conversation's participants.

use multiline_domain::api::MediaInfo;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{MediaId, OrganizationId, ThreadId};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::{Caller, MediaStore, Result, SqliteStore, StoreError, micros};

/// What is known of a picture, for sending or showing it.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub info: MediaInfo,
    pub bytes: Vec<u8>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    tx: &Transaction<'_>,
    org: OrganizationId,
    thread: Option<ThreadId>,
    caller: Option<Caller>,
    mime_type: &str,
    (width, height): (u32, u32),
    bytes: &[u8],
    now: Timestamp,
) -> Result<MediaInfo> {
    let id = MediaId::random();
    tx.execute(
        "INSERT INTO media (id, org_id, thread_id, uploaded_by, mime_type, size, width, height, sha256, bytes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id.to_string(),
            org.to_string(),
            thread.map(|t| t.to_string()),
            caller.map(|c| c.user_id.to_string()),
            mime_type,
            bytes.len() as i64,
            width,
            height,
            hex::encode(Sha256::digest(bytes)),
            bytes,
            micros(now)
        ],
    )?;
    Ok(MediaInfo {
        id,
        mime_type: mime_type.to_owned(),
        size: bytes.len() as u64,
        width,
        height,
    })
}

/// Ties an uploaded picture to the thread it is sent in. Only its uploader may, once.
pub(crate) fn attach(
    tx: &Transaction<'_>,
    caller: Caller,
    media: MediaId,
    thread: ThreadId,
) -> Result<MediaInfo> {
    let row: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT thread_id, uploaded_by FROM media WHERE id = ?1 AND org_id = ?2",
            params![media.to_string(), caller.org_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((attached, uploader)) = row else {
        return Err(unknown_media());
    };
    if uploader.as_deref() != Some(caller.user_id.to_string().as_str()) {
        return Err(unknown_media());
    }
    match attached {
        Some(t) if t != thread.to_string() => {
            return Err(StoreError::Invalid {
                code: ErrorCode::MediaAlreadySent,
                message: "That picture was sent in another conversation: upload it again.".into(),
            });
        }
        Some(_) => {}
        None => {
            tx.execute(
                "UPDATE media SET thread_id = ?2 WHERE id = ?1",
                params![media.to_string(), thread.to_string()],
            )?;
        }
    }
    info(tx, media)
}

/// What is known of a picture, without its bytes.
fn info(tx: &Transaction<'_>, id: MediaId) -> Result<MediaInfo> {
    tx.query_row(
        "SELECT mime_type, size, width, height FROM media WHERE id = ?1",
        [id.to_string()],
        |r| {
            Ok(MediaInfo {
                id,
                mime_type: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                width: r.get(2)?,
                height: r.get(3)?,
            })
        },
    )
    .optional()?
    .ok_or(StoreError::NotFound)
}

fn unknown_media() -> StoreError {
    StoreError::Invalid {
        code: ErrorCode::UnknownMedia,
        message: "There is no such picture: upload it first.".into(),
    }
}

impl MediaStore for SqliteStore {
    /// Stores a picture a user uploaded (checked by the caller: format, size).
    fn put_upload(
        &self,
        caller: Caller,
        mime_type: &str,
        size: (u32, u32),
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<MediaInfo> {
        self.write(|tx| {
            insert(
                tx,
                caller.org_id,
                None,
                Some(caller),
                mime_type,
                size,
                bytes,
                now,
            )
        })
    }

    /// A picture as `caller` may see it: their own upload, or one in a thread they are in.
    /// Anything else is "not found", whether it exists or not.
    fn media_for(&self, caller: Caller, id: MediaId) -> Result<StoredMedia> {
        self.read(|tx| {
            let row: Option<(Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT thread_id, uploaded_by FROM media WHERE id = ?1 AND org_id = ?2",
                    params![id.to_string(), caller.org_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((thread, uploader)) = row else {
                return Err(StoreError::NotFound);
            };
            let allowed = match thread {
                Some(thread) => tx
                    .query_row(
                        "SELECT 1 FROM participants WHERE thread_id = ?1 AND user_id = ?2 AND left_at IS NULL",
                        params![thread, caller.user_id.to_string()],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some(),
                None => uploader.as_deref() == Some(caller.user_id.to_string().as_str()),
            };
            if !allowed {
                return Err(StoreError::NotFound);
            }
            stored(tx, id)
        })
    }

    /// A picture for the dispatcher (no caller: the connector itself).
    fn media(&self, id: MediaId) -> Result<StoredMedia> {
        self.read(|tx| stored(tx, id))
    }
}

fn stored(tx: &Transaction<'_>, id: MediaId) -> Result<StoredMedia> {
    let info = info(tx, id)?;
    let bytes = tx.query_row(
        "SELECT bytes FROM media WHERE id = ?1",
        [id.to_string()],
        |r| r.get(0),
    )?;
    Ok(StoredMedia { info, bytes })
}
