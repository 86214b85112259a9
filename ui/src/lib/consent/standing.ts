/** How the app words a guest's consent standing and its evidence. Generic over time format. */
import type { Consent } from "../ipc/bindings/Consent";
import type { ConsentRecord } from "../ipc/bindings/ConsentRecord";
import { fullDateTime } from "../shared/time";

/** "Not asked yet", "Waiting for a reply since …", "Consented on … by replying "YES"",
 * "Opted out on …". */
export function standingText(consent: Consent): string {
  switch (consent.state) {
    case "none":
      return "Not asked yet";
    case "requested":
      return `Waiting for a reply since ${fullDateTime(consent.at)}`;
    case "granted":
      return `Consented on ${fullDateTime(consent.at)} by replying "${consent.reply}"`;
    case "revoked":
      return consent.guest_returned_at
        ? `Opted out on ${fullDateTime(consent.at)}; wrote again on ${fullDateTime(consent.guest_returned_at)}`
        : `Opted out on ${fullDateTime(consent.at)}`;
  }
}

/** The record as a file name: "consent-ana-silva-12025550147-2026-12-05". */
export function recordFileName(record: ConsentRecord, extension: "json" | "html"): string {
  const who = record.contact_name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  const number = (record.number ?? "").replace(/\D/g, "");
  const day = record.exported_at.slice(0, 10);
  return `consent-${[who, number, day].filter(Boolean).join("-")}.${extension}`;
}

/** The record as a standalone, printable HTML page. Every value goes in as text through the
 * DOM (no string is ever parsed as markup). */
export function recordPage(record: ConsentRecord): string {
  const doc = document.implementation.createHTMLDocument(`Consent record: ${record.contact_name}`);
  const meta = doc.createElement("meta");
  meta.setAttribute("charset", "utf-8");
  doc.head.prepend(meta);
  const style = doc.createElement("style");
  style.textContent =
    "body{font:14px/1.5 system-ui,sans-serif;max-width:720px;margin:32px auto;color:#111}" +
    "h1{font-size:20px}h2{font-size:15px;margin-top:24px}" +
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;" +
    "padding:4px 8px;border-bottom:1px solid #ddd}th{width:30%;font-weight:600}" +
    ".quote{white-space:pre-wrap}";
  doc.head.append(style);
  const add = <K extends keyof HTMLElementTagNameMap>(
    parent: HTMLElement,
    tag: K,
    text?: string,
  ): HTMLElementTagNameMap[K] => {
    const el = doc.createElement(tag);
    if (text !== undefined) el.textContent = text;
    parent.append(el);
    return el;
  };
  const table = (rows: Array<[string, string]>) => {
    const t = add(doc.body, "table");
    for (const [label, value] of rows) {
      const tr = add(t, "tr");
      add(tr, "th", label);
      add(tr, "td", value).className = "quote";
    }
  };
  add(doc.body, "h1", `WhatsApp consent record: ${record.contact_name}`);
  table([
    ["Organization", record.organization],
    ["Contact", record.contact_name],
    ["WhatsApp number", record.number ?? "A WhatsApp username (no number)"],
    ["Standing", standingText(record.consent)],
    [
      "Exported",
      `${fullDateTime(record.exported_at)} by ${record.exported_by.name} (${record.exported_by.email})`,
    ],
  ]);
  add(doc.body, "h2", "Opt-in requests sent");
  if (record.requests.length === 0) add(doc.body, "p", "None in this app's records.");
  for (const request of record.requests) {
    table([
      ["Sent", fullDateTime(request.at)],
      ["Message id", request.id],
      ["Delivery", request.state],
      ["Text", request.text],
    ]);
  }
  add(doc.body, "h2", "The customer's reply");
  if (record.reply) {
    table([
      ["Received", fullDateTime(record.reply.at)],
      ["Message id", record.reply.id],
      ["Text", record.reply.text],
    ]);
  } else {
    add(doc.body, "p", "No reply has decided consent.");
  }
  return `<!doctype html>\n${doc.documentElement.outerHTML}\n`;
}
