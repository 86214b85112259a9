/**
 * An in-memory `Ipc` for component tests and for running the UI in a plain browser
 * (`npm run dev` outside Tauri). Never used inside the app: main.ts loads it only when there is
 * no Tauri runtime, and production builds drop that branch.
 */
import type { AccountState } from "./bindings/AccountState";
import type { AppError } from "./bindings/AppError";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Consent } from "./bindings/Consent";
import type { Contact } from "./bindings/Contact";
import type { ContactDraft } from "./bindings/ContactDraft";
import type { ContactPhone } from "./bindings/ContactPhone";
import type { FilledValue } from "./bindings/FilledValue";
import type { Message } from "./bindings/Message";
import type { TemplateFile } from "./bindings/TemplateFile";
import type { Session } from "./bindings/Session";
import type { SyncState } from "./bindings/SyncState";
import type { Template } from "./bindings/Template";
import { mediaHeader } from "../template/variables";
import { rowOf } from "../thread/row";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import type { UiEvent } from "./bindings/UiEvent";
import { documentMime, fakeRules, fakeSmsRules, MAX_DOCUMENT_BYTES, plain } from "./fake-rules";
import { demoSeed, demoTemplates, fakePreview } from "./fake-seed";
import type { Ipc, ThreadCursor, Unlisten } from "./ipc";

export { demoTemplates, fakeRules, fakeSmsRules, plain };

export type FakeOptions = {
  whatsappEnabled?: boolean;
  /** F22: the line has an SMS carrier (default true). */
  smsEnabled?: boolean;
  contacts?: Contact[];
  threads?: ThreadSummary[];
  messages?: Message[];
  templates?: Template[];
  sync?: SyncState;
  /** Browser demo: sends progress sending → sent → delivered → read, guests answer. */
  autoProgress?: boolean;
  now?: () => number;
  /** Start signed out (the sign-in screen). */
  signedOut?: boolean;
};

/** The fake's accounts: every one signs in with this password. */
export const FAKE_PASSWORD = "multiline-demo";
const FAKE_CONNECTOR = "http://127.0.0.1:8080";

export type FakeIpc = Ipc & {
  contacts: Contact[];
  threads: ThreadSummary[];
  messages: Message[];
  templates: Template[];
  session: Session;
  account: AccountState;
  /** Every command called, in order, with its arguments. */
  calls: Array<{ command: string; args: unknown[] }>;
  /** Push an event to every listener, as the core does. */
  emit(event: UiEvent): void;
  /** Makes the next call of `command` reject with `error`. */
  failNext(command: keyof Ipc, error: AppError): void;
  /** While set, `preparePhoto` waits for it (tests watch the progress meanwhile). */
  photoGate: Promise<void> | null;
};

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? name;
}

let counter = 0;
/** Two rows (or a row and a cursor) in the core's key: activity time (none sorts oldest),
 * then id. */
function compareRows(a: ThreadCursor, b: ThreadCursor): number {
  const time = (r: ThreadCursor) => (r.last_message_at ? Date.parse(r.last_message_at) : 0);
  return time(a) - time(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A random UUID (the connector's media ids are UUIDs). */
function uuid(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** A 1x1 grey JPEG: what the fake shows for every picture. */
const FAKE_PICTURE =
  "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

/** A silent WAV: the fake's voicemail recordings, voice notes and audio files. */
export const FAKE_RECORDING =
  "data:audio/wav;base64,UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** The fake's videos: no frames (a browser shows the player without a picture). */
const FAKE_VIDEO = "data:video/mp4;base64,";

/** The fake's stickers: a smiling face. */
const FAKE_STICKER = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="#ffcc4d"/><circle cx="23" cy="26" r="4" fill="#664500"/><circle cx="41" cy="26" r="4" fill="#664500"/><path d="M20 38q12 12 24 0" stroke="#664500" stroke-width="4" fill="none" stroke-linecap="round"/></svg>',
)}`;

/** The fake's documents: a few bytes of text. */
const FAKE_DOCUMENT = "data:application/pdf;base64,JVBERi0xLjQKJSVFT0YK";

const demoAccounts = [
  { name: "Alex Morgan", email: "alex.morgan@northwind.example" },
  { name: "Sam Rivera", email: "sam@northwind.example" },
];

export function createFakeIpc(options: FakeOptions = {}): FakeIpc {
  const now = options.now ?? (() => Date.now());
  const iso = (msAgo = 0) => new Date(now() - msAgo).toISOString();
  const listeners = new Set<(event: UiEvent) => void>();
  const failures = new Map<string, AppError>();
  const preparedPhotos = new Set<string>();
  /** Documents kept "on this device" until sent: their sizes by prepared id. */
  const preparedDocuments = new Map<string, number>();
  /** Header pictures uploaded for templates (their media ids). */
  const uploadedHeaders = new Set<string>();
  const seed = options.contacts ? null : demoSeed(now());

  const fake: FakeIpc = {
    session: {
      user: { id: "u-1", name: "Alex Morgan", email: "alex.morgan@northwind.example" },
      organization: {
        id: "o-1",
        name: "Northwind Bank",
        whatsapp_enabled: options.whatsappEnabled ?? true,
        sms_enabled: options.smsEnabled ?? true,
      },
    },
    account: { state: "booting" },
    photoGate: null,
    contacts: options.contacts ?? seed?.contacts ?? [],
    threads: options.threads ?? seed?.threads ?? [],
    messages: options.messages ?? seed?.messages ?? [],
    templates: options.templates ?? demoTemplates(),
    calls: [],

    emit(event) {
      for (const listener of listeners) listener(event);
    },
    failNext(command, error) {
      failures.set(command, error);
    },

    async accountState() {
      record("accountState");
      return structuredClone(fake.account);
    },
    async signIn(connectorUrl, email, password) {
      record("signIn", connectorUrl, email, password);
      if (!/^(https?:\/\/)?[\w.-]+(:\d+)?\/?$/.test(connectorUrl.trim())) {
        throw {
          code: "invalid_connector_url",
          message: "Enter the connector's address, like https://connector.example.com.",
        };
      }
      const known = demoAccounts.find((a) => a.email === email.trim().toLowerCase());
      if (!known || password !== FAKE_PASSWORD) {
        throw { code: "invalid_credentials", message: "The email or password is wrong." };
      }
      fake.session.user = { id: `u-${known.name}`, name: known.name, email: known.email };
      fake.account = signedIn();
      return structuredClone(fake.account);
    },
    async signOut() {
      record("signOut");
      fake.account = signedOut(null);
      return structuredClone(fake.account);
    },
    async getSession() {
      record("getSession");
      return structuredClone(fake.session);
    },
    async syncState() {
      record("syncState");
      return options.sync ?? { state: "online" };
    },
    async listContacts(query) {
      record("listContacts", query);
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
      record("getContact", contactId);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      return structuredClone(contact);
    },
    async createContact(draft) {
      record("createContact", structuredClone(draft));
      const contact: Contact = { id: nextId("c"), ...contactFields(draft) };
      fake.contacts.push(contact);
      fake.emit({ kind: "contacts_changed" });
      return structuredClone(contact);
    },
    async updateContact(contactId, draft) {
      record("updateContact", contactId, structuredClone(draft));
      const index = fake.contacts.findIndex((c) => c.id === contactId);
      if (index < 0) throw { code: "not_found", message: "That contact no longer exists." };
      const contact: Contact = { id: contactId, ...contactFields(draft) };
      fake.contacts[index] = contact;
      fake.emit({ kind: "contacts_changed" });
      return structuredClone(contact);
    },
    async deleteContact(contactId) {
      record("deleteContact", contactId);
      if (!fake.contacts.some((c) => c.id === contactId))
        throw { code: "not_found", message: "That contact no longer exists." };
      // Its threads stay, with their history (as the core keeps them).
      fake.contacts = fake.contacts.filter((c) => c.id !== contactId);
      fake.emit({ kind: "contacts_changed" });
    },
    async listThreads(after = null, limit = null) {
      record("listThreads", after, limit);
      // Rows only, as the core sends them: the UI must not read a summary's rules from a row.
      // The core's order: most recent activity first, then by id (descending).
      const rows = [...fake.threads].map(rowOf).sort((a, b) => -compareRows(a, b));
      const rest = after === null ? rows : rows.filter((r) => compareRows(r, after) < 0);
      return limit === null ? rest : rest.slice(0, limit);
    },
    async getThread(threadId) {
      record("getThread", threadId);
      const thread = fake.threads.find((t) => t.id === threadId);
      return thread ? structuredClone(thread) : null;
    },
    async openWhatsappThread(contactId, phone) {
      record("openWhatsappThread", contactId, phone);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      const open = fake.threads.find(
        (t) => t.channel === "whatsapp" && t.guest_phone === phone && t.status === "open",
      );
      if (open) return structuredClone(open);
      // Consent belongs to the guest: a new thread starts where their last one stands.
      const consent: Consent = structuredClone(
        fake.threads.find((t) => t.channel === "whatsapp" && t.guest_phone === phone)?.consent ?? {
          state: "none",
        },
      );
      const thread: ThreadSummary = {
        id: nextId("t"),
        channel: "whatsapp",
        contact_id: contactId,
        contact_name: contact.name,
        guest_phone: phone,
        status: "open",
        last_message_preview: null,
        last_message_at: iso(),
        unread_count: 0,
        ...fakeRules(consent, false),
        consent,
        participants: [structuredClone(fake.session.user)],
      };
      fake.threads.push(thread);
      return structuredClone(thread);
    },
    async openSmsThread(contactId, phone) {
      record("openSmsThread", contactId, phone);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      if (!fake.session.organization.sms_enabled) {
        throw { code: "sms_unavailable", message: "Texting is not set up for your line." };
      }
      const open = fake.threads.find(
        (t) => t.channel === "sms" && t.guest_phone === phone && t.status === "open",
      );
      if (open) return structuredClone(open);
      const consent: Consent = { state: "none" };
      const thread: ThreadSummary = {
        id: nextId("t"),
        channel: "sms",
        contact_id: contactId,
        contact_name: contact.name,
        guest_phone: phone,
        status: "open",
        last_message_preview: null,
        last_message_at: iso(),
        unread_count: 0,
        ...fakeSmsRules(consent),
        consent,
        participants: [structuredClone(fake.session.user)],
      };
      fake.threads.push(thread);
      return structuredClone(thread);
    },
    async listMessages(threadId, before = null, limit = null) {
      record("listMessages", threadId, before, limit);
      // By time, then in the order stored (a stable sort), before the cursor's message.
      let all = fake.messages
        .filter((m) => m.thread_id === threadId)
        .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
      if (before !== null) {
        const at = all.findIndex((m) => m.id === before.id);
        all =
          at >= 0
            ? all.slice(0, at)
            : all.filter((m) => Date.parse(m.created_at) < Date.parse(before.created_at));
      }
      const page = limit === null ? all : all.slice(Math.max(0, all.length - limit));
      return page.map((m) => structuredClone(m));
    },
    async sendText(threadId, text) {
      record("sendText", threadId, text);
      const thread = find(threadId);
      refuseUnless(thread.composer);
      const message = outbound(threadId, { type: "text", text });
      touch(thread, text, message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async retryMessage(messageId) {
      record("retryMessage", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const failed = fake.messages[index];
      if (!failed) throw { code: "not_found", message: "This message no longer exists." };
      if (failed.state !== "failed" || failed.remedy !== "retry")
        throw { code: "not_retryable", message: "This message cannot be sent again." };
      // The same message, never a copy: back in the outbox.
      const message: Message = { ...failed, state: "sending", failure: null, remedy: null };
      fake.messages[index] = message;
      fake.emit({ kind: "message_upserted", message: structuredClone(message) });
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async sendBySms(threadId, messageId) {
      record("sendBySms", threadId, messageId);
      const thread = find(threadId);
      const failed = fake.messages.find((m) => m.id === messageId && m.thread_id === threadId);
      if (!failed) throw { code: "not_found", message: "This message no longer exists." };
      if (failed.body.type !== "text" || failed.remedy !== "sms")
        throw { code: "invalid_request", message: "Only a failed text can be sent by SMS." };
      if (!fake.session.organization.sms_enabled)
        throw { code: "sms_unavailable", message: "Texting is not set up for your line." };
      if (thread.guest_phone === null)
        throw { code: "unknown_number", message: "This guest has no phone number to text." };
      const phone = thread.guest_phone;
      let sms = fake.threads.find(
        (t) => t.channel === "sms" && t.guest_phone === phone && t.status === "open",
      );
      if (!sms) {
        const consent: Consent = { state: "none" };
        sms = {
          id: nextId("t"),
          channel: "sms",
          contact_id: thread.contact_id,
          contact_name: thread.contact_name,
          guest_phone: phone,
          status: "open",
          last_message_preview: null,
          last_message_at: iso(),
          unread_count: 0,
          ...fakeSmsRules(consent),
          consent,
          participants: [structuredClone(fake.session.user)],
        };
        fake.threads.push(sms);
      }
      refuseUnless(sms.composer);
      const message = outbound(sms.id, { type: "text", text: failed.body.text });
      touch(sms, failed.body.text, message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(sms);
    },
    async listTemplates() {
      record("listTemplates");
      // Like the core: approved and paused ones (a paused one shows, but cannot be sent).
      return fake.templates
        .filter((t) => t.status === "APPROVED" || t.status === "PAUSED")
        .map((t) => structuredClone(t));
    },
    async previewTemplate(name, language, values) {
      record("previewTemplate", name, language, values);
      return fakePreview(template(name, language), values);
    },
    async sendTemplate(threadId, name, language, values) {
      record("sendTemplate", threadId, name, language, values);
      const thread = find(threadId);
      refuseUnless(thread.template);
      const chosen = template(name, language);
      if (chosen.status !== "APPROVED")
        throw {
          code: "template_not_approved",
          message: "This template is paused by WhatsApp and cannot be sent now.",
        };
      const preview = fakePreview(chosen, values);
      if (!preview.ready)
        throw {
          code: "invalid_template_values",
          message: preview.problems.map((p) => p.message).join(" "),
        };
      const message = outbound(threadId, {
        type: "template",
        name,
        language,
        text: preview.text,
        components: [],
        header: headerFile(chosen, values),
        buttons: chosen.buttons.map((b) => (b.type === "COPY_CODE" ? "Copy offer code" : b.text)),
      });
      // F9: a template restarts the conversation window.
      openWindows.add(threadId);
      Object.assign(thread, fakeRules(thread.consent, true));
      touch(thread, preview.text, message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async preparePhoto(bytes) {
      record("preparePhoto", bytes.length);
      if (fake.photoGate) await fake.photoGate;
      // Like the core: the bytes decide, not a file name.
      const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
      const png = bytes[0] === 0x89 && bytes[1] === 0x50;
      if (!jpeg && !png)
        throw {
          code: "unsupported_image",
          message: "This file is not a picture that can be sent. Use a JPEG, PNG or WebP photo.",
        };
      const id = `p-${fake.calls.length}`;
      preparedPhotos.add(id);
      return { id, width: 1600, height: 1200, bytes: bytes.length, thumbnail: FAKE_PICTURE };
    },
    async uploadHeaderPicture(photoId) {
      record("uploadHeaderPicture", photoId);
      if (!preparedPhotos.has(photoId))
        throw { code: "not_found", message: "That picture no longer exists." };
      const mediaId = uuid();
      uploadedHeaders.add(mediaId);
      return mediaId;
    },
    async uploadHeaderDocument(preparedId, filename) {
      record("uploadHeaderDocument", preparedId, filename);
      // Like the core: Meta takes only a PDF in a template's header, by the file's name.
      if (documentMime(filename.trim()) !== "application/pdf")
        throw { code: "not_a_document", message: "A template's document must be a PDF." };
      if (!preparedDocuments.has(preparedId))
        throw { code: "not_found", message: "That document no longer exists." };
      const mediaId = uuid();
      uploadedHeaders.add(mediaId);
      return mediaId;
    },
    async sendPicture(threadId, preparedId, caption) {
      record("sendPicture", threadId, preparedId, caption);
      const thread = find(threadId);
      refuseUnless(thread.composer);
      if (!preparedPhotos.has(preparedId))
        throw { code: "not_found", message: "That picture no longer exists." };
      const message = outbound(threadId, {
        type: "picture",
        media_id: preparedId,
        caption,
        width: 1600,
        height: 1200,
      });
      touch(thread, caption ? `Photo: ${caption}` : "Photo", message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async prepareDocument(bytes) {
      record("prepareDocument", bytes.length);
      if (bytes.length > MAX_DOCUMENT_BYTES)
        throw { code: "document_too_large", message: "Documents can be at most 100 MB." };
      if (bytes.length === 0) throw { code: "file_unreadable", message: "The file is empty." };
      // "doc-": the fake's `getMedia` answers its document for these.
      const id = `doc-${fake.calls.length}`;
      preparedDocuments.set(id, bytes.length);
      return { id, bytes: bytes.length };
    },
    async sendDocument(threadId, preparedId, filename, caption) {
      record("sendDocument", threadId, preparedId, filename, caption);
      const size = preparedDocuments.get(preparedId);
      if (size === undefined)
        throw { code: "not_found", message: "That document no longer exists." };
      const name = filename.trim();
      const mime = documentMime(name);
      if (mime === null)
        throw {
          code: "not_a_document",
          message: "Send documents as PDF, Word, Excel, PowerPoint or text files.",
        };
      const thread = find(threadId);
      refuseUnless(thread.composer);
      if (thread.channel === "sms")
        throw {
          code: "mms_unsupported",
          message: "Pictures and files can't be sent by SMS yet; send them on WhatsApp.",
        };
      const message = outbound(threadId, {
        type: "document",
        media_id: preparedId,
        mime_type: mime,
        size,
        filename: name,
        caption,
      });
      touch(thread, `Document: ${name}`, message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async getMedia(mediaId) {
      record("getMedia", mediaId);
      if (mediaId.startsWith("vm-") || mediaId.startsWith("au-")) return FAKE_RECORDING;
      if (mediaId.startsWith("vd-")) return FAKE_VIDEO;
      if (mediaId.startsWith("doc-")) return FAKE_DOCUMENT;
      if (mediaId.startsWith("st-")) return FAKE_STICKER;
      return FAKE_PICTURE;
    },
    async openMedia(mediaId, filename) {
      record("openMedia", mediaId, filename);
    },
    async saveMedia(mediaId, filename) {
      record("saveMedia", mediaId, filename);
      return true;
    },
    async openUrl(url) {
      record("openUrl", url);
    },
    async useNewNumber(messageId) {
      record("useNewNumber", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const message = fake.messages[index];
      if (!message) throw { code: "not_found", message: "Not found." };
      if (message.body.type !== "notice" || message.body.notice.kind !== "number_changed") {
        throw { code: "invalid_request", message: "This message has no new number to use." };
      }
      const applied: Message = {
        ...message,
        body: { ...message.body, notice: { ...message.body.notice, applied: true } },
      };
      fake.messages[index] = applied;
      fake.emit({ kind: "message_upserted", message: structuredClone(applied) });
      return structuredClone(applied);
    },
    async markHeard(messageId) {
      record("markHeard", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const message = fake.messages[index];
      if (!message) throw { code: "not_found", message: "Not found." };
      if (message.body.type !== "voicemail") {
        throw { code: "not_a_voicemail", message: "Only a voicemail can be marked as heard." };
      }
      if (message.body.heard_at === null) {
        const heard: Message = { ...message, body: { ...message.body, heard_at: iso() } };
        fake.messages[index] = heard;
        fake.emit({ kind: "message_upserted", message: structuredClone(heard) });
      }
      return structuredClone(fake.messages[index] as Message);
    },
    async listColleagues() {
      record("listColleagues");
      return [{ id: "u-sam", name: "Sam Rivera", email: "sam@northwind.example" }];
    },
    async changeParticipants(threadId, change) {
      record("changeParticipants", threadId, change);
      const thread = find(threadId);
      const me = fake.session.user.name;
      const line = (text: string) =>
        fake.emit({
          kind: "message_upserted",
          message: {
            id: `sys-${fake.calls.length}`,
            client_id: null,
            thread_id: threadId,
            direction: "system",
            author_name: null,
            body: { type: "system", event: { kind: "left", user: fake.session.user.id }, text },
            state: "delivered",
            failure: null,
            created_at: iso(),
            ...plain(),
          },
        });
      const sam = { id: "u-sam", name: "Sam Rivera", email: "sam@northwind.example" };
      switch (change.op) {
        case "add":
          line(`${me} added Sam Rivera`);
          thread.participants = [...thread.participants, sam];
          fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
          return structuredClone(thread);
        case "remove": {
          const gone = thread.participants.find((p) => p.id === change.user_id);
          line(`${me} removed ${gone?.name ?? "a colleague"}`);
          thread.participants = thread.participants.filter((p) => p.id !== change.user_id);
          fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
          return structuredClone(thread);
        }
        case "restart":
          line(`${me} restarted the conversation`);
          return structuredClone(thread);
        case "leave":
        case "transfer":
          fake.threads = fake.threads.filter((t) => t.id !== threadId);
          fake.emit({ kind: "thread_removed", thread_id: threadId });
          return null;
      }
    },
    async markRead(threadId) {
      record("markRead", threadId);
      const thread = find(threadId);
      if (thread.unread_count > 0) {
        thread.unread_count = 0;
        fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
      }
    },
    async sendOptIn(threadId) {
      record("sendOptIn", threadId);
      const thread = find(threadId);
      refuseUnless(thread.opt_in);
      const contact = fake.contacts.find((c) => c.id === thread.contact_id);
      const text = `Hi ${firstName(contact?.name ?? thread.contact_name)}, this is ${fake.session.organization.name}. May we send you messages about your requests here on WhatsApp? Reply YES to agree or STOP to opt out.`;
      const message = outbound(threadId, {
        type: "template",
        name: "optin_request",
        language: "en_US",
        text,
        components: [],
        header: null,
        buttons: [],
      });
      thread.consent = { state: "requested", at: message.created_at };
      Object.assign(thread, fakeRules(thread.consent, false));
      touch(thread, text, message.created_at);
      if (options.autoProgress) {
        progress(message);
        later(5000, () => {
          thread.consent = { state: "granted", at: iso(), reply: "YES" };
          openWindows.add(threadId);
          Object.assign(thread, fakeRules(thread.consent, true));
          receive(threadId, "YES");
        });
      }
      return structuredClone(message);
    },
    async onUiEvent(handler): Promise<Unlisten> {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
  };

  function signedIn(): AccountState {
    return {
      state: "signed_in",
      session: structuredClone(fake.session),
      connector_url: FAKE_CONNECTOR,
      demo: true,
    };
  }

  function signedOut(reason: string | null): AccountState {
    return {
      state: "signed_out",
      connector_url: FAKE_CONNECTOR,
      email: fake.session.user.email,
      demo_accounts: demoAccounts.map((a) => ({ ...a, password: FAKE_PASSWORD })),
      reason,
    };
  }
  fake.account = options.signedOut ? signedOut(null) : signedIn();

  function record(command: keyof Ipc, ...args: unknown[]): void {
    fake.calls.push({ command, args });
    const failure = failures.get(command);
    if (failure) {
      failures.delete(command);
      throw failure;
    }
  }

  /** Threads whose conversation window the fake considers open. */
  const openWindows = new Set(
    fake.threads.filter((t) => t.composer.state === "allowed").map((t) => t.id),
  );

  function find(threadId: string): ThreadSummary {
    const thread = fake.threads.find((t) => t.id === threadId);
    if (!thread) throw { code: "not_found", message: "This conversation no longer exists." };
    return thread;
  }

  /** The header's file as the core stores it on the sent message: the attached picture or
   * the link given. */
  function headerFile(chosen: Template, values: FilledValue[]): TemplateFile | null {
    const header = mediaHeader(chosen.header);
    if (!header) return null;
    const value = values.find((v) => v.part === "header" && v.key === "media")?.value.trim() ?? "";
    const kind = header.format.toLowerCase() as TemplateFile["kind"];
    return uploadedHeaders.has(value)
      ? { kind, media_id: value, link: null }
      : { kind, media_id: null, link: value };
  }

  function template(name: string, language: string): Template {
    const found = fake.templates.find((t) => t.name === name && t.language === language);
    if (!found) throw { code: "not_found", message: "This template is no longer available." };
    return found;
  }

  function refuseUnless(rule: ThreadSummary["composer"]): void {
    if (rule.state === "refused") throw { code: rule.reason, message: rule.message };
  }

  /** Our own message, shown at once as "sending" (the core's outbox). */
  function outbound(threadId: string, body: Message["body"]): Message {
    const message: Message = {
      id: nextId("local"),
      client_id: nextId("c"),
      thread_id: threadId,
      direction: "outbound",
      author_name: fake.session.user.name,
      body,
      state: "sending",
      failure: null,
      created_at: iso(),
      ...plain(),
    };
    fake.messages.push(message);
    return message;
  }

  function later(ms: number, run: () => void): void {
    setTimeout(run, ms);
  }

  function touch(thread: ThreadSummary, preview: string, at: string): void {
    thread.last_message_preview = preview;
    thread.last_message_at = at;
    fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
  }

  /** The connector acknowledges with its own id; the client id ties it to the pending bubble. */
  function progress(pending: Message): void {
    // A retried message keeps the id the connector gave it.
    const serverId = pending.id.startsWith("local-") ? nextId("m") : pending.id;
    const steps: Array<Message["state"]> = ["sent", "delivered", "read"];
    steps.forEach((state, i) =>
      later(700 + i * 1300, () => {
        const index = fake.messages.findIndex((m) =>
          pending.client_id !== null ? m.client_id === pending.client_id : m.id === pending.id,
        );
        const updated: Message = { ...pending, id: serverId, state };
        if (index >= 0) fake.messages[index] = updated;
        fake.emit({ kind: "message_upserted", message: structuredClone(updated) });
      }),
    );
    if (pending.body.type === "text" && /\?\s*$/.test(pending.body.text)) {
      later(4500, () => receive(pending.thread_id, "Thanks, that works for me."));
    }
  }

  function receive(threadId: string, text: string): void {
    const thread = fake.threads.find((t) => t.id === threadId);
    if (!thread) return;
    const message: Message = {
      id: nextId("m"),
      client_id: null,
      thread_id: threadId,
      direction: "inbound",
      author_name: null,
      body: { type: "text", text },
      state: "delivered",
      failure: null,
      created_at: iso(),
      ...plain(),
    };
    fake.messages.push(message);
    // A guest can always write; their message reopens the window, or lets them be asked again.
    if (thread.consent.state === "granted") openWindows.add(threadId);
    if (thread.consent.state === "revoked")
      thread.consent = { ...thread.consent, guest_returned_at: message.created_at };
    if (thread.channel === "whatsapp")
      Object.assign(thread, fakeRules(thread.consent, openWindows.has(threadId)));
    fake.emit({ kind: "message_upserted", message: structuredClone(message) });
    touch(thread, text, message.created_at);
  }

  return fake;
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

/** Demo data for the browser: a bank's customers, a few conversations in every state. */
