//! Finding any message: the cache's full-text index, newest first, grouped by conversation
//! (the Messages tab's search), or within one thread. Works offline.

use multiline_domain::api::Direction;
use multiline_domain::ids::{MessageId, ThreadId};
use multiline_domain::time::Timestamp;
use serde::Serialize;
use ts_rs::TS;

use crate::view::{self, ThreadRow};
use crate::{Client, Result};

/// The most messages one search answers (the newest).
pub const MAX_HITS: usize = 200;

/// A message a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub message_id: MessageId,
    pub thread_id: ThreadId,
    pub direction: Direction,
    pub created_at: Timestamp,
    /// The text around the matches, each match between U+E000 and U+E001, "…" where cut.
    pub snippet: String,
}

/// A conversation's hits, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SearchGroup {
    pub thread: ThreadRow,
    pub hits: Vec<SearchHit>,
}

impl Client {
    /// Messages with every word of `query` (prefixes; case and accents ignored), newest
    /// first, grouped by conversation in the order of their newest hit; within `thread`
    /// when it names one. At most `limit` hits (capped at [`MAX_HITS`]).
    pub async fn search(
        &self,
        query: String,
        thread: Option<ThreadId>,
        limit: usize,
    ) -> Result<Vec<SearchGroup>> {
        let limit = limit.clamp(1, MAX_HITS);
        let (enabled, now) = (
            self.inner.session.organization.whatsapp_enabled,
            self.inner.clock.now(),
        );
        self.inner
            .cache(move |c| {
                let hits = c.search_messages(&query, thread, limit)?;
                let mut groups: Vec<SearchGroup> = Vec::new();
                for hit in hits {
                    let id = hit.message.thread_id;
                    let found = SearchHit {
                        message_id: hit.message.id,
                        thread_id: id,
                        direction: hit.message.direction,
                        created_at: hit.message.created_at,
                        snippet: hit.snippet,
                    };
                    if let Some(group) = groups.iter_mut().find(|g| g.thread.id == id) {
                        group.hits.push(found);
                        continue;
                    }
                    // A message whose thread is not here (it never is, but a cache is a
                    // cache): left out rather than shown without its conversation.
                    let Some(thread) = c.thread(id)? else {
                        continue;
                    };
                    groups.push(SearchGroup {
                        thread: view::row(&thread, enabled, now),
                        hits: vec![found],
                    });
                }
                Ok(groups)
            })
            .await
    }
}
