/**
 * A windowed list of fixed-height rows: only the rows in (and just around) the viewport exist
 * in the DOM, so a list of 10,000 threads draws as fast as one of ten. Every row has the same
 * height (the list's CSS must give them exactly `rowHeight`), so where a row sits is
 * arithmetic: nothing is kept per row, and a list that grows (a page of 500 rows at a time)
 * allocates only for the rows on screen. A general virtualizer measures and keeps an object
 * per row, made again on each change of length: with 10,000 threads read in 20 pages that
 * was some 20 MB of garbage in the webview.
 */

/** A row on screen: its place in the list and its offset from the list's top. */
export interface WindowItem {
  key: string;
  index: number;
  start: number;
}

function fallbackHeight(): number {
  return window.innerHeight || 800;
}

export class WindowedList {
  items = $state.raw<WindowItem[]>([]);
  totalSize = $state(0);
  #scroller: HTMLElement | null = null;
  #count = 0;
  /** The range drawn: `[first, end)`. */
  #first = 0;
  #end = 0;

  constructor(
    private readonly rowHeight: number,
    private readonly key: (index: number) => string,
    /** Rows drawn beyond each edge of the viewport, so that scrolling shows no gap. */
    private readonly overscan = 10,
  ) {}

  /** Attaches to the scrolling element; returns the detach function (for an $effect). */
  attach(scroller: HTMLElement, count: number): () => void {
    this.#scroller = scroller;
    this.#count = count;
    const onScroll = () => this.#read(false);
    scroller.addEventListener("scroll", onScroll, { passive: true });
    const resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(onScroll);
    resize?.observe(scroller);
    this.#read(true);
    return () => {
      scroller.removeEventListener("scroll", onScroll);
      resize?.disconnect();
      this.#scroller = null;
    };
  }

  /** The list's length or order changed. */
  update(count: number): void {
    this.#count = count;
    this.#read(true);
  }

  /** Recomputes the rows on screen; a scroll within the drawn range changes nothing. */
  #read(changed: boolean): void {
    const scroller = this.#scroller;
    const top = scroller?.scrollTop ?? 0;
    // Where layout gives no height (the first frame, jsdom): assume a window's height.
    const height = scroller && scroller.clientHeight > 0 ? scroller.clientHeight : fallbackHeight();
    const first = Math.max(0, Math.floor(top / this.rowHeight) - this.overscan);
    const end = Math.min(this.#count, Math.ceil((top + height) / this.rowHeight) + this.overscan);
    if (!changed && first === this.#first && end === this.#end) return;
    this.#first = first;
    this.#end = end;
    const items: WindowItem[] = [];
    for (let index = first; index < end; index++) {
      items.push({ key: this.key(index), index, start: index * this.rowHeight });
    }
    this.items = items;
    this.totalSize = this.#count * this.rowHeight;
  }
}
