/**
 * The `Ipc` every component uses, through context. `App.svelte` provides the Tauri one;
 * tests and the browser demo provide a fake (fake.ts).
 */
import { getContext, setContext } from "svelte";
import * as commands from "./commands";
import { onUiEvent, type Unlisten } from "./events";
import type { ConsentRecord } from "./bindings/ConsentRecord";
import type { NumberStanding } from "./bindings/NumberStanding";
import type { SearchGroup } from "./bindings/SearchGroup";
import type { AccountState } from "./bindings/AccountState";
import type { Contact } from "./bindings/Contact";
import type { ContactDraft } from "./bindings/ContactDraft";
import type { ContactId } from "./bindings/ContactId";
import type { FilledValue } from "./bindings/FilledValue";
import type { MediaId } from "./bindings/MediaId";
import type { Message } from "./bindings/Message";
import type { MessageId } from "./bindings/MessageId";
import type { ParticipantChange } from "./bindings/ParticipantChange";
import type { PreparedDocument } from "./bindings/PreparedDocument";
import type { PreparedPhoto } from "./bindings/PreparedPhoto";
import type { Session } from "./bindings/Session";
import type { SyncState } from "./bindings/SyncState";
import type { Template } from "./bindings/Template";
import type { TemplatePreview } from "./bindings/TemplatePreview";
import type { ThreadId } from "./bindings/ThreadId";
import type { ThreadRow } from "./bindings/ThreadRow";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import type { UiEvent } from "./bindings/UiEvent";
import type { User } from "./bindings/User";

export type { Unlisten };

/** Where a page of messages ends: the oldest message loaded (its time and id). A message
 * has both fields, so a message is a cursor. */
import type { MessageCursor } from "./bindings/MessageCursor";
export type { MessageCursor };

/** Where a page of the thread list ends: its last row (its activity time and id). A row has
 * both fields, so a row is a cursor. */
import type { ThreadCursor } from "./bindings/ThreadCursor";
export type { ThreadCursor };

export interface Ipc {
  accountState(): Promise<AccountState>;
  signIn(connectorUrl: string, email: string, password: string): Promise<AccountState>;
  signOut(): Promise<AccountState>;
  getSession(): Promise<Session>;
  syncState(): Promise<SyncState>;
  listContacts(query: string | null): Promise<Contact[]>;
  getContact(contactId: ContactId): Promise<Contact>;
  createContact(draft: ContactDraft): Promise<Contact>;
  updateContact(contactId: ContactId, draft: ContactDraft): Promise<Contact>;
  deleteContact(contactId: ContactId): Promise<void>;
  listThreads(after?: ThreadCursor | null, limit?: number | null): Promise<ThreadRow[]>;
  getThread(threadId: ThreadId): Promise<ThreadSummary | null>;
  /** The open thread, or a new one; a guest who must first be asked: `consent_missing`
   * (nothing created) unless `askConsent`, which opens it with the opt-in request. */
  openWhatsappThread(
    contactId: ContactId,
    phone: string,
    askConsent: boolean,
  ): Promise<ThreadSummary>;
  /** Each of a contact's numbers on WhatsApp: consent, and whether it may be asked now. */
  whatsappStanding(contactId: ContactId): Promise<NumberStanding[]>;
  /** The consent record of a thread's guest (requests, the deciding reply, ids, times). */
  consentRecord(threadId: ThreadId): Promise<ConsentRecord>;
  /** Saves an export where the user chooses (a save dialog); false when cancelled. */
  saveText(filename: string, content: string): Promise<boolean>;
  /** Messages with every word of `query` (prefixes), newest first, grouped by conversation;
   * within one thread when `threadId` is given. Works offline (the cache). */
  searchMessages(query: string, threadId: ThreadId | null, limit: number): Promise<SearchGroup[]>;
  /** History's Reply: the thread to write in from `threadId` (itself if open, the guest's
   * open one, or it reopened); `join_requested` when colleagues hold the open one. */
  replyFromThread(threadId: ThreadId): Promise<ThreadSummary>;
  /** A private note to the colleagues in the thread (direction `note`), never sent. */
  addNote(threadId: ThreadId, text: string): Promise<Message>;
  /** The core's "now" (ISO): the times shown follow it (the demo's clock moves). */
  clockNow(): Promise<string>;
  /** A desktop notification (one the UI decided on). */
  notify(title: string, body: string): Promise<void>;
  openSmsThread(contactId: ContactId, phone: string): Promise<ThreadSummary>;
  markHeard(messageId: MessageId): Promise<Message>;
  /** F23: the thread writes to the guest's new number (a `number_changed` notice). */
  useNewNumber(messageId: MessageId): Promise<Message>;
  listMessages(
    threadId: ThreadId,
    before?: MessageCursor | null,
    limit?: number | null,
  ): Promise<Message[]>;
  sendText(threadId: ThreadId, text: string): Promise<Message>;
  /** A failed message queued again (the same message, "sending"). */
  retryMessage(messageId: MessageId): Promise<Message>;
  /** A failed WhatsApp text sent by SMS; the SMS thread it went to. */
  sendBySms(threadId: ThreadId, messageId: MessageId): Promise<ThreadSummary>;
  listTemplates(): Promise<Template[]>;
  previewTemplate(name: string, language: string, values: FilledValue[]): Promise<TemplatePreview>;
  sendTemplate(
    threadId: ThreadId,
    name: string,
    language: string,
    values: FilledValue[],
  ): Promise<Message>;
  sendOptIn(threadId: ThreadId): Promise<Message>;
  markRead(threadId: ThreadId): Promise<void>;
  preparePhoto(bytes: Uint8Array): Promise<PreparedPhoto>;
  uploadHeaderPicture(photoId: string): Promise<MediaId>;
  /** A prepared PDF uploaded for a template's DOCUMENT header; `not_a_document` otherwise. */
  uploadHeaderDocument(preparedId: string, filename: string): Promise<MediaId>;
  sendPicture(threadId: ThreadId, preparedId: string, caption: string | null): Promise<Message>;
  prepareDocument(bytes: Uint8Array): Promise<PreparedDocument>;
  sendDocument(
    threadId: ThreadId,
    preparedId: string,
    filename: string,
    caption: string | null,
  ): Promise<Message>;
  getMedia(mediaId: MediaId): Promise<string>;
  openMedia(mediaId: MediaId, filename: string): Promise<void>;
  saveMedia(mediaId: MediaId, filename: string): Promise<boolean>;
  openUrl(url: string): Promise<void>;
  /** Calls the number through the system's `tel:` handler; `no_dialer` when there is none. */
  dial(number: string): Promise<void>;
  listColleagues(): Promise<User[]>;
  changeParticipants(threadId: ThreadId, change: ParticipantChange): Promise<ThreadSummary | null>;
  onUiEvent(handler: (event: UiEvent) => void): Promise<Unlisten>;
}

export const tauriIpc: Ipc = { ...commands, onUiEvent };

const IPC = Symbol("ipc");

export function setIpc(ipc: Ipc): Ipc {
  return setContext(IPC, ipc);
}

export function getIpc(): Ipc {
  const ipc = getContext<Ipc | undefined>(IPC);
  if (!ipc) throw new Error("No Ipc in context: render inside App or provide one in the test.");
  return ipc;
}

/** The `Ipc` if one is provided (components that also render alone in tests). */
export function findIpc(): Ipc | undefined {
  return getContext<Ipc | undefined>(IPC);
}

/** For tests: the context map `render(Component, { context })` expects. */
export function ipcContext(ipc: Ipc): Map<symbol, unknown> {
  return new Map<symbol, unknown>([[IPC, ipc]]);
}
