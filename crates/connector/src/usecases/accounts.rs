//! Organizations, users, sessions and lines; an organization's settings (F1, F6-F8). Every
//! change an admin makes is audited with the actor `admin`, in the change's transaction.
//! Passwords are kept only as argon2id hashes, session tokens only as SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use multiline_domain::api::{Organization, Session};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::limits;
use multiline_domain::window::WindowRule;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Env, audit};
use crate::error::{Error, Result};
use crate::passwords::{self, Memory};
use crate::store::audit_chain::{self, AuditCheck};
use crate::store::{
    Caller, CarrierAccount, Line, NewLine, NewUser, OrgRecord, OrgSetting, StoreExt,
};
use crate::throttle::{Key, Lockout};

/// The longest a session lasts, however much it is used: then the user signs in again.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::days(90);

/// A session unused for this long ends (each use slides it forward).
pub const SESSION_IDLE: chrono::Duration = chrono::Duration::days(14);

/// A session's last use is written at most this often (not on every request).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// The shortest password a user may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What a session token is kept as.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2 hash of a random password, made once: what an unknown email is checked
/// against, so that a sign-in takes as long whether the email has an account or not.
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

pub fn create_organization(
    env: &Env<'_>,
    name: &str,
    whatsapp_enabled: bool,
) -> Result<OrganizationId> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            ErrorCode::InvalidName,
            "An organization needs a name.",
        ));
    }
    limits::ACCOUNT_NAME
        .check(name)
        .map_err(|sentence| Error::invalid(ErrorCode::InvalidName, sentence))?;
    let id: OrganizationId = env.ids.new();
    env.store.write(|tx| {
        tx.insert_organization(id, name, whatsapp_enabled, env.now)?;
        audit(
            tx,
            id,
            env.now,
            "admin",
            "organization.created",
            None,
            serde_json::json!({ "name": name, "whatsapp_enabled": whatsapp_enabled }),
        )
    })?;
    Ok(id)
}

pub fn organizations(env: &Env<'_>) -> Result<Vec<Organization>> {
    env.store.read(|tx| tx.organizations())
}

pub fn organization(env: &Env<'_>, org: OrganizationId) -> Result<OrgRecord> {
    env.store.read(|tx| tx.organization(org))
}

/// F1, F6, F7-F8: an admin changes a setting; it applies from the next check on.
pub fn set_org_setting(env: &Env<'_>, org: OrganizationId, setting: &OrgSetting) -> Result<()> {
    let (action, detail) = match setting {
        OrgSetting::WhatsappEnabled(true) => ("whatsapp.enabled", serde_json::json!({})),
        OrgSetting::WhatsappEnabled(false) => ("whatsapp.disabled", serde_json::json!({})),
        OrgSetting::WindowRule(rule) => {
            ("window_rule.changed", serde_json::json!({ "rule": rule }))
        }
        OrgSetting::ConsentKeywords(k) => (
            "consent_keywords.changed",
            serde_json::json!({ "affirmative": k.affirmative, "opt_out": k.opt_out }),
        ),
    };
    env.store.write(|tx| {
        tx.set_org_setting(org, setting)?;
        audit(tx, org, env.now, "admin", action, None, detail.clone())
    })
}

/// F7-F8.
pub fn set_window_rule(env: &Env<'_>, org: OrganizationId, rule: WindowRule) -> Result<()> {
    set_org_setting(env, org, &OrgSetting::WindowRule(rule))
}

/// F6: the organization's consent and opt-out words (`None` keeps that list as it is).
pub fn set_consent_keywords(
    env: &Env<'_>,
    org: OrganizationId,
    affirmative: Option<&[String]>,
    opt_out: Option<&[String]>,
) -> Result<ConsentKeywords> {
    let current = organization(env, org)?.consent_keywords;
    let keywords = ConsentKeywords::custom(
        Some(affirmative.unwrap_or(&current.affirmative)),
        Some(opt_out.unwrap_or(&current.opt_out)),
    )
    .map_err(|e| Error::invalid(ErrorCode::InvalidBody, e.to_string()))?;
    set_org_setting(env, org, &OrgSetting::ConsentKeywords(keywords.clone()))?;
    Ok(keywords)
}

/// Creates a user; the password is kept only as a slow salted hash. Emails are unique
/// regardless of case.
pub fn create_user(
    env: &Env<'_>,
    org: OrganizationId,
    name: &str,
    email: &str,
    password: &str,
) -> Result<UserId> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(Error::invalid(
            ErrorCode::InvalidBody,
            format!("{email:?} is not an email address."),
        ));
    }
    for (limit, value) in [
        (limits::ACCOUNT_NAME, name.trim()),
        (limits::EMAIL, email.as_str()),
        (limits::PASSWORD, password),
    ] {
        limit
            .check(value)
            .map_err(|sentence| Error::invalid(ErrorCode::InvalidBody, sentence))?;
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            ErrorCode::InvalidBody,
            format!("A password needs at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(Error::corrupt)?
        .to_string();
    let user = NewUser {
        id: env.ids.new(),
        org,
        name: name.trim().to_owned(),
        email,
        password_hash: hash,
        created_at: env.now,
    };
    env.store.write(|tx| {
        tx.insert_user(&user)?;
        audit(
            tx,
            org,
            env.now,
            "admin",
            "user.created",
            None,
            serde_json::json!({ "user_id": user.id, "email": user.email }),
        )
    })?;
    Ok(user.id)
}

pub fn user_by_email(env: &Env<'_>, email: &str) -> Result<Option<UserId>> {
    let email = email.trim().to_lowercase();
    Ok(env
        .store
        .read(|tx| tx.user_by_email(&email))?
        .map(|u| u.user.id))
}

/// Checks the password (in `memory`, see [`crate::passwords`]) and opens a session for
/// `token` (kept only as a hash). `None` for an unknown email or a wrong password alike, in
/// the same time.
pub fn sign_in(
    env: &Env<'_>,
    email: &str,
    password: &str,
    token: &str,
    memory: &mut Memory,
) -> Result<Option<Session>> {
    if limits::EMAIL.check(email.trim()).is_err() || limits::PASSWORD.check(password).is_err() {
        // No account has such an email or password: refused without hashing megabytes.
        return Ok(None);
    }
    let email = email.trim().to_lowercase();
    let user = env.store.read(|tx| tx.user_by_email(&email))?;
    let Some(user) = user else {
        let _ = passwords::verify(memory, password, dummy_hash())?;
        return Ok(None);
    };
    if !passwords::verify(memory, password, &user.password_hash)? || user.disabled {
        return Ok(None);
    }
    let id = user.user.id;
    env.store
        .write(|tx| {
            tx.insert_session(&hash_token(token), id, env.now, env.now + SESSION_LIFETIME)?;
            tx.session(id)
        })
        .map(Some)
}

/// Audits the locks a wrong password started (see [`crate::throttle`]), in the organization
/// of the account tried; an email nobody has is only logged.
pub fn sign_in_locked(env: &Env<'_>, email: &str, lockouts: &[Lockout]) -> Result<()> {
    let email = email.trim().to_lowercase();
    for lock in lockouts {
        let what = match &lock.key {
            Key::Account(_) => "account".to_owned(),
            Key::Address(ip) => format!("address {ip}"),
        };
        tracing::warn!(%email, what, until = %lock.until, failures = lock.failures,
            "sign-in locked after wrong passwords");
    }
    let Some(user) = env.store.read(|tx| tx.user_by_email(&email))? else {
        return Ok(());
    };
    env.store.write(|tx| {
        for lock in lockouts {
            let (kind, address) = match &lock.key {
                Key::Account(_) => ("account", None),
                Key::Address(ip) => ("address", Some(ip.to_string())),
            };
            audit(
                tx,
                user.org_id,
                env.now,
                "system",
                "sign_in.locked",
                None,
                serde_json::json!({ "email": email, "locked": kind, "address": address,
                    "until": lock.until, "failures": lock.failures }),
            )?;
        }
        Ok(())
    })
}

/// The caller behind a bearer token, if its session is neither expired nor revoked.
pub fn caller(env: &Env<'_>, token: &str) -> Result<Option<Caller>> {
    let hash = hash_token(token);
    let found = env
        .store
        .read(|tx| tx.session_caller(&hash, env.now, env.now - SESSION_IDLE))?;
    let Some((caller, last_seen)) = found else {
        return Ok(None);
    };
    if env.now - last_seen >= TOUCH_EVERY {
        env.store.write(|tx| tx.touch_session(&hash, env.now))?;
    }
    Ok(Some(caller))
}

/// Ends every session of the user with this email (their open apps are signed out at
/// once; their data stays on their devices); audited. Answers how many ended.
pub fn revoke_sessions(env: &Env<'_>, email: &str) -> Result<usize> {
    let user = user_record(env, email)?;
    env.store.write(|tx| {
        let ended = tx.revoke_sessions_of(user.user.id, env.now)?;
        audit(
            tx,
            user.org_id,
            env.now,
            "admin",
            "sessions.revoked",
            None,
            serde_json::json!({ "user_id": user.user.id, "email": user.user.email, "sessions": ended }),
        )?;
        Ok(ended)
    })
}

/// Disables (or enables again) the user with this email: a disabled user cannot sign in,
/// their sessions end at once, and they are no colleague to add; their messages and
/// threads stay. Audited.
pub fn set_user_disabled(env: &Env<'_>, email: &str, disabled: bool) -> Result<()> {
    let user = user_record(env, email)?;
    env.store.write(|tx| {
        tx.set_user_disabled(user.user.id, disabled.then_some(env.now))?;
        let ended = if disabled {
            tx.revoke_sessions_of(user.user.id, env.now)?
        } else {
            0
        };
        audit(
            tx,
            user.org_id,
            env.now,
            "admin",
            if disabled { "user.disabled" } else { "user.enabled" },
            None,
            serde_json::json!({ "user_id": user.user.id, "email": user.user.email, "sessions_ended": ended }),
        )
    })
}

fn user_record(env: &Env<'_>, email: &str) -> Result<crate::store::UserRecord> {
    let email = email.trim().to_lowercase();
    env.store
        .read(|tx| tx.user_by_email(&email))?
        .ok_or(Error::NotFound)
}

/// Revokes a session; an unknown token is fine.
pub fn sign_out(env: &Env<'_>, token: &str) -> Result<()> {
    let hash = hash_token(token);
    env.store.write(|tx| tx.revoke_session(&hash, env.now))
}

/// What the app shows of the signed-in user (`GET /v1/me`).
pub fn session(env: &Env<'_>, user: UserId) -> Result<Session> {
    env.store.read(|tx| tx.session(user))
}

/// Connects a business number (or updates the one with the same phone number id); its
/// Graph API version must be one Meta answers. A line belongs to one organization: a phone
/// number id or a WhatsApp Business Account connected in another organization is refused,
/// and so is an owner from another organization. Secrets (token, app secret) are not written
/// to the audit.
pub fn connect_line(env: &Env<'_>, org: OrganizationId, line: &NewLine) -> Result<Uuid> {
    super::api_versions::settable(&line.api_version, env.now.date_naive())?;
    let id = env.ids.next_uuid();
    env.store.write(|tx| {
        if tx.session(line.owner_user_id)?.organization.id != org {
            return Err(Error::invalid(
                ErrorCode::InvalidBody,
                "The line's owner is a user of another organization: choose one of this \
                 organization's users.",
            ));
        }
        let claimed = tx.lines_claiming(&line.phone_number_id, &line.waba_id)?;
        if let Some(other) = claimed.iter().find(|l| l.org_id != org) {
            let what = if other.phone_number_id == line.phone_number_id {
                format!("The phone number id {}", line.phone_number_id)
            } else {
                format!("The WhatsApp Business Account {}", line.waba_id)
            };
            return Err(Error::invalid(
                ErrorCode::Conflict,
                format!(
                    "{what} is connected in another organization already; a line belongs to \
                     one organization."
                ),
            ));
        }
        let id = tx.upsert_line(org, id, line)?;
        audit(
            tx,
            org,
            env.now,
            "admin",
            "line.connected",
            None,
            serde_json::json!({
                "phone_number_id": line.phone_number_id,
                "waba_id": line.waba_id,
                "display_phone_number": line.display_phone_number,
                "api_base_url": line.api_base_url,
            }),
        )?;
        Ok(id)
    })
}

pub fn line(env: &Env<'_>, id: Uuid) -> Result<Line> {
    env.store.read(|tx| tx.line(id))
}

/// A webhook signed for `line` that names another number: audited (what the connector
/// refused, and for which number), nothing else kept.
pub fn webhook_refused(env: &Env<'_>, org: OrganizationId, line: Uuid, number: &str) -> Result<()> {
    env.store.write(|tx| {
        super::audit(
            tx,
            org,
            env.now,
            "whatsapp",
            "webhook.refused",
            None,
            serde_json::json!({ "line": line, "phone_number_id": number,
                "why": "the body is for another number than the line's" }),
        )
    })
}

pub fn line_of_org(env: &Env<'_>, org: OrganizationId) -> Result<Line> {
    env.store.read(|tx| tx.line_of_org(org))
}

/// Connects the SMS and voice carrier of the organization's line (F22); audited without the
/// secret. Answers the line's id.
pub fn connect_carrier(
    env: &Env<'_>,
    org: OrganizationId,
    carrier: &CarrierAccount,
) -> Result<Uuid> {
    env.store.write(|tx| {
        let line = tx.line_of_org(org)?.id;
        tx.set_line_carrier(line, Some(carrier))?;
        audit(
            tx,
            org,
            env.now,
            "admin",
            "line.carrier_connected",
            None,
            serde_json::json!({
                "line": line,
                "provider": carrier.provider,
                "account_sid": carrier.account_sid,
                "number": carrier.number,
                "api_base_url": carrier.api_base_url,
            }),
        )?;
        Ok(line)
    })
}

/// Sets a line's carrier without an admin's audit record: the demo's own wiring at start.
pub fn set_line_carrier(env: &Env<'_>, line: Uuid, carrier: Option<&CarrierAccount>) -> Result<()> {
    env.store.write(|tx| tx.set_line_carrier(line, carrier))
}

/// Walks the organization's audit hash chain (see [`crate::store::audit_chain`]).
pub fn verify_audit(env: &Env<'_>, org: OrganizationId) -> Result<AuditCheck> {
    let (links, head) = env.store.read(|tx| tx.audit_links(org))?;
    Ok(audit_chain::verify(&org.to_string(), &links, head))
}

/// The organization's audit record, oldest first (F21).
pub fn audit_record(env: &Env<'_>, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
    env.store.read(|tx| tx.audit(org))
}
