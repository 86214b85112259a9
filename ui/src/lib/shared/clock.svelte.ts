/** A coarse reactive "now" for relative times; ticks every 30 s while something listens. */
export class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;

  start(intervalMs = 30_000): () => void {
    this.now = Date.now();
    this.#timer ??= setInterval(() => (this.now = Date.now()), intervalMs);
    return () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }
}

export const clock = new Clock();
