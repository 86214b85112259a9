/**
 * The fake's contact commands: search, read, create, edit and delete, each new or edited
 * contact checked by `contactFields` the way the core checks it.
 */
import type { AppError } from "../bindings/AppError";
import type { Contact } from "../bindings/Contact";
import type { ContactDraft } from "../bindings/ContactDraft";
import type { ContactPhone } from "../bindings/ContactPhone";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { Ipc } from "../ipc";
import { nextId, type FakeWorld } from "./world";

export function contactCommands(
  world: FakeWorld,
): Pick<Ipc, "listContacts" | "getContact" | "createContact" | "updateContact" | "deleteContact"> {
  const { fake } = world;
  return {
    async listContacts(query) {
      world.record("listContacts", query);
      const q = (query ?? "").toLowerCase();
      return fake.contacts
        .filter(
          (c) =>
            q === "" ||
            c.name.toLowerCase().includes(q) ||
            (c.company ?? "").toLowerCase().includes(q) ||
            c.phones.some((p) => p.number.includes(q)),
        )
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((c) => structuredClone(c));
    },
    async getContact(contactId) {
      world.record("getContact", contactId);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      return structuredClone(contact);
    },
    async createContact(draft) {
      world.record("createContact", structuredClone(draft));
      const contact: Contact = { id: nextId("c"), ...contactFields(draft) };
      fake.contacts.push(contact);
      fake.emit({ kind: "contacts_changed" });
      return structuredClone(contact);
    },
    async updateContact(contactId, draft) {
      world.record("updateContact", contactId, structuredClone(draft));
      const index = fake.contacts.findIndex((c) => c.id === contactId);
      if (index < 0) throw { code: "not_found", message: "That contact no longer exists." };
      const contact: Contact = { id: contactId, ...contactFields(draft) };
      fake.contacts[index] = contact;
      fake.emit({ kind: "contacts_changed" });
      return structuredClone(contact);
    },
    async deleteContact(contactId) {
      world.record("deleteContact", contactId);
      if (!fake.contacts.some((c) => c.id === contactId))
        throw { code: "not_found", message: "That contact no longer exists." };
      // Its threads stay, with their history (as the core keeps them).
      fake.contacts = fake.contacts.filter((c) => c.id !== contactId);
      fake.emit({ kind: "contacts_changed" });
    },
  };
}

/**
 * A typed contact checked the way the core checks it (F2), so the demo and the tests meet the
 * same refusals: blank numbers dropped, each number read as "+" and 8 to 15 digits (spaces,
 * dashes, dots and brackets ignored), "+1111..." standing in for a number libphonenumber
 * rejects for its country; errors name their field, "phones.N" counting the draft's numbers.
 */
export function contactFields(draft: ContactDraft): Omit<Contact, "id"> {
  const refuse = (code: ErrorCode, message: string, field: string): AppError => ({
    code,
    message,
    field,
  });
  const phones: ContactPhone[] = [];
  draft.phones.forEach((phone, i) => {
    const typed = phone.number.trim();
    if (typed === "") return;
    const field = `phones.${i}`;
    const number = typed.replace(/[\s\-.()]/g, "");
    if (!/^\+[1-9]\d{7,14}$/.test(number))
      throw refuse(
        "invalid_phone",
        "Enter the number with its country code, like +1 202 555 0147.",
        field,
      );
    if (number.startsWith("+1111"))
      throw refuse("invalid_phone", `${typed} is not a valid number for its country.`, field);
    if (phones.some((known) => known.number === number))
      throw refuse("duplicate_phone", "The same number is listed twice.", field);
    phones.push({ number, label: phone.label.trim() || "mobile" });
  });
  const name = draft.name.trim();
  if (name === "") throw refuse("invalid_name", "A contact needs a name.", "name");
  if ([...name].length > 200)
    throw refuse("invalid_name", "A name can have at most 200 characters.", "name");
  const optional = (value: string | null) => value?.trim() || null;
  const notes = optional(draft.notes);
  if (notes !== null && [...notes].length > 4000)
    throw refuse("invalid_notes", "Notes can have at most 4000 characters.", "notes");
  return { name, company: optional(draft.company), notes, phones };
}
