//! `migrate-store`: moves everything a SQLite store holds into an empty PostgreSQL database,
//! row for row. Both schemas keep the same values in the same columns (ids and enums as
//! text, times as microseconds, documents as JSON; see `migrations/postgres/V1__initial.sql`),
//! so each row is copied as it is: the audit keeps its ids, order and hashes, the queues
//! their positions, the sealed secrets their sealing (the key stays the data folder's).
//! Each table's rows are counted on both sides before the move commits; it all happens in
//! one PostgreSQL transaction, from one SQLite snapshot.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use rusqlite::types::Value;

use super::postgres::{BOOKKEEPING, PgStore};

/// The tables, parents before children (foreign keys); every table of the PostgreSQL schema
/// but its bookkeeping must be here, or the move is refused before it starts.
const TABLES: &[&str] = &[
    "organizations",
    "users",
    "sessions",
    "lines",
    "contacts",
    "contact_phones",
    "consents",
    "sms_consents",
    "threads",
    "participants",
    "messages",
    "reactions",
    "outbox",
    "events",
    "early_statuses",
    "early_transcripts",
    "webhook_inbox",
    "audit",
    "audit_heads",
    "templates",
    "media",
];

/// A column as PostgreSQL has it.
struct Column {
    name: String,
    data_type: String,
    identity: bool,
}

/// Moves the SQLite store at `from` into `to`, which must hold nothing yet; returns each
/// table's row count (the same on both sides, or an error says where they differ).
pub fn sqlite_to_postgres(from: &Path, to: &PgStore) -> Result<Vec<(String, i64)>> {
    let source =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", from.display()))?;
    // One snapshot for the whole move and its counts, even if something still writes.
    source.execute_batch("BEGIN")?;
    let version: i64 = source.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = super::sqlite::schema_steps();
    if usize::try_from(version).ok() != Some(current) {
        bail!(
            "{} has schema {version}, and this connector moves schema {current}: open it with \
             this connector first (any admin command, e.g. `org list`, brings it up to date)",
            from.display()
        );
    }
    let filled: Vec<_> = super::Store::row_counts(to)?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    if !filled.is_empty() {
        bail!("the PostgreSQL database is not empty ({filled:?}): move into a new one");
    }
    to.with_client(|client| {
        let listed: BTreeSet<&str> = TABLES.iter().copied().collect();
        let tables: BTreeSet<String> = client
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .filter(|t: &String| !BOOKKEEPING.contains(&t.as_str()))
            .collect();
        let unlisted: Vec<_> = tables
            .iter()
            .filter(|t| !listed.contains(t.as_str()))
            .collect();
        if !unlisted.is_empty() {
            bail!("no order is known for the tables {unlisted:?}: nothing was moved");
        }
        let mut tx = client.transaction()?;
        for table in TABLES {
            copy_table(&source, &mut tx, table).with_context(|| format!("moving {table}"))?;
        }
        // Counted on both sides before anything commits: a difference moves nothing.
        let mut moved = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let here: i64 =
                source.query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| {
                    r.get(0)
                })?;
            let there: i64 = tx
                .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                .get(0);
            if here != there {
                bail!("{table}: {here} rows in SQLite, {there} in PostgreSQL: nothing was moved");
            }
            moved.push(((*table).to_owned(), there));
        }
        tx.commit()?;
        Ok(moved)
    })
}

/// Copies one table's rows in the order they were stored, then moves its identity
/// sequences past the ids copied.
fn copy_table(
    source: &rusqlite::Connection,
    tx: &mut postgres::Transaction<'_>,
    table: &str,
) -> Result<()> {
    let in_sqlite: BTreeSet<String> = source
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // PostgreSQL's `seq` columns (SQLite's rowid order) are made as the rows go in.
    let columns: Vec<Column> = tx
        .query(
            "SELECT column_name::text, data_type::text, is_identity = 'YES' FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )?
        .iter()
        .map(|r| Column {
            name: r.get(0),
            data_type: r.get(1),
            identity: r.get(2),
        })
        .filter(|c| in_sqlite.contains(&c.name))
        .collect();
    // A column only SQLite has would be lost: refused (the schemas must be kept alike).
    let lost: Vec<&String> = in_sqlite
        .iter()
        .filter(|name| !columns.iter().any(|c| &&c.name == name))
        .collect();
    if !lost.is_empty() {
        bail!("{table}: PostgreSQL has no column for {lost:?}");
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let list = names.join(", ");
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let overriding = if columns.iter().any(|c| c.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let insert = tx.prepare(&format!(
        "INSERT INTO {table} ({list}){overriding} VALUES ({})",
        placeholders.join(", ")
    ))?;
    // `events` has no rowid: its key is its order.
    let order = if table == "events" {
        "user_id, seq"
    } else {
        "rowid"
    };
    let mut select = source.prepare(&format!("SELECT {list} FROM \"{table}\" ORDER BY {order}"))?;
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let mut values: Vec<Box<dyn postgres::types::ToSql + Sync>> =
            Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            values.push(convert(row.get::<_, Value>(i)?, column)?);
        }
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            values.iter().map(|v| v.as_ref()).collect();
        tx.execute(&insert, &params)?;
    }
    for column in columns.iter().filter(|c| c.identity) {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{name}'),
                    COALESCE((SELECT MAX({name}) FROM {table}), 0) + 1, false)",
                name = column.name
            ),
            &[],
        )?;
    }
    Ok(())
}

/// A SQLite value as the PostgreSQL column's type takes it.
fn convert(value: Value, column: &Column) -> Result<Box<dyn postgres::types::ToSql + Sync>> {
    let wrong = |v: &Value| anyhow::anyhow!("{}: {v:?} is not a {}", column.name, column.data_type);
    Ok(match (column.data_type.as_str(), value) {
        ("text", Value::Null) => Box::new(None::<String>),
        ("text", Value::Text(s)) => Box::new(s),
        ("text", Value::Integer(n)) => Box::new(n.to_string()),
        ("bigint", Value::Null) => Box::new(None::<i64>),
        ("bigint", Value::Integer(n)) => Box::new(n),
        ("boolean", Value::Null) => Box::new(None::<bool>),
        ("boolean", Value::Integer(n)) => Box::new(n != 0),
        ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
        ("bytea", Value::Blob(b)) => Box::new(b),
        ("bytea", Value::Text(s)) => Box::new(s.into_bytes()),
        (_, v) => return Err(wrong(&v)),
    })
}
