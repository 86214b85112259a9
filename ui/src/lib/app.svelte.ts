/**
 * The application state behind every view: the stores, the router, and the one place where
 * pushed `UiEvent`s are applied. Created by App.svelte (or a test) from an `Ipc`.
 */
import { getContext, setContext } from "svelte";
import { ContactsStore } from "./contact/contacts.svelte";
import type { AccountState } from "./ipc/bindings/AccountState";
import type { Contact } from "./ipc/bindings/Contact";
import type { ContactDraft } from "./ipc/bindings/ContactDraft";
import type { ContactId } from "./ipc/bindings/ContactId";
import type { MessageId } from "./ipc/bindings/MessageId";
import type { ThreadId } from "./ipc/bindings/ThreadId";
import type { ThreadSummary } from "./ipc/bindings/ThreadSummary";
import type { UiEvent } from "./ipc/bindings/UiEvent";
import { toAppError } from "./ipc/errors";
import { ipcContext, type Ipc, type Unlisten } from "./ipc/ipc";
import { Nav, type Tab } from "./nav.svelte";
import { SessionStore } from "./session/session.svelte";
import { clock } from "./shared/clock.svelte";
import { Toasts } from "./shared/toasts.svelte";
import { SearchStore } from "./search/search.svelte";
import { TemplatesStore } from "./template/templates.svelte";
import { ThreadStore } from "./thread/thread.svelte";
import { ThreadsStore } from "./thread/threads.svelte";
import { durationText, timeLeft, toNotify } from "./thread/window";

/** What the app does after a sign-in or sign-out: start afresh (App.svelte: reload the page). */
export type AppOptions = { restart?: () => void };

/** WhatsApp's Business Policy: consent, and the 24-hour session (as the help article links). */
export const WHATSAPP_BUSINESS_POLICY = "https://www.whatsapp.com/legal/business-policy/?lang=en";

/** More conversations than this closing at once are notified as one. */
const MAX_CLOSING_NOTIFICATIONS = 3;

/** Who the opt-in dialog is about. */
export type ConsentRequest = { name: string } & (
  { threadId: ThreadId } | { contactId: ContactId; phone: string }
);

export class AppState {
  readonly nav = new Nav();
  /** Signed in (the inbox), signed out (the sign-in screen), or failed to start. */
  account = $state<AccountState>({ state: "booting" });
  readonly toasts = new Toasts();
  readonly session: SessionStore;
  readonly contacts: ContactsStore;
  readonly threads: ThreadsStore;
  readonly templates: TemplatesStore;
  /** The Messages tab's search over every message. */
  readonly search: SearchStore;
  /** The open thread's messages; null when none is open. */
  thread = $state<ThreadStore | null>(null);
  /** F4: the guest the user is being asked to send the opt-in to: in a thread, or a guest
   * with no thread yet (it opens with the request; cancelling leaves nothing). */
  consentRequest = $state<ConsentRequest | null>(null);
  /** The opt-in is being sent (the dialog's buttons wait). */
  sendingOptIn = $state(false);
  /** F17: how far the core is with the picture it is preparing (0-100), if any. */
  photoProgress = $state<number | null>(null);
  /** What WhatsApp last reported wrong with the line, until the user dismisses it. */
  lineProblem = $state<string | null>(null);
  /** F23: a new contact being added from a card a guest shared (the editor, pre-filled). */
  contactFromCard = $state<ContactDraft | null>(null);
  #unlisten: Unlisten | null = null;
  /** Threads notified of their window's end, by the end notified (bookkeeping, never drawn). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #notifiedClosing = new Map<ThreadId, string>();

  readonly #restart: () => void;

  constructor(
    readonly ipc: Ipc,
    options: AppOptions = {},
  ) {
    this.#restart = options.restart ?? (() => location.reload());
    const report = (error: unknown) => this.report(error);
    this.session = new SessionStore(ipc, report);
    this.contacts = new ContactsStore(ipc, report);
    this.threads = new ThreadsStore(ipc, report);
    this.templates = new TemplatesStore(ipc, report);
    this.search = new SearchStore(ipc, report);
  }

  /** Listens first, then loads, so no event between the two is lost. Signed out: only the
   * account state (the sign-in screen needs nothing else). */
  async start(): Promise<void> {
    await this.loadAccount();
    if (this.account.state !== "signed_in") return;
    try {
      this.#unlisten = await this.ipc.onUiEvent((event) => this.apply(event));
    } catch (error) {
      this.report(error);
    }
    // Times shown follow the core's clock (the demo's may have been moved).
    this.ipc
      .clockNow()
      .then((now) => clock.follow(now))
      .catch((error: unknown) => this.report(error));
    await Promise.all([
      this.session.load(),
      this.threads.load(),
      this.contacts.search(""),
      this.templates.load(),
    ]);
  }

  async loadAccount(): Promise<void> {
    try {
      this.account = await this.ipc.accountState();
    } catch (error) {
      this.account = { state: "failed", error: toAppError(error) };
    }
  }

  /** The sign-in screen's submit. Rejects with the `AppError` for the form to show. */
  async signIn(connectorUrl: string, email: string, password: string): Promise<void> {
    await this.ipc.signIn(connectorUrl, email, password);
    // The page starts afresh; nothing of the previous screen is drawn in between.
    this.#restart();
  }

  async signOut(): Promise<void> {
    try {
      await this.ipc.signOut();
    } catch (error) {
      this.report(error);
      return;
    }
    this.#restart();
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  apply(event: UiEvent): void {
    switch (event.kind) {
      case "message_upserted":
        this.thread?.upsert(event.message);
        // A guest's message arriving in the thread the user is looking at is read.
        if (
          event.message.direction === "inbound" &&
          event.message.thread_id === this.thread?.threadId &&
          document.hasFocus()
        ) {
          this.markRead(event.message.thread_id);
        }
        break;
      case "thread_upserted":
        this.threads.upsert(event.thread);
        this.thread?.setSummary(event.thread);
        // The thread the user is looking at counts a new guest message as unread (its
        // count may come after the message itself): read, so no badge stays on it.
        if (
          event.thread.id === this.thread?.threadId &&
          event.thread.unread_count > 0 &&
          document.hasFocus()
        ) {
          // Not `markRead`: the list applies upserts in batches, so it may not show the
          // count yet; the event does.
          this.ipc.markRead(event.thread.id).catch((error: unknown) => this.report(error));
        }
        break;
      case "contacts_changed":
        void this.contacts.reload();
        break;
      case "templates_changed":
        void this.templates.reload();
        break;
      case "sync_state_changed":
        this.session.sync = event.sync;
        // The connector ended the session: the sign-in screen says so.
        if (event.sync.state === "signed_out") void this.loadAccount();
        break;
      case "resync":
        void this.threads.load();
        void this.contacts.reload();
        void this.templates.reload();
        void this.thread?.load();
        break;
      case "thread_removed":
        this.threads.remove(event.thread_id);
        if (this.thread?.threadId === event.thread_id) {
          this.openThread(null);
          this.toasts.show("You are no longer in that conversation.");
        }
        break;
      case "photo_progress":
        this.photoProgress = event.progress.percent;
        break;
      case "upload_progress":
        this.thread?.uploadProgress(event.progress);
        break;
      case "line_problem":
        this.lineProblem = event.text;
        break;
      case "clock_moved":
        clock.follow(event.now);
        break;
    }
  }

  /**
   * A desktop notification for each of the user's conversations whose free messaging ends
   * within `withinMs` of `now`, once per end (App.svelte calls it as the clock ticks and the
   * list changes). The thread being read in a focused window is not notified: its countdown
   * is in front of the user.
   */
  notifyClosing(now: number, withinMs: number): void {
    const reading = document.hasFocus() ? (this.thread?.threadId ?? null) : null;
    const due = toNotify(this.threads.inbox, now, withinMs, this.#notifiedClosing, reading);
    // Many at once (the app opened after a while): one notification says so.
    if (due.length > MAX_CLOSING_NOTIFICATIONS) {
      this.ipc
        .notify(
          `Free messaging ends soon in ${due.length} conversations`,
          "They are listed first in Messages, under Closing soon.",
        )
        .catch((error: unknown) => this.report(error));
      return;
    }
    for (const thread of due) {
      const left = durationText(timeLeft(thread, now) ?? 0);
      this.ipc
        .notify(
          `${thread.contact_name}: free messaging ends in ${left}`,
          "Reply now: after that, only an approved template can be sent until they write again.",
        )
        .catch((error: unknown) => this.report(error));
    }
  }

  /** Shows a command's error to the user as a sentence. */
  report(error: unknown): void {
    this.toasts.show(toAppError(error).message);
  }

  selectTab(tab: Tab): void {
    this.nav.tab = tab;
  }

  /** Opens a thread; `summary` when a command has just returned it (saves asking again);
   * `at`: a message to scroll to and mark (a search hit). */
  openThread(
    threadId: ThreadId | null,
    summary: ThreadSummary | null = null,
    at: MessageId | null = null,
  ): void {
    this.nav.tab = "messages";
    this.nav.threadId = threadId;
    if (threadId === null) {
      this.thread = null;
      return;
    }
    if (this.thread?.threadId === threadId) {
      if (summary) this.thread.setSummary(summary);
      if (at !== null) this.thread.target = at;
      return;
    }
    const store = new ThreadStore(threadId, this.ipc, (error) => this.report(error), summary);
    store.target = at;
    this.thread = store;
    void store.load();
    this.markRead(threadId);
  }

  /** Clears a thread's unread count; best effort (the core settles it when back online). */
  markRead(threadId: ThreadId): void {
    const thread = this.threads.items.find((t) => t.id === threadId);
    if (thread && thread.unread_count === 0) return;
    this.ipc.markRead(threadId).catch((error: unknown) => this.report(error));
  }

  /** Opens a contact's details; `contact` when a command has just returned it. */
  openContact(contactId: ContactId | null, contact: Contact | null = null): void {
    this.nav.tab = "contacts";
    this.nav.contactId = contactId;
    void this.contacts.open(contactId, contact);
  }

  /** F2: adds (`contactId` null) or changes a contact, then shows it. Rejects with the core's
   * `AppError` for the editor to show on its field. */
  async saveContact(contactId: ContactId | null, draft: ContactDraft): Promise<Contact> {
    const contact = await this.contacts.save(contactId, draft);
    this.openContact(contact.id, contact);
    return contact;
  }

  /** F23: opens the contact editor on a shared card (its name, company and numbers). */
  addContactFromCard(draft: ContactDraft): void {
    this.contactFromCard = draft;
  }

  /** Saves the contact made from a card; the user stays in the conversation. Rejects with
   * the core's `AppError` for the editor to show on its field. */
  async saveContactFromCard(draft: ContactDraft): Promise<void> {
    const contact = await this.contacts.save(null, draft);
    this.contactFromCard = null;
    this.toasts.show(`${contact.name} is in your contacts now.`, "info");
  }

  /** F2: deletes a contact and goes back to the list. Rejects with the core's `AppError`. */
  async deleteContact(contactId: ContactId): Promise<void> {
    await this.contacts.delete(contactId);
    if (this.nav.contactId === contactId) this.openContact(null);
    this.toasts.show("Contact deleted.", "info");
  }

  /** F3/F12: the green icon beside a number opens (or starts) that WhatsApp thread. */
  async openWhatsapp(contactId: ContactId, phone: string): Promise<void> {
    try {
      const thread = await this.ipc.openWhatsappThread(contactId, phone, false);
      this.threads.upsert(thread);
      this.openThread(thread.id, thread);
      // An open thread whose guest has not consented (they wrote first): offered at once.
      if (needsConsent(thread)) this.askConsent(thread.id);
    } catch (error) {
      const e = toAppError(error);
      // F4: a guest who must first be asked has no thread yet: it opens with the request,
      // once the user agrees to send it.
      if (e.code === "consent_missing") {
        const name =
          (this.contacts.current?.id === contactId ? this.contacts.current.name : null) ??
          this.contacts.items.find((c) => c.id === contactId)?.name ??
          phone;
        this.consentRequest = { contactId, phone, name };
      }
      // A colleague holds the conversation: they were asked to add this user.
      else if (e.code === "join_requested") this.toasts.show(e.message, "info");
      else this.report(error);
    }
  }

  /**
   * History's Reply on a closed thread: the reply goes to the guest's open conversation on
   * the line (which then links back to this one), or this one opens again. Colleagues who
   * hold the open one are asked to add the user (said as information).
   */
  async replyFrom(threadId: ThreadId): Promise<void> {
    try {
      const thread = await this.ipc.replyFromThread(threadId);
      this.threads.upsert(thread);
      this.openThread(thread.id, thread);
      if (thread.id !== threadId && this.thread?.threadId === thread.id) {
        this.thread.from = threadId;
      }
    } catch (error) {
      const e = toAppError(error);
      if (e.code === "join_requested") this.toasts.show(e.message, "info");
      else this.report(error);
    }
  }

  /**
   * The call icon beside a number: the system's phone app calls it; without one, the user is
   * told the number to call from a phone (never a button that does nothing).
   */
  async dial(phone: string): Promise<void> {
    try {
      await this.ipc.dial(phone);
    } catch (error) {
      const e = toAppError(error);
      if (e.code === "no_dialer") this.toasts.show(e.message, "info");
      else this.report(error);
    }
  }

  /** A WhatsApp Business policy page, in the system's browser. */
  openPolicy(): void {
    this.ipc.openUrl(WHATSAPP_BUSINESS_POLICY).catch((error: unknown) => this.report(error));
  }

  /** F22: the SMS icon beside a number opens (or starts) that SMS thread. */
  async openSms(contactId: ContactId, phone: string): Promise<void> {
    try {
      const thread = await this.ipc.openSmsThread(contactId, phone);
      this.threads.upsert(thread);
      this.openThread(thread.id, thread);
    } catch (error) {
      this.report(error);
    }
  }

  /** A failed WhatsApp text sent by SMS instead; opens the SMS thread it went to. */
  async sendBySms(threadId: ThreadId, messageId: MessageId): Promise<void> {
    try {
      const sms = await this.ipc.sendBySms(threadId, messageId);
      this.threads.upsert(sms);
      this.openThread(sms.id, sms);
    } catch (error) {
      this.report(error);
    }
  }

  /** Opens the "Ask for consent" dialog for a thread. */
  askConsent(threadId: ThreadId): void {
    const thread = this.thread?.threadId === threadId ? this.thread.summary : null;
    const name = thread?.contact_name ?? this.threads.get(threadId)?.contact_name;
    if (name !== undefined) this.consentRequest = { threadId, name };
  }

  cancelConsent(): void {
    if (!this.sendingOptIn) this.consentRequest = null;
  }

  /** The dialog's confirmation: sends the opt-in request (F4); errors show in the banner. */
  async confirmConsent(): Promise<void> {
    const request = this.consentRequest;
    if (request === null || this.sendingOptIn) return;
    this.sendingOptIn = true;
    try {
      if ("threadId" in request) {
        const message = await this.ipc.sendOptIn(request.threadId);
        if (this.thread?.threadId === request.threadId) {
          this.thread.upsert(message, { ifAbsent: true });
        }
      } else {
        // The thread and its request come together.
        const thread = await this.ipc.openWhatsappThread(request.contactId, request.phone, true);
        this.threads.upsert(thread);
        this.openThread(thread.id, thread);
      }
    } catch (error) {
      this.report(error);
    } finally {
      this.sendingOptIn = false;
      this.consentRequest = null;
    }
  }
}

/** Whether opening this thread should offer the opt-in: the core allows it (never asked, asked
 * 24 hours ago with no yes, or written again after an opt-out). */
export function needsConsent(thread: ThreadSummary): boolean {
  return thread.opt_in.state === "allowed" && thread.consent.state !== "granted";
}

const APP = Symbol("app");

export function setApp(app: AppState): AppState {
  return setContext(APP, app);
}

/** The `AppState` if one is provided (leaf components that also render alone in tests). */
export function findApp(): AppState | undefined {
  return getContext<AppState | undefined>(APP);
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
