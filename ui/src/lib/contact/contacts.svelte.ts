import type { Contact } from "../ipc/bindings/Contact";
import type { ContactId } from "../ipc/bindings/ContactId";
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

  async open(contactId: ContactId | null): Promise<void> {
    const seq = ++this.#detailSeq;
    if (contactId === null) {
      this.current = null;
      return;
    }
    // Show what the list already knows at once, then the full record.
    this.current = this.items.find((c) => c.id === contactId) ?? null;
    try {
      const contact = await this.ipc.getContact(contactId);
      if (seq === this.#detailSeq) this.current = contact;
    } catch (error) {
      if (seq === this.#detailSeq) this.report(error);
    }
  }

  /** `contacts_changed`: reload the list and the open contact. */
  async reload(): Promise<void> {
    const open = this.current?.id ?? null;
    await Promise.all([this.search(this.query), open ? this.open(open) : Promise.resolve()]);
  }
}
