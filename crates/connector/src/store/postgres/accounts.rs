//! Organizations, users, sessions, lines.

use multiline_domain::api::{Organization, Session, User};
use multiline_domain::consent::ConsentKeywords;
use multiline_domain::ids::{OrganizationId, UserId};
use multiline_domain::time::Timestamp;
use postgres::Row;
use uuid::Uuid;

use super::{
    PgTx, col, enum_at, enum_str, json, micros, opt_json_at, time_at, touched, user_at, uuid_at,
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

/// What the app sees of an organization, from the columns (id, name, whatsapp_enabled,
/// [`SMS_ENABLED`], opt_in_template) starting at `i`.
fn organization_at(r: &Row, i: usize) -> Result<Organization> {
    Ok(Organization {
        id: OrganizationId(uuid_at(r, i)?),
        name: col(r, i + 1)?,
        whatsapp_enabled: col(r, i + 2)?,
        sms_enabled: col(r, i + 3)?,
        opt_in_template: col(r, i + 4)?,
    })
}

/// A line from the [`LINE_COLUMNS`], its secrets still sealed.
fn line_row(r: &Row) -> Result<Line> {
    Ok(Line {
        id: uuid_at(r, 0)?,
        org_id: OrganizationId(uuid_at(r, 1)?),
        phone_number_id: col(r, 2)?,
        waba_id: col(r, 3)?,
        display_phone_number: col(r, 4)?,
        access_token: col(r, 5)?,
        app_secret: col(r, 6)?,
        verify_token: col(r, 7)?,
        api_base_url: col(r, 8)?,
        api_version: col(r, 9)?,
        owner_user_id: UserId(uuid_at(r, 10)?),
        carrier: opt_json_at::<CarrierAccount>(r, 11)?,
        api_version_warned: col(r, 12)?,
        blocked_told: col(r, 13)?,
    })
}

impl PgTx<'_> {
    fn line_where(&mut self, column: &str, value: &str) -> Result<Line> {
        // `column` is one of our own literals, never input.
        let sql =
            format!("SELECT {LINE_COLUMNS} FROM lines WHERE {column} = $1 ORDER BY seq LIMIT 1");
        let row = self.one(&sql, &[&value])?;
        let line = line_row(&row)?;
        self.sealer.open_line(line)
    }
}

impl AccountTx for PgTx<'_> {
    fn insert_organization(
        &mut self,
        id: OrganizationId,
        name: &str,
        whatsapp_enabled: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO organizations (id, name, whatsapp_enabled, created_at) VALUES ($1, $2, $3, $4)",
            &[&id.to_string(), &name, &whatsapp_enabled, &micros(now)],
        )?;
        Ok(())
    }

    fn set_org_setting(&mut self, org: OrganizationId, setting: &OrgSetting) -> Result<()> {
        let id = org.to_string();
        let n = match setting {
            OrgSetting::WhatsappEnabled(on) => self.exec(
                "UPDATE organizations SET whatsapp_enabled = $2 WHERE id = $1",
                &[&id, on],
            )?,
            OrgSetting::WindowRule(rule) => self.exec(
                "UPDATE organizations SET window_rule = $2 WHERE id = $1",
                &[&id, &enum_str(rule)],
            )?,
            OrgSetting::ConsentKeywords(words) => self.exec(
                "UPDATE organizations SET consent_keywords = $2 WHERE id = $1",
                &[&id, &json(words)],
            )?,
        };
        touched(n)
    }

    fn organization(&mut self, org: OrganizationId) -> Result<OrgRecord> {
        if let Some(known) = self.remembered.organizations.get(&org) {
            return Ok(known.clone());
        }
        let sql = format!(
            "SELECT o.name, o.whatsapp_enabled, o.window_rule, o.consent_keywords,
                    o.opt_in_template, o.opt_in_language, {SMS_ENABLED}
             FROM organizations o WHERE o.id = $1"
        );
        let r = self.one(&sql, &[&org.to_string()])?;
        let record = OrgRecord {
            id: org,
            name: col(&r, 0)?,
            whatsapp_enabled: col(&r, 1)?,
            window_rule: enum_at(&r, 2)?,
            consent_keywords: opt_json_at::<ConsentKeywords>(&r, 3)?.unwrap_or_default(),
            opt_in_template: (col(&r, 4)?, col(&r, 5)?),
            sms_enabled: col(&r, 6)?,
        };
        self.remembered.organizations.insert(org, record.clone());
        Ok(record)
    }

    fn organizations(&mut self) -> Result<Vec<Organization>> {
        let sql = format!(
            "SELECT o.id, o.name, o.whatsapp_enabled, {SMS_ENABLED}, o.opt_in_template
             FROM organizations o ORDER BY o.created_at, o.id"
        );
        let rows = self.all(&sql, &[])?;
        rows.iter().map(|r| organization_at(r, 0)).collect()
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<()> {
        self.exec(
            "INSERT INTO users (id, org_id, name, email, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &user.id.to_string(),
                &user.org.to_string(),
                &user.name,
                &user.email,
                &user.password_hash,
                &micros(user.created_at),
            ],
        )
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict("a user with this email exists"),
            other => other,
        })?;
        Ok(())
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>> {
        let Some(r) = self.opt(
            "SELECT id, name, email, org_id, password_hash, disabled_at FROM users WHERE email = $1",
            &[&email],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(UserRecord {
            user: user_at(&r, 0)?,
            org_id: OrganizationId(uuid_at(&r, 3)?),
            password_hash: col(&r, 4)?,
            disabled: col::<Option<i64>>(&r, 5)?.is_some(),
        }))
    }

    fn users_of_org(&mut self, org: OrganizationId) -> Result<Vec<User>> {
        let rows = self.all(
            "SELECT id, name, email FROM users WHERE org_id = $1 AND disabled_at IS NULL
             ORDER BY lower(name) COLLATE \"C\", id",
            &[&org.to_string()],
        )?;
        rows.iter().map(|r| user_at(r, 0)).collect()
    }

    fn session(&mut self, user: UserId) -> Result<Session> {
        let sql = format!(
            "SELECT u.id, u.name, u.email, o.id, o.name, o.whatsapp_enabled, {SMS_ENABLED},
                    o.opt_in_template
             FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = $1"
        );
        let r = self.one(&sql, &[&user.to_string()])?;
        Ok(Session {
            user: user_at(&r, 0)?,
            organization: organization_at(&r, 3)?,
        })
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
             VALUES ($1, $2, $3, $4, $3)",
            &[
                &token_hash,
                &user.to_string(),
                &micros(created_at),
                &micros(expires_at),
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
        let Some(r) = self.opt(
            "SELECT u.id, u.org_id, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
               AND s.last_seen_at > $3 AND u.disabled_at IS NULL",
            &[&token_hash, &micros(now), &micros(idle_since)],
        )?
        else {
            return Ok(None);
        };
        let caller = Caller {
            user_id: UserId(uuid_at(&r, 0)?),
            org_id: OrganizationId(uuid_at(&r, 1)?),
        };
        Ok(Some((caller, time_at(&r, 2)?)))
    }

    fn touch_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2",
            &[&token_hash, &micros(now)],
        )?;
        Ok(())
    }

    fn revoke_session(&mut self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&token_hash, &micros(now)],
        )?;
        Ok(())
    }

    fn revoke_sessions_of(&mut self, user: UserId, now: Timestamp) -> Result<usize> {
        let n = self.exec(
            "UPDATE sessions SET revoked_at = $2
             WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user.to_string(), &micros(now)],
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn set_user_disabled(&mut self, user: UserId, at: Option<Timestamp>) -> Result<()> {
        let n = self.exec(
            "UPDATE users SET disabled_at = $2 WHERE id = $1",
            &[&user.to_string(), &at.map(micros)],
        )?;
        touched(n)
    }

    fn upsert_line(&mut self, org: OrganizationId, id: Uuid, line: &NewLine) -> Result<Uuid> {
        let access_token = self.sealer.seal(&line.access_token);
        let app_secret = self.sealer.seal(&line.app_secret);
        let verify_token = self.sealer.seal(&line.verify_token);
        self.exec(
            "INSERT INTO lines (id, org_id, phone_number_id, waba_id, display_phone_number, access_token,
                 app_secret, verify_token, api_base_url, api_version, owner_user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (phone_number_id) DO UPDATE SET waba_id = excluded.waba_id,
                 display_phone_number = excluded.display_phone_number, access_token = excluded.access_token,
                 app_secret = excluded.app_secret, verify_token = excluded.verify_token,
                 api_base_url = excluded.api_base_url, api_version = excluded.api_version,
                 owner_user_id = excluded.owner_user_id",
            &[
                &id.to_string(),
                &org.to_string(),
                &line.phone_number_id,
                &line.waba_id,
                &line.display_phone_number,
                &access_token,
                &app_secret,
                &verify_token,
                &line.api_base_url,
                &line.api_version,
                &line.owner_user_id.to_string(),
            ],
        )?;
        Ok(self
            .line_where("phone_number_id", &line.phone_number_id)?
            .id)
    }

    fn lines_claiming(&mut self, phone_number_id: &str, waba_id: &str) -> Result<Vec<Line>> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM lines WHERE phone_number_id = $1 OR waba_id = $2 ORDER BY seq"
        );
        let rows = self.all(&sql, &[&phone_number_id, &waba_id])?;
        rows.iter()
            .map(|r| self.sealer.open_line(line_row(r)?))
            .collect()
    }

    fn line(&mut self, id: Uuid) -> Result<Line> {
        self.line_where("id", &id.to_string())
    }

    fn line_of_org(&mut self, org: OrganizationId) -> Result<Line> {
        self.line_where("org_id", &org.to_string())
    }

    fn set_line_carrier(&mut self, line: Uuid, carrier: Option<&CarrierAccount>) -> Result<()> {
        let carrier = carrier
            .map(|c| CarrierAccount {
                auth_token: self.sealer.seal(&c.auth_token),
                ..c.clone()
            })
            .as_ref()
            .map(json);
        let n = self.exec(
            "UPDATE lines SET carrier = $2 WHERE id = $1",
            &[&line.to_string(), &carrier],
        )?;
        touched(n)
    }

    fn set_line_api_version(&mut self, line: Uuid, version: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET api_version = $2 WHERE id = $1",
            &[&line.to_string(), &version],
        )?;
        touched(n)
    }

    fn set_line_blocked_told(&mut self, line: Uuid, code: Option<&str>) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET blocked_told = $2 WHERE id = $1",
            &[&line.to_string(), &code],
        )?;
        touched(n)
    }

    fn set_line_version_warned(&mut self, line: Uuid, warned: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE lines SET api_version_warned = $2 WHERE id = $1",
            &[&line.to_string(), &warned],
        )?;
        touched(n)
    }
}
