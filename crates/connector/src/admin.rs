//! What the admin commands do, callable from the CLI (`main.rs`) and from tests: create an
//! organization and its users, connect a WhatsApp number, turn WhatsApp on or off, sync
//! templates, export the audit record as JSON Lines. Every change an admin makes is audited
//! with the actor `admin`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::time::Clock;
use multiline_domain::window::WindowRule;
use serde::Deserialize;

use crate::store::{NewLine, SqliteStore, Store};

/// The connector's settings: command-line flags win over environment variables, which win
/// over the configuration file, which wins over the defaults.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where the SQLite store lives (`connector.sqlite3` inside).
    pub data_dir: Option<PathBuf>,
    /// The address `serve` listens on.
    pub listen: Option<std::net::SocketAddr>,
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

pub fn create_organization(
    store: &dyn Store,
    clock: &dyn Clock,
    name: &str,
    whatsapp_enabled: bool,
) -> anyhow::Result<OrganizationId> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty(), "an organization needs a name");
    let org = store.create_organization(name, whatsapp_enabled, clock.now())?;
    store.audit_admin(
        org,
        clock.now(),
        "organization.created",
        serde_json::json!({ "name": name, "whatsapp_enabled": whatsapp_enabled }),
    )?;
    Ok(org)
}

pub fn create_user(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    name: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<UserId> {
    anyhow::ensure!(
        password.chars().count() >= 12,
        "a password needs at least 12 characters"
    );
    anyhow::ensure!(email.contains('@'), "{email:?} is not an email address");
    anyhow::ensure!(
        store.user_by_email(email)?.is_none(),
        "a user with the email {email} exists already"
    );
    let user = store.create_user(org, name.trim(), email.trim(), password, clock.now())?;
    store.audit_admin(
        org,
        clock.now(),
        "user.created",
        serde_json::json!({ "user_id": user, "email": email }),
    )?;
    Ok(user)
}

/// F7-F8: the organization's 24-hour window rule, from its threads' next check on.
pub fn set_window_rule(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    rule: WindowRule,
) -> anyhow::Result<()> {
    store
        .set_window_rule(org, rule)
        .with_context(|| format!("no organization {org}"))?;
    store.audit_admin(
        org,
        clock.now(),
        "window_rule.changed",
        serde_json::json!({ "rule": rule }),
    )?;
    Ok(())
}

/// F6: the organization's consent and opt-out words (`None` keeps that list as it is).
pub fn set_consent_keywords(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    affirmative: Option<&[String]>,
    opt_out: Option<&[String]>,
) -> anyhow::Result<ConsentKeywords> {
    let current = store
        .consent_keywords(org)
        .with_context(|| format!("no organization {org}"))?;
    let keywords = ConsentKeywords::custom(
        Some(affirmative.unwrap_or(&current.affirmative)),
        Some(opt_out.unwrap_or(&current.opt_out)),
    )?;
    store.set_consent_keywords(org, &keywords)?;
    store.audit_admin(
        org,
        clock.now(),
        "consent_keywords.changed",
        serde_json::json!({ "affirmative": keywords.affirmative, "opt_out": keywords.opt_out }),
    )?;
    Ok(keywords)
}

pub fn set_whatsapp_enabled(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    enabled: bool,
) -> anyhow::Result<()> {
    store
        .set_whatsapp_enabled(org, enabled)
        .with_context(|| format!("no organization {org}"))?;
    store.audit_admin(
        org,
        clock.now(),
        if enabled {
            "whatsapp.enabled"
        } else {
            "whatsapp.disabled"
        },
        serde_json::json!({}),
    )?;
    Ok(())
}

/// Connects a business number. Secrets (token, app secret) are not written to the audit.
pub fn connect_line(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    line: NewLine,
) -> anyhow::Result<uuid::Uuid> {
    let detail = serde_json::json!({
        "phone_number_id": line.phone_number_id,
        "waba_id": line.waba_id,
        "display_phone_number": line.display_phone_number,
        "api_base_url": line.api_base_url,
    });
    let id = store.connect_line(org, line)?;
    store.audit_admin(org, clock.now(), "line.connected", detail)?;
    Ok(id)
}

/// Connects the SMS and voice carrier of the organization's line (F22); audited without
/// the secret. Answers the line's id.
pub fn connect_carrier(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganizationId,
    carrier: &crate::carrier::CarrierConfig,
) -> anyhow::Result<uuid::Uuid> {
    anyhow::ensure!(
        crate::carrier::PROVIDERS.contains(&carrier.provider.as_str()),
        "unknown carrier {:?}: one of {}",
        carrier.provider,
        crate::carrier::PROVIDERS.join(", ")
    );
    let line = store.line_of_org(org)?.id;
    store.set_line_carrier(line, Some(carrier))?;
    store.audit_admin(
        org,
        clock.now(),
        "line.carrier_connected",
        serde_json::json!({
            "line": line,
            "provider": carrier.provider,
            "account_sid": carrier.account_sid,
            "number": carrier.number,
            "api_base_url": carrier.api_base_url,
        }),
    )?;
    Ok(line)
}

/// Writes the organization's audit record, oldest first, one JSON object per line.
pub fn export_audit(
    store: &dyn Store,
    org: OrganizationId,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let entries = store.audit(org)?;
    for entry in &entries {
        serde_json::to_writer(&mut *out, entry)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(entries.len())
}
