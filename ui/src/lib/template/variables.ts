/**
 * Where a template's variables sit in its text, for the layout of the Template tool only:
 * whether the values are valid is for the core to say (`preview_template`'s problems).
 */
import type { Part } from "../ipc/bindings/Part";
import type { Template } from "../ipc/bindings/Template";

export type Segment = { kind: "text"; text: string } | { kind: "variable"; key: string };
export type Field = { part: Part; key: string };

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
    ["header", template.header],
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
