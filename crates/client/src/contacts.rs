//! The address book (F2-F3): read from the cache; added, changed and deleted through the
//! connector, which tells every user of the organization.

use multiline_domain::api::{Contact, ContactInput, ContactPhone};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::ContactId;
use multiline_domain::phone::{E164, PhoneError};

use crate::view::{ContactDraft, UiEvent};
use crate::{Client, ClientError, Result};

/// A typed contact as the connector takes it: blank numbers dropped, each number read as
/// E.164 (with its country code), one given twice refused; the errors name their field
/// ("phones.N", N the number's place in the draft).
pub(crate) fn contact_input(draft: ContactDraft) -> Result<ContactInput> {
    let optional = |v: Option<String>| {
        v.map(|v| v.trim().to_owned())
            .filter(|v: &String| !v.is_empty())
    };
    let mut phones: Vec<ContactPhone> = Vec::new();
    for (i, p) in draft.phones.into_iter().enumerate() {
        let typed = p.number.trim();
        if typed.is_empty() {
            continue;
        }
        let field = format!("phones.{i}");
        let number = E164::parse(typed, None).map_err(|e| ClientError::InvalidField {
            code: ErrorCode::InvalidPhone,
            message: match e {
                PhoneError::Unparseable { .. } => {
                    "Enter the number with its country code, like +1 202 555 0147.".to_owned()
                }
                PhoneError::Invalid { .. } => {
                    format!("{typed} is not a valid number for its country.")
                }
            },
            field: field.clone(),
        })?;
        if phones.iter().any(|known| known.number == number) {
            return Err(ClientError::InvalidField {
                code: ErrorCode::DuplicatePhone,
                message: "The same number is listed twice.".to_owned(),
                field,
            });
        }
        let label = p.label.trim();
        phones.push(ContactPhone {
            number,
            label: if label.is_empty() { "mobile" } else { label }.to_owned(),
        });
    }
    Ok(ContactInput {
        name: draft.name,
        company: optional(draft.company),
        notes: optional(draft.notes),
        phones,
    })
}

impl Client {
    pub async fn contacts(&self, query: Option<String>) -> Result<Vec<Contact>> {
        self.inner
            .cache(move |c| c.contacts(query.as_deref()))
            .await
    }

    pub async fn contact(&self, id: ContactId) -> Result<Contact> {
        self.inner
            .cache(move |c| c.contact(id))
            .await?
            .ok_or(ClientError::NotFound("contact"))
    }

    /// F2: a contact added (`id` none) or changed by the user. Each number is read with
    /// libphonenumber, with its country code, and must be valid for its country; the
    /// connector checks the rest (name, notes) and tells every user. Kept in the cache at once,
    /// so the contact opens before the connector's event comes back.
    pub async fn save_contact(
        &self,
        id: Option<ContactId>,
        draft: ContactDraft,
    ) -> Result<Contact> {
        let input = contact_input(draft)?;
        let contact = match id {
            None => self.inner.api.create_contact(&input).await?,
            Some(id) => self.inner.api.update_contact(id, &input).await?,
        };
        let kept = contact.clone();
        self.inner.cache(move |c| c.put_contact(&kept)).await?;
        self.inner.emit(UiEvent::ContactsChanged);
        Ok(contact)
    }

    /// F2: deletes a contact for everyone in the organization; its threads keep their history.
    pub async fn delete_contact(&self, id: ContactId) -> Result<()> {
        self.inner.api.delete_contact(id).await?;
        self.inner.cache(move |c| c.remove_contact(id)).await?;
        self.inner.emit(UiEvent::ContactsChanged);
        Ok(())
    }
}
