import type { Template } from "../ipc/bindings/Template";
import type { Ipc } from "../ipc/ipc";

/** The organization's approved templates: loaded once, reloaded on `templates_changed`. */
export class TemplatesStore {
  items = $state<Template[]>([]);
  loaded = $state(false);
  #loading: Promise<void> | null = null;

  constructor(
    private readonly ipc: Ipc,
    private readonly report: (error: unknown) => void,
  ) {}

  /** The first load; later calls share it. */
  load(): Promise<void> {
    this.#loading ??= this.reload();
    return this.#loading;
  }

  async reload(): Promise<void> {
    try {
      this.items = await this.ipc.listTemplates();
      this.loaded = true;
    } catch (error) {
      this.report(error);
    }
  }
}
