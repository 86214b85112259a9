import type { SearchGroup } from "../ipc/bindings/SearchGroup";
import type { Ipc } from "../ipc/ipc";

/** How many hits one search shows (the newest). */
export const SEARCH_LIMIT = 100;
/** Typing pauses this long before a search runs. */
const DEBOUNCE_MS = 120;

/** The Messages tab's search: every message in the cache, newest first, by conversation. */
export class SearchStore {
  query = $state("");
  groups = $state.raw<SearchGroup[]>([]);
  /** The answer for the current query is here (not a previous query's). */
  done = $state(true);
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  get active(): boolean {
    return this.query.trim() !== "";
  }

  /** The search box changed: searches once typing pauses; an older answer never wins. */
  set(query: string): void {
    this.query = query;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const seq = ++this.#seq;
    if (!this.active) {
      this.groups = [];
      this.done = true;
      return;
    }
    this.done = false;
    this.#timer = setTimeout(() => void this.#run(query, seq), DEBOUNCE_MS);
  }

  async #run(query: string, seq: number): Promise<void> {
    try {
      const groups = await this.ipc.searchMessages(query.trim(), null, SEARCH_LIMIT);
      if (seq !== this.#seq) return;
      this.groups = groups;
    } catch (error) {
      if (seq === this.#seq) this.report(error);
    } finally {
      if (seq === this.#seq) this.done = true;
    }
  }
}
