/** Date formatting in the user's locale. Generic: no domain imports. */

const MINUTE = 60_000;
const DAY = 86_400_000;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole calendar days between two instants, in local time (0 = same day). */
export function daysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY);
}

/**
 * One `Intl.DateTimeFormat` per locale and style, made once: building one is far slower than
 * using it, and a thread of a hundred messages formats two hundred times.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function format(ms: number, locale: string | undefined, options: Intl.DateTimeFormatOptions) {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, formatter);
  }
  return formatter.format(ms);
}

/** "14:32" */
export function clockTime(iso: string, locale?: string): string {
  return format(Date.parse(iso), locale, { hour: "numeric", minute: "2-digit" });
}

/** "Tuesday 12 March 2024, 14:32": for titles and screen readers. */
export function fullDateTime(iso: string, locale?: string): string {
  return format(Date.parse(iso), locale, { dateStyle: "full", timeStyle: "short" });
}

/** For lists: "now", "5 min", "14:32" today, "Yesterday", "Tue" this week, then "12 Mar". */
export function relativeTime(iso: string, now: number, locale?: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const ago = now - t;
  if (ago < MINUTE) return "now";
  if (ago < 60 * MINUTE) return `${Math.floor(ago / MINUTE)} min`;
  const days = daysBetween(t, now);
  if (days <= 0) return clockTime(iso, locale);
  if (days === 1) return "Yesterday";
  const date = new Date(t);
  if (days < 7) return format(t, locale, { weekday: "short" });
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return format(t, locale, {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** Day separators: "Today", "Yesterday", "Tuesday 12 March" (year when not this year). */
export function dayLabel(iso: string, now: number, locale?: string): string {
  const t = Date.parse(iso);
  const days = daysBetween(t, now);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  const date = new Date(t);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return format(t, locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** A local-day key ("2024-03-12") to group by. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = words[0]?.[0] ?? "";
  const last = words.length > 1 ? (words[words.length - 1]?.[0] ?? "") : "";
  return (first + last).toUpperCase() || "?";
}
