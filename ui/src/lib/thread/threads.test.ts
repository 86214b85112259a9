import { describe, expect, it } from "vitest";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import { createFakeIpc } from "../ipc/fake";
import type { Ipc } from "../ipc/ipc";
import { PAGE, ThreadsStore } from "./threads.svelte";

function row(id: string, minute: number | null): ThreadRow {
  return {
    id,
    channel: "whatsapp",
    contact_id: null,
    contact_name: id,
    guest_phone: "+12025550147",
    status: "open",
    last_message_preview: null,
    last_message_at:
      minute === null ? null : new Date(Date.UTC(2026, 10, 1, 9, minute)).toISOString(),
    unread_count: 0,
    free_until: null,
    opened_at: null,
    participant_names: [],
  };
}

/** A core whose list answers only when `answer` is called (so changes can come first). */
function slowList(): { ipc: Ipc; answer: (rows: ThreadRow[]) => void } {
  let answer: (rows: ThreadRow[]) => void = () => {};
  const ipc: Ipc = {
    ...createFakeIpc({ contacts: [], threads: [], messages: [] }),
    listThreads: () => new Promise((resolve) => (answer = resolve)),
  };
  return { ipc, answer: (rows) => answer(rows) };
}

/** A core holding `rows` (newest first) that answers each page when `next` is called. */
function pagedList(rows: ThreadRow[]): {
  ipc: Ipc;
  asked: Array<{ after: string | null; limit: number | null }>;
  next: () => Promise<void>;
} {
  const asked: Array<{ after: string | null; limit: number | null }> = [];
  const waiting: Array<() => void> = [];
  const ipc: Ipc = {
    ...createFakeIpc({ contacts: [], threads: [], messages: [] }),
    listThreads: (after = null, limit = null) => {
      asked.push({ after: after?.id ?? null, limit });
      const from = after === null ? 0 : rows.findIndex((r) => r.id === after.id) + 1;
      const page = rows.slice(from, limit === null ? undefined : from + limit);
      return new Promise((resolve) => waiting.push(() => resolve(page)));
    },
  };
  const next = async () => {
    // Let the store ask, then answer, then let it take the answer in.
    await new Promise((resolve) => setTimeout(resolve, 0));
    waiting.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { ipc, asked, next };
}

/** `n` rows, newest first, a minute apart. */
function many(n: number): ThreadRow[] {
  return Array.from({ length: n }, (_, i) => row(`t${i}`, n - i));
}

function store(ipc: Ipc): ThreadsStore {
  return new ThreadsStore(ipc, (error) => {
    throw error;
  });
}

const ids = (s: ThreadsStore) => s.items.map((t) => t.id);

describe("ThreadsStore", () => {
  it("reads_a_long_list_page_by_page_drawing_the_first_at_once", async () => {
    const rows = many(PAGE * 2 + 7);
    const { ipc, asked, next } = pagedList(rows);
    const s = store(ipc);
    const loading = s.load();
    await next();
    // The first page is drawn before the rest is read (but the list is not read yet).
    expect(ids(s)).toEqual(rows.slice(0, PAGE).map((r) => r.id));
    expect(s.loaded).toBe(false);
    await next();
    // The middle pages are kept until the last is read.
    expect(s.items.length).toBe(PAGE);
    await next();
    await loading;
    expect(ids(s)).toEqual(rows.map((r) => r.id));
    expect(s.loaded).toBe(true);
    // Each page after the last row of the one before; a short page ends the list.
    expect(asked).toEqual([
      { after: null, limit: PAGE },
      { after: `t${PAGE - 1}`, limit: PAGE },
      { after: `t${2 * PAGE - 1}`, limit: PAGE },
    ]);
  });

  it("keeps_what_is_pushed_between_pages_without_listing_a_thread_twice", async () => {
    const rows = many(PAGE + 3);
    const { ipc, next } = pagedList(rows);
    const s = store(ipc);
    const loading = s.load();
    await next();
    // A thread of the unread second page gets a message: the cache moves it to the top
    // before the event comes, so the second page no longer has it.
    const moved = row(`t${PAGE + 1}`, 99999);
    rows.splice(PAGE + 1, 1);
    rows.unshift(moved);
    s.upsert(moved);
    s.remove("t0");
    await next();
    await loading;
    const listed = ids(s);
    expect(listed[0]).toBe(moved.id);
    expect(listed).not.toContain("t0");
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.length).toBe(PAGE + 2);
  });

  it("keeps_the_list_newest_first_as_threads_are_upserted", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    const loading = s.load();
    answer([row("c", 30), row("b", 20), row("never", null)]);
    await loading;
    s.upsert(row("a", 25));
    s.flush();
    expect(ids(s)).toEqual(["c", "a", "b", "never"]);
    s.upsert(row("b", 40));
    s.flush();
    expect(ids(s)).toEqual(["b", "c", "a", "never"]);
    // Equal times: the one upserted last goes after the others.
    s.upsert(row("d", 30));
    s.flush();
    expect(ids(s)).toEqual(["b", "c", "d", "a", "never"]);
  });

  it("applies_a_burst_of_upserts_at_once_the_last_copy_winning", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    const loading = s.load();
    answer([row("a", 10)]);
    await loading;
    const before = s.items;
    s.upsert(row("b", 20));
    s.upsert(row("c", 5));
    s.upsert(row("b", 30));
    expect(s.items).toBe(before); // nothing drawn per event
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ids(s)).toEqual(["b", "a", "c"]);
    expect(s.get("b")?.last_message_at).toBe(row("b", 30).last_message_at);
  });

  it("does_not_bring_back_a_removed_thread_from_the_queue", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    const loading = s.load();
    answer([row("a", 10)]);
    await loading;
    s.upsert(row("b", 20));
    s.remove("b");
    s.flush();
    expect(ids(s)).toEqual(["a"]);
  });

  it("replays_what_was_pushed_or_removed_while_the_list_loaded", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    const loading = s.load();
    s.upsert(row("b", 50)); // newer than the list's copy of b
    s.upsert(row("new", 45));
    s.remove("gone");
    answer([row("a", 30), row("b", 20), row("gone", 10)]);
    await loading;
    expect(ids(s)).toEqual(["b", "new", "a"]);
    expect(s.get("b")?.last_message_at).toBe(row("b", 50).last_message_at);
  });

  it("drops_threads_a_reload_no_longer_lists", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    let loading = s.load();
    answer([row("a", 30), row("b", 20)]);
    await loading;
    loading = s.load();
    answer([row("a", 30)]);
    await loading;
    expect(ids(s)).toEqual(["a"]);
  });

  it("drops_an_older_answer_that_arrives_after_a_newer_one", async () => {
    const answers: Array<(rows: ThreadRow[]) => void> = [];
    const ipc: Ipc = {
      ...createFakeIpc({ contacts: [], threads: [], messages: [] }),
      listThreads: () => new Promise((resolve) => answers.push(resolve)),
    };
    const s = store(ipc);
    const first = s.load();
    const second = s.load();
    answers[1]?.([row("new", 30)]);
    await second;
    answers[0]?.([row("old", 10)]);
    await first;
    expect(ids(s)).toEqual(["new"]);
  });

  it("keeps_a_pushed_summary_as_a_row", async () => {
    const { ipc, answer } = slowList();
    const s = store(ipc);
    const loading = s.load();
    answer([]);
    await loading;
    const summary = { ...row("a", 10), composer: { state: "allowed" }, participants: [] };
    s.upsert(summary);
    s.flush();
    expect(s.items[0]).toEqual(row("a", 10));
    expect(s.items[0]).not.toHaveProperty("composer");
  });
});
