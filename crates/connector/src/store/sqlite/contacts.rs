//! The address book.

use multiline_domain::api::{Contact, ContactPhone};
use multiline_domain::ids::{ContactId, OrganizationId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{SqliteTx, micros, phone_col, touched, uuid_col};
use crate::store::{ContactFields, ContactTx, Error, NewContact, Result};

impl SqliteTx<'_> {
    fn write_phones(&self, id: ContactId, phones: &[ContactPhone]) -> Result<()> {
        self.exec(
            "DELETE FROM contact_phones WHERE contact_id = ?1",
            [id.to_string()],
        )?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO contact_phones (contact_id, position, number, label) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, p) in phones.iter().enumerate() {
            stmt.execute(params![
                id.to_string(),
                i as i64,
                p.number.as_str(),
                p.label
            ])?;
        }
        Ok(())
    }
}

impl ContactTx for SqliteTx<'_> {
    fn insert_contact(&mut self, contact: &NewContact) -> Result<()> {
        let f = &contact.fields;
        self.exec(
            "INSERT INTO contacts (id, org_id, name, company, notes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                contact.id.to_string(),
                contact.org.to_string(),
                f.name,
                f.company,
                f.notes,
                micros(contact.created_at)
            ],
        )?;
        self.write_phones(contact.id, &f.phones)
    }

    fn update_contact(
        &mut self,
        org: OrganizationId,
        id: ContactId,
        fields: &ContactFields,
    ) -> Result<()> {
        let n = self.exec(
            "UPDATE contacts SET name = ?3, company = ?4, notes = ?5
             WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL",
            params![
                id.to_string(),
                org.to_string(),
                fields.name,
                fields.company,
                fields.notes
            ],
        )?;
        touched(n)?;
        self.write_phones(id, &fields.phones)
    }

    fn hide_contact(&mut self, org: OrganizationId, id: ContactId, now: Timestamp) -> Result<()> {
        let n = self.exec(
            "UPDATE contacts SET deleted_at = ?3 WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL",
            params![id.to_string(), org.to_string(), micros(now)],
        )?;
        touched(n)
    }

    fn contact(&mut self, org: OrganizationId, id: ContactId) -> Result<Contact> {
        let (name, company, notes): (String, Option<String>, Option<String>) = self.row(
                "SELECT name, company, notes FROM contacts WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL",
                params![id.to_string(), org.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(Error::NotFound)?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, label FROM contact_phones WHERE contact_id = ?1 ORDER BY position",
        )?;
        let phones = stmt
            .query_map([id.to_string()], |r| {
                Ok(ContactPhone {
                    number: phone_col(r.get(0)?)?,
                    label: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Contact {
            id,
            name,
            company,
            notes,
            phones,
        })
    }

    fn contacts(&mut self, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>> {
        let pattern = query.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
            format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let ids = {
            let mut stmt = self.tx.prepare(
                "SELECT id FROM contacts c WHERE org_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL
                    OR name LIKE ?2 ESCAPE '\\' OR company LIKE ?2 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id AND p.number LIKE ?2 ESCAPE '\\'))
                 ORDER BY name COLLATE NOCASE, id",
            )?;
            stmt.query_map(params![org.to_string(), pattern], |r| {
                Ok(ContactId(uuid_col(r.get(0)?)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        ids.into_iter().map(|id| self.contact(org, id)).collect()
    }

    fn contact_by_phone(&mut self, org: OrganizationId, phone: &E164) -> Result<Option<ContactId>> {
        Ok(self
            .row(
                "SELECT c.id FROM contacts c JOIN contact_phones p ON p.contact_id = c.id
                 WHERE c.org_id = ?1 AND p.number = ?2 AND c.deleted_at IS NULL
                 ORDER BY c.created_at LIMIT 1",
                params![org.to_string(), phone.as_str()],
                |r| Ok(ContactId(uuid_col(r.get(0)?)?)),
            )
            .optional()?)
    }
}
