//! Full-text search in the cache (FTS5): messages by their text, contacts by name and
//! company. Works offline: it reads only this device's copy.

use multiline_domain::api::{Contact, Message};
use multiline_domain::ids::ThreadId;
use rusqlite::params;

use super::{Cache, Result};

/// Where a match begins in a [`Hit`]'s snippet (a private-use character: never a letter).
pub const MATCH_START: char = '\u{E000}';
/// Where a match ends in a [`Hit`]'s snippet.
pub const MATCH_END: char = '\u{E001}';

/// A message a search found, with its text around the matches: each match between
/// [`MATCH_START`] and [`MATCH_END`], cut to about a dozen words with "…" where it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub message: Message,
    pub snippet: String,
}

/// A user's search words as an FTS5 query: every word must match as a prefix. Each word is
/// quoted, so FTS5's syntax (`AND`, `NEAR`, `*`, `"`) in what was typed is only text.
fn fts_query(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Cache {
    /// Messages whose text has every word of `query` (word prefixes, accents and case
    /// ignored), newest first; in one thread when `thread` names it.
    pub fn search_messages(
        &self,
        query: &str,
        thread: Option<ThreadId>,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let conn = self.conn();
        // Newest first by rowid, which FTS5 walks in order and stops at the limit; rowids
        // grow as messages arrive. The snippet is made for the rows returned only.
        let mut stmt = conn.prepare_cached(
            "SELECT m.data, snippet(messages_fts, 0, char(57344), char(57345), '…', 12)
             FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
             WHERE messages_fts MATCH ?1 AND (?3 IS NULL OR m.thread_id = ?3)
             ORDER BY f.rowid DESC LIMIT ?2",
        )?;
        let thread = thread.map(|t| t.to_string());
        let rows = stmt.query_map(params![fts, limit as i64, thread], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (data, snippet) = row?;
            Ok(Hit {
                message: serde_json::from_str(&data)?,
                snippet,
            })
        })
        .collect()
    }

    /// Contacts whose name or company has every word of `query` (prefixes), by name.
    pub fn search_contacts(&self, query: &str, limit: usize) -> Result<Vec<Contact>> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.data FROM contacts_fts f JOIN contacts c ON c.rowid = f.rowid
             WHERE contacts_fts MATCH ?1 ORDER BY c.name COLLATE NOCASE LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts, limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
    }
}
