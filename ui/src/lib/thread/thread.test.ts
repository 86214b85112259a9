import { describe, expect, it } from "vitest";
import type { Message } from "../ipc/bindings/Message";
import { createFakeIpc, plain } from "../ipc/fake";
import { PAGE, ThreadStore } from "./thread.svelte";

function message(overrides: Partial<Message>): Message {
  return {
    id: "m-1",
    client_id: null,
    thread_id: "t-1",
    direction: "outbound",
    author_name: "Alex Morgan",
    body: { type: "text", text: "hi" },
    state: "sent",
    failure: null,
    created_at: "2024-03-12T10:00:00Z",
    ...plain(),
    ...overrides,
  };
}

function store(): ThreadStore {
  return new ThreadStore("t-1", createFakeIpc({ contacts: [], threads: [], messages: [] }), () => {
    throw new Error("unexpected error report");
  });
}

describe("ThreadStore.upsert", () => {
  it("replaces_by_id", () => {
    const s = store();
    s.upsert(message({ id: "a", state: "sent" }));
    s.upsert(message({ id: "a", state: "read" }));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([["a", "read"]]);
  });

  it("replaces_the_pending_message_with_the_same_client_id", () => {
    const s = store();
    s.upsert(message({ id: "local-1", client_id: "c-1", state: "sending" }));
    s.upsert(message({ id: "server-9", client_id: "c-1", state: "sent" }));
    expect(s.messages.map((m) => [m.id, m.state])).toEqual([["server-9", "sent"]]);
  });

  it("keeps_messages_in_time_order", () => {
    const s = store();
    s.upsert(message({ id: "b", created_at: "2024-03-12T10:05:00Z" }));
    s.upsert(message({ id: "a", created_at: "2024-03-12T10:00:00Z" }));
    s.upsert(message({ id: "c", created_at: "2024-03-12T10:10:00Z" }));
    expect(s.messages.map((m) => m.id)).toEqual(["a", "b", "c"]);
  });

  it("ignores_messages_of_other_threads", () => {
    const s = store();
    s.upsert(message({ id: "x", thread_id: "t-2" }));
    expect(s.messages).toHaveLength(0);
  });

  it("does_not_let_a_late_command_answer_overwrite_a_newer_event", () => {
    const s = store();
    s.upsert(message({ id: "server-9", client_id: "c-1", state: "delivered" }));
    s.upsert(message({ id: "local-1", client_id: "c-1", state: "sending" }), { ifAbsent: true });
    expect(s.messages.map((m) => m.state)).toEqual(["delivered"]);
  });
});

describe("ThreadStore paging", () => {
  const total = PAGE * 2 + PAGE / 2;
  const long = Array.from({ length: total }, (_, i) =>
    message({
      id: `m-${i}`,
      direction: "inbound",
      author_name: null,
      body: { type: "text", text: `line ${i}` },
      created_at: new Date(Date.UTC(2024, 2, 12, 10, 0, i)).toISOString(),
    }),
  );

  function paged(): ThreadStore {
    const ipc = createFakeIpc({ contacts: [], threads: [], messages: long });
    return new ThreadStore("t-1", ipc, () => {
      throw new Error("unexpected error report");
    });
  }

  it("opens_with_the_newest_page_and_pages_back_to_the_first_message", async () => {
    const s = paged();
    await s.load();
    expect(s.messages).toHaveLength(PAGE);
    expect(s.messages[0]?.id).toBe(`m-${total - PAGE}`);
    expect(s.messages.at(-1)?.id).toBe(`m-${total - 1}`);
    expect(s.hasOlder).toBe(true);

    expect(await s.loadOlder()).toBe(true);
    expect(s.messages[0]?.id).toBe(`m-${total - 2 * PAGE}`);
    expect(await s.loadOlder()).toBe(true);
    expect(s.messages).toHaveLength(total);
    expect(s.messages[0]?.id).toBe("m-0");
    expect(s.hasOlder).toBe(false);
    expect(await s.loadOlder()).toBe(false);
  });

  it("pages_back_from_the_oldest_message_itself_where_many_share_a_second", async () => {
    // WhatsApp dates messages to the second: a page can end among messages sharing one.
    const sameSecond = long.map((m) => ({ ...m, created_at: "2024-03-12T10:00:00.000Z" }));
    const ipc = createFakeIpc({ contacts: [], threads: [], messages: sameSecond });
    const s = new ThreadStore("t-1", ipc, () => {
      throw new Error("unexpected error report");
    });
    await s.load();
    const oldest = s.messages[0];
    expect(await s.loadOlder()).toBe(true);
    expect(ipc.calls.filter((c) => c.command === "listMessages").at(-1)?.args[1]).toEqual(oldest);
    while (await s.loadOlder());
    expect(s.messages.map((m) => m.id)).toEqual(long.map((m) => m.id));
  });

  it("leaves_an_update_to_an_unloaded_message_for_when_its_page_loads", async () => {
    const s = paged();
    await s.load();
    const old = long[3];
    if (!old) throw new Error("no message 3");
    s.upsert({ ...old, state: "read" });
    expect(s.messages).toHaveLength(PAGE);
    expect(s.messages.some((m) => m.id === "m-3")).toBe(false);
  });
});
