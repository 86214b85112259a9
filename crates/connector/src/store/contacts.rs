//! The address book (F2-F3): contacts created, edited and deleted by the organization's
//! users. Every change is audited and announced to every user of the organization (their
//! apps refetch the list). Deleting hides a contact; its threads keep their history.

use multiline_domain::api::ContactPhone;
use multiline_domain::api::{Contact, ContactInput, Event};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, OrganizationId, UserId};
use multiline_domain::time::Timestamp;
use rusqlite::{Transaction, params};

use super::{
    Caller, ContactStore, Result, SqliteStore, StoreError, contact_in, events, micros, uuid_col,
};

const MAX_NAME_CHARS: usize = 200;
const MAX_NOTES_CHARS: usize = 4000;

fn invalid(code: ErrorCode, message: &str) -> StoreError {
    StoreError::Invalid {
        code,
        message: message.to_owned(),
    }
}

fn check(input: &ContactInput) -> Result<()> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid(ErrorCode::InvalidName, "A contact needs a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            ErrorCode::InvalidName,
            "A name can have at most 200 characters.",
        ));
    }
    if input
        .notes
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
    {
        return Err(invalid(
            ErrorCode::InvalidNotes,
            "Notes can have at most 4000 characters.",
        ));
    }
    let mut seen = Vec::new();
    for p in &input.phones {
        // The request's numbers were only checked for their form: validate them here, and
        // take only the standard form (messages from the number arrive in it).
        let standard = p.number.validate().map_err(|_| {
            invalid(
                ErrorCode::InvalidPhone,
                &format!("{} is not a valid number for its country.", p.number),
            )
        })?;
        if standard != p.number {
            return Err(invalid(
                ErrorCode::InvalidPhone,
                &format!("Write {} as {standard}.", p.number),
            ));
        }
        if seen.contains(&p.number) {
            return Err(invalid(
                ErrorCode::DuplicatePhone,
                "The same number is listed twice.",
            ));
        }
        seen.push(p.number.clone());
    }
    Ok(())
}

fn optional(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn write_phones(tx: &Transaction<'_>, id: ContactId, input: &ContactInput) -> Result<()> {
    tx.execute(
        "DELETE FROM contact_phones WHERE contact_id = ?1",
        [id.to_string()],
    )?;
    for (i, p) in input.phones.iter().enumerate() {
        tx.execute(
            "INSERT INTO contact_phones (contact_id, position, number, label) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), i as i64, p.number.as_str(), p.label.trim()],
        )?;
    }
    Ok(())
}

/// Tells every user of the organization that the address book changed.
fn announce(tx: &Transaction<'_>, caller: Caller, now: Timestamp) -> Result<Vec<UserId>> {
    let users: Vec<UserId> = tx
        .prepare_cached("SELECT id FROM users WHERE org_id = ?1")?
        .query_map([caller.org_id.to_string()], |r| {
            Ok(UserId(uuid_col(r.get(0)?)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for user in &users {
        events::push(tx, *user, &Event::ContactsChanged, now)?;
    }
    Ok(users)
}

fn exists(tx: &Transaction<'_>, caller: Caller, id: ContactId) -> Result<()> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM contacts WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL",
        params![id.to_string(), caller.org_id.to_string()],
        |r| r.get(0),
    )?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl ContactStore for SqliteStore {
    fn create_contact(
        &self,
        org: OrganizationId,
        name: &str,
        company: Option<&str>,
        notes: Option<&str>,
        phones: &[ContactPhone],
        now: Timestamp,
    ) -> Result<Contact> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid {
                code: ErrorCode::InvalidName,
                message: "A contact needs a name.".into(),
            });
        }
        let id = ContactId::random();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO contacts (id, org_id, name, company, notes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id.to_string(), org.to_string(), name, company, notes, micros(now)],
            )?;
            for (i, p) in phones.iter().enumerate() {
                tx.execute(
                    "INSERT INTO contact_phones (contact_id, position, number, label) VALUES (?1, ?2, ?3, ?4)",
                    params![id.to_string(), i as i64, p.number.as_str(), p.label],
                )?;
            }
            Ok(())
        })?;
        self.contact(org, id)
    }

    /// Contacts by name; `query` matches name, company or number.
    fn contacts(&self, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>> {
        let pattern = query.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
            format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id FROM contacts c WHERE org_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL
                OR name LIKE ?2 ESCAPE '\\' OR company LIKE ?2 ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id AND p.number LIKE ?2 ESCAPE '\\'))
             ORDER BY name COLLATE NOCASE",
        )?;
        let ids = stmt
            .query_map(params![org.to_string(), pattern], |r| {
                Ok(ContactId(uuid_col(r.get(0)?)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter()
            .map(|id| contact_in(&conn, org, id))
            .collect()
    }

    fn contact(&self, org: OrganizationId, id: ContactId) -> Result<Contact> {
        contact_in(&self.conn(), org, id)
    }

    /// Creates a contact (`id` none) or replaces one's fields and numbers.
    fn save_contact(
        &self,
        caller: Caller,
        id: Option<ContactId>,
        input: &ContactInput,
        now: Timestamp,
    ) -> Result<(Contact, Vec<UserId>)> {
        check(input)?;
        let (id, told) = self.write(|tx| {
            let (id, action) = match id {
                Some(id) => {
                    exists(tx, caller, id)?;
                    tx.execute(
                        "UPDATE contacts SET name = ?2, company = ?3, notes = ?4 WHERE id = ?1",
                        params![
                            id.to_string(),
                            input.name.trim(),
                            optional(&input.company),
                            optional(&input.notes)
                        ],
                    )?;
                    (id, "contact.updated")
                }
                None => {
                    let id = ContactId::random();
                    tx.execute(
                        "INSERT INTO contacts (id, org_id, name, company, notes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            id.to_string(),
                            caller.org_id.to_string(),
                            input.name.trim(),
                            optional(&input.company),
                            optional(&input.notes),
                            micros(now)
                        ],
                    )?;
                    (id, "contact.created")
                }
            };
            write_phones(tx, id, input)?;
            super::audit(
                tx,
                caller.org_id,
                now,
                &caller.user_id.to_string(),
                action,
                None,
                serde_json::json!({ "contact_id": id, "contact": input }),
            )?;
            Ok((id, announce(tx, caller, now)?))
        })?;
        Ok((contact_in(&self.conn(), caller.org_id, id)?, told))
    }

    /// Hides a contact from the address book (its threads keep their history).
    fn delete_contact(&self, caller: Caller, id: ContactId, now: Timestamp) -> Result<Vec<UserId>> {
        self.write(|tx| {
            exists(tx, caller, id)?;
            tx.execute(
                "UPDATE contacts SET deleted_at = ?2 WHERE id = ?1",
                params![id.to_string(), micros(now)],
            )?;
            super::audit(
                tx,
                caller.org_id,
                now,
                &caller.user_id.to_string(),
                "contact.deleted",
                None,
                serde_json::json!({ "contact_id": id }),
            )?;
            announce(tx, caller, now)
        })
    }
}
