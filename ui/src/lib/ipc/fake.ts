/**
 * An in-memory `Ipc` for component tests and for running the UI in a plain browser
 * (`npm run dev` outside Tauri). Never used inside the app: main.ts loads it only when there is
 * no Tauri runtime, and production builds drop that branch.
 */
import type { AppError } from "./bindings/AppError";
import type { Composer } from "./bindings/Composer";
import type { Contact } from "./bindings/Contact";
import type { Message } from "./bindings/Message";
import type { Session } from "./bindings/Session";
import type { SyncState } from "./bindings/SyncState";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import type { UiEvent } from "./bindings/UiEvent";
import type { Ipc, Unlisten } from "./ipc";

export type FakeOptions = {
  whatsappEnabled?: boolean;
  contacts?: Contact[];
  threads?: ThreadSummary[];
  messages?: Message[];
  sync?: SyncState;
  /** Browser demo: sends progress sending → sent → delivered → read, guests answer. */
  autoProgress?: boolean;
  now?: () => number;
};

export type FakeIpc = Ipc & {
  contacts: Contact[];
  threads: ThreadSummary[];
  messages: Message[];
  session: Session;
  /** Every command called, in order, with its arguments. */
  calls: Array<{ command: string; args: unknown[] }>;
  /** Push an event to every listener, as the core does. */
  emit(event: UiEvent): void;
  /** Makes the next call of `command` reject with `error`. */
  failNext(command: keyof Ipc, error: AppError): void;
};

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

const CONSENT_PENDING: Composer = {
  state: "refused",
  reason: "consent_pending",
  message:
    "Waiting for consent. The guest must reply to the opt-in message before you can send anything else.",
};
const WINDOW_EXPIRED: Composer = {
  state: "refused",
  reason: "window_closed_use_template",
  message:
    "More than 24 hours have passed since the last message. Restart the conversation with a template message.",
};

export function createFakeIpc(options: FakeOptions = {}): FakeIpc {
  const now = options.now ?? (() => Date.now());
  const iso = (msAgo = 0) => new Date(now() - msAgo).toISOString();
  const listeners = new Set<(event: UiEvent) => void>();
  const failures = new Map<string, AppError>();
  const seed = options.contacts ? null : demoSeed(now());

  const fake: FakeIpc = {
    session: {
      user: { id: "u-1", name: "Alex Morgan", email: "alex.morgan@northwind.example" },
      organization: {
        id: "o-1",
        name: "Northwind Bank",
        whatsapp_enabled: options.whatsappEnabled ?? true,
      },
    },
    contacts: options.contacts ?? seed?.contacts ?? [],
    threads: options.threads ?? seed?.threads ?? [],
    messages: options.messages ?? seed?.messages ?? [],
    calls: [],

    emit(event) {
      for (const listener of listeners) listener(event);
    },
    failNext(command, error) {
      failures.set(command, error);
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
    async listThreads() {
      record("listThreads");
      return [...fake.threads]
        .sort((a, b) => (b.last_message_at ?? "").localeCompare(a.last_message_at ?? ""))
        .map((t) => structuredClone(t));
    },
    async openWhatsappThread(contactId, phone) {
      record("openWhatsappThread", contactId, phone);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      const open = fake.threads.find(
        (t) => t.channel === "whatsapp" && t.guest_phone === phone && t.status === "open",
      );
      if (open) return structuredClone(open);
      // F4: a new thread starts with the opt-in request, and waits for consent.
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
        composer: CONSENT_PENDING,
      };
      const optIn: Message = {
        id: nextId("m"),
        client_id: null,
        thread_id: thread.id,
        direction: "outbound",
        author_name: fake.session.user.name,
        body: {
          type: "text",
          text: `Hello ${contact.name.split(" ")[0]}, this is ${fake.session.organization.name}. May we message you on WhatsApp? Reply YES to agree or STOP to opt out.`,
        },
        state: "sent",
        failure: null,
        created_at: iso(),
      };
      thread.last_message_preview = optIn.body.type === "text" ? optIn.body.text : null;
      fake.threads.push(thread);
      fake.messages.push(optIn);
      if (options.autoProgress) {
        later(4000, () => {
          receive(thread.id, "YES");
          thread.composer = { state: "allowed" };
          fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
        });
      }
      return structuredClone(thread);
    },
    async listMessages(threadId) {
      record("listMessages", threadId);
      return fake.messages.filter((m) => m.thread_id === threadId).map((m) => structuredClone(m));
    },
    async sendText(threadId, text) {
      record("sendText", threadId, text);
      const thread = fake.threads.find((t) => t.id === threadId);
      if (!thread) throw { code: "not_found", message: "This conversation no longer exists." };
      if (thread.composer.state === "refused") {
        throw { code: thread.composer.reason, message: thread.composer.message };
      }
      const message: Message = {
        id: nextId("local"),
        client_id: nextId("c"),
        thread_id: threadId,
        direction: "outbound",
        author_name: fake.session.user.name,
        body: { type: "text", text },
        state: "sending",
        failure: null,
        created_at: iso(),
      };
      fake.messages.push(message);
      touch(thread, text, message.created_at);
      if (options.autoProgress) progress(message);
      return structuredClone(message);
    },
    async onUiEvent(handler): Promise<Unlisten> {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
  };

  function record(command: keyof Ipc, ...args: unknown[]): void {
    fake.calls.push({ command, args });
    const failure = failures.get(command);
    if (failure) {
      failures.delete(command);
      throw failure;
    }
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
    const serverId = nextId("m");
    const steps: Array<Message["state"]> = ["sent", "delivered", "read"];
    steps.forEach((state, i) =>
      later(700 + i * 1300, () => {
        const index = fake.messages.findIndex((m) => m.client_id === pending.client_id);
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
    };
    fake.messages.push(message);
    fake.emit({ kind: "message_upserted", message: structuredClone(message) });
    touch(thread, text, message.created_at);
  }

  return fake;
}

/** Demo data for the browser: a bank's customers, a few conversations in every state. */
function demoSeed(nowMs: number): {
  contacts: Contact[];
  threads: ThreadSummary[];
  messages: Message[];
} {
  const at = (minutesAgo: number) => new Date(nowMs - minutesAgo * 60_000).toISOString();
  const contacts: Contact[] = [
    {
      id: "c-1",
      name: "Maria Gonzalez",
      company: "Gonzalez Bakery",
      notes: "Prefers WhatsApp. Business account review due in June.",
      phones: [
        { number: "+15551234567", label: "mobile" },
        { number: "+15557654321", label: "work" },
      ],
    },
    {
      id: "c-2",
      name: "James Okafor",
      company: "Okafor Logistics",
      notes: null,
      phones: [{ number: "+447700900123", label: "mobile" }],
    },
    {
      id: "c-3",
      name: "Priya Sharma",
      company: null,
      notes: "Mortgage application #4471.",
      phones: [{ number: "+919812345678", label: "mobile" }],
    },
    {
      id: "c-4",
      name: "Lukas Schneider",
      company: "Schneider Autohaus",
      notes: null,
      phones: [{ number: "+4915112345678", label: "mobile" }],
    },
    {
      id: "c-5",
      name: "Aiko Tanaka",
      company: "Tanaka Design Studio",
      notes: null,
      phones: [{ number: "+819012345678", label: "mobile" }],
    },
    {
      id: "c-6",
      name: "Daniel Fischer",
      company: "Fischer & Partner",
      notes: "Call before 10 am.",
      phones: [{ number: "+15559876543", label: "work" }],
    },
    {
      id: "c-7",
      name: "Sofia Rossi",
      company: null,
      notes: null,
      phones: [{ number: "+393331234567", label: "mobile" }],
    },
  ];
  const allowed: Composer = { state: "allowed" };
  const threads: ThreadSummary[] = [
    {
      id: "t-1",
      channel: "whatsapp",
      contact_id: "c-1",
      contact_name: "Maria Gonzalez",
      guest_phone: "+15551234567",
      status: "open",
      last_message_preview: "Perfect, I'll bring the signed forms on Thursday.",
      last_message_at: at(4),
      unread_count: 2,
      composer: allowed,
    },
    {
      id: "t-2",
      channel: "sms",
      contact_id: "c-6",
      contact_name: "Daniel Fischer",
      guest_phone: "+15559876543",
      status: "open",
      last_message_preview: "Can you call me back about the wire transfer?",
      last_message_at: at(95),
      unread_count: 0,
      composer: {
        state: "refused",
        reason: "channel_unsupported",
        message: "Replying by SMS comes in a later release.",
      },
    },
    {
      id: "t-3",
      channel: "whatsapp",
      contact_id: "c-2",
      contact_name: "James Okafor",
      guest_phone: "+447700900123",
      status: "open",
      last_message_preview: "Hello James, this is Northwind Bank. May we message you on WhatsApp?",
      last_message_at: at(60 * 5),
      unread_count: 0,
      composer: CONSENT_PENDING,
    },
    {
      id: "t-4",
      channel: "voicemail",
      contact_id: "c-4",
      contact_name: "Lukas Schneider",
      guest_phone: "+4915112345678",
      status: "open",
      last_message_preview: "Voicemail (0:42)",
      last_message_at: at(60 * 26),
      unread_count: 1,
      composer: {
        state: "refused",
        reason: "channel_unsupported",
        message: "Voicemail can't be answered with a message. Call back from the contact's page.",
      },
    },
    {
      id: "t-5",
      channel: "whatsapp",
      contact_id: "c-3",
      contact_name: "Priya Sharma",
      guest_phone: "+919812345678",
      status: "open",
      last_message_preview: "Thank you for the update!",
      last_message_at: at(60 * 24 * 3),
      unread_count: 0,
      composer: WINDOW_EXPIRED,
    },
  ];
  const msg = (
    id: string,
    thread_id: string,
    direction: Message["direction"],
    text: string,
    minutesAgo: number,
    extra: Partial<Message> = {},
  ): Message => ({
    id,
    client_id: null,
    thread_id,
    direction,
    author_name: direction === "outbound" ? "Alex Morgan" : null,
    body: { type: "text", text },
    state: direction === "outbound" ? "read" : "delivered",
    failure: null,
    created_at: at(minutesAgo),
    ...extra,
  });
  const messages: Message[] = [
    msg(
      "m-1",
      "t-1",
      "outbound",
      "Hello Maria, this is Northwind Bank. May we message you on WhatsApp? Reply YES to agree or STOP to opt out.",
      60 * 24 + 40,
      { state: "read" },
    ),
    msg("m-2", "t-1", "inbound", "YES", 60 * 24 + 30),
    msg(
      "m-3",
      "t-1",
      "outbound",
      "Thank you! Your business account review is scheduled. Could you send the last two statements?",
      60 * 24 + 25,
    ),
    msg("m-4", "t-1", "inbound", "Sure, I will scan them tonight.", 60 * 24 + 2),
    msg(
      "m-5",
      "t-1",
      "outbound",
      "Good morning Maria, we received the statements. Only the signed forms are missing now.",
      22,
      { author_name: "Jordan Lee" },
    ),
    msg("m-6", "t-1", "outbound", "We are open until 6 pm on Thursday.", 12, {
      state: "delivered",
    }),
    msg("m-6b", "t-1", "outbound", "Shall I book a slot at 3 pm?", 11, {
      state: "failed",
      failure: "The guest's phone could not be reached. Try again later.",
    }),
    msg("m-7", "t-1", "inbound", "Is Thursday afternoon fine?", 5),
    msg("m-8", "t-1", "inbound", "Perfect, I'll bring the signed forms on Thursday.", 4),
    msg("m-9", "t-2", "inbound", "Can you call me back about the wire transfer?", 95),
    msg(
      "m-10",
      "t-3",
      "outbound",
      "Hello James, this is Northwind Bank. May we message you on WhatsApp? Reply YES to agree or STOP to opt out.",
      60 * 5,
      { state: "delivered" },
    ),
    msg("m-11", "t-4", "inbound", "Voicemail (0:42)", 60 * 26, {
      body: {
        type: "unsupported",
        description: "Voicemail (0:42): playback comes in a later release.",
      },
    }),
    msg("m-12", "t-5", "outbound", "Your mortgage documents are ready to sign.", 60 * 24 * 3 + 10),
    msg("m-13", "t-5", "inbound", "Thank you for the update!", 60 * 24 * 3),
  ];
  return { contacts, threads, messages };
}
