//! The address book.

use multiline_domain::api::{Contact, ContactPhone};
use multiline_domain::ids::{ContactId, OrganizationId};
use multiline_domain::phone::E164;
use multiline_domain::time::Timestamp;
use postgres::Row;

use super::{PgTx, col, micros, phone_at, touched, uuid_at};
use crate::store::{ContactFields, ContactTx, NewContact, Result};

/// A contact's number from the columns (number, label).
fn phone_row(row: &Row) -> Result<ContactPhone> {
    Ok(ContactPhone {
        number: phone_at(row, 0)?,
        label: col(row, 1)?,
    })
}

impl PgTx<'_> {
    fn write_phones(&mut self, id: ContactId, phones: &[ContactPhone]) -> Result<()> {
        let id = id.to_string();
        self.exec("DELETE FROM contact_phones WHERE contact_id = $1", &[&id])?;
        for (i, p) in phones.iter().enumerate() {
            self.exec(
                "INSERT INTO contact_phones (contact_id, position, number, label)
                 VALUES ($1, $2, $3, $4)",
                &[&id, &(i as i64), &p.number.as_str(), &p.label],
            )?;
        }
        Ok(())
    }
}

impl ContactTx for PgTx<'_> {
    fn insert_contact(&mut self, contact: &NewContact) -> Result<()> {
        let f = &contact.fields;
        self.exec(
            "INSERT INTO contacts (id, org_id, name, company, notes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &contact.id.to_string(),
                &contact.org.to_string(),
                &f.name,
                &f.company,
                &f.notes,
                &micros(contact.created_at),
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
            "UPDATE contacts SET name = $3, company = $4, notes = $5
             WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
            &[
                &id.to_string(),
                &org.to_string(),
                &fields.name,
                &fields.company,
                &fields.notes,
            ],
        )?;
        touched(n)?;
        self.write_phones(id, &fields.phones)
    }

    fn hide_contact(&mut self, org: OrganizationId, id: ContactId, now: Timestamp) -> Result<()> {
        let n = self.exec(
            "UPDATE contacts SET deleted_at = $3
             WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
            &[&id.to_string(), &org.to_string(), &micros(now)],
        )?;
        touched(n)
    }

    fn contact(&mut self, org: OrganizationId, id: ContactId) -> Result<Contact> {
        let row = self.one(
            "SELECT name, company, notes FROM contacts
             WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
            &[&id.to_string(), &org.to_string()],
        )?;
        let name: String = col(&row, 0)?;
        let company: Option<String> = col(&row, 1)?;
        let notes: Option<String> = col(&row, 2)?;
        let phones = self
            .all(
                "SELECT number, label FROM contact_phones WHERE contact_id = $1 ORDER BY position",
                &[&id.to_string()],
            )?
            .iter()
            .map(phone_row)
            .collect::<Result<Vec<_>>>()?;
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
        // ILIKE: SQLite's LIKE ignores case. COLLATE "C": byte order, as SQLite's NOCASE
        // compares (after folding case), whatever the database's own collation.
        let ids = self
            .all(
                "SELECT id FROM contacts c WHERE org_id = $1 AND deleted_at IS NULL
                    AND ($2::text IS NULL
                        OR name ILIKE $2 ESCAPE '\\' OR company ILIKE $2 ESCAPE '\\'
                        OR EXISTS (SELECT 1 FROM contact_phones p
                            WHERE p.contact_id = c.id AND p.number ILIKE $2 ESCAPE '\\'))
                 ORDER BY lower(name) COLLATE \"C\", id",
                &[&org.to_string(), &pattern],
            )?
            .iter()
            .map(|r| uuid_at(r, 0).map(ContactId))
            .collect::<Result<Vec<_>>>()?;
        ids.into_iter().map(|id| self.contact(org, id)).collect()
    }

    fn contact_by_phone(&mut self, org: OrganizationId, phone: &E164) -> Result<Option<ContactId>> {
        self.opt(
            "SELECT c.id FROM contacts c JOIN contact_phones p ON p.contact_id = c.id
             WHERE c.org_id = $1 AND p.number = $2 AND c.deleted_at IS NULL
             ORDER BY c.created_at LIMIT 1",
            &[&org.to_string(), &phone.as_str()],
        )?
        .map(|r| uuid_at(&r, 0).map(ContactId))
        .transpose()
    }
}
