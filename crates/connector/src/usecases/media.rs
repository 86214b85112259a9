//! Pictures and recordings: an upload is readable by its uploader until it is sent, then by
//! the conversation's participants; a guest's picture and a voicemail's recording by the
//! thread's participants. Anything else is "not found", whether it exists or not.

use multiline_domain::api::MediaInfo;
use multiline_domain::ids::MediaId;

use super::Env;
use crate::error::{Error, Result};
use crate::store::{Caller, NewMedia, StoreExt, StoredMedia};

/// Keeps a picture a user uploaded (its format and size checked by the caller).
pub fn put_upload(
    env: &Env<'_>,
    caller: Caller,
    mime_type: &str,
    (width, height): (u32, u32),
    bytes: &[u8],
) -> Result<MediaInfo> {
    let media = NewMedia {
        id: env.ids.new(),
        org: caller.org_id,
        thread: None,
        uploader: Some(caller.user_id),
        mime_type: mime_type.to_owned(),
        width,
        height,
        bytes: bytes.to_vec(),
        created_at: env.now,
    };
    env.store.write(|tx| tx.insert_media(&media))
}

/// A medium `caller` may see: their own upload, or one in a thread they are in.
pub fn media_for(env: &Env<'_>, caller: Caller, id: MediaId) -> Result<StoredMedia> {
    env.store.read(|tx| {
        let record = tx.media_record(caller.org_id, id)?.ok_or(Error::NotFound)?;
        let allowed = match record.thread {
            Some(thread) => tx.is_participant(caller, thread)?,
            None => record.uploader == Some(caller.user_id),
        };
        if !allowed {
            return Err(Error::NotFound);
        }
        tx.media(id)
    })
}

/// A medium by id, unscoped: for the dispatch worker.
pub fn media(env: &Env<'_>, id: MediaId) -> Result<StoredMedia> {
    env.store.read(|tx| tx.media(id))
}
