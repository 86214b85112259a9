/** Non-blocking notices (errors from commands, mostly). Generic: no domain imports. */
export type ToastTone = "error" | "info";
export type Toast = { id: number; message: string; tone: ToastTone };

export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;
  // Timers are bookkeeping, not state anything renders.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly ttlMs = 7000) {}

  show(message: string, tone: ToastTone = "error"): number {
    // The same message twice in a row (a retry loop, say) shows once.
    const same = this.items.find((t) => t.message === message && t.tone === tone);
    if (same) this.dismiss(same.id);
    const id = this.#next++;
    this.items.push({ id, message, tone });
    if (this.ttlMs > 0)
      this.#timers.set(
        id,
        setTimeout(() => this.dismiss(id), this.ttlMs),
      );
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
