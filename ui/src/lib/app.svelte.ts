/**
 * The application state behind every view: the stores, the router, and the one place where
 * pushed `UiEvent`s are applied. Created by App.svelte (or a test) from an `Ipc`.
 */
import { getContext, setContext } from "svelte";
import { ContactsStore } from "./contact/contacts.svelte";
import type { ContactId } from "./ipc/bindings/ContactId";
import type { ThreadId } from "./ipc/bindings/ThreadId";
import type { UiEvent } from "./ipc/bindings/UiEvent";
import { toAppError } from "./ipc/errors";
import { ipcContext, type Ipc, type Unlisten } from "./ipc/ipc";
import { Nav, type Tab } from "./nav.svelte";
import { SessionStore } from "./session/session.svelte";
import { Toasts } from "./shared/toasts.svelte";
import { ThreadStore } from "./thread/thread.svelte";
import { ThreadsStore } from "./thread/threads.svelte";

export class AppState {
  readonly nav = new Nav();
  readonly toasts = new Toasts();
  readonly session: SessionStore;
  readonly contacts: ContactsStore;
  readonly threads: ThreadsStore;
  /** The open thread's messages; null when none is open. */
  thread = $state<ThreadStore | null>(null);
  #unlisten: Unlisten | null = null;

  constructor(readonly ipc: Ipc) {
    const report = (error: unknown) => this.report(error);
    this.session = new SessionStore(ipc, report);
    this.contacts = new ContactsStore(ipc, report);
    this.threads = new ThreadsStore(ipc, report);
  }

  /** Listens first, then loads, so no event between the two is lost. */
  async start(): Promise<void> {
    try {
      this.#unlisten = await this.ipc.onUiEvent((event) => this.apply(event));
    } catch (error) {
      this.report(error);
    }
    await Promise.all([this.session.load(), this.threads.load(), this.contacts.search("")]);
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  apply(event: UiEvent): void {
    switch (event.kind) {
      case "message_upserted":
        this.thread?.upsert(event.message);
        break;
      case "thread_upserted":
        this.threads.upsert(event.thread);
        break;
      case "contacts_changed":
        void this.contacts.reload();
        break;
      case "sync_state_changed":
        this.session.sync = event.sync;
        break;
    }
  }

  /** Shows a command's error to the user as a sentence. */
  report(error: unknown): void {
    this.toasts.show(toAppError(error).message);
  }

  selectTab(tab: Tab): void {
    this.nav.tab = tab;
  }

  openThread(threadId: ThreadId | null): void {
    this.nav.tab = "messages";
    this.nav.threadId = threadId;
    if (threadId === null) {
      this.thread = null;
      return;
    }
    if (this.thread?.threadId === threadId) return;
    const store = new ThreadStore(threadId, this.ipc, (error) => this.report(error));
    this.thread = store;
    void store.load();
  }

  openContact(contactId: ContactId | null): void {
    this.nav.tab = "contacts";
    this.nav.contactId = contactId;
    void this.contacts.open(contactId);
  }

  /** F3/F12: the green icon beside a number opens (or starts) that WhatsApp thread. */
  async openWhatsapp(contactId: ContactId, phone: string): Promise<void> {
    try {
      const thread = await this.ipc.openWhatsappThread(contactId, phone);
      this.threads.upsert(thread);
      this.openThread(thread.id);
    } catch (error) {
      this.report(error);
    }
  }
}

const APP = Symbol("app");

export function setApp(app: AppState): AppState {
  return setContext(APP, app);
}

export function getApp(): AppState {
  const app = getContext<AppState | undefined>(APP);
  if (!app)
    throw new Error("No AppState in context: render inside App or provide one in the test.");
  return app;
}

/** For tests: everything `render(Component, { context })` needs, around a fake Ipc. */
export function appContext(app: AppState): Map<symbol, unknown> {
  const context = ipcContext(app.ipc);
  context.set(APP, app);
  return context;
}
