/**
 * The 24-hour window as the user lives it: how long free messaging lasts in a thread, which
 * threads close soon, and which of them to warn about. The core says until when free-form
 * messages may be sent (`free_until`); this only measures it against the clock (the core's).
 */
import type { ThreadId } from "../ipc/bindings/ThreadId";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";

const MINUTE = 60_000;

type Timed = Pick<ThreadRow, "free_until">;

/** How long free messaging lasts from `now`, in ms; null when it has no end (not WhatsApp,
 * not allowed) or has ended. */
export function timeLeft(thread: Timed, now: number): number | null {
  if (thread.free_until === null) return null;
  const left = Date.parse(thread.free_until) - now;
  return Number.isNaN(left) || left <= 0 ? null : left;
}

/** "3 h 12 min", "59 min", "less than a minute": whole minutes, rounded down (never more
 * than is left). */
export function durationText(ms: number): string {
  if (ms < MINUTE) return "less than a minute";
  const minutes = Math.floor(ms / MINUTE);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** "Free messaging for 3 h 12 min", or null when there is nothing to count down. */
export function countdown(thread: Timed, now: number): string | null {
  const left = timeLeft(thread, now);
  return left === null ? null : `Free messaging for ${durationText(left)}`;
}

/** Free messaging ends within `withinMs` (and has not ended). */
export function isClosingSoon(thread: Timed, now: number, withinMs: number): boolean {
  const left = timeLeft(thread, now);
  return left !== null && left <= withinMs;
}

/** The open threads whose free messaging ends within `withinMs`, soonest first. */
export function closingSoon(threads: ThreadRow[], now: number, withinMs: number): ThreadRow[] {
  return threads
    .filter((t) => t.status === "open" && isClosingSoon(t, now, withinMs))
    .sort((a, b) => Date.parse(a.free_until ?? "") - Date.parse(b.free_until ?? ""));
}

/**
 * The threads to send a desktop notification for now: closing within `withinMs`, each once
 * per closing time (`notified` remembers which, and is updated; a guest's reply that moves
 * the end makes a new one). The thread being read in a focused window (`reading`) shows its
 * countdown already: it is marked, not notified.
 */
export function toNotify(
  threads: ThreadRow[],
  now: number,
  withinMs: number,
  notified: Map<ThreadId, string>,
  reading: ThreadId | null,
): ThreadRow[] {
  const out: ThreadRow[] = [];
  for (const thread of closingSoon(threads, now, withinMs)) {
    const until = thread.free_until as string;
    if (notified.get(thread.id) === until) continue;
    notified.set(thread.id, until);
    if (thread.id !== reading) out.push(thread);
  }
  return out;
}
