import type { ThreadId } from "../ipc/bindings/ThreadId";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import type { Ipc } from "../ipc/ipc";
import { rowOf } from "./row";

function time(t: ThreadRow): number {
  return t.last_message_at ? Date.parse(t.last_message_at) : -Infinity;
}

/** How many rows each read of the list asks for. */
export const PAGE = 500;

/** The User Timing mark made once the whole list is read and drawn (tests/e2e/benches/ui.rs). */
export const LIST_DRAWN = "thread-list-drawn";

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
  /** The whole list has been read once. */
  loaded = $state(false);
  /** Changes pushed while a load is under way (null when none is). */
  #pending: Change[] | null = null;
  /** Upserts waiting for the next batch. */
  #queued: ThreadRow[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Loads started, so that an older answer arriving last is dropped. */
  #loads = 0;

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  get(id: ThreadId | null): ThreadRow | undefined {
    return id === null ? undefined : this.items.find((t) => t.id === id);
  }

  /** Reads the list page by page (`PAGE` rows each, newest first): the first page is drawn
   * at once, the rest when all is read. The webview never parses 10,000 rows in one answer
   * (which left it some 15 MB larger for good), nor draws the list twenty times over while
   * it grows (which measured as costly as the one answer). */
  async load(): Promise<void> {
    const pending: Change[] = [];
    this.#pending = pending;
    const load = ++this.#loads;
    try {
      // The core's rows come newest first: no sorting here.
      const rows: ThreadRow[] = [];
      for (;;) {
        const page = await this.ipc.listThreads(rows.at(-1) ?? null, PAGE);
        // A later load was started meanwhile: its answer is newer (and it has the changes).
        if (load !== this.#loads) return;
        rows.push(...page);
        const last = page.length < PAGE;
        if (rows.length === page.length || last) {
          // What was pushed while the list was loading is newer than the list: replay it.
          this.items = replayed(rows, pending);
        }
        if (last) {
          // Only now can the list say it is empty: a first page of closed threads (History's)
          // does not mean there is no open one.
          this.loaded = true;
          break;
        }
      }
    } catch (error) {
      this.report(error);
    } finally {
      if (this.#pending === pending) this.#pending = null;
    }
  }

  /** `thread_removed`: the user is no longer in it. */
  remove(id: ThreadId): void {
    this.flush();
    this.#pending?.push({ remove: id });
    this.items = without(this.items, id);
  }

  /** `thread_upserted`, or a summary a command returned: insert or replace by id. Applied
   * in batches: a burst of 10,000 upserts (an organization's threads arriving) is a few
   * merges into the list, not 10,000 copies of it. */
  upsert(thread: ThreadRow): void {
    const row = rowOf(thread);
    this.#pending?.push({ upsert: row });
    this.#queued.push(row);
    this.#timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Applies the queued upserts now (the timer does it otherwise). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#queued.length === 0) return;
    this.items = merged(this.items, this.#queued);
    this.#queued = [];
  }
}

/** `rows` (as read) with the changes pushed since the load began, in order. A thread
 * changed meanwhile is read at its new place or not at all (the cache has the change before
 * it is pushed), so replaying never lists one twice. */
function replayed(rows: ThreadRow[], changes: Change[]): ThreadRow[] {
  let next = rows.slice();
  let batch: ThreadRow[] = [];
  for (const change of changes) {
    if ("upsert" in change) {
      batch.push(change.upsert);
    } else {
      next = without(merged(next, batch), change.remove);
      batch = [];
    }
  }
  return batch.length === 0 ? next : merged(next, batch);
}

function without(items: ThreadRow[], id: ThreadId): ThreadRow[] {
  return items.filter((t) => t.id !== id);
}

/** `items` (newest first) with `batch` upserted: the last copy of each thread wins, placed
 * after the threads at least as recent. */
function merged(items: ThreadRow[], batch: ThreadRow[]): ThreadRow[] {
  const latest = new Map(batch.map((t) => [t.id, t]));
  const rest = items.filter((t) => !latest.has(t.id));
  // Newest first; a stable sort keeps the batch's order among equal times.
  const fresh = [...latest.values()].sort((a, b) => time(b) - time(a));
  const out: ThreadRow[] = [];
  let i = 0;
  for (const t of fresh) {
    const at = time(t);
    while (i < rest.length && time(rest[i] as ThreadRow) >= at) out.push(rest[i++] as ThreadRow);
    out.push(t);
  }
  while (i < rest.length) out.push(rest[i++] as ThreadRow);
  return out;
}
