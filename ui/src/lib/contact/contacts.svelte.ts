import type { Contact } from "../ipc/bindings/Contact";
import type { ContactDraft } from "../ipc/bindings/ContactDraft";
import type { ContactId } from "../ipc/bindings/ContactId";
import { toAppError } from "../ipc/errors";
import type { Ipc } from "../ipc/ipc";

/** The Contacts tab: the list for the current search, and the contact whose details are open. */
export class ContactsStore {
  items = $state<Contact[]>([]);
  query = $state("");
  loaded = $state(false);
  loading = $state(false);
  current = $state<Contact | null>(null);
  #searchSeq = 0;
  #detailSeq = 0;
  /** Contacts being deleted: a reload meanwhile must not ask for them again. */
  // Bookkeeping, not state anything renders.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #deleting = new Set<ContactId>();

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  /** Lists contacts matching `query`; a slow older answer never overwrites a newer one. */
  async search(query: string): Promise<void> {
    this.query = query;
    const seq = ++this.#searchSeq;
    this.loading = true;
    try {
      const trimmed = query.trim();
      const items = await this.ipc.listContacts(trimmed === "" ? null : trimmed);
      if (seq !== this.#searchSeq) return;
      this.items = items;
      this.loaded = true;
    } catch (error) {
      if (seq === this.#searchSeq) this.report(error);
    } finally {
      if (seq === this.#searchSeq) this.loading = false;
    }
  }

  /** Opens a contact's details; `known` when a command has just returned it (saves asking). */
  async open(contactId: ContactId | null, known: Contact | null = null): Promise<void> {
    const seq = ++this.#detailSeq;
    if (contactId === null) {
      this.current = null;
      return;
    }
    if (known?.id === contactId) {
      this.current = known;
      return;
    }
    // Show what is already known at once, then the full record.
    this.current =
      this.items.find((c) => c.id === contactId) ??
      (this.current?.id === contactId ? this.current : null);
    try {
      const contact = await this.ipc.getContact(contactId);
      if (seq === this.#detailSeq) this.current = contact;
    } catch (error) {
      if (seq !== this.#detailSeq) return;
      // Deleted meanwhile (by a colleague): its details close.
      if (toAppError(error).code === "not_found") this.current = null;
      this.report(error);
    }
  }

  /** `contacts_changed`: reload the list and the open contact. */
  async reload(): Promise<void> {
    const open = this.current?.id ?? null;
    const refresh = open !== null && !this.#deleting.has(open);
    await Promise.all([this.search(this.query), refresh ? this.open(open) : Promise.resolve()]);
  }

  /** F2: adds (`contactId` null) or changes a contact; resolves with it as saved, and reloads
   * the list. Rejects with the core's `AppError` (`field` names what it is about). */
  async save(contactId: ContactId | null, draft: ContactDraft): Promise<Contact> {
    const contact =
      contactId === null
        ? await this.ipc.createContact(draft)
        : await this.ipc.updateContact(contactId, draft);
    const index = this.items.findIndex((c) => c.id === contact.id);
    if (index >= 0) this.items[index] = contact;
    void this.search(this.query);
    return contact;
  }

  /** F2: deletes a contact; it leaves the list at once. Rejects with the core's `AppError`. */
  async delete(contactId: ContactId): Promise<void> {
    this.#deleting.add(contactId);
    try {
      await this.ipc.deleteContact(contactId);
    } finally {
      this.#deleting.delete(contactId);
    }
    this.items = this.items.filter((c) => c.id !== contactId);
    if (this.current?.id === contactId) {
      this.#detailSeq++;
      this.current = null;
    }
    void this.search(this.query);
  }
}
