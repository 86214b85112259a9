import type { ThreadId } from "../ipc/bindings/ThreadId";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import type { Ipc } from "../ipc/ipc";

function time(t: ThreadRow): number {
  return t.last_message_at ? Date.parse(t.last_message_at) : -Infinity;
}

/** What happened to the list while it was loading, replayed over the loaded one. */
type Change = { upsert: ThreadRow } | { remove: ThreadId };

/** The Messages tab: every thread (WhatsApp, SMS, voicemail), newest first. */
export class ThreadsStore {
  /** Replaced, never mutated: `$state.raw` keeps 10,000 rows as plain objects rather than
   * deep proxies (memory, and the time to build them). */
  items = $state.raw<ThreadRow[]>([]);

  /** F10: the Messages tab's list, the open conversations; closed ones are in History (F13). */
  get inbox(): ThreadRow[] {
    return this.items.filter((t) => t.status === "open");
  }
  loaded = $state(false);
  /** Changes pushed while a load is under way (null when none is). */
  #pending: Change[] | null = null;

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  get(id: ThreadId | null): ThreadRow | undefined {
    return id === null ? undefined : this.items.find((t) => t.id === id);
  }

  async load(): Promise<void> {
    const pending: Change[] = [];
    this.#pending = pending;
    try {
      // The core's rows come newest first: no sorting here.
      const items = await this.ipc.listThreads();
      // What was pushed while the list was loading is newer than the list: replay it.
      let next = items;
      for (const change of pending) {
        next = "upsert" in change ? inserted(next, change.upsert) : without(next, change.remove);
      }
      this.items = next;
      this.loaded = true;
    } catch (error) {
      this.report(error);
    } finally {
      if (this.#pending === pending) this.#pending = null;
    }
  }

  /** `thread_removed`: the user is no longer in it. */
  remove(id: ThreadId): void {
    this.#pending?.push({ remove: id });
    this.items = without(this.items, id);
  }

  /** `thread_upserted`, or a summary a command returned: insert or replace by id. A live
   * burst of upserts costs a copy each, not a sort of 10,000 rows. */
  upsert(thread: ThreadRow): void {
    this.#pending?.push({ upsert: thread });
    this.items = inserted(this.items, thread);
  }
}

function without(items: ThreadRow[], id: ThreadId): ThreadRow[] {
  return items.filter((t) => t.id !== id);
}

/** `items` (newest first) with `thread` in its place: after the threads at least as recent. */
function inserted(items: ThreadRow[], thread: ThreadRow): ThreadRow[] {
  const rest = without(items, thread.id);
  const at = time(thread);
  let low = 0;
  let high = rest.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (time(rest[mid] as ThreadRow) >= at) low = mid + 1;
    else high = mid;
  }
  rest.splice(low, 0, thread);
  return rest;
}
