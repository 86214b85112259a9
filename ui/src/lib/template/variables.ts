/**
 * Where a template's variables sit in its text, for the layout of the Template tool only:
 * whether the values are valid is for the core to say (`preview_template`'s problems).
 */
import type { Button } from "../ipc/bindings/Button";
import type { Header } from "../ipc/bindings/Header";
import type { Part } from "../ipc/bindings/Part";
import type { SlotKind } from "../ipc/bindings/SlotKind";
import type { Template } from "../ipc/bindings/Template";

export type Segment = { kind: "text"; text: string } | { kind: "variable"; key: string };
export type Field = { part: Part; key: string };
/** A value to fill, as the core's `Slot` names it: its part, its key ("1", "first_name",
 * "media", "latitude", a button's index "0"), what it asks for, and whether it may stay empty. */
export type SlotField = Field & { kind: SlotKind; optional: boolean };

/** The file kinds a header can show. */
export type MediaHeader = Extract<Header, { sample: string | null }>;

/** The text of a text header, else null. */
export function headerText(header: Header | null): string | null {
  return header?.format === "TEXT" ? header.text : null;
}

/** A file header (image, video, GIF, document), else null. */
export function mediaHeader(header: Header | null): MediaHeader | null {
  return header !== null && "sample" in header ? header : null;
}

/** The key of a value in the Template tool's form and its ids: "part:key" ("body:1",
 * "header:media"). */
export function fieldId(part: Part, key: string): string {
  return `${part}:${key}`;
}

const FILE_WORD: Record<string, string> = {
  IMAGE: "picture",
  VIDEO: "video",
  GIF: "GIF",
  DOCUMENT: "document",
};

/** How the Template tool names a header's file: "picture", "video", "GIF", "document". */
export function fileWord(header: MediaHeader): string {
  return FILE_WORD[header.format] ?? "file";
}

/** A URL button's fixed start when its address ends in `{{1}}` (the guest's link ending
 * goes after it), else null. */
export function urlPrefix(button: Button): string | null {
  return button.type === "URL" && button.url.endsWith("{{1}}") ? button.url.slice(0, -5) : null;
}

const VARIABLE = /\{\{([^{}]+)\}\}/g;

/** "Hi {{1}}!" → text "Hi ", variable "1", text "!". */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const index = match.index;
    if (index > last) out.push({ kind: "text", text: text.slice(last, index) });
    out.push({ kind: "variable", key: (match[1] ?? "").trim() });
    last = index + match[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** Every variable of the header, then of the body, each once, in order of appearance. */
export function fields(template: Pick<Template, "header" | "body">): Field[] {
  const out: Field[] = [];
  const parts: Array<[Part, string | null]> = [
    ["header", headerText(template.header)],
    ["body", template.body],
  ];
  for (const [part, text] of parts) {
    for (const segment of segments(text ?? "")) {
      if (segment.kind === "variable" && !out.some((f) => f.part === part && f.key === segment.key))
        out.push({ part, key: segment.key });
    }
  }
  return out;
}

/**
 * Every value to fill, in the core's order (`Template::slots`): the header's file or place,
 * the text variables, then each button that takes a value (a link ending, a coupon code).
 */
export function slots(template: Pick<Template, "header" | "body" | "buttons">): SlotField[] {
  const slot = (part: Part, key: string, kind: SlotKind, optional = false): SlotField => ({
    part,
    key,
    kind,
    optional,
  });
  const out: SlotField[] = [];
  if (mediaHeader(template.header)) out.push(slot("header", "media", "media"));
  if (template.header?.format === "LOCATION") {
    out.push(slot("header", "latitude", "latitude"));
    out.push(slot("header", "longitude", "longitude"));
    out.push(slot("header", "name", "place_name", true));
    out.push(slot("header", "address", "place_address", true));
  }
  for (const f of fields(template)) out.push(slot(f.part, f.key, "text"));
  template.buttons.forEach((button, i) => {
    if (button.type === "COPY_CODE") out.push(slot("button", String(i), "coupon_code"));
    else if (urlPrefix(button) !== null) out.push(slot("button", String(i), "url_suffix"));
  });
  return out;
}

/** "appointment_reminder" → "Appointment reminder". */
export function humanize(name: string): string {
  const words = name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The body on one line, variables as written ("Hi {{1}}, ..."), for the picker. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** "en_US" → "English (United States)" in the user's language; the code if unknown. */
export function languageName(code: string): string {
  try {
    const names = new Intl.DisplayNames(undefined, {
      type: "language",
      languageDisplay: "standard",
    });
    return names.of(code.replace("_", "-")) ?? code;
  } catch {
    return code;
  }
}
