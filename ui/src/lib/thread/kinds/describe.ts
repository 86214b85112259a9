/**
 * How the kinds of message are said and drawn (F23): which shape a body takes in the thread,
 * a document's type in words, a place's coordinates and its map link, a shared card as a
 * contact to add. Words only; nothing here decides what may be done.
 */
import type { ContactCard } from "../../ipc/bindings/ContactCard";
import type { ContactDraft } from "../../ipc/bindings/ContactDraft";
import type { MessageBody } from "../../ipc/bindings/MessageBody";
import type { IconName } from "../../shared/Icon.svelte";

/**
 * How a body sits in the thread: a bubble of words, a bubble sized to its picture or video, a
 * sticker on its own (no bubble), or a centred line (the thread's own news). Every kind is
 * named, so a new one does not compile until it has its place.
 */
export type Shape = "bubble" | "media" | "bare" | "line";

export function shapeOf(body: MessageBody): Shape {
  switch (body.type) {
    case "text":
    case "template":
    case "audio":
    case "document":
    case "location":
    case "contacts":
    case "choice":
    case "form":
    case "unsupported":
    case "voicemail":
      return "bubble";
    case "picture":
    case "video":
      return "media";
    case "sticker":
      return "bare";
    case "system":
    case "notice":
      return "line";
  }
}

/** Recordings up to this size are fetched when shown, so their length shows before a play
 * (voice notes are a few KB a second); larger ones when played. */
export const EAGER_AUDIO_BYTES = 1_000_000;

/** Videos up to this size are fetched when shown, for their first frame; larger ones when
 * the user asks (WhatsApp allows 16 MB, which crosses the IPC as a 21 MB data URL). */
export const EAGER_VIDEO_BYTES = 8_000_000;

export type DocumentFamily = "pdf" | "sheet" | "doc" | "slides" | "file";

const FAMILIES: Array<{ family: DocumentFamily; type: string; mimes: RegExp; exts: RegExp }> = [
  { family: "pdf", type: "PDF", mimes: /^application\/pdf$/, exts: /^pdf$/ },
  {
    family: "sheet",
    type: "Spreadsheet",
    mimes: /spreadsheet|ms-excel|^text\/csv$|^text\/tab-separated-values$/,
    exts: /^(xlsx?|ods|csv|tsv|numbers)$/,
  },
  {
    family: "slides",
    type: "Presentation",
    mimes: /presentation|ms-powerpoint/,
    exts: /^(pptx?|odp|key)$/,
  },
  {
    family: "doc",
    type: "Document",
    mimes: /wordprocessing|msword|opendocument\.text|^text\/|rtf/,
    exts: /^(docx?|odt|rtf|txt|md|pages)$/,
  },
];

function extension(filename: string): string {
  const dot = filename.lastIndexOf(".");
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : "";
}

/** A document's family (for its icon) and its type in words: "PDF", "Spreadsheet (XLSX)",
 * "ZIP file", "File". */
export function documentType(
  mimeType: string,
  filename: string,
): { family: DocumentFamily; type: string } {
  const mime = mimeType.toLowerCase();
  const ext = extension(filename);
  const found = FAMILIES.find((f) => f.mimes.test(mime) || (ext !== "" && f.exts.test(ext)));
  if (found) {
    const detail = ext !== "" && found.family !== "pdf" ? ` (${ext.toUpperCase()})` : "";
    return { family: found.family, type: `${found.type}${detail}` };
  }
  return { family: "file", type: ext !== "" ? `${ext.toUpperCase()} file` : "File" };
}

export const DOCUMENT_ICONS: Record<DocumentFamily, IconName> = {
  pdf: "file-text",
  sheet: "file-sheet",
  doc: "file-text",
  slides: "file-slides",
  file: "file",
};

/** "38.7223° N, 9.1393° W" */
export function coordinates(latitude: number, longitude: number): string {
  const part = (value: number, positive: string, negative: string) =>
    `${Math.abs(value).toFixed(4)}° ${value < 0 ? negative : positive}`;
  return `${part(latitude, "N", "S")}, ${part(longitude, "E", "W")}`;
}

/** The place on OpenStreetMap, marked, at street level. */
export function mapUrl(latitude: number, longitude: number): string {
  const lat = Number(latitude.toFixed(6));
  const lon = Number(longitude.toFixed(6));
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

/** A card's label ("CELL", "WORK", ...) as the contact editor's ("mobile", "work", ...). */
export function phoneLabel(label: string | null): string {
  switch ((label ?? "").trim().toUpperCase()) {
    case "":
    case "CELL":
    case "MOBILE":
    case "IPHONE":
    case "MAIN":
      return "mobile";
    case "WORK":
      return "work";
    case "HOME":
      return "home";
    default:
      return "other";
  }
}

/** A shared card as a new contact for the editor: its name, company and numbers as written
 * on it (the core reads them when the user saves); its e-mails in the notes, which are the
 * only place a contact has for them. */
export function draftOfCard(card: ContactCard): ContactDraft {
  const emails = card.emails.filter((e) => e.trim() !== "");
  return {
    name: card.name,
    company: card.organization,
    notes: emails.length > 0 ? emails.map((e) => `E-mail: ${e}`).join("\n") : null,
    phones: card.phones.map((p) => ({ number: p.number, label: phoneLabel(p.label) })),
  };
}
