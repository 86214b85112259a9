import type { ContactId } from "./ipc/bindings/ContactId";
import type { ThreadId } from "./ipc/bindings/ThreadId";

export type Tab = "messages" | "contacts" | "history" | "settings";

/** The whole router: which tab, and what its detail pane shows. */
export class Nav {
  tab = $state<Tab>("messages");
  threadId = $state<ThreadId | null>(null);
  contactId = $state<ContactId | null>(null);

  /** Whether the current tab has something open in its detail pane (narrow layout shows it). */
  get detailOpen(): boolean {
    if (this.tab === "messages") return this.threadId !== null;
    if (this.tab === "contacts") return this.contactId !== null;
    return false;
  }
}
