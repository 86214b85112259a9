import { describe, expect, it } from "vitest";
import type { Message } from "../ipc/bindings/Message";
import { createFakeIpc } from "../ipc/fake";
import { ThreadStore } from "./thread.svelte";

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
