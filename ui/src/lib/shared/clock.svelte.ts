/**
 * A coarse reactive "now" for relative times and countdowns; ticks every 15 s while something
 * listens. It follows the core's clock (`follow`): the connector's time, and in the demo its
 * simulated time, which "skip ahead" moves by hours.
 */
export class Clock {
  now = $state(Date.now());
  /** The core's clock minus this computer's, in ms. */
  #offset = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  start(intervalMs = 15_000): () => void {
    this.#tick();
    this.#timer ??= setInterval(() => this.#tick(), intervalMs);
    return () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  /** The core says it is `iso` now: times shown follow it from here on. */
  follow(iso: string): void {
    const core = Date.parse(iso);
    if (Number.isNaN(core)) return;
    this.#offset = core - Date.now();
    this.#tick();
  }

  #tick(): void {
    this.now = Date.now() + this.#offset;
  }
}

export const clock = new Clock();
