/**
 * What the fake answers for a thread's composer, template and opt-in controls: looked up in
 * the rules the domain computed in Rust (`bindings/rules.json`), never decided here; and the
 * parts of a message that say nothing beyond its body.
 */
import type { Consent } from "./bindings/Consent";
import type { Message } from "./bindings/Message";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import sendRules from "./bindings/rules.json";

export type Rules = Pick<ThreadSummary, "composer" | "template" | "opt_in" | "free_until">;

/** The generated part of the rules (the rest, `free_until`, is a time the fake knows). */
type SendRules = Pick<ThreadSummary, "composer" | "template" | "opt_in">;

/**
 * What the core answers for a thread in each situation the fake uses, computed by the
 * domain's rules in Rust (`export_bindings_send_rules`, crates/client/src/view.rs) and
 * looked up here: the fake decides nothing itself.
 */
const RULES = sendRules as Record<string, SendRules>;

function rulesFor(key: string, freeUntil: string | null = null): Rules {
  const rules = RULES[key];
  if (!rules) throw new Error(`no generated send rules for ${key}`);
  // As the core: free messaging has an end only while free-form text may be sent.
  const free_until = rules.composer.state === "allowed" ? freeUntil : null;
  return { ...structuredClone(rules), free_until };
}

/** What the core allows in an SMS thread (F22): text unless the guest texted STOP. */
export function fakeSmsRules(consent: Consent): Rules {
  return rulesFor(consent.state === "revoked" ? "sms/revoked" : "sms/none");
}

/** Nothing is sent in a closed thread (History's Reply continues it). */
export function closedRules(): Rules {
  return rulesFor("closed");
}

/** Nothing is sent in a voicemail thread. */
export function voicemailRules(): Rules {
  return rulesFor("voicemail");
}

/** What a message says about itself beyond its body, for one that is none of those: no quote,
 * not forwarded, no ad, no reactions, nothing to do about a failure. */
export function plain(): Pick<Message, "reply_to" | "forwarded" | "ad" | "reactions" | "remedy"> {
  return { reply_to: null, forwarded: null, ad: null, reactions: [], remedy: null };
}

/** What the core allows in a WhatsApp thread with `consent`, its window open (until
 * `closesAt`, when known) or closed. */
export function fakeRules(
  consent: Consent,
  windowOpen: boolean,
  closesAt: string | null = null,
): Rules {
  const state =
    consent.state === "revoked" && consent.guest_returned_at ? "revoked_returned" : consent.state;
  return rulesFor(
    `whatsapp/${state}/${windowOpen ? "open" : "closed"}`,
    windowOpen ? closesAt : null,
  );
}

/** 24 hours after `iso`: when a window opened then closes. */
export function dayAfter(iso: string): string {
  return new Date(Date.parse(iso) + 86_400_000).toISOString();
}

/** The documents WhatsApp takes, by file name extension, as the domain lists them
 * (`policy::WHATSAPP_DOCUMENT_TYPES`): what the fake's `sendDocument` accepts. */
export const DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  pdf: "application/pdf",
  txt: "text/plain",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** Meta's limit for a document (`policy::MAX_WHATSAPP_DOCUMENT_BYTES`). */
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

/** The document's type by its name's extension (any case), or null: not one WhatsApp takes. */
export function documentMime(filename: string): string | null {
  const dot = filename.lastIndexOf(".");
  if (dot < 0) return null;
  return DOCUMENT_TYPES[filename.slice(dot + 1).toLowerCase()] ?? null;
}
