/**
 * One typed function per Tauri command (docs/ipc-contract.md). With events.ts, the only module
 * allowed to import `@tauri-apps/api` (ESLint `no-restricted-imports`). Every function rejects
 * with an `AppError`, whatever the core or Tauri itself threw.
 */
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type { AccountState } from "./bindings/AccountState";
import type { Contact } from "./bindings/Contact";
import type { ContactDraft } from "./bindings/ContactDraft";
import type { ConsentRecord } from "./bindings/ConsentRecord";
import type { ContactId } from "./bindings/ContactId";
import type { NumberStanding } from "./bindings/NumberStanding";
import type { SearchGroup } from "./bindings/SearchGroup";
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
import type { MessageCursor } from "./bindings/MessageCursor";
import type { ThreadCursor } from "./bindings/ThreadCursor";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import type { User } from "./bindings/User";
import { toAppError } from "./errors";

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toAppError(error);
  }
}

/** Signed in, signed out (with what the sign-in screen needs), or failed to start. */
export function accountState(): Promise<AccountState> {
  return call("account_state");
}

export function signIn(
  connectorUrl: string,
  email: string,
  password: string,
): Promise<AccountState> {
  return call("sign_in", { connectorUrl, email, password });
}

export function signOut(): Promise<AccountState> {
  return call("sign_out");
}

export function getSession(): Promise<Session> {
  return call("get_session");
}

export function syncState(): Promise<SyncState> {
  return call("sync_state");
}

/** Contacts by name; `query` null or empty lists them all. */
export function listContacts(query: string | null): Promise<Contact[]> {
  return call("list_contacts", { query });
}

export function getContact(contactId: ContactId): Promise<Contact> {
  return call("get_contact", { contactId });
}

/** F2: adds a contact as typed. Refusals carry the field they are about (`AppError.field`:
 * "name", "notes", "phones.N" with N the number's place in `draft.phones`). */
export function createContact(draft: ContactDraft): Promise<Contact> {
  return call("create_contact", { draft });
}

/** F2: replaces a contact's fields with `draft`; refused like `createContact`, or `not_found`. */
export function updateContact(contactId: ContactId, draft: ContactDraft): Promise<Contact> {
  return call("update_contact", { contactId, draft });
}

/** F2: deletes a contact for the whole organization; its conversations keep their history. */
export function deleteContact(contactId: ContactId): Promise<void> {
  return call("delete_contact", { contactId });
}

/** The lists' rows, newest first: with `limit`, the page after the row `after` (the first
 * page when null), else every row. */
export function listThreads(
  after: ThreadCursor | null = null,
  limit: number | null = null,
): Promise<ThreadRow[]> {
  // The cursor crosses as the core's `ThreadCursor`: the row's own two fields.
  return call("list_threads", {
    after: after && { last_message_at: after.last_message_at, id: after.id },
    limit,
  });
}

/** The open thread: what may be sent in it now, and who is in it (null: not known here). */
export function getThread(threadId: ThreadId): Promise<ThreadSummary | null> {
  return call("get_thread", { threadId });
}

/** The contact's open WhatsApp thread for `phone` (E.164), or a new one (with the opt-in
 * request when `askConsent`; a guest who must be asked first: `consent_missing`). */
export function openWhatsappThread(
  contactId: ContactId,
  phone: string,
  askConsent: boolean,
): Promise<ThreadSummary> {
  return call("open_whatsapp_thread", { contactId, phone, askConsent });
}

/** Each of a contact's numbers on WhatsApp: consent, and whether it may be asked now. */
export function whatsappStanding(contactId: ContactId): Promise<NumberStanding[]> {
  return call("whatsapp_standing", { contactId });
}

/** The consent record of a thread's guest. */
export function consentRecord(threadId: ThreadId): Promise<ConsentRecord> {
  return call("consent_record", { threadId });
}

/** Saves an export the UI made where the user chooses; false when they cancelled. */
export function saveText(filename: string, content: string): Promise<boolean> {
  return call("save_text", { filename, content });
}

/** Messages matching `query`, newest first, grouped by conversation (within one thread when
 * `threadId` is given). */
export function searchMessages(
  query: string,
  threadId: ThreadId | null,
  limit: number,
): Promise<SearchGroup[]> {
  return call("search_messages", { query, threadId, limit });
}

/** The thread to reply in from `threadId` (itself, the guest's open one, or it reopened). */
export function replyFromThread(threadId: ThreadId): Promise<ThreadSummary> {
  return call("reply_from_thread", { threadId });
}

/** A private note to the colleagues in the thread (never sent to the guest). */
export function addNote(threadId: ThreadId, text: string): Promise<Message> {
  return call("add_note", { threadId, text });
}

/** The core's "now" (the demo's clock, moved or not). */
export function clockNow(): Promise<string> {
  return call("clock_now");
}

/** A desktop notification the UI decided on. */
export function notify(title: string, body: string): Promise<void> {
  return call("notify", { title, body });
}

/** F22: the contact's open SMS thread for `phone` (E.164), or a new one. */
export function openSmsThread(contactId: ContactId, phone: string): Promise<ThreadSummary> {
  return call("open_sms_thread", { contactId, phone });
}

/** F22: a voicemail was played; answers it with when it was first heard. */
export function useNewNumber(messageId: MessageId): Promise<Message> {
  return call("use_new_number", { messageId });
}

export function markHeard(messageId: MessageId): Promise<Message> {
  return call("mark_heard", { messageId });
}

/** Oldest first. With `limit`: the newest `limit` before the message `before` (the newest
 * of all when null), for a long thread's first screen and its older pages. */
export function listMessages(
  threadId: ThreadId,
  before: MessageCursor | null = null,
  limit: number | null = null,
): Promise<Message[]> {
  return call("list_messages", {
    threadId,
    before: before && { created_at: before.created_at, id: before.id },
    limit,
  });
}

/** Queues the text; resolves at once with the message in state "sending". */
export function sendText(threadId: ThreadId, text: string): Promise<Message> {
  return call("send_text", { threadId, text });
}

/** A failed message's Retry: the same message queued again, answered in state "sending". */
export function retryMessage(messageId: MessageId): Promise<Message> {
  return call("retry_message", { messageId });
}

/** A failed WhatsApp text sent by SMS instead: the SMS thread with the same guest it went to. */
export function sendBySms(threadId: ThreadId, messageId: MessageId): Promise<ThreadSummary> {
  return call("send_by_sms", { threadId, messageId });
}

/** The organization's approved and paused templates (F15); only approved ones can be sent. */
export function listTemplates(): Promise<Template[]> {
  return call("list_templates");
}

/** The template's text with `values` filled in, and what is wrong with them (F15). */
export function previewTemplate(
  name: string,
  language: string,
  values: FilledValue[],
): Promise<TemplatePreview> {
  return call("preview_template", { name, language, values });
}

/** Queues an approved template with its values; resolves with the message "sending" (F9). */
export function sendTemplate(
  threadId: ThreadId,
  name: string,
  language: string,
  values: FilledValue[],
): Promise<Message> {
  return call("send_template", { threadId, name, language, values });
}

/** Queues the opt-in request that asks the guest for consent (F4). */
export function sendOptIn(threadId: ThreadId): Promise<Message> {
  return call("send_opt_in", { threadId });
}

/** The user has the thread open: clears its unread count (and tells the guest's phone). */
export function markRead(threadId: ThreadId): Promise<void> {
  return call("mark_read", { threadId });
}

/** F16-F18: a chosen picture's bytes, sent raw; the core bounds, uprights and strips it. */
export function preparePhoto(bytes: Uint8Array): Promise<PreparedPhoto> {
  return call("prepare_photo", bytes);
}

/** A prepared picture uploaded for a template's header: its id is the header's value. */
export function uploadHeaderPicture(photoId: string): Promise<MediaId> {
  return call("upload_header_picture", { photoId });
}

/** A prepared document (`prepareDocument`) uploaded for a template's DOCUMENT header under
 * `filename`: its id is the header's value. `not_a_document` unless the name is a PDF's. */
export function uploadHeaderDocument(preparedId: string, filename: string): Promise<MediaId> {
  return call("upload_header_document", { preparedId, filename });
}

export function sendPicture(
  threadId: ThreadId,
  preparedId: string,
  caption: string | null,
): Promise<Message> {
  return call("send_picture", { threadId, preparedId, caption });
}

/** Documents out: a chosen file's bytes, sent raw, kept on this device until sent;
 * `document_too_large` over WhatsApp's 100 MB. */
export function prepareDocument(bytes: Uint8Array): Promise<PreparedDocument> {
  return call("prepare_document", bytes);
}

/** Queues a prepared document under `filename` (what the guest sees); resolves with the
 * message "sending". `not_a_document` unless the name is a PDF, Office or text file's. */
export function sendDocument(
  threadId: ThreadId,
  preparedId: string,
  filename: string,
  caption: string | null,
): Promise<Message> {
  return call("send_document", { threadId, preparedId, filename, caption });
}

/** A stored file (a picture, a recording, a video...) as a `data:` URL (fetched once, then
 * from the device). */
export function getMedia(mediaId: MediaId): Promise<string> {
  return call("get_media", { mediaId });
}

/** A received file opened in the system's app for its type (a PDF in the PDF reader). */
export function openMedia(mediaId: MediaId, filename: string): Promise<void> {
  return call("open_media", { mediaId, filename });
}

/** A received file saved where the user chooses (the system's Save dialog, `filename`
 * proposed); true once saved, false when the user cancelled. */
export function saveMedia(mediaId: MediaId, filename: string): Promise<boolean> {
  return call("save_media", { mediaId, filename });
}

/** An https link opened in the system's browser (a place in OpenStreetMap). */
export function openUrl(url: string): Promise<void> {
  return call("open_url", { url });
}

/** A number called through the system's `tel:` handler (rejects `no_dialer` without one). */
export function dial(number: string): Promise<void> {
  return call("dial", { number });
}

/** F20: the organization's other users. */
export function listColleagues(): Promise<User[]> {
  return call("list_colleagues");
}

/** F20: add, transfer, leave, restart; the thread as the user now sees it, or null. */
export function changeParticipants(
  threadId: ThreadId,
  change: ParticipantChange,
): Promise<ThreadSummary | null> {
  return call("change_participants", { threadId, change });
}
