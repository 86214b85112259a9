//! Backups of the SQLite store while the connector runs (SQLite's online backup API), and
//! their restore. The key that seals the store's secrets is not in a backup: it is kept
//! apart, as a key should be (`docs/operations.md`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use rusqlite::{Connection, OpenFlags};

use super::{migrations_list, owner_only};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFacts {
    pub bytes: u64,
    /// The schema's version (migrations applied).
    pub schema: usize,
}

/// Copies the store at `store` into the new file `to` (never over an existing one),
/// consistently, while the connector may be writing to it: one step of SQLite's backup API
/// copies every page under one read snapshot (WAL: writers go on meanwhile). The copy is
/// checked (`PRAGMA integrity_check`) before it gets its name; until then it is `to.partial`.
pub fn backup(store: &Path, to: &Path) -> Result<BackupFacts> {
    if to.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file",
            to.display()
        );
    }
    let source = Connection::open_with_flags(
        store,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("no store at {}", store.display()))?;
    source.busy_timeout(Duration::from_secs(5))?;
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let _ = std::fs::remove_file(&partial);
    owner_only(&partial).with_context(|| format!("creating {}", partial.display()))?;
    {
        let mut copy = Connection::open(&partial)?;
        let backup = rusqlite::backup::Backup::new(&source, &mut copy)?;
        // Every page in one step: one snapshot. Busy (a checkpoint holding the file): again.
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                _ if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => bail!("the store stayed busy: {other:?}"),
            }
        }
        drop(backup);
        // The copy is one file: no write-ahead log beside it.
        copy.pragma_update(None, "journal_mode", "DELETE")?;
    }
    let facts = check(&partial)?;
    for file in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{file}", partial.display()));
    }
    std::fs::rename(&partial, to).with_context(|| format!("naming {}", to.display()))?;
    Ok(facts)
}

/// Reads a backup file's schema version after SQLite's integrity check.
pub fn check(file: &Path) -> Result<BackupFacts> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("{} cannot be opened", file.display()))?;
    let damaged = || format!("{} is not a sound backup", file.display());
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .with_context(damaged)?;
    if integrity != "ok" {
        bail!("{}: {integrity}", damaged());
    }
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .with_context(damaged)?;
    if schema < 1 {
        bail!("{}: it holds no connector store", damaged());
    }
    Ok(BackupFacts {
        bytes: std::fs::metadata(file)?.len(),
        schema: schema as usize,
    })
}

/// Replaces the store at `store` with the backup `from` (checked first; a backup made by a
/// newer connector is refused: its schema would be unknown here). The connector must be
/// stopped. Opening the store afterwards applies the migrations the backup lacks.
pub fn restore(from: &Path, store: &Path) -> Result<BackupFacts> {
    let facts = check(from)?;
    let known = migrations_list().len();
    if facts.schema > known {
        bail!(
            "{} was made by a newer connector (schema {}; this one knows {known}): restore it \
             with that version",
            from.display(),
            facts.schema
        );
    }
    owner_only(store).with_context(|| format!("creating {}", store.display()))?;
    let mut conn = Connection::open(store)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.restore(
        rusqlite::MAIN_DB,
        from,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    // The backup's own journal mode came with its pages: the store's is WAL.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(facts)
}
