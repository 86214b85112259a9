import { describe, expect, it } from "vitest";
import type { ThreadRow } from "../ipc/bindings/ThreadRow";
import { closingSoon, countdown, durationText, timeLeft, toNotify } from "./window";

const NOW = Date.UTC(2026, 11, 5, 9, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

function row(id: string, endsIn: number | null, status: ThreadRow["status"] = "open"): ThreadRow {
  return {
    id,
    channel: "whatsapp",
    contact_id: null,
    contact_name: `Guest ${id}`,
    guest_phone: "+12025550147",
    status,
    last_message_preview: null,
    last_message_at: null,
    unread_count: 0,
    free_until: endsIn === null ? null : new Date(NOW + endsIn).toISOString(),
    opened_at: null,
    participant_names: [],
  };
}

describe("durationText", () => {
  it("reads_hours_and_minutes_rounded_down", () => {
    expect(durationText(3 * HOUR + 12 * MIN + 59_000)).toBe("3 h 12 min");
    expect(durationText(2 * HOUR)).toBe("2 h");
    expect(durationText(59 * MIN + 30_000)).toBe("59 min");
    expect(durationText(MIN)).toBe("1 min");
    expect(durationText(59_000)).toBe("less than a minute");
  });
});

describe("countdown", () => {
  it("counts_down_to_the_core_s_end_and_stops_at_it", () => {
    const thread = row("a", 3 * HOUR + 12 * MIN);
    expect(countdown(thread, NOW)).toBe("Free messaging for 3 h 12 min");
    expect(countdown(thread, NOW + 3 * HOUR)).toBe("Free messaging for 12 min");
    expect(timeLeft(thread, NOW + 3 * HOUR + 12 * MIN)).toBeNull();
    expect(countdown(thread, NOW + 4 * HOUR)).toBeNull();
    expect(countdown(row("b", null), NOW)).toBeNull();
  });
});

describe("closingSoon", () => {
  it("lists_open_threads_ending_within_the_setting_soonest_first", () => {
    const rows = [
      row("later", 61 * MIN),
      row("soon", 59 * MIN),
      row("sooner", 5 * MIN),
      row("ended", -MIN),
      row("none", null),
      row("closed", 10 * MIN, "closed"),
    ];
    expect(closingSoon(rows, NOW, HOUR).map((t) => t.id)).toEqual(["sooner", "soon"]);
    expect(closingSoon(rows, NOW, 2 * HOUR).map((t) => t.id)).toEqual(["sooner", "soon", "later"]);
  });
});

describe("toNotify", () => {
  it("notifies_at_59_minutes_once_per_end_and_not_for_the_thread_being_read", () => {
    const notified = new Map<string, string>();
    const rows = [row("a", 61 * MIN), row("b", 3 * HOUR)];
    expect(toNotify(rows, NOW, HOUR, notified, null)).toEqual([]);
    // Two minutes later, a's end is 59 minutes away: notified, once.
    const at = NOW + 2 * MIN;
    expect(toNotify(rows, at, HOUR, notified, null).map((t) => t.id)).toEqual(["a"]);
    expect(toNotify(rows, at + MIN, HOUR, notified, null)).toEqual([]);
    // The guest wrote: a new end, notified again when it comes near.
    const moved = [row("a", 24 * HOUR), rows[1] as ThreadRow];
    expect(toNotify(moved, at, HOUR, notified, null)).toEqual([]);
    expect(toNotify(moved, NOW + 23 * HOUR + MIN, HOUR, notified, null).map((t) => t.id)).toEqual([
      "a",
    ]);
    // The one being read is marked, not notified.
    const other = new Map<string, string>();
    expect(toNotify(rows, at, HOUR, other, "a")).toEqual([]);
    expect(toNotify(rows, at, HOUR, other, null)).toEqual([]);
  });
});
