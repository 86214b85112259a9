import type { ContactId } from "./ipc/bindings/ContactId";
import type { ThreadId } from "./ipc/bindings/ThreadId";

export type Tab = "messages" | "contacts";

/** The whole router: which tab, and what its detail pane shows. */
export class Nav {
  tab = $state<Tab>("messages");
  threadId = $state<ThreadId | null>(null);
  contactId = $state<ContactId | null>(null);

  /** Whether the current tab has something open in its detail pane (narrow layout shows it). */
  get detailOpen(): boolean {
    return this.tab === "messages" ? this.threadId !== null : this.contactId !== null;
  }
}
