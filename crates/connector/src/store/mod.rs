//! The connector's store: the [`Store`] traits (the contract, in [`traits`]), and
//! [`SqliteStore`], the embedded default (rusqlite, WAL, numbered migrations).
//!
//! How SQLite keeps the contract:
//! - each change and the events announcing it are one IMMEDIATE transaction;
//! - the audit table is append-only, enforced by triggers;
//! - one connection behind a mutex: writes are serial, which is what SQLite does anyway.

pub mod conformance;
mod contacts;
mod events;
mod media;
mod messages;
mod participants;
mod templates;
mod threads;
mod traits;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::DateTime;
use multiline_domain::api::{Contact, ContactPhone, Organization, Session, User};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, OrganizationId, UserId};
use multiline_domain::phone::E164;
use multiline_domain::policy::Refusal;
use multiline_domain::time::Timestamp;
use multiline_domain::window::WindowRule;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use media::StoredMedia;
pub use messages::{
    CloudMediaRef, InboundMessage, InboxWork, OutboundJob, ReceivedMedia, StatusUpdate,
};
pub use templates::ListedTemplate;
/// The store traits, to call store methods: `use multiline_connector::store::prelude::*`.
pub mod prelude {
    pub use super::traits::{
        AccountStore, AuditStore, ContactStore, EventStore, InboxStore, MediaStore, MessageStore,
        OutboxStore, ParticipantStore, Store, TemplateStore, ThreadStore,
    };
}

pub use traits::{
    AccountStore, AuditStore, ContactStore, EventStore, InboxStore, MediaStore, MessageStore,
    OutboxStore, ParticipantStore, Store, TemplateStore, ThreadStore,
};

/// How long a session token stays valid.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::days(30);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The backend failed (I/O, a lock, a broken connection): not the caller's fault.
    #[error("store backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Backend(Box::new(e))
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> StoreError {
        StoreError::Backend(Box::new(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is calling: resolved from a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub org_id: OrganizationId,
}

/// A business phone number connected to the Cloud API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: Uuid,
    pub org_id: OrganizationId,
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    /// `https://graph.facebook.com` in production, the simulator in the demo and tests.
    pub api_base_url: String,
    pub api_version: String,
    /// Who gets new threads a guest opens.
    pub owner_user_id: UserId,
    /// The line's SMS and voice carrier, if connected (F22).
    pub carrier: Option<crate::carrier::CarrierConfig>,
}

/// What `connect_line` needs.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub api_base_url: String,
    pub api_version: String,
    pub owner_user_id: UserId,
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(v: i64) -> Timestamp {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

pub(crate) fn uuid_col(s: String) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/sqlite/001_initial.sql")),
        M::up(include_str!("../../migrations/sqlite/002_templates.sql")),
        M::up(include_str!("../../migrations/sqlite/003_media.sql")),
        M::up(include_str!(
            "../../migrations/sqlite/004_consent_keywords.sql"
        )),
        M::up(include_str!(
            "../../migrations/sqlite/005_sms_and_voicemail.sql"
        )),
        M::up(include_str!(
            "../../migrations/sqlite/006_early_transcripts.sql"
        )),
    ])
}

/// An argon2 hash of a random password, made once: what an unknown email is checked against.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The SQLite store. One connection behind a mutex: callers run its methods on blocking
/// threads (`tokio::task::spawn_blocking`), never on the async runtime.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction (takes the write lock up front: no upgrade
    /// deadlocks between readers turning writers).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one read transaction: a consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl AccountStore for SqliteStore {
    fn create_organization(
        &self,
        name: &str,
        whatsapp_enabled: bool,
        now: Timestamp,
    ) -> Result<OrganizationId> {
        let id = OrganizationId::random();
        self.conn().execute(
            "INSERT INTO organizations (id, name, whatsapp_enabled, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, whatsapp_enabled, micros(now)],
        )?;
        Ok(id)
    }

    fn set_whatsapp_enabled(&self, org: OrganizationId, enabled: bool) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE organizations SET whatsapp_enabled = ?2 WHERE id = ?1",
            params![org.to_string(), enabled],
        )?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    fn set_window_rule(&self, org: OrganizationId, rule: WindowRule) -> Result<()> {
        let rule = serde_json::to_value(rule).expect("enum serializes");
        let n = self.conn().execute(
            "UPDATE organizations SET window_rule = ?2 WHERE id = ?1",
            params![org.to_string(), rule.as_str()],
        )?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    fn set_consent_keywords(&self, org: OrganizationId, keywords: &ConsentKeywords) -> Result<()> {
        let json = serde_json::to_string(keywords).expect("keywords serialize");
        let n = self.conn().execute(
            "UPDATE organizations SET consent_keywords = ?2 WHERE id = ?1",
            params![org.to_string(), json],
        )?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    fn consent_keywords(&self, org: OrganizationId) -> Result<ConsentKeywords> {
        let conn = self.conn();
        consent_keywords_of(&conn, org)
    }

    fn organizations(&self) -> Result<Vec<Organization>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT o.id, o.name, o.whatsapp_enabled,
                             EXISTS (SELECT 1 FROM lines l WHERE l.org_id = o.id AND l.carrier IS NOT NULL)
                      FROM organizations o ORDER BY o.created_at")?;
        let rows = stmt.query_map([], |r| {
            Ok(Organization {
                id: OrganizationId(uuid_col(r.get(0)?)?),
                name: r.get(1)?,
                whatsapp_enabled: r.get(2)?,
                sms_enabled: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates a user; the password is stored only as an argon2id hash.
    fn create_user(
        &self,
        org: OrganizationId,
        name: &str,
        email: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<UserId> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .to_string();
        let id = UserId::random();
        let email = email.trim().to_lowercase();
        self.conn()
            .execute(
                "INSERT INTO users (id, org_id, name, email, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id.to_string(), org.to_string(), name, email, hash, micros(now)],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Conflict("a user with this email exists")
                }
                e => e.into(),
            })?;
        Ok(id)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserId>> {
        let email = email.trim().to_lowercase();
        self.conn()
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(|s| Uuid::parse_str(&s).map(UserId))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Checks a password and opens a session. `None` for an unknown email or a wrong password
    /// (the caller cannot tell which).
    fn sign_in(
        &self,
        email: &str,
        password: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Session>> {
        let email = email.trim().to_lowercase();
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT id, password_hash FROM users WHERE email = ?1",
                [&email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((user_id, hash)) = row else {
            // Spend the same time as for a known email, so timing does not tell which
            // emails have accounts.
            let _ = Argon2::default().verify_password(
                password.as_bytes(),
                &PasswordHash::new(dummy_hash()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        self.conn().execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash_token(token), user_id, micros(now), micros(now + SESSION_LIFETIME)],
        )?;
        let user_id =
            UserId(Uuid::parse_str(&user_id).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        self.session(user_id).map(Some)
    }

    /// The caller behind a bearer token, if it is valid now.
    fn caller(&self, token: &str, now: Timestamp) -> Result<Option<Caller>> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT u.id, u.org_id FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2",
                params![hash_token(token), micros(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(u, o)| {
            Ok(Caller {
                user_id: UserId(
                    Uuid::parse_str(&u).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ),
                org_id: OrganizationId(
                    Uuid::parse_str(&o).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ),
            })
        })
        .transpose()
    }

    fn sign_out(&self, token: &str, now: Timestamp) -> Result<()> {
        self.conn().execute(
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![hash_token(token), micros(now)],
        )?;
        Ok(())
    }

    fn session(&self, user: UserId) -> Result<Session> {
        self.conn()
            .query_row(
                "SELECT u.id, u.name, u.email, o.id, o.name, o.whatsapp_enabled,
                        EXISTS (SELECT 1 FROM lines l WHERE l.org_id = o.id AND l.carrier IS NOT NULL)
                 FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = ?1",
                [user.to_string()],
                |r| {
                    Ok(Session {
                        user: User {
                            id: UserId(uuid_col(r.get(0)?)?),
                            name: r.get(1)?,
                            email: r.get(2)?,
                        },
                        organization: Organization {
                            id: OrganizationId(uuid_col(r.get(3)?)?),
                            name: r.get(4)?,
                            whatsapp_enabled: r.get(5)?,
                            sms_enabled: r.get(6)?,
                        },
                    })
                },
            )
            .optional()?
            .ok_or(StoreError::NotFound)
    }

    // ---- lines --------------------------------------------------------------------------

    fn connect_line(&self, org: OrganizationId, line: NewLine) -> Result<Uuid> {
        let id = OrganizationId::random().0;
        self.conn().execute(
            "INSERT INTO lines (id, org_id, phone_number_id, waba_id, display_phone_number, access_token,
                 app_secret, verify_token, api_base_url, api_version, owner_user_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (phone_number_id) DO UPDATE SET waba_id = excluded.waba_id,
                 display_phone_number = excluded.display_phone_number, access_token = excluded.access_token,
                 app_secret = excluded.app_secret, verify_token = excluded.verify_token,
                 api_base_url = excluded.api_base_url, api_version = excluded.api_version,
                 owner_user_id = excluded.owner_user_id",
            params![
                id.to_string(), org.to_string(), line.phone_number_id, line.waba_id, line.display_phone_number,
                line.access_token, line.app_secret, line.verify_token, line.api_base_url, line.api_version,
                line.owner_user_id.to_string()
            ],
        )?;
        self.conn()
            .query_row(
                "SELECT id FROM lines WHERE phone_number_id = ?1",
                [&line.phone_number_id],
                |r| uuid_col(r.get(0)?),
            )
            .map_err(Into::into)
    }

    fn line(&self, id: Uuid) -> Result<Line> {
        line_by(&self.conn(), "id", &id.to_string())
    }

    fn set_line_carrier(
        &self,
        line: Uuid,
        carrier: Option<&crate::carrier::CarrierConfig>,
    ) -> Result<()> {
        let json = carrier.map(|c| serde_json::to_string(c).expect("serializes"));
        let n = self.conn().execute(
            "UPDATE lines SET carrier = ?2 WHERE id = ?1",
            params![line.to_string(), json],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The organization's (first) WhatsApp line.
    fn line_of_org(&self, org: OrganizationId) -> Result<Line> {
        line_by(&self.conn(), "org_id", &org.to_string())
    }
}

impl AuditStore for SqliteStore {
    /// Every audit record of an organization, oldest first, as JSON objects.
    fn audit(&self, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, thread_id, detail FROM audit WHERE org_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([org.to_string()], |r| {
            let detail: String = r.get(5)?;
            Ok(serde_json::json!({
                "id": r.get::<_, i64>(0)?,
                "at": from_micros(r.get(1)?),
                "actor": r.get::<_, String>(2)?,
                "action": r.get::<_, String>(3)?,
                "thread_id": r.get::<_, Option<String>>(4)?,
                "detail": serde_json::from_str::<serde_json::Value>(&detail).unwrap_or(serde_json::Value::Null),
            }))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many rows each table holds, by name: tests check that a refused request wrote
    /// nothing, anywhere.
    fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tables
            .into_iter()
            .map(|t| {
                let n: i64 =
                    conn.query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))?;
                Ok((t, n))
            })
            .collect()
    }

    /// Records an admin's change (actor `admin`).
    fn audit_admin(
        &self,
        org: OrganizationId,
        at: Timestamp,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.write(|tx| audit(tx, org, at, "admin", action, None, detail))
    }
}

pub(crate) fn audit(
    tx: &Transaction<'_>,
    org: OrganizationId,
    at: Timestamp,
    actor: &str,
    action: &str,
    thread: Option<multiline_domain::ids::ThreadId>,
    detail: serde_json::Value,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (org_id, at, actor, action, thread_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![org.to_string(), micros(at), actor, action, thread.map(|t| t.to_string()), detail.to_string()],
    )?;
    Ok(())
}

fn line_by(conn: &Connection, column: &str, value: &str) -> Result<Line> {
    // `column` is one of our own literals, never input.
    let sql = format!(
        "SELECT id, org_id, phone_number_id, waba_id, display_phone_number, access_token, app_secret,
                verify_token, api_base_url, api_version, owner_user_id, carrier FROM lines WHERE {column} = ?1 LIMIT 1"
    );
    let line = conn
        .query_row(&sql, [value], |r| {
            let carrier: Option<String> = r.get(11)?;
            Ok((
                Line {
                    id: uuid_col(r.get(0)?)?,
                    org_id: OrganizationId(uuid_col(r.get(1)?)?),
                    phone_number_id: r.get(2)?,
                    waba_id: r.get(3)?,
                    display_phone_number: r.get(4)?,
                    access_token: r.get(5)?,
                    app_secret: r.get(6)?,
                    verify_token: r.get(7)?,
                    api_base_url: r.get(8)?,
                    api_version: r.get(9)?,
                    owner_user_id: UserId(uuid_col(r.get(10)?)?),
                    carrier: None,
                },
                carrier,
            ))
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let (mut line, carrier) = line;
    line.carrier = carrier
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(line)
}

/// The organization's consent keywords: its own, or the defaults.
pub(crate) fn consent_keywords_of(
    conn: &Connection,
    org: OrganizationId,
) -> Result<ConsentKeywords> {
    let json: Option<String> = conn
        .query_row(
            "SELECT consent_keywords FROM organizations WHERE id = ?1",
            [org.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    match json {
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())),
        None => Ok(ConsentKeywords::default()),
    }
}

pub(crate) fn contact_in(conn: &Connection, org: OrganizationId, id: ContactId) -> Result<Contact> {
    let (name, company, notes): (String, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT name, company, notes FROM contacts WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL",
            params![id.to_string(), org.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let mut stmt = conn.prepare_cached(
        "SELECT number, label FROM contact_phones WHERE contact_id = ?1 ORDER BY position",
    )?;
    let phones = stmt
        .query_map([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .map(|row| {
            let (number, label) = row?;
            let number =
                E164::from_stored(&number).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(ContactPhone { number, label })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Contact {
        id,
        name,
        company,
        notes,
        phones,
    })
}

#[cfg(test)]
mod tests;
