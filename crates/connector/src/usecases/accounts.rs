//! Organizations, users, sessions and lines; an organization's settings (F1, F6-F8). Every
//! change an admin makes is audited with the actor `admin`, in the change's transaction.
//! Passwords are kept only as argon2id hashes, session tokens only as SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use multiline_domain::api::{Organization, Session};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::window::WindowRule;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Env, audit};
use crate::error::{Error, Result};
use crate::store::{
    Caller, CarrierAccount, Line, NewLine, NewUser, OrgRecord, OrgSetting, StoreExt,
};

/// How long a session token stays valid.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::days(30);

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

/// Checks the password and opens a session for `token` (kept only as a hash). `None` for an
/// unknown email or a wrong password alike, in the same time.
pub fn sign_in(env: &Env<'_>, email: &str, password: &str, token: &str) -> Result<Option<Session>> {
    let email = email.trim().to_lowercase();
    let user = env.store.read(|tx| tx.user_by_email(&email))?;
    let Some(user) = user else {
        let dummy = PasswordHash::new(dummy_hash()).map_err(Error::corrupt)?;
        let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
        return Ok(None);
    };
    let hash = PasswordHash::new(&user.password_hash).map_err(Error::corrupt)?;
    if Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_err()
    {
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

/// The caller behind a bearer token, if its session is neither expired nor revoked.
pub fn caller(env: &Env<'_>, token: &str) -> Result<Option<Caller>> {
    let hash = hash_token(token);
    env.store.read(|tx| tx.session_caller(&hash, env.now))
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
/// Graph API version must be one Meta answers. Secrets (token, app secret) are not written
/// to the audit.
pub fn connect_line(env: &Env<'_>, org: OrganizationId, line: &NewLine) -> Result<Uuid> {
    super::api_versions::settable(&line.api_version, env.now.date_naive())?;
    let id = env.ids.next_uuid();
    env.store.write(|tx| {
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

/// The organization's audit record, oldest first (F21).
pub fn audit_record(env: &Env<'_>, org: OrganizationId) -> Result<Vec<serde_json::Value>> {
    env.store.read(|tx| tx.audit(org))
}
