import { describe, expect, it } from "vitest";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import { createFakeIpc } from "../ipc/fake";
import type { Ipc } from "../ipc/ipc";
import { ThreadsStore } from "./threads.svelte";

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

function store(ipc: Ipc): ThreadsStore {
  return new ThreadsStore(ipc, (error) => {
    throw error;
  });
}

const ids = (s: ThreadsStore) => s.items.map((t) => t.id);

describe("ThreadsStore", () => {
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
