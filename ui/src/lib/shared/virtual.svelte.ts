/**
 * A windowed list for Svelte 5 on @tanstack/virtual-core: only the rows in (and just around)
 * the viewport exist in the DOM, so a list of 10,000 threads draws as fast as one of ten.
 * Rows have a fixed height (the list's CSS must give them exactly `rowHeight`).
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
  type VirtualItem,
} from "@tanstack/virtual-core";

function fallbackHeight(): number {
  return window.innerHeight || 800;
}

export class WindowedList {
  items = $state<VirtualItem[]>([]);
  totalSize = $state(0);
  #virtualizer: Virtualizer<HTMLElement, HTMLElement> | null = null;

  constructor(
    private readonly rowHeight: number,
    private readonly key: (index: number) => string,
  ) {}

  /** Attaches to the scrolling element; returns the detach function (for an $effect). */
  attach(scroller: HTMLElement, count: number): () => void {
    const virtualizer = new Virtualizer<HTMLElement, HTMLElement>({
      count,
      getScrollElement: () => scroller,
      estimateSize: () => this.rowHeight,
      getItemKey: (index) => this.key(index),
      overscan: 10,
      scrollToFn: elementScroll,
      // Where layout gives no height (the first frame, jsdom): assume a window's height.
      observeElementRect: (instance, cb) =>
        observeElementRect(instance, (rect) =>
          cb(rect.height > 0 ? rect : { width: rect.width, height: fallbackHeight() }),
        ),
      observeElementOffset,
      initialRect: { width: 0, height: fallbackHeight() },
      onChange: (instance) => this.#read(instance),
    });
    this.#virtualizer = virtualizer;
    const detach = virtualizer._didMount();
    virtualizer._willUpdate();
    this.#read(virtualizer);
    return () => {
      detach();
      this.#virtualizer = null;
    };
  }

  /** The list's length or order changed. */
  update(count: number): void {
    const v = this.#virtualizer;
    if (!v) return;
    v.setOptions({ ...v.options, count });
    v._willUpdate();
    this.#read(v);
  }

  #read(v: Virtualizer<HTMLElement, HTMLElement>): void {
    this.items = v.getVirtualItems();
    this.totalSize = v.getTotalSize();
  }
}
