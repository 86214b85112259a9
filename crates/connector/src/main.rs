//! `multiline-connector`: the connector server and its admin commands.
//!
//! Settings: `--data-dir` / `MULTILINE_DATA_DIR`, `--listen` / `MULTILINE_LISTEN`,
//! `--database-url` / `MULTILINE_DATABASE_URL` ..., else the configuration file (`--config` /
//! `MULTILINE_CONFIG`, TOML; packaging/connector/connector.toml has each setting, commented),
//! else the defaults (`./connector-data`, `127.0.0.1:8080`). Secrets are taken from the
//! environment, never from flags (flags show in process lists).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use multiline_connector::admin::{self, FileConfig, LogFormat};
use multiline_connector::ctx::Ctx;
use multiline_connector::store::{CarrierAccount, NewLine, OrgSetting};
use multiline_connector::usecases::{accounts, api_versions, deliver};
use multiline_connector::{inbox, template_sync};
use multiline_domain::graph_version::{self, Standing};
use multiline_domain::ids::OrganizationId;
use multiline_domain::time::{Clock, SystemClock};
use multiline_domain::window::WindowRule;

#[derive(Parser)]
#[command(
    version,
    about = "MultiLine WhatsApp connector: the server and its admin commands"
)]
struct Cli {
    /// A TOML configuration file (`data_dir`, `listen`, `public_url`).
    #[arg(long, global = true, env = "MULTILINE_CONFIG")]
    config: Option<PathBuf>,
    /// Where the connector keeps its SQLite store.
    #[arg(long, global = true, env = "MULTILINE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database instead of the SQLite store in the data folder
    /// (`postgres://user:password@host:5432/multiline`): several instances share it. Keep a
    /// password out of the command line: set it in the environment or the TOML file.
    #[arg(
        long,
        global = true,
        env = "MULTILINE_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// How many connections this instance keeps to PostgreSQL at most (default 10). With N
    /// instances, N times this (and one more each, for the events feed) must stay under the
    /// server's `max_connections`.
    #[arg(long, global = true, env = "MULTILINE_DATABASE_POOL")]
    database_pool: Option<u32>,
    /// How log lines are written to standard error: `text` (for people) or `json` (one
    /// object per line, for a log collector). Levels: RUST_LOG (default `info`).
    #[arg(long, global = true, env = "MULTILINE_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the /v1 API, the event sockets and the Cloud API webhooks.
    Serve {
        #[arg(long, env = "MULTILINE_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        /// The connector's address as the SMS carrier reaches it (behind a proxy:
        /// `https://connector.example.com`); the carrier signs its webhooks over it.
        #[arg(long, env = "MULTILINE_PUBLIC_URL")]
        public_url: Option<String>,
        /// Seconds a dead instance's work waits before another instance on the same
        /// PostgreSQL takes it over (its sends in flight, its lines' inboxes); longer than
        /// the Cloud API's answer timeout (20 s).
        #[arg(long, env = "MULTILINE_CLAIM_LEASE", default_value_t = 120)]
        claim_lease: u64,
    },
    /// Copy the store into a new file while the connector runs (SQLite's online backup),
    /// checked. The key that seals the store's secrets is not in it: keep that apart.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the store with a backup (stop the connector first).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Move everything a SQLite store holds into a new, empty PostgreSQL database (stop the
    /// connector first), then check each table's row count on both sides.
    MigrateStore {
        /// The SQLite store (`connector.sqlite3`); the data folder's when not given.
        #[arg(long)]
        from: Option<PathBuf>,
        /// The PostgreSQL database: `--database-url` (or MULTILINE_DATABASE_URL) when not
        /// given here; keep a password out of the command line.
        #[arg(long)]
        to: Option<String>,
    },
    /// Organizations: create one, turn WhatsApp on or off, list them.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Create a user (the password is read from MULTILINE_PASSWORD).
    CreateUser {
        #[arg(long)]
        org: OrganizationId,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
    /// A user: disable them (they cannot sign in; their open apps are signed out at once),
    /// or enable them again.
    #[command(subcommand)]
    User(UserCommand),
    /// Sessions: revoke every session of a user (their open apps are signed out at once and
    /// ask them to sign in again; their data stays on their devices).
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Connect a WhatsApp business number (the access token, app secret and verify token
    /// are read from WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN).
    ConnectNumber(ConnectNumber),
    /// Connect the SMS and voicemail carrier of the organization's number (F22); the auth
    /// token is read from CARRIER_AUTH_TOKEN. Prints the webhook URLs to set at the carrier.
    ConnectCarrier(ConnectCarrier),
    /// Fetch the organization's templates from the Cloud API now.
    SyncTemplates {
        #[arg(long)]
        org: OrganizationId,
    },
    /// Write the organization's audit record as JSON Lines (to a file, or standard output).
    ExportAudit {
        #[arg(long)]
        org: OrganizationId,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Make a new key for the secrets in the store (tokens, app secrets) and seal them all
    /// again with it. Stop the connector first; with MULTILINE_SECRET_KEY, it says how.
    RotateKey,
    /// The audit record: check that none of it was edited, removed or reordered.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the API's OpenAPI document (JSON), as `GET /v1/openapi.json` serves it.
    Openapi,
    /// Webhooks set aside (dead letters): list them, or bring them back to be applied.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// The organization's WhatsApp line: its Graph API version.
    #[command(subcommand)]
    Line(LineCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    Disable {
        #[arg(long)]
        email: String,
    },
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum SessionsCommand {
    Revoke {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the organization's hash chain: prints the number of records and the head (keep
    /// it elsewhere: a later verify shows the chain still ends there), or each break, by
    /// record id, and exits non-zero.
    Verify {
        #[arg(long)]
        org: OrganizationId,
    },
}

#[derive(Subcommand)]
enum LineCommand {
    /// Which Graph API version the line uses, and until when Meta answers it.
    Show {
        #[arg(long)]
        org: OrganizationId,
    },
    /// Moves the line to another Graph API version (`v25.0`); one that has ended is refused.
    /// A line blocked by an ended version sends what waited at its next retry.
    SetApiVersion {
        #[arg(long)]
        org: OrganizationId,
        version: String,
    },
    /// Resumes a line that WhatsApp refused to send from (a token, payment, registration or
    /// policy problem, now fixed): its queued messages go out, in order, once each.
    Resume {
        #[arg(long)]
        org: OrganizationId,
    },
}

#[derive(Subcommand)]
enum InboxCommand {
    /// The dead letters, oldest first: id, line, source, when, attempts, why.
    List {
        /// Also print each one's body (as kept: Meta's JSON, or the carrier's event).
        #[arg(long)]
        body: bool,
    },
    /// Apply dead letters again (a running connector does so within a second).
    Retry {
        /// The dead letters' ids, as `inbox list` shows them.
        #[arg(required_unless_present = "all")]
        ids: Vec<i64>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    Create {
        #[arg(long)]
        name: String,
    },
    EnableWhatsapp {
        #[arg(long)]
        org: OrganizationId,
    },
    DisableWhatsapp {
        #[arg(long)]
        org: OrganizationId,
    },
    /// Which message opens the 24-hour window for free-form messages (F7-F8).
    SetWindowRule {
        #[arg(long)]
        org: OrganizationId,
        #[arg(long, value_enum)]
        rule: Rule,
    },
    /// The replies that grant or revoke consent (comma-separated; a list not given stays).
    SetKeywords {
        #[arg(long)]
        org: OrganizationId,
        /// e.g. "yes,ok,si"
        #[arg(long, value_delimiter = ',')]
        consent: Option<Vec<String>>,
        /// e.g. "stop,unsubscribe,baja"
        #[arg(long, value_delimiter = ',')]
        opt_out: Option<Vec<String>>,
    },
    List,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Rule {
    /// The product's rule: 24 hours from the last message of either side.
    AnyMessage,
    /// Meta's rule: 24 hours from the guest's last message.
    GuestMessage,
}

#[derive(Args)]
struct ConnectNumber {
    #[arg(long)]
    org: OrganizationId,
    #[arg(long)]
    phone_number_id: String,
    #[arg(long)]
    waba_id: String,
    /// The number as shown to guests, digits only (15550001111).
    #[arg(long)]
    display_number: String,
    /// The user who owns new conversations on this number.
    #[arg(long)]
    owner_email: String,
    #[arg(long, default_value = "https://graph.facebook.com")]
    api_base_url: String,
    /// The Graph API version the line's requests name; a current one by default (see
    /// `line set-api-version` to change it later).
    #[arg(long, default_value = multiline_domain::graph_version::DEFAULT)]
    api_version: String,
}

#[derive(Args)]
struct ConnectCarrier {
    #[arg(long)]
    org: OrganizationId,
    #[arg(long, default_value = "twilio")]
    provider: String,
    /// The account's id (Twilio: the Account SID, AC...).
    #[arg(long)]
    account_sid: String,
    /// The line's number at the carrier, E.164 (+15550001111).
    #[arg(long)]
    number: String,
    #[arg(long, default_value = "https://api.twilio.com")]
    api_base_url: String,
    /// The connector's public address, for the webhook URLs printed.
    #[arg(
        long,
        env = "MULTILINE_PUBLIC_URL",
        default_value = "https://connector.example.com"
    )]
    public_url: String,
}

fn secret(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| format!("set {name} in the environment"))
}

/// Admin commands run outside the async runtime, as the store's methods want (they block:
/// PostgreSQL's client even refuses to run on an async thread); `serve` and the few calls
/// that wait on the network run in it.
fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let cli = Cli::parse();
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        );
    match cli.log_format.or(file.log_format).unwrap_or_default() {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let data_dir = cli
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("./connector-data"));
    let storage = admin::Storage {
        data_dir: data_dir.clone(),
        database_url: cli.database_url.or(file.database_url),
        database_pool: cli.database_pool.or(file.database_pool),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve {
            listen,
            public_url,
            claim_lease,
        } => {
            let public_url = public_url.or(file.public_url);
            let listen = listen
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("a socket address"));
            let mut ctx = storage.open(clock)?;
            admin::set_claim_lease(&mut ctx, claim_lease)?;
            ctx.metrics_token = std::env::var("MULTILINE_METRICS_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
            let store = storage.database_url.as_deref().map_or_else(
                || admin::store_path(&data_dir).display().to_string(),
                admin::redacted,
            );
            runtime.block_on(admin::serve(ctx, listen, public_url, store))?;
        }
        Command::Org(command) => {
            let ctx = storage.open(clock)?;
            let env = ctx.env();
            let setting = |org, setting| {
                accounts::set_org_setting(&env, org, &setting)
                    .with_context(|| format!("no organization {org}"))
            };
            match command {
                OrgCommand::Create { name } => {
                    let org = accounts::create_organization(&env, &name, false)?;
                    println!("{org}");
                }
                OrgCommand::EnableWhatsapp { org } => {
                    setting(org, OrgSetting::WhatsappEnabled(true))?
                }
                OrgCommand::DisableWhatsapp { org } => {
                    setting(org, OrgSetting::WhatsappEnabled(false))?
                }
                OrgCommand::SetWindowRule { org, rule } => {
                    let rule = match rule {
                        Rule::AnyMessage => WindowRule::AnyMessage,
                        Rule::GuestMessage => WindowRule::GuestMessage,
                    };
                    setting(org, OrgSetting::WindowRule(rule))?
                }
                OrgCommand::SetKeywords {
                    org,
                    consent,
                    opt_out,
                } => {
                    let k = accounts::set_consent_keywords(
                        &env,
                        org,
                        consent.as_deref(),
                        opt_out.as_deref(),
                    )
                    .with_context(|| format!("the keywords of {org}"))?;
                    println!("consent: {}", k.affirmative.join(", "));
                    println!("opt-out: {}", k.opt_out.join(", "));
                }
                OrgCommand::List => {
                    for org in accounts::organizations(&env)? {
                        let state = if org.whatsapp_enabled { "on" } else { "off" };
                        println!("{}\t{}\twhatsapp {state}", org.id, org.name);
                    }
                }
            }
        }
        Command::CreateUser { org, name, email } => {
            let ctx = storage.open(clock)?;
            let password = secret("MULTILINE_PASSWORD")?;
            let user =
                accounts::create_user(&ctx.env(), org, &name, &email, &password).map_err(|e| {
                    match e {
                        multiline_connector::error::Error::Conflict(_) => {
                            anyhow::anyhow!("a user with the email {email} exists already")
                        }
                        e => e.into(),
                    }
                })?;
            println!("{user}");
        }
        Command::ConnectNumber(c) => {
            let ctx = storage.open(clock)?;
            let env = ctx.env();
            let owner = accounts::user_by_email(&env, &c.owner_email)?
                .with_context(|| format!("no user {}", c.owner_email))?;
            let line = accounts::connect_line(
                &env,
                c.org,
                &NewLine {
                    phone_number_id: c.phone_number_id,
                    waba_id: c.waba_id,
                    display_phone_number: c.display_number,
                    access_token: secret("WHATSAPP_ACCESS_TOKEN")?,
                    app_secret: secret("WHATSAPP_APP_SECRET")?,
                    verify_token: secret("WHATSAPP_VERIFY_TOKEN")?,
                    api_base_url: c.api_base_url,
                    api_version: c.api_version,
                    owner_user_id: owner,
                },
            )?;
            println!("{line}");
            eprintln!("webhook callback path: /webhooks/whatsapp/{line}");
        }
        Command::ConnectCarrier(c) => {
            let mut ctx = storage.open(clock)?;
            let account = CarrierAccount {
                provider: c.provider,
                account_sid: c.account_sid,
                auth_token: secret("CARRIER_AUTH_TOKEN")?,
                api_base_url: c.api_base_url,
                number: multiline_domain::phone::E164::parse(&c.number, None)
                    .with_context(|| format!("--number {}", c.number))?,
            };
            let line = admin::connect_carrier(&ctx.env(), c.org, &account)?;
            ctx.public_url = c.public_url;
            println!("{line}");
            eprintln!(
                "messaging webhook (a message comes in): {}",
                ctx.carrier_webhook_url(line, "sms")
            );
            eprintln!(
                "voice webhook (a call comes in): {}",
                ctx.carrier_webhook_url(line, "voice")
            );
        }
        Command::SyncTemplates { org } => {
            let ctx: Ctx = storage.open(clock)?;
            let line =
                accounts::line_of_org(&ctx.env(), org).context("the organization has no number")?;
            let count = runtime.block_on(template_sync::sync(&ctx, line.id))?;
            println!("{count} templates");
        }
        Command::Inbox(command) => {
            let ctx = storage.open(clock)?;
            let env = ctx.env();
            match command {
                InboxCommand::List { body } => {
                    let letters = inbox::dead_letters(&env, usize::MAX)?;
                    for l in &letters {
                        println!(
                            "{}\t{}\t{:?}\t{}\t{} attempts\t{}",
                            l.id,
                            l.line,
                            l.source,
                            l.received_at.to_rfc3339(),
                            l.attempts,
                            l.error
                        );
                        if body {
                            println!("{}", String::from_utf8_lossy(&l.body));
                        }
                    }
                    eprintln!("{} dead letters", letters.len());
                }
                InboxCommand::Retry { ids, all } => {
                    let ids = if all {
                        inbox::dead_letters(&env, usize::MAX)?
                            .into_iter()
                            .map(|l| l.id)
                            .collect()
                    } else {
                        ids
                    };
                    for id in ids {
                        if inbox::retry_dead_letter(&env, id)? {
                            println!("{id}\tback in the inbox");
                        } else {
                            anyhow::bail!("no dead letter {id}");
                        }
                    }
                }
            }
        }
        Command::Line(command) => {
            let ctx = storage.open(clock)?;
            let env = ctx.env();
            let line = match command {
                LineCommand::Show { org } => accounts::line_of_org(&env, org)
                    .with_context(|| format!("no line in the organization {org}"))?,
                LineCommand::SetApiVersion { org, version } => {
                    api_versions::set(&env, org, &version)?
                }
                LineCommand::Resume { org } => deliver::resume(&env, org)?,
            };
            if let Some(code) = &line.blocked_told {
                println!(
                    "PAUSED: WhatsApp refused to send (error {code}); fix it, then `line resume`"
                );
            }
            let standing = graph_version::standing(&line.api_version, env.now.date_naive());
            let until = match standing {
                Ok(
                    Standing::Supported { ends: Some(d) } | Standing::EndingSoon { ends: d, .. },
                ) => {
                    format!("until {d}")
                }
                Ok(Standing::Supported { ends: None }) => "no end date set by Meta yet".into(),
                Ok(Standing::Ended { .. }) => "ENDED: set a current version".into(),
                Err(e) => e.to_string(),
            };
            println!(
                "{}\t{}\t{until}",
                line.display_phone_number, line.api_version
            );
        }
        Command::Openapi => {
            println!("{}", multiline_connector::api::openapi().to_pretty_json()?);
        }
        Command::User(command) => {
            let ctx = storage.open(clock)?;
            let (email, disabled) = match command {
                UserCommand::Disable { email } => (email, true),
                UserCommand::Enable { email } => (email, false),
            };
            accounts::set_user_disabled(&ctx.env(), &email, disabled)
                .with_context(|| format!("no user {email}"))?;
            println!("{email} {}", if disabled { "disabled" } else { "enabled" });
        }
        Command::Sessions(SessionsCommand::Revoke { email }) => {
            let ctx = storage.open(clock)?;
            let ended = accounts::revoke_sessions(&ctx.env(), &email)
                .with_context(|| format!("no user {email}"))?;
            println!("{ended} sessions of {email} revoked");
        }
        Command::Backup { to } => {
            let store = storage.sqlite_file("backup")?;
            let facts = multiline_connector::store::sqlite::backup::backup(&store, &to)?;
            println!(
                "backed up to {} ({} bytes, schema {}); the key that seals its secrets is not \
                 in it: keep {} (or MULTILINE_SECRET_KEY) apart, safely",
                to.display(),
                facts.bytes,
                facts.schema,
                multiline_connector::store::secrets::key_file(&store).display()
            );
        }
        Command::Restore { from } => {
            let store = storage.sqlite_file("restore")?;
            let facts = multiline_connector::store::sqlite::backup::restore(&from, &store)?;
            // Opening applies what migrations the backup lacks, and needs its key.
            admin::open_store(&data_dir)
                .context("the backup is restored, but opening it failed (is its key in place?)")?;
            println!(
                "restored {} (schema {}) into {}",
                from.display(),
                facts.schema,
                store.display()
            );
        }
        Command::MigrateStore { from, to } => {
            let from = from.unwrap_or_else(|| admin::store_path(&data_dir));
            let Some(url) = to.or(storage.database_url.clone()) else {
                anyhow::bail!("say where to: --to postgres://... (or MULTILINE_DATABASE_URL)");
            };
            // The key as it is: the first start on PostgreSQL seals again, then forgets.
            let sealer =
                multiline_connector::store::secrets::Sealer::load(&admin::store_path(&data_dir))?;
            let store = multiline_connector::store::postgres::PgStore::connect(&url, sealer)
                .with_context(|| format!("connecting to {}", admin::redacted(&url)))?;
            let moved = multiline_connector::store::migrate::sqlite_to_postgres(&from, &store)?;
            for (table, rows) in &moved {
                println!("{table}: {rows}");
            }
            println!(
                "moved {} into {}: every table's rows counted on both sides; serve with \
                 --database-url (the secrets key stays in {})",
                from.display(),
                admin::redacted(&url),
                data_dir.display()
            );
        }
        Command::RotateKey => {
            let store = admin::store_path(&data_dir);
            let file = multiline_connector::store::secrets::rotate_key_file(&store)?;
            // Opening the store seals everything with the new key, then forgets the old one.
            storage.open_store()?;
            println!(
                "secrets sealed again with the new key in {}",
                file.display()
            );
        }
        Command::Audit(AuditCommand::Verify { org }) => {
            let ctx = storage.open(clock)?;
            let check = accounts::verify_audit(&ctx.env(), org)?;
            if check.problems.is_empty() {
                println!("intact: {} records, head {}", check.records, check.head);
            } else {
                for problem in &check.problems {
                    println!("{problem}");
                }
                anyhow::bail!(
                    "the audit of {org} was tampered with: {} breaks in {} records",
                    check.problems.len(),
                    check.records
                );
            }
        }
        Command::ExportAudit { org, out } => {
            let ctx = storage.open(clock)?;
            let env = ctx.env();
            let count = match out {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("creating {}", path.display()))?,
                    );
                    admin::export_audit(&env, org, &mut file)?
                }
                None => admin::export_audit(&env, org, &mut std::io::stdout().lock())?,
            };
            eprintln!("{count} audit entries");
        }
    }
    Ok(())
}
