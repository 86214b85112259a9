/**
 * The fake's shared world, handed to every command module: its state (the object the test
 * holds), the bookkeeping several commands share (prepared files, uploaded header media, open
 * conversation windows, listeners, queued failures), and the steps they take alike: recording a
 * call, finding a thread, queueing our own message and, in the browser demo, playing the
 * connector (sent → delivered → read) and the guest (answers).
 */
import type { AppError } from "../bindings/AppError";
import type { Message } from "../bindings/Message";
import type { ThreadSummary } from "../bindings/ThreadSummary";
import type { UiEvent } from "../bindings/UiEvent";
import { dayAfter, fakeRules, plain } from "../fake-rules";
import { demoSeed, demoTemplates } from "../fake-seed";
import type { Ipc, Unlisten } from "../ipc";
import type { FakeOptions, FakeState } from "./types";

let counter = 0;

/** A fresh id with `prefix`, unique across every fake in this page. */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** A random UUID (the connector's media ids are UUIDs). */
export function uuid(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

export class FakeWorld {
  /** The data the commands serve; the same object `createFakeIpc` returns. */
  readonly fake: FakeState;
  readonly options: FakeOptions;
  readonly now: () => number;
  /** Pictures prepared on this device (their prepared ids). */
  readonly preparedPhotos = new Set<string>();
  /** Documents kept "on this device" until sent: their sizes by prepared id. */
  readonly preparedDocuments = new Map<string, number>();
  /** Header pictures uploaded for templates (their media ids). */
  readonly uploadedHeaders = new Set<string>();
  /** Threads whose conversation window the fake considers open. */
  readonly openWindows: Set<string>;
  readonly #listeners = new Set<(event: UiEvent) => void>();
  readonly #failures = new Map<string, AppError>();

  constructor(options: FakeOptions) {
    this.options = options;
    this.now = options.now ?? (() => Date.now());
    const seed = options.contacts ? null : demoSeed(this.now());
    const listeners = this.#listeners;
    const failures = this.#failures;
    this.fake = {
      session: {
        user: { id: "u-1", name: "Alex Morgan", email: "alex.morgan@northwind.example" },
        organization: {
          id: "o-1",
          name: "Northwind Bank",
          whatsapp_enabled: options.whatsappEnabled ?? true,
          sms_enabled: options.smsEnabled ?? true,
          opt_in_template: "optin_request",
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
    };
    this.openWindows = new Set(
      this.fake.threads.filter((t) => t.composer.state === "allowed").map((t) => t.id),
    );
  }

  /** The fake's clock as the core writes times, `msAgo` before now. */
  iso(msAgo = 0): string {
    return new Date(this.now() - msAgo).toISOString();
  }

  /** Adds `handler` to the listeners `emit` reaches. */
  listen(handler: (event: UiEvent) => void): Unlisten {
    this.#listeners.add(handler);
    return () => this.#listeners.delete(handler);
  }

  /** Notes the call; throws the failure queued for `command` by `failNext`, once. */
  record(command: keyof Ipc, ...args: unknown[]): void {
    this.fake.calls.push({ command, args });
    const failure = this.#failures.get(command);
    if (failure) {
      this.#failures.delete(command);
      throw failure;
    }
  }

  find(threadId: string): ThreadSummary {
    const thread = this.fake.threads.find((t) => t.id === threadId);
    if (!thread) throw { code: "not_found", message: "This conversation no longer exists." };
    return thread;
  }

  refuseUnless(rule: ThreadSummary["composer"]): void {
    if (rule.state === "refused") throw { code: rule.reason, message: rule.message };
  }

  /** Our own message, shown at once as "sending" (the core's outbox). */
  outbound(threadId: string, body: Message["body"]): Message {
    const message: Message = {
      id: nextId("local"),
      client_id: nextId("c"),
      thread_id: threadId,
      direction: "outbound",
      author_name: this.fake.session.user.name,
      body,
      state: "sending",
      failure: null,
      created_at: this.iso(),
      ...plain(),
    };
    this.fake.messages.push(message);
    return message;
  }

  later(ms: number, run: () => void): void {
    setTimeout(run, ms);
  }

  touch(thread: ThreadSummary, preview: string, at: string): void {
    thread.last_message_preview = preview;
    thread.last_message_at = at;
    this.fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
  }

  /** The connector acknowledges with its own id; the client id ties it to the pending bubble. */
  progress(pending: Message): void {
    const fake = this.fake;
    // A retried message keeps the id the connector gave it.
    const serverId = pending.id.startsWith("local-") ? nextId("m") : pending.id;
    const steps: Array<Message["state"]> = ["sent", "delivered", "read"];
    steps.forEach((state, i) =>
      this.later(700 + i * 1300, () => {
        const index = fake.messages.findIndex((m) =>
          pending.client_id !== null ? m.client_id === pending.client_id : m.id === pending.id,
        );
        const updated: Message = { ...pending, id: serverId, state };
        if (index >= 0) fake.messages[index] = updated;
        fake.emit({ kind: "message_upserted", message: structuredClone(updated) });
      }),
    );
    if (pending.body.type === "text" && /\?\s*$/.test(pending.body.text)) {
      this.later(4500, () => this.receive(pending.thread_id, "Thanks, that works for me."));
    }
  }

  receive(threadId: string, text: string): void {
    const fake = this.fake;
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
      created_at: this.iso(),
      ...plain(),
    };
    fake.messages.push(message);
    // A guest can always write; their message reopens the window, or lets them be asked again.
    if (thread.consent.state === "granted") this.openWindows.add(threadId);
    if (thread.consent.state === "revoked")
      thread.consent = { ...thread.consent, guest_returned_at: message.created_at };
    if (thread.channel === "whatsapp")
      Object.assign(
        thread,
        fakeRules(thread.consent, this.openWindows.has(threadId), dayAfter(message.created_at)),
      );
    fake.emit({ kind: "message_upserted", message: structuredClone(message) });
    this.touch(thread, text, message.created_at);
  }
}
