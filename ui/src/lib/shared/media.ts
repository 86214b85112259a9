/** Media bytes and how they are said: sizes, lengths. Generic: no domain imports. */

/**
 * The bytes of a `data:` URL, as a Blob of its type. Decoded here rather than with
 * `fetch(url)`: the window's CSP lets `fetch` reach the IPC only.
 */
export function dataUrlToBlob(url: string): Blob {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(url);
  if (!match) throw new Error("not a data: URL");
  const [, type = "", base64, data = ""] = match;
  if (!base64) return new Blob([decodeURIComponent(data)], { type });
  const text = atob(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Blob([bytes], { type });
}

/** "0:42", "12:05", "1:02:03"; "–:––" when not known (a stream without a length). */
export function playTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–:––";
  const s = Math.floor(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** "812 bytes", "1.3 KB", "24 KB", "3.4 MB": decimal units, as file managers say them. */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return bytes === 1 ? "1 byte" : `${bytes} bytes`;
  const units = ["KB", "MB", "GB"] as const;
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 9.95 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)} ${units[unit]}`;
}
