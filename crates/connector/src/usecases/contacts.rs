//! The address book (F2-F3): contacts created, edited and deleted by the organization's
//! users. Every change is audited and announced to every user of the organization (their
//! apps refetch the list). Deleting hides a contact; its threads keep their history.

use multiline_domain::api::{Contact, ContactInput, ContactPhone, Event};
use multiline_domain::errors::ErrorCode;
use multiline_domain::ids::{ContactId, OrganizationId};
use multiline_domain::limits;

use super::{Env, Told, actor, announce_to_org, audit};
use crate::error::{Error, Result};
use crate::store::{Caller, ContactFields, NewContact, StoreExt};

/// The longest name a contact may have.
pub const MAX_NAME_CHARS: usize = limits::CONTACT_NAME.max_chars;
/// The longest notes a contact may have.
pub const MAX_NOTES_CHARS: usize = limits::NOTES.max_chars;

/// A contact's input, checked and trimmed: a name, every text within its limit
/// ([`limits`]), and numbers that are valid, in libphonenumber's standard form (messages
/// from the number arrive in it), each given once.
fn fields(input: &ContactInput) -> Result<ContactFields> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            ErrorCode::InvalidName,
            "A contact needs a name.",
        ));
    }
    let within = |limit: limits::Limit, value: Option<&str>, code| {
        value
            .map_or(Ok(()), |v| limit.check(v))
            .map_err(|sentence| Error::invalid(code, sentence))
    };
    within(limits::CONTACT_NAME, Some(name), ErrorCode::InvalidName)?;
    within(
        limits::COMPANY,
        input.company.as_deref(),
        ErrorCode::InvalidBody,
    )?;
    within(
        limits::NOTES,
        input.notes.as_deref(),
        ErrorCode::InvalidNotes,
    )?;
    for p in &input.phones {
        within(limits::PHONE_LABEL, Some(&p.label), ErrorCode::InvalidBody)?;
    }
    let mut phones: Vec<ContactPhone> = Vec::new();
    for p in &input.phones {
        // The request's numbers were only checked for their form: validate them here.
        let standard = p.number.validate().map_err(|_| {
            Error::invalid(
                ErrorCode::InvalidPhone,
                format!("{} is not a valid number for its country.", p.number),
            )
        })?;
        if standard != p.number {
            return Err(Error::invalid(
                ErrorCode::InvalidPhone,
                format!("Write {} as {standard}.", p.number),
            ));
        }
        if phones.iter().any(|known| known.number == p.number) {
            return Err(Error::invalid(
                ErrorCode::DuplicatePhone,
                "The same number is listed twice.",
            ));
        }
        phones.push(ContactPhone {
            number: p.number.clone(),
            label: p.label.trim().to_owned(),
        });
    }
    let optional = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(ContactFields {
        name: name.to_owned(),
        company: optional(&input.company),
        notes: optional(&input.notes),
        phones,
    })
}

/// Adds a contact as an admin or the demo's seeding does: not validated beyond a name, not
/// announced, not audited.
pub fn add_contact(
    env: &Env<'_>,
    org: OrganizationId,
    name: &str,
    company: Option<&str>,
    phones: &[ContactPhone],
) -> Result<Contact> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid(
            ErrorCode::InvalidName,
            "A contact needs a name.",
        ));
    }
    let contact = NewContact {
        id: env.ids.new(),
        org,
        fields: ContactFields {
            name: name.to_owned(),
            company: company.map(str::to_owned),
            notes: None,
            phones: phones.to_vec(),
        },
        created_at: env.now,
    };
    env.store.write(|tx| {
        tx.insert_contact(&contact)?;
        tx.contact(org, contact.id)
    })
}

/// Contacts by name; `query` matches name, company or number. Deleted ones are hidden.
pub fn contacts(env: &Env<'_>, org: OrganizationId, query: Option<&str>) -> Result<Vec<Contact>> {
    if let Some(q) = query {
        limits::SEARCH
            .check(q)
            .map_err(|sentence| Error::invalid(ErrorCode::InvalidQuery, sentence))?;
    }
    env.store.read(|tx| tx.contacts(org, query))
}

pub fn contact(env: &Env<'_>, org: OrganizationId, id: ContactId) -> Result<Contact> {
    env.store.read(|tx| tx.contact(org, id))
}

/// Creates (`id` none) or replaces a contact after checking `input`; audited, and announced
/// to every user of the organization.
pub fn save_contact(
    env: &Env<'_>,
    caller: Caller,
    id: Option<ContactId>,
    input: &ContactInput,
) -> Result<(Contact, Told)> {
    let fields = fields(input)?;
    let new_id: ContactId = env.ids.new();
    env.store.write(|tx| {
        let (id, action) = match id {
            Some(id) => {
                tx.update_contact(caller.org_id, id, &fields)?;
                (id, "contact.updated")
            }
            None => {
                tx.insert_contact(&NewContact {
                    id: new_id,
                    org: caller.org_id,
                    fields: fields.clone(),
                    created_at: env.now,
                })?;
                (new_id, "contact.created")
            }
        };
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            action,
            None,
            serde_json::json!({ "contact_id": id, "contact": input }),
        )?;
        let told = announce_to_org(tx, caller.org_id, &Event::ContactsChanged, env.now)?;
        Ok((tx.contact(caller.org_id, id)?, told))
    })
}

/// Hides a contact; its threads keep their history. Audited, announced.
pub fn delete_contact(env: &Env<'_>, caller: Caller, id: ContactId) -> Result<Told> {
    env.store.write(|tx| {
        tx.hide_contact(caller.org_id, id, env.now)?;
        audit(
            tx,
            caller.org_id,
            env.now,
            &actor(caller),
            "contact.deleted",
            None,
            serde_json::json!({ "contact_id": id }),
        )?;
        announce_to_org(tx, caller.org_id, &Event::ContactsChanged, env.now)
    })
}
