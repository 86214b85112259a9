import type { ThreadId } from "../ipc/bindings/ThreadId";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import type { Ipc } from "../ipc/ipc";

function newestFirst(a: ThreadRow, b: ThreadRow): number {
  const ta = a.last_message_at ? Date.parse(a.last_message_at) : -Infinity;
  const tb = b.last_message_at ? Date.parse(b.last_message_at) : -Infinity;
  return tb - ta;
}

/** The Messages tab: every thread (WhatsApp, SMS, voicemail), newest first. */
export class ThreadsStore {
  /** Replaced, never mutated: `$state.raw` keeps 10,000 summaries as plain objects rather
   * than deep proxies (memory, and the time to build them). */
  items = $state.raw<ThreadRow[]>([]);

  /** F10: the Messages tab's list, the open conversations; closed ones are in History (F13). */
  get inbox(): ThreadRow[] {
    return this.items.filter((t) => t.status === "open");
  }
  loaded = $state(false);

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  get(id: ThreadId | null): ThreadRow | undefined {
    return id === null ? undefined : this.items.find((t) => t.id === id);
  }

  async load(): Promise<void> {
    try {
      const items = await this.ipc.listThreads();
      // Threads pushed while the list was loading are newer than the list: keep them.
      const loaded: Record<string, true> = {};
      for (const t of items) loaded[t.id] = true;
      const pushed = this.items.filter((t) => !loaded[t.id]);
      this.items = [...pushed, ...items].sort(newestFirst);
      this.loaded = true;
    } catch (error) {
      this.report(error);
    }
  }

  /** `thread_removed`: the user is no longer in it. */
  remove(id: ThreadId): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  /** `thread_upserted`, or a summary a command returned: insert or replace by id. */
  upsert(thread: ThreadRow): void {
    const rest = this.items.filter((t) => t.id !== thread.id);
    this.items = [...rest, thread].sort(newestFirst);
  }
}
