//! Organizations, users, sessions, lines.

use multiline_domain::api::{Organization, Session, User};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{
    SqliteTx, enum_col, enum_str, from_micros, json, json_col, micros, touched, user_row, uuid_col,
};
use crate::store::{
    AccountTx, Caller, CarrierAccount, Error, Line, NewLine, NewUser, OrgRecord, OrgSetting,
    Result, UserRecord,
};

/// Whether a line of the organization has a carrier (F22: SMS is possible).
const SMS_ENABLED: &str =
    "EXISTS (SELECT 1 FROM lines l WHERE l.org_id = o.id AND l.carrier IS NOT NULL)";

const LINE_COLUMNS: &str = "id, org_id, phone_number_id, waba_id, display_phone_number, \
     access_token, app_secret, verify_token, api_base_url, api_version, owner_user_id, carrier, \
     api_version_warned, blocked_told";

fn line_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Line> {
    let carrier: Option<String> = r.get(11)?;
    Ok(Line {
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
        carrier: carrier.map(json_col::<CarrierAccount>).transpose()?,
        api_version_warned: r.get(12)?,
        blocked_told: r.get(13)?,
    })
}

impl SqliteTx<'_> {
    fn line_where(&self, column: &str, value: &str) -> Result<Line> {
        // `column` is one of our own literals, never input.
        let sql =
            format!("SELECT {LINE_COLUMNS} FROM lines WHERE {column} = ?1 ORDER BY rowid LIMIT 1");
        let line = self
            .row(&sql, [value], line_row)
            .optional()?
            .ok_or(Error::NotFound)?;
        self.sealer.open_line(line)
    }
}

impl AccountTx for SqliteTx<'_> {
    fn insert_organization(
        &mut self,
        id: OrganizationId,
        name: &str,
        whatsapp_enabled: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO organizations (id, name, whatsapp_enabled, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), name, whatsapp_enabled, micros(now)],
        )?;
        Ok(())
    }

    fn set_org_setting(&mut self, org: OrganizationId, setting: &OrgSetting) -> Result<()> {
        let id = org.to_string();
        let n = match setting {
            OrgSetting::WhatsappEnabled(on) => self.exec(
                "UPDATE organizations SET whatsapp_enabled = ?2 WHERE id = ?1",
                params![id, on],
            )?,
            OrgSetting::WindowRule(rule) => self.exec(
                "UPDATE organizations SET window_rule = ?2 WHERE id = ?1",
                params![id, enum_str(rule)],
            )?,
            OrgSetting::ConsentKeywords(words) => self.exec(
                "UPDATE organizations SET consent_keywords = ?2 WHERE id = ?1",
                params![id, json(words)],
            )?,
        };
        touched(n)
    }

    fn organization(&mut self, org: OrganizationId) -> Result<OrgRecord> {
        let sql = format!(
            "SELECT o.name, o.whatsapp_enabled, o.window_rule, o.consent_keywords,
                    o.opt_in_template, o.opt_in_language, {SMS_ENABLED}
             FROM organizations o WHERE o.id = ?1"
        );
        self.row(&sql, [org.to_string()], |r| {
            let keywords: Option<String> = r.get(3)?;
            Ok(OrgRecord {
                id: org,
                name: r.get(0)?,
                whatsapp_enabled: r.get(1)?,
                window_rule: enum_col(r.get(2)?)?,
                consent_keywords: keywords
                    .map(json_col::<ConsentKeywords>)
                    .transpose()?
                    .unwrap_or_default(),
                opt_in_template: (r.get(4)?, r.get(5)?),
                sms_enabled: r.get(6)?,
            })
        })
        .optional()?
        .ok_or(Error::NotFound)
    }

    fn organizations(&mut self) -> Result<Vec<Organization>> {
        let sql = format!(
            "SELECT o.id, o.name, o.whatsapp_enabled, {SMS_ENABLED}, o.opt_in_template
             FROM organizations o ORDER BY o.created_at, o.id"
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Organization {
                id: OrganizationId(uuid_col(r.get(0)?)?),
                name: r.get(1)?,
                whatsapp_enabled: r.get(2)?,
                sms_enabled: r.get(3)?,
                opt_in_template: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<()> {
        self.exec(
            "INSERT INTO users (id, org_id, name, email, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                user.id.to_string(),
                user.org.to_string(),
                user.name,
                user.email,
                user.password_hash,
                micros(user.created_at)
            ],
        )
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict("a user with this email exists"),
            other => other,
        })?;
        Ok(())
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>> {
        Ok(self
            .row(
                "SELECT id, org_id, name, email, password_hash, disabled_at FROM users WHERE email = ?1",
                [email],
                |r| {
                    Ok(UserRecord {
                        user: User {
                            id: UserId(uuid_col(r.get(0)?)?),
                            name: r.get(2)?,
                            email: r.get(3)?,
                        },
                        org_id: OrganizationId(uuid_col(r.get(1)?)?),
                        password_hash: r.get(4)?,
                        disabled: r.get::<_, Option<i64>>(5)?.is_some(),
                    })
                },
            )
            .optional()?)
    }

    fn users_of_org(&mut self, org: OrganizationId) -> Result<Vec<User>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, name, email FROM users WHERE org_id = ?1 AND disabled_at IS NULL
             ORDER BY name COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([org.to_string()], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn session(&mut self, user: UserId) -> Result<Session> {
        let sql = format!(
            "SELECT u.id, u.name, u.email, o.id, o.name, o.whatsapp_enabled, {SMS_ENABLED},
                    o.opt_in_template
             FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = ?1"
        );
        self.row(&sql, [user.to_string()], |r| {
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
                    opt_in_template: r.get(7)?,
                },
            })
        })
        .optional()?
        .ok_or(Error::NotFound)
    }

    fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?3)",
            params![
                token_hash,
                user.to_string(),
                micros(created_at),
                micros(expires_at)
            ],
        )?;
        Ok(())
    }

    fn session_caller(
        &mut self,
        token_hash: &str,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Option<(Caller, Timestamp)>> {
        Ok(self
            .row(
                "SELECT u.id, u.org_id, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                   AND s.last_seen_at > ?3 AND u.disabled_at IS NULL",
                params![token_hash, micros(now), micros(idle_since)],
                |r| {
                    Ok((
                        Caller {
                            user_id: UserId(uuid_col(r.get(0)?)?),
                            org_id: OrganizationId(uuid_col(r.get(1)?)?),
                        },
                        from_micros(r.get(2)?),
                    ))
                },
            )
            .optional()?)
    }

    fn touch_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND last_seen_at < ?2",
            params![token_hash, micros(now)],
        )?;
        Ok(())
    }

    fn revoke_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![token_hash, micros(now)],
        )?;
        Ok(())
    }

    fn revoke_sessions_of(&mut self, user: UserId, now: Timestamp) -> Result<usize> {
        Ok(self.exec(
            "UPDATE sessions SET revoked_at = ?2
             WHERE user_id = ?1 AND revoked_at IS NULL",
            params![user.to_string(), micros(now)],
        )?)
    }

    fn set_user_disabled(&mut self, user: UserId, at: Option<Timestamp>) -> Result<()> {
        let n = self.exec(
            "UPDATE users SET disabled_at = ?2 WHERE id = ?1",
            params![user.to_string(), at.map(micros)],
        )?;
        touched(n)
    }

    fn upsert_line(&mut self, org: OrganizationId, id: Uuid, line: &NewLine) -> Result<Uuid> {
        self.exec(
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
                self.sealer.seal(&line.access_token), self.sealer.seal(&line.app_secret),
                self.sealer.seal(&line.verify_token), line.api_base_url, line.api_version,
                line.owner_user_id.to_string()
            ],
        )?;
        Ok(self
            .line_where("phone_number_id", &line.phone_number_id)?
            .id)
    }

    fn lines_claiming(&mut self, phone_number_id: &str, waba_id: &str) -> Result<Vec<Line>> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM lines WHERE phone_number_id = ?1 OR waba_id = ?2 ORDER BY rowid"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![phone_number_id, waba_id], line_row)?;
        rows.map(|l| self.sealer.open_line(l?)).collect()
    }

    fn line(&mut self, id: Uuid) -> Result<Line> {
        self.line_where("id", &id.to_string())
    }

    fn line_of_org(&mut self, org: OrganizationId) -> Result<Line> {
        self.line_where("org_id", &org.to_string())
    }

    fn set_line_carrier(&mut self, line: Uuid, carrier: Option<&CarrierAccount>) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET carrier = ?2 WHERE id = ?1",
            params![
                line.to_string(),
                carrier
                    .map(|c| CarrierAccount {
                        auth_token: self.sealer.seal(&c.auth_token),
                        ..c.clone()
                    })
                    .as_ref()
                    .map(json)
            ],
        )?;
        touched(n)
    }

    fn set_line_api_version(&mut self, line: Uuid, version: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET api_version = ?2 WHERE id = ?1",
            params![line.to_string(), version],
        )?;
        touched(n)
    }

    fn set_line_blocked_told(&mut self, line: Uuid, code: Option<&str>) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET blocked_told = ?2 WHERE id = ?1",
            params![line.to_string(), code],
        )?;
        touched(n)
    }

    fn set_line_version_warned(&mut self, line: Uuid, warned: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET api_version_warned = ?2 WHERE id = ?1",
            params![line.to_string(), warned],
        )?;
        touched(n)
    }
}
