import type { FilledValue } from "../ipc/bindings/FilledValue";
import type { Message } from "../ipc/bindings/Message";
import type { MessageId } from "../ipc/bindings/MessageId";
import type { PreparedPhoto } from "../ipc/bindings/PreparedPhoto";
import type { ThreadId } from "../ipc/bindings/ThreadId";
import type { ThreadSummary } from "../ipc/bindings/ThreadSummary";
import type { UploadProgress } from "../ipc/bindings/UploadProgress";
import type { Ipc } from "../ipc/ipc";

function byTime(a: Message, b: Message): number {
  return Date.parse(a.created_at) - Date.parse(b.created_at);
}

/** How many messages a thread opens with, and each older page adds. */
export const PAGE = 50;

/**
 * The open thread: its summary (what may be sent, who is in it) and its messages, oldest
 * first: the newest page first, older pages as the reader scrolls back, kept current by events.
 */
export class ThreadStore {
  /** Null until loaded, or when the thread is not known here. */
  summary = $state.raw<ThreadSummary | null>(null);
  messages = $state<Message[]>([]);
  loading = $state(true);
  /** More messages exist before the oldest one loaded. */
  hasOlder = $state(false);
  #loadingOlder = false;
  /** The closed thread the user replied from, when the reply landed here (History). */
  from = $state<ThreadId | null>(null);
  /** A message to show and mark (a search hit), if any. */
  target = $state<MessageId | null>(null);
  /** Queued pictures' upload (0-100) by `client_id`, until the connector has them. */
  uploads = $state<Record<string, number>>({});

  constructor(
    readonly threadId: ThreadId,
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
    summary: ThreadSummary | null = null,
  ) {
    this.summary = summary;
  }

  async load(): Promise<void> {
    this.loading = true;
    const known = this.summary;
    try {
      const [summary, loaded] = await Promise.all([
        this.ipc.getThread(this.threadId),
        this.ipc.listMessages(this.threadId, null, PAGE),
      ]);
      // A summary pushed while loading is at least as new as the loaded one.
      if (this.summary === known) this.summary = summary;
      // Anything pushed or sent while loading is at least as new as the loaded copy.
      const early = this.messages;
      this.messages = loaded;
      this.hasOlder = loaded.length === PAGE;
      for (const message of early) this.upsert(message);
    } catch (error) {
      this.report(error);
    } finally {
      this.loading = false;
    }
  }

  /** `thread_upserted` (or a command's answer) for this thread: what may be sent changed. */
  setSummary(summary: ThreadSummary): void {
    if (summary.id === this.threadId) this.summary = summary;
  }

  /** The page before the oldest message loaded; resolves true if it added any. */
  async loadOlder(): Promise<boolean> {
    const oldest = this.messages[0];
    if (!this.hasOlder || this.#loadingOlder || !oldest) return false;
    this.#loadingOlder = true;
    try {
      // Before the oldest loaded message itself, not its time: several can share a second.
      const page = await this.ipc.listMessages(this.threadId, oldest, PAGE);
      // A message pushed live meanwhile may already be here.
      const fresh = page.filter((m) => !this.messages.some((known) => known.id === m.id));
      this.messages = [...fresh, ...this.messages];
      this.hasOlder = page.length === PAGE;
      return page.length > 0;
    } catch (error) {
      this.report(error);
      return false;
    } finally {
      this.#loadingOlder = false;
    }
  }

  /**
   * `message_upserted`: replace the message with the same `id`, else the pending one with the
   * same `client_id` (our own send, now known to the connector), else insert in time order.
   * With `ifAbsent`, an existing copy wins: a command's answer can arrive after a newer event.
   */
  upsert(message: Message, { ifAbsent = false }: { ifAbsent?: boolean } = {}): void {
    if (message.thread_id !== this.threadId) return;
    if (message.client_id !== null && message.state !== "sending" && !ifAbsent) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a record keyed by id
      delete this.uploads[message.client_id];
    }
    const index = this.messages.findIndex(
      (m) =>
        m.id === message.id || (message.client_id !== null && m.client_id === message.client_id),
    );
    if (index >= 0) {
      if (ifAbsent) return;
      const before = this.messages[index];
      this.messages[index] = message;
      if (before?.created_at !== message.created_at) this.messages.sort(byTime);
      return;
    }
    // An update to a message older than the loaded pages shows when its page is loaded.
    const oldest = this.messages[0];
    if (this.hasOlder && oldest && byTime(message, oldest) < 0) return;
    const last = this.messages[this.messages.length - 1];
    this.messages.push(message);
    if (last && byTime(last, message) > 0) this.messages.sort(byTime);
  }

  /** `upload_progress`: a queued picture of this thread is on its way to the connector. */
  uploadProgress(progress: UploadProgress): void {
    if (progress.thread_id !== this.threadId) return;
    this.uploads[progress.client_id] = progress.percent;
  }

  /** Resolves true once the core has queued the text; false (error shown) if it refused. */
  async send(text: string): Promise<boolean> {
    try {
      const message = await this.ipc.sendText(this.threadId, text);
      this.upsert(message, { ifAbsent: true });
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** A failed message's Retry: the same message queued again (error shown if refused). */
  async retry(messageId: MessageId): Promise<void> {
    try {
      const message = await this.ipc.retryMessage(messageId);
      // An event may already have moved it further on; a failed copy gives way.
      const known = this.messages.find((m) => m.id === message.id);
      if (!known || known.state === "failed" || known.state === "unconfirmed") this.upsert(message);
    } catch (error) {
      this.report(error);
    }
  }

  /** F17: a chosen picture through the core's pipeline; null (error shown) if refused. */
  async preparePhoto(bytes: Uint8Array): Promise<PreparedPhoto | null> {
    try {
      return await this.ipc.preparePhoto(bytes);
    } catch (error) {
      this.report(error);
      return null;
    }
  }

  /** Queues a prepared picture; resolves false (error shown) if the core refused. */
  async sendPicture(photo: PreparedPhoto, caption: string | null): Promise<boolean> {
    try {
      const message = await this.ipc.sendPicture(this.threadId, photo.id, caption);
      this.upsert(message, { ifAbsent: true });
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** Documents out: keeps the file's bytes on this device, then queues it under `filename`;
   * resolves false (error shown) if the core refused either step. */
  async sendDocument(
    bytes: Uint8Array,
    filename: string,
    caption: string | null,
  ): Promise<boolean> {
    try {
      const prepared = await this.ipc.prepareDocument(bytes);
      const message = await this.ipc.sendDocument(this.threadId, prepared.id, filename, caption);
      this.upsert(message, { ifAbsent: true });
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** F9/F15: queues an approved template; resolves false (error shown) if the core refused. */
  /** A private note to the colleagues here; resolves false when refused (error shown). */
  async addNote(text: string): Promise<boolean> {
    try {
      const note = await this.ipc.addNote(this.threadId, text);
      this.upsert(note, { ifAbsent: true });
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  async sendTemplate(name: string, language: string, values: FilledValue[]): Promise<boolean> {
    try {
      const message = await this.ipc.sendTemplate(this.threadId, name, language, values);
      this.upsert(message, { ifAbsent: true });
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }
}
