//! What the admin commands of the binary need beyond the use cases: the configuration file,
//! opening the store, connecting a carrier by its provider's name, exporting the audit
//! record. The changes an admin makes are the use cases' (`usecases::accounts`), audited
//! with the actor `admin`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use multiline_domain::ids::OrganizationId;
use multiline_domain::time::Clock;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::providers::PROVIDERS;
use crate::store::CarrierAccount;
use crate::store::sqlite::SqliteStore;
use crate::usecases::{Env, accounts};

/// The connector's settings: command-line flags win over environment variables, which win
/// over the configuration file, which wins over the defaults.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where the SQLite store lives (`connector.sqlite3` inside).
    pub data_dir: Option<PathBuf>,
    /// The address `serve` listens on.
    pub listen: Option<std::net::SocketAddr>,
    /// The connector's address as the SMS carrier reaches it (`https://connector.example.com`).
    pub public_url: Option<String>,
    /// `text` or `json` log lines.
    pub log_format: Option<LogFormat>,
}

/// How the connector writes its log lines.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people reading a terminal or the journal.
    #[default]
    Text,
    /// One JSON object per line, with the id, method and path of the request being served:
    /// for a log collector.
    Json,
}

impl FileConfig {
    /// Reads a TOML configuration file.
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("in the configuration file {}", path.display()))
    }
}

/// The store file inside a data folder.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("connector.sqlite3")
}

/// Opens (creating if needed) the store in `data_dir`.
pub fn open_store(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    Ok(SqliteStore::open(&store_path(data_dir))?)
}

/// A connector's context on the store in `data_dir`, for a command.
pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> anyhow::Result<Ctx> {
    Ok(Ctx::new(Arc::new(open_store(data_dir)?), clock))
}

/// Connects the SMS and voice carrier of the organization's line (F22), for a provider the
/// connector speaks. Answers the line's id.
pub fn connect_carrier(
    env: &Env<'_>,
    org: OrganizationId,
    carrier: &CarrierAccount,
) -> anyhow::Result<uuid::Uuid> {
    anyhow::ensure!(
        PROVIDERS.contains(&carrier.provider.as_str()),
        "unknown carrier {:?}: one of {}",
        carrier.provider,
        PROVIDERS.join(", ")
    );
    Ok(accounts::connect_carrier(env, org, carrier)?)
}

/// Writes the organization's audit record, oldest first, one JSON object per line.
pub fn export_audit(
    env: &Env<'_>,
    org: OrganizationId,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let entries = accounts::audit_record(env, org)?;
    for entry in &entries {
        serde_json::to_writer(&mut *out, entry)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(entries.len())
}
