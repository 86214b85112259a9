//! Pictures and recordings, with their bytes and hash.

use multiline_domain::api::MediaInfo;
use multiline_domain::ids::{MediaId, OrganizationId, ThreadId, UserId};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{SqliteTx, micros, touched, uuid_col};
use crate::store::{Error, MediaRecord, MediaTx, NewMedia, Result, StoredMedia};

fn info_row(id: MediaId, r: &rusqlite::Row<'_>) -> rusqlite::Result<MediaInfo> {
    Ok(MediaInfo {
        id,
        mime_type: r.get(0)?,
        size: r.get::<_, i64>(1)? as u64,
        width: r.get(2)?,
        height: r.get(3)?,
    })
}

impl MediaTx for SqliteTx<'_> {
    fn insert_media(&mut self, m: &NewMedia) -> Result<MediaInfo> {
        self.exec(
            "INSERT INTO media (id, org_id, thread_id, uploaded_by, mime_type, size, width, height,
                 sha256, bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                m.id.to_string(),
                m.org.to_string(),
                m.thread.map(|t| t.to_string()),
                m.uploader.map(|u| u.to_string()),
                m.mime_type,
                m.bytes.len() as i64,
                m.width,
                m.height,
                hex::encode(Sha256::digest(&m.bytes)),
                m.bytes,
                micros(m.created_at)
            ],
        )?;
        Ok(MediaInfo {
            id: m.id,
            mime_type: m.mime_type.clone(),
            size: m.bytes.len() as u64,
            width: m.width,
            height: m.height,
        })
    }

    fn media_record(&mut self, org: OrganizationId, id: MediaId) -> Result<Option<MediaRecord>> {
        Ok(self
            .row(
                "SELECT mime_type, size, width, height, thread_id, uploaded_by FROM media
                 WHERE id = ?1 AND org_id = ?2",
                params![id.to_string(), org.to_string()],
                |r| {
                    let thread: Option<String> = r.get(4)?;
                    let uploader: Option<String> = r.get(5)?;
                    Ok(MediaRecord {
                        info: info_row(id, r)?,
                        thread: thread.map(uuid_col).transpose()?.map(ThreadId),
                        uploader: uploader.map(uuid_col).transpose()?.map(UserId),
                    })
                },
            )
            .optional()?)
    }

    fn attach_media(&mut self, id: MediaId, thread: ThreadId) -> Result<()> {
        let n = self.exec(
            "UPDATE media SET thread_id = ?2 WHERE id = ?1",
            params![id.to_string(), thread.to_string()],
        )?;
        touched(n)
    }

    fn media(&mut self, id: MediaId) -> Result<StoredMedia> {
        self.row(
            "SELECT mime_type, size, width, height, bytes FROM media WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(StoredMedia {
                    info: info_row(id, r)?,
                    bytes: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or(Error::NotFound)
    }
}
