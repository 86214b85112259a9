/** The list follows the newest message while the reader is at the bottom, even as it grows. */
import { render } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../ipc/bindings/Message";
import { createFakeIpc, plain } from "../ipc/fake";
import { ipcContext } from "../ipc/ipc";
import MessageList from "./MessageList.svelte";

const text = (id: string, at: string): Message => ({
  id,
  client_id: null,
  thread_id: "t-1",
  direction: "inbound",
  author_name: null,
  body: { type: "text", text: `Message ${id}` },
  state: "delivered",
  failure: null,
  created_at: at,
  ...plain(),
});

/** jsdom has no layout and no ResizeObserver: a list that grows is played by hand. */
class FakeResizeObserver {
  static all: FakeResizeObserver[] = [];
  constructor(readonly callback: ResizeObserverCallback) {
    FakeResizeObserver.all.push(this);
  }
  observe() {}
  disconnect() {}
  grow() {
    this.callback([], this as unknown as ResizeObserver);
  }
}

function layout(scroller: HTMLElement, height: { value: number }) {
  Object.defineProperty(scroller, "scrollHeight", { configurable: true, get: () => height.value });
  Object.defineProperty(scroller, "clientHeight", { configurable: true, get: () => 500 });
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeResizeObserver.all = [];
});

describe("A thread's list growing under its reader", () => {
  function setup() {
    vi.stubGlobal("ResizeObserver", FakeResizeObserver);
    const { container } = render(MessageList, {
      props: {
        messages: [text("m-1", "2024-03-12T10:00:00Z"), text("m-2", "2024-03-12T10:01:00Z")],
      },
      context: ipcContext(createFakeIpc()),
    });
    const scroller = container.querySelector<HTMLElement>(".scroller");
    if (!scroller) throw new Error("no scroller");
    const height = { value: 1000 };
    layout(scroller, height);
    return { scroller, height };
  }

  it("stays_at_the_bottom_when_a_picture_loads_late", () => {
    const { scroller, height } = setup();
    scroller.scrollTop = 500;
    scroller.dispatchEvent(new Event("scroll"));
    height.value = 1400;
    for (const o of FakeResizeObserver.all) o.grow();
    expect(scroller.scrollTop).toBe(1400);
  });

  it("leaves_a_reader_who_scrolled_up_where_they_are", () => {
    const { scroller, height } = setup();
    scroller.scrollTop = 100;
    scroller.dispatchEvent(new Event("scroll"));
    height.value = 1400;
    for (const o of FakeResizeObserver.all) o.grow();
    expect(scroller.scrollTop).toBe(100);
  });
});
