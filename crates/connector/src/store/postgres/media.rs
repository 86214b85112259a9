//! Pictures and recordings, with their bytes and hash.

use multiline_domain::api::MediaInfo;
use multiline_domain::ids::{MediaId, OrganizationId, ThreadId, UserId};
use postgres::Row;
use sha2::{Digest, Sha256};

use super::{PgTx, col, micros, opt_uuid_at, touched};
use crate::store::{Error, MediaRecord, MediaTx, NewMedia, Result, StoredMedia};

/// A width or height column (a BIGINT holding a `u32`).
fn dimension_at(row: &Row, i: usize) -> Result<u32> {
    let n: i64 = col(row, i)?;
    u32::try_from(n).map_err(|e| Error::Corrupt(format!("{n}: {e}")))
}

/// What is known of medium `id` from the columns (mime_type, size, width, height).
fn info_row(id: MediaId, row: &Row) -> Result<MediaInfo> {
    Ok(MediaInfo {
        id,
        mime_type: col(row, 0)?,
        size: col::<i64>(row, 1)? as u64,
        width: dimension_at(row, 2)?,
        height: dimension_at(row, 3)?,
    })
}

impl MediaTx for PgTx<'_> {
    fn insert_media(&mut self, m: &NewMedia) -> Result<MediaInfo> {
        self.exec(
            "INSERT INTO media (id, org_id, thread_id, uploaded_by, mime_type, size, width, height,
                 sha256, bytes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &m.id.to_string(),
                &m.org.to_string(),
                &m.thread.map(|t| t.to_string()),
                &m.uploader.map(|u| u.to_string()),
                &m.mime_type,
                &(m.bytes.len() as i64),
                &i64::from(m.width),
                &i64::from(m.height),
                &hex::encode(Sha256::digest(&m.bytes)),
                &m.bytes,
                &micros(m.created_at),
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
        self.opt(
            "SELECT mime_type, size, width, height, thread_id, uploaded_by FROM media
             WHERE id = $1 AND org_id = $2",
            &[&id.to_string(), &org.to_string()],
        )?
        .map(|r| -> Result<MediaRecord> {
            Ok(MediaRecord {
                info: info_row(id, &r)?,
                thread: opt_uuid_at(&r, 4)?.map(ThreadId),
                uploader: opt_uuid_at(&r, 5)?.map(UserId),
            })
        })
        .transpose()
    }

    fn attach_media(&mut self, id: MediaId, thread: ThreadId) -> Result<()> {
        let n = self.exec(
            "UPDATE media SET thread_id = $2 WHERE id = $1",
            &[&id.to_string(), &thread.to_string()],
        )?;
        touched(n)
    }

    fn media(&mut self, id: MediaId) -> Result<StoredMedia> {
        let row = self.one(
            "SELECT mime_type, size, width, height, bytes FROM media WHERE id = $1",
            &[&id.to_string()],
        )?;
        Ok(StoredMedia {
            info: info_row(id, &row)?,
            bytes: col(&row, 4)?,
        })
    }
}
