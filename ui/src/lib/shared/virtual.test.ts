import { describe, expect, it } from "vitest";
import { WindowedList } from "./virtual.svelte";

/** A scrolling element with a layout (jsdom has none): 660 px tall. */
function scroller(): HTMLElement {
  const element = document.createElement("div");
  Object.defineProperty(element, "clientHeight", { value: 660 });
  return element;
}

function scrollTo(element: HTMLElement, top: number): void {
  element.scrollTop = top;
  element.dispatchEvent(new Event("scroll"));
}

describe("WindowedList", () => {
  it("draws_the_rows_in_view_and_ten_beyond_each_edge", () => {
    const list = new WindowedList(66, (i) => `row-${i}`);
    const element = scroller();
    const detach = list.attach(element, 10_000);
    expect(list.totalSize).toBe(660_000);
    expect(list.items.map((r) => r.index)).toEqual([...Array(20).keys()]);
    expect(list.items[3]).toEqual({ key: "row-3", index: 3, start: 198 });

    scrollTo(element, 66 * 100 + 5);
    expect(list.items[0]?.index).toBe(90);
    expect(list.items.at(-1)?.index).toBe(120);
    // A scroll that keeps the same rows in range draws nothing new.
    const drawn = list.items;
    scrollTo(element, 66 * 100 + 20);
    expect(list.items).toBe(drawn);

    // At the end: no rows past the last.
    scrollTo(element, 66 * 9_990);
    expect(list.items.at(-1)?.index).toBe(9_999);
    detach();
    scrollTo(element, 0);
    expect(list.items.at(-1)?.index).toBe(9_999);
  });

  it("follows_the_list_as_it_grows_and_its_rows_change_places", () => {
    let keys = ["a", "b", "c"];
    const list = new WindowedList(66, (i) => keys[i] ?? String(i));
    list.attach(scroller(), 3);
    expect(list.items.map((r) => r.key)).toEqual(["a", "b", "c"]);
    keys = ["c", "a", "b", "d"];
    list.update(4);
    expect(list.items.map((r) => r.key)).toEqual(["c", "a", "b", "d"]);
    expect(list.totalSize).toBe(4 * 66);
  });
});
