/**
 * The contact editor's form (F2) and how it maps to what the core takes: rows as typed become
 * a `ContactDraft`, and the core's `AppError.field` comes back to the row it is about. The
 * core validates; nothing here decides whether a number or a name is acceptable.
 */
import type { AppError } from "../ipc/bindings/AppError";
import type { Contact } from "../ipc/bindings/Contact";
import type { ContactDraft } from "../ipc/bindings/ContactDraft";

/** The labels offered for a number; a contact's other label (from elsewhere) is kept. */
export const PHONE_LABELS = ["mobile", "work", "home", "other"] as const;

/** One number row; `key` stays with the row when others are added or removed. */
export type PhoneRow = { key: number; number: string; label: string };

export type ContactForm = {
  name: string;
  company: string;
  notes: string;
  phones: PhoneRow[];
};

/** Where an error shows: a field's key ("name", "company", "notes", "phone-<row key>"). */
export type FieldKey = string;

let nextKey = 1;

export function phoneRow(number = "", label: string = PHONE_LABELS[0]): PhoneRow {
  return { key: nextKey++, number, label };
}

/** The form for `contact`; for a new one, `prefill` (a shared card) or an empty form, with a
 * row for the first number. */
export function formOf(contact: Contact | null, prefill: ContactDraft | null = null): ContactForm {
  if (!contact && prefill) {
    const phones = prefill.phones.map((p) => phoneRow(p.number, p.label));
    return {
      name: prefill.name,
      company: prefill.company ?? "",
      notes: prefill.notes ?? "",
      phones: phones.length > 0 ? phones : [phoneRow()],
    };
  }
  if (!contact) return { name: "", company: "", notes: "", phones: [phoneRow()] };
  return {
    name: contact.name,
    company: contact.company ?? "",
    notes: contact.notes ?? "",
    phones: contact.phones.map((p) => phoneRow(p.number, p.label)),
  };
}

/**
 * What is sent: blank optional fields as null, rows without a number left out. `rows[i]` is the
 * key of the row `draft.phones[i]` came from, for errors naming "phones.i".
 */
export function draftOf(form: ContactForm): { draft: ContactDraft; rows: number[] } {
  const sent = form.phones.filter((p) => p.number.trim() !== "");
  return {
    draft: {
      name: form.name,
      company: form.company.trim() === "" ? null : form.company,
      notes: form.notes.trim() === "" ? null : form.notes,
      phones: sent.map((p) => ({ number: p.number, label: p.label })),
    },
    rows: sent.map((p) => p.key),
  };
}

/** The field an error belongs to, or null when it is about the contact as a whole. */
export function fieldOf(error: AppError, rows: number[]): FieldKey | null {
  const field = error.field;
  if (field === undefined) return null;
  if (field === "name" || field === "company" || field === "notes") return field;
  const phone = /^phones\.(\d+)$/.exec(field);
  const row = phone ? rows[Number(phone[1])] : undefined;
  return row === undefined ? null : phoneField(row);
}

export function phoneField(rowKey: number): FieldKey {
  return `phone-${rowKey}`;
}
