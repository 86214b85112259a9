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
use crate::store::postgres::PgStore;
use crate::store::secrets::Sealer;
use crate::store::sqlite::SqliteStore;
use crate::store::{CarrierAccount, Store};
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
    /// A PostgreSQL database instead of the SQLite store (`postgres://...`).
    pub database_url: Option<String>,
    /// Connections each instance keeps to PostgreSQL at most.
    pub database_pool: Option<u32>,
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

/// Opens (creating if needed) the SQLite store in `data_dir`.
pub fn open_store(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    Ok(SqliteStore::open(&store_path(data_dir))?)
}

/// A connector's context on the SQLite store in `data_dir`.
pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> anyhow::Result<Ctx> {
    Ok(Ctx::new(Arc::new(open_store(data_dir)?), clock))
}

/// Where the connector keeps its records: the SQLite store in the data folder (the
/// default), or a PostgreSQL database (`--database-url`). The key that seals the secrets is
/// in the data folder either way (unless `MULTILINE_SECRET_KEY`).
#[derive(Debug, Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Connections to PostgreSQL at most ([`crate::store::postgres::POOL`] unless set).
    pub database_pool: Option<u32>,
}

impl Storage {
    /// Opens the store (PostgreSQL: connects and applies the migrations it lacks).
    pub fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        if self.database_url.is_none() {
            return Ok(Arc::new(open_store(&self.data_dir)?));
        }
        Ok(Arc::new(self.open_postgres()?))
    }

    /// Connects to the PostgreSQL store (`database_url`), applying the migrations it lacks.
    pub fn open_postgres(&self) -> anyhow::Result<PgStore> {
        let Some(url) = &self.database_url else {
            anyhow::bail!("no PostgreSQL database is set (--database-url)");
        };
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data folder {}", self.data_dir.display()))?;
        let beside = store_path(&self.data_dir);
        let sealer = Sealer::load(&beside)?;
        let pool = self.database_pool.unwrap_or(crate::store::postgres::POOL);
        anyhow::ensure!(pool >= 2, "--database-pool: at least 2 connections");
        let store = PgStore::connect_pooled(url, sealer, pool)
            .with_context(|| format!("connecting to {}", redacted(url)))?;
        crate::store::secrets::forget_previous(&beside)?;
        Ok(store)
    }

    /// A connector's context on the store, for a command or the server.
    pub fn open(&self, clock: Arc<dyn Clock>) -> anyhow::Result<Ctx> {
        Ok(Ctx::new(self.open_store()?, clock))
    }

    /// The SQLite store's file, for what only SQLite does (`backup`, `restore`).
    pub fn sqlite_file(&self, what: &str) -> anyhow::Result<PathBuf> {
        if self.database_url.is_some() {
            anyhow::bail!(
                "{what} works on the SQLite store; for PostgreSQL use pg_dump and pg_restore \
                 (docs/operations.md, \"Backups\")"
            );
        }
        Ok(store_path(&self.data_dir))
    }
}

/// A database URL as it may be shown: without its password.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
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

/// Sets how long a dead instance's claims hold (`serve --claim-lease`, in seconds): its
/// sends in flight, and (half as long, renewed with each batch) its lines' inboxes.
pub fn set_claim_lease(ctx: &mut Ctx, seconds: u64) -> anyhow::Result<()> {
    if seconds == 0 {
        anyhow::bail!("--claim-lease must be at least 1 second");
    }
    if seconds < 40 {
        tracing::warn!(
            seconds,
            "a claim lease under 40 s: a send slower than it (the Cloud API may take 20 s) \
             is taken for a dead instance's and left not confirmed"
        );
    }
    let seconds = i64::try_from(seconds).context("--claim-lease is too large")?;
    ctx.claim_lease =
        chrono::Duration::try_seconds(seconds).context("--claim-lease is too large")?;
    // Looked for at least four times per lease.
    ctx.lease_check_every = ctx
        .lease_check_every
        .min(std::time::Duration::from_secs(seconds as u64) / 4);
    Ok(())
}

/// `serve`: the connector until SIGTERM or Ctrl-C, then a graceful stop.
pub async fn serve(
    ctx: Ctx,
    listen: std::net::SocketAddr,
    public_url: Option<String>,
    store: String,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let connector = crate::server::Connector::start_with(ctx, listener, public_url).await?;
    let lines = connector
        .ctx
        .run(|env| {
            Ok(accounts::organizations(env)?
                .into_iter()
                .filter_map(|org| accounts::line_of_org(env, org.id).ok())
                .collect::<Vec<_>>())
        })
        .await?;
    // Instances on one database starting together (a rolling restart): one of them syncs.
    // A template Meta changes later reaches its line by Meta's webhook in any case.
    let sync = crate::server::my_turn(
        &connector.ctx,
        "template sync at start",
        TEMPLATE_SYNC_AT_START,
    )
    .await;
    for line in lines.iter().filter(|_| sync) {
        if let Err(error) = crate::template_sync::sync(&connector.ctx, line.id).await {
            tracing::warn!(org = %line.org_id, %error, "template sync at start failed");
        }
    }
    tracing::info!(url = %connector.url(), %store, version = multiline_domain::version::THIS, "connector serving");
    stop_signal().await?;
    tracing::info!("stopping: finishing what is in flight");
    connector.stop().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long after one instance synced the templates at its start another instance that
/// starts on the same database does not (one connector alone syncs at every start).
const TEMPLATE_SYNC_AT_START: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Ctrl-C, or the `SIGTERM` a service manager (`systemctl stop`) sends.
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
