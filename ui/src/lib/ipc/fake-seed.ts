/**
 * The fake's demo data: contacts, threads in every situation the UI shows (WhatsApp with and
 * without consent, window open and closed, SMS, voicemail, a group, every kind a guest can
 * send), and their messages, dated from `nowMs`; the approved templates and their preview.
 */
import type { Contact } from "./bindings/Contact";
import type { Message } from "./bindings/Message";
import type { Consent } from "./bindings/Consent";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import { closedRules, fakeRules, fakeSmsRules, plain, voicemailRules } from "./fake-rules";
import type { FilledValue } from "./bindings/FilledValue";
import type { Part } from "./bindings/Part";
import type { Template } from "./bindings/Template";
import type { TemplatePreview } from "./bindings/TemplatePreview";
import type { SlotKind } from "./bindings/SlotKind";
import { headerText, segments, slots } from "../template/variables";

export function demoSeed(nowMs: number): {
  contacts: Contact[];
  threads: ThreadSummary[];
  messages: Message[];
} {
  const at = (minutesAgo: number) => new Date(nowMs - minutesAgo * 60_000).toISOString();
  const contacts: Contact[] = [
    {
      id: "c-1",
      name: "Maria Gonzalez",
      company: "Gonzalez Bakery",
      notes: "Prefers WhatsApp. Business account review due in June.",
      phones: [
        { number: "+15551234567", label: "mobile" },
        { number: "+15557654321", label: "work" },
      ],
    },
    {
      id: "c-2",
      name: "James Okafor",
      company: "Okafor Logistics",
      notes: null,
      phones: [{ number: "+447700900123", label: "mobile" }],
    },
    {
      id: "c-3",
      name: "Priya Sharma",
      company: null,
      notes: "Mortgage application #4471.",
      phones: [{ number: "+919812345678", label: "mobile" }],
    },
    {
      id: "c-4",
      name: "Lukas Schneider",
      company: "Schneider Autohaus",
      notes: null,
      phones: [{ number: "+4915112345678", label: "mobile" }],
    },
    {
      id: "c-5",
      name: "Aiko Tanaka",
      company: "Tanaka Design Studio",
      notes: null,
      phones: [{ number: "+819012345678", label: "mobile" }],
    },
    {
      id: "c-6",
      name: "Daniel Fischer",
      company: "Fischer & Partner",
      notes: "Call before 10 am.",
      phones: [{ number: "+15559876543", label: "work" }],
    },
    {
      id: "c-7",
      name: "Sofia Rossi",
      company: null,
      notes: null,
      phones: [{ number: "+393331234567", label: "mobile" }],
    },
  ];
  const whatsapp = (consent: Consent, windowOpen: boolean, closesAt: string | null = null) => ({
    ...fakeRules(consent, windowOpen, closesAt),
    consent,
  });
  const sms = (consent: Consent) => ({ ...fakeSmsRules(consent), consent });
  const voicemail = {
    ...voicemailRules(),
    consent: { state: "none" } as Consent,
  };
  const seeded: Array<Omit<ThreadSummary, "participants" | "participant_names" | "opened_at">> = [
    {
      id: "t-1",
      channel: "whatsapp",
      contact_id: "c-1",
      contact_name: "Maria Gonzalez",
      guest_phone: "+15551234567",
      status: "open",
      last_message_preview: "Perfect, I'll bring the signed forms on Thursday.",
      last_message_at: at(4),
      unread_count: 2,
      ...whatsapp({ state: "granted", at: at(60 * 24 + 30), reply: "YES" }, true, at(4 - 24 * 60)),
    },
    {
      id: "t-2",
      channel: "sms",
      contact_id: "c-6",
      contact_name: "Daniel Fischer",
      guest_phone: "+15559876543",
      status: "open",
      last_message_preview: "Can you call me back about the wire transfer?",
      last_message_at: at(95),
      unread_count: 0,
      ...sms({ state: "none" }),
    },
    {
      id: "t-3",
      channel: "whatsapp",
      contact_id: "c-2",
      contact_name: "James Okafor",
      guest_phone: "+447700900123",
      status: "open",
      last_message_preview: "Hello James, this is Northwind Bank. May we message you on WhatsApp?",
      last_message_at: at(60 * 5),
      unread_count: 0,
      ...whatsapp({ state: "requested", at: at(60 * 5) }, false),
    },
    {
      id: "t-4",
      channel: "voicemail",
      contact_id: "c-4",
      contact_name: "Lukas Schneider",
      guest_phone: "+4915112345678",
      status: "open",
      last_message_preview: "Voicemail (0:42)",
      last_message_at: at(60 * 26),
      unread_count: 1,
      ...voicemail,
    },
    {
      id: "t-5",
      channel: "whatsapp",
      contact_id: "c-3",
      contact_name: "Priya Sharma",
      guest_phone: "+919812345678",
      status: "open",
      last_message_preview: "Could we move the signing to Monday?",
      last_message_at: at(60 * 24 * 2),
      unread_count: 0,
      ...whatsapp({ state: "granted", at: at(60 * 24 * 5), reply: "Yes" }, false),
    },
    {
      id: "t-6",
      channel: "whatsapp",
      contact_id: "c-5",
      contact_name: "Aiko Tanaka",
      guest_phone: "+819012345678",
      status: "open",
      last_message_preview: "STOP",
      last_message_at: at(60 * 24 * 8),
      unread_count: 0,
      ...whatsapp({ state: "revoked", at: at(60 * 24 * 8), guest_returned_at: null }, false),
    },
    {
      // F13: an earlier conversation with Maria, closed when it was handed over.
      id: "t-7",
      channel: "whatsapp",
      contact_id: "c-1",
      contact_name: "Maria Gonzalez",
      guest_phone: "+15551234567",
      status: "closed",
      last_message_preview: "Thanks, the account is open now.",
      last_message_at: at(60 * 24 * 12),
      unread_count: 0,
      ...closedRules(),
      consent: { state: "granted", at: at(60 * 24 * 14), reply: "YES" },
    },
    {
      // F23: a guest known by a WhatsApp username only (no number, not a contact yet), who
      // sends every kind WhatsApp has.
      id: "t-8",
      channel: "whatsapp",
      contact_id: null,
      contact_name: "Rafael Costa",
      guest_phone: null,
      status: "open",
      last_message_preview: "Did you get everything?",
      last_message_at: at(30),
      unread_count: 1,
      ...whatsapp({ state: "granted", at: at(60 * 3), reply: "Yes" }, true, at(30 - 24 * 60)),
    },
  ];
  const alex = { id: "u-1", name: "Alex Morgan", email: "alex.morgan@northwind.example" };
  const threads: ThreadSummary[] = seeded.map((t) => ({
    ...t,
    participants: [alex],
    participant_names: [alex.name],
    opened_at: t.last_message_at,
  }));
  const msg = (
    id: string,
    thread_id: string,
    direction: Message["direction"],
    text: string,
    minutesAgo: number,
    extra: Partial<Message> = {},
  ): Message => ({
    id,
    client_id: null,
    thread_id,
    direction,
    author_name: direction === "outbound" ? "Alex Morgan" : null,
    body: { type: "text", text },
    state: direction === "outbound" ? "read" : "delivered",
    failure: null,
    created_at: at(minutesAgo),
    ...plain(),
    ...extra,
  });
  const optIn = (name: string): Message["body"] => ({
    type: "template",
    name: "optin_request",
    language: "en_US",
    text: `Hi ${name}, this is Northwind Bank. May we send you messages about your requests here on WhatsApp? Reply YES to agree or STOP to opt out.`,
    components: [],
    header: null,
    buttons: [],
  });
  const messages: Message[] = [
    msg("m-1", "t-1", "outbound", "", 60 * 24 + 40, { state: "read", body: optIn("Maria") }),
    msg("m-2", "t-1", "inbound", "YES", 60 * 24 + 30),
    msg(
      "m-3",
      "t-1",
      "outbound",
      "Thank you! Your business account review is scheduled. Could you send the last two statements?",
      60 * 24 + 25,
    ),
    msg("m-4", "t-1", "inbound", "Sure, I will scan them tonight.", 60 * 24 + 2),
    msg(
      "m-5",
      "t-1",
      "outbound",
      "Good morning Maria, we received the statements. Only the signed forms are missing now.",
      22,
      { author_name: "Jordan Lee" },
    ),
    msg("m-6", "t-1", "outbound", "We are open until 6 pm on Thursday.", 12, {
      state: "delivered",
    }),
    msg("m-6b", "t-1", "outbound", "Shall I book a slot at 3 pm?", 11, {
      state: "failed",
      failure: "The guest's phone could not be reached. Try again later.",
      remedy: "retry",
    }),
    msg("m-7", "t-1", "inbound", "Is Thursday afternoon fine?", 5),
    msg("m-8", "t-1", "inbound", "Perfect, I'll bring the signed forms on Thursday.", 4),
    msg("m-9", "t-2", "inbound", "Can you call me back about the wire transfer?", 95),
    msg("m-10", "t-3", "outbound", "", 60 * 5, {
      state: "delivered",
      body: optIn("James"),
    }),
    msg("m-11", "t-4", "inbound", "Voicemail (0:42)", 60 * 26, {
      body: {
        type: "voicemail",
        media_id: "vm-1",
        duration_secs: 42,
        transcript:
          "Hi, this is Lukas Schneider. I'd like to move our meeting to next week. Please call me back.",
        heard_at: null,
      },
    }),
    msg("m-12", "t-5", "outbound", "Your mortgage documents are ready to sign.", 60 * 24 * 3 + 10),
    msg("m-13", "t-5", "inbound", "Thank you for the update!", 60 * 24 * 3),
    msg("m-13b", "t-5", "outbound", "", 60 * 24 * 3 - 60 * 4, {
      body: {
        type: "template",
        name: "summer_sale",
        language: "en_US",
        text: "Hi Priya, our summer sale is on.\nReply STOP to opt out",
        components: [],
        header: { kind: "image", media_id: null, link: SUMMER_SALE_PICTURE },
        buttons: ["Shop the sale", "Copy offer code"],
      },
    }),
    msg("m-13c", "t-5", "outbound", "Could we move the signing to Monday?", 60 * 24 * 2, {
      state: "failed",
      failure:
        "More than 24 hours have passed since Priya last wrote. Send a template to restart the conversation.",
      remedy: "template",
    }),
    msg("m-14", "t-6", "outbound", "Your new card has been posted.", 60 * 24 * 8 + 30),
    msg("m-15", "t-6", "inbound", "STOP", 60 * 24 * 8),
    ...everyKind(at, msg),
  ];
  // A guest's reply to our message, and their reaction to another.
  const m6 = messages.find((m) => m.id === "m-6");
  if (m6) m6.reactions = [{ emoji: "👍", by: "Maria Gonzalez", at: at(10) }];
  const m8 = messages.find((m) => m.id === "m-8");
  if (m8)
    m8.reply_to = {
      message_id: "m-6",
      direction: "outbound",
      preview: "We are open until 6 pm on Thursday.",
    };
  return { contacts, threads, messages };
}

/**
 * F23: one of every kind a guest can send by WhatsApp, in Rafael's thread (t-8), as the
 * connector delivers them: notices as system lines, replies quoting what they answer.
 */
function everyKind(
  at: (minutesAgo: number) => string,
  msg: (
    id: string,
    thread: string,
    direction: Message["direction"],
    text: string,
    minutesAgo: number,
    extra?: Partial<Message>,
  ) => Message,
): Message[] {
  const t = "t-8";
  const from = (id: string, minutesAgo: number, body: Message["body"], extra = {}) =>
    msg(id, t, "inbound", "", minutesAgo, { body, ...extra });
  return [
    msg("k-1", t, "system", "", 180, {
      body: {
        type: "notice",
        notice: { kind: "opened_chat" },
        text: "Rafael Costa opened a chat with you",
      },
    }),
    msg("k-2", t, "inbound", "Hi! I saw your ad. Can I get a loan for my café?", 179, {
      ad: {
        headline: "Business loans from 4.9%",
        body: "Grow your small business with Northwind.",
        source_url: "https://northwind.example/loans",
      },
    }),
    msg(
      "k-3",
      t,
      "outbound",
      "Hello Rafael, happy to help. Would you like a call or to visit a branch?",
      170,
      { reactions: [{ emoji: "🙏", by: "Rafael Costa", at: at(168) }] },
    ),
    from(
      "k-4",
      165,
      { type: "choice", text: "Visit a branch", description: "Mon–Fri, 9 am to 5 pm", id: "visit" },
      {
        reply_to: {
          message_id: "k-3",
          direction: "outbound",
          preview: "Hello Rafael, happy to help. Would you like a call or to visit a branch?",
        },
      },
    ),
    from("k-5", 160, {
      type: "location",
      latitude: 38.7223,
      longitude: -9.1393,
      name: "Café Costa",
      address: "Rua Augusta 120, 1100-053 Lisboa",
      url: null,
    }),
    from("k-6", 150, {
      type: "audio",
      media_id: "au-1",
      mime_type: "audio/ogg",
      size: 18_400,
      voice: true,
      duration_secs: 7,
    }),
    from("k-7", 148, {
      type: "audio",
      media_id: "au-2",
      mime_type: "audio/mpeg",
      size: 2_310_000,
      voice: false,
      duration_secs: null,
    }),
    from("k-8", 140, {
      type: "document",
      media_id: "doc-1",
      mime_type: "application/pdf",
      size: 1342,
      filename: "Business plan.pdf",
      caption: "Our plan for next year",
    }),
    from("k-9", 139, {
      type: "document",
      media_id: "doc-2",
      mime_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      size: 48_200,
      filename: "Cash flow 2024.xlsx",
      caption: null,
    }),
    from("k-10", 130, {
      type: "video",
      media_id: "vd-1",
      mime_type: "video/mp4",
      size: 3_400_000,
      caption: "The café from outside",
    }),
    from("k-11", 120, {
      type: "contacts",
      cards: [
        {
          name: "Ana Silva",
          organization: "Silva Contabilidade",
          phones: [
            { number: "+351 912 345 678", wa_id: "351912345678", label: "CELL" },
            { number: "+351 213 456 789", wa_id: null, label: "WORK" },
          ],
          emails: ["ana@silva-contabilidade.example"],
        },
      ],
    }),
    from("k-12", 110, {
      type: "form",
      text: "Sent",
      fields: [
        { name: "Loan amount", value: "€25,000" },
        { name: "Term", value: "5 years" },
        { name: "Best time to call", value: "Mornings" },
      ],
    }),
    from("k-13", 100, {
      type: "sticker",
      media_id: "st-1",
      mime_type: "image/webp",
      animated: false,
    }),
    msg("k-14", t, "inbound", "Banks will never ask for your PIN by message. Stay safe!", 90, {
      forwarded: "many",
    }),
    from("k-15", 80, {
      type: "unsupported",
      kind: "order",
      description: "A message of a kind this app can't show yet (order)",
    }),
    msg("k-16", t, "system", "", 70, {
      body: {
        type: "notice",
        notice: { kind: "number_changed", new_phone: "+351912000111", applied: false },
        text: "Rafael Costa changed their number to +351 912 000 111",
      },
    }),
    msg("k-17", t, "outbound", "", 60, {
      state: "played",
      body: {
        type: "audio",
        media_id: "au-3",
        mime_type: "audio/ogg",
        size: 9_800,
        voice: true,
        duration_secs: 4,
      },
    }),
    msg("k-18", t, "inbound", "Sorry, which one did you mean?", 45, {
      reply_to: { message_id: null, direction: null, preview: "" },
    }),
    msg("k-19", t, "inbound", "Did you get everything?", 30, {
      reply_to: {
        message_id: "k-8",
        direction: "inbound",
        preview: "Document: Business plan.pdf",
      },
    }),
  ];
}

/** The summer sale template's approved sample picture (a link: the app does not load it). */
export const SUMMER_SALE_PICTURE = "https://northwind.example/templates/summer_sale.jpg";

/** The invoice template's approved sample document (a link). */
export const INVOICE_DOCUMENT = "https://northwind.example/templates/invoice.pdf";

/** The demo's templates as the core lists them: approved ones (as the connector's demo seeds
 * them, plus a named one, a marketing one with a picture and buttons, and one with a
 * document) and a paused one. */
export function demoTemplates(): Template[] {
  const base: Omit<Template, "name" | "body"> = {
    language: "en_US",
    status: "APPROVED",
    category: "UTILITY",
    parameter_format: "POSITIONAL",
    header: null,
    footer: null,
    buttons: [],
  };
  return [
    {
      ...base,
      name: "appointment_reminder",
      header: { format: "TEXT", text: "Reminder" },
      body: "Hi {{1}}, this is a reminder of your appointment on {{2}}. Reply here if you need to change it.",
      footer: "Reply STOP to opt out",
    },
    {
      ...base,
      name: "conversation_restart",
      body: "Hello {{1}}, following up on our conversation. Reply to this message to continue.",
    },
    {
      ...base,
      name: "statement_ready",
      parameter_format: "NAMED",
      body: "Hi {{first_name}}, your {{month}} statement is ready. Reply here with any questions.",
    },
    {
      ...base,
      name: "summer_sale",
      category: "MARKETING",
      header: { format: "IMAGE", sample: SUMMER_SALE_PICTURE },
      body: "Hi {{1}}, our summer sale is on.",
      footer: "Reply STOP to opt out",
      buttons: [
        {
          type: "URL",
          text: "Shop the sale",
          url: "https://northwind.example/sale/{{1}}",
          example: "https://northwind.example/sale/SUMMER24",
        },
        { type: "COPY_CODE", example: "SUMMER24" },
      ],
    },
    {
      ...base,
      name: "invoice_ready",
      header: { format: "DOCUMENT", sample: INVOICE_DOCUMENT },
      body: "Hi {{1}}, your invoice is ready.",
    },
    {
      ...base,
      name: "winter_teaser",
      status: "PAUSED",
      category: "MARKETING",
      body: "Hi {{1}}, something warm is coming this winter. Stay tuned!",
    },
  ];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEDIA_WHAT: Record<string, string> = {
  IMAGE: "the header's picture",
  VIDEO: "the header's video",
  GIF: "the header's GIF",
  DOCUMENT: "the header's document",
};
const NEEDED: Partial<Record<SlotKind, string>> = {
  latitude: "the place's latitude",
  longitude: "the place's longitude",
  url_suffix: "the link's ending",
  coupon_code: "the coupon code",
};

/** The template's text with `values` filled in, and the core's problem per empty or wrong
 * value (its sentences, `ValueError`'s), so the demo and the tests meet the same answers. */
export function fakePreview(template: Template, values: FilledValue[]): TemplatePreview {
  const value = (part: Part, key: string) =>
    values.find((v) => v.part === part && v.key === key)?.value;
  const fill = (part: Part, text: string) =>
    segments(text)
      .map((s) => (s.kind === "text" ? s.text : value(part, s.key) || `{{${s.key}}}`))
      .join("");
  const lines: string[] = [];
  const header = headerText(template.header);
  if (header !== null) lines.push(fill("header", header));
  lines.push(fill("body", template.body));
  if (template.footer !== null) lines.push(template.footer);
  const problems: TemplatePreview["problems"] = [];
  for (const slot of slots(template)) {
    const given = (value(slot.part, slot.key) ?? "").trim();
    const problem = (message: string) => problems.push({ part: slot.part, key: slot.key, message });
    if (given === "") {
      if (slot.optional) continue;
      if (slot.kind === "text") problem(`Fill in {{${slot.key}}}.`);
      else if (slot.kind === "media")
        problem(`Fill in ${MEDIA_WHAT[template.header?.format ?? ""] ?? "the header's file"}.`);
      else problem(`Fill in ${NEEDED[slot.kind] ?? "this value"}.`);
      continue;
    }
    if (slot.kind === "media" && !UUID.test(given) && !/^https:\/\/\S+$/.test(given))
      problem("The header's file must be one you attached or an https:// link.");
    if (slot.kind === "latitude" || slot.kind === "longitude") {
      const max = slot.kind === "latitude" ? 90 : 180;
      const n = Number(given);
      if (!Number.isFinite(n) || Math.abs(n) > max)
        problem(`The ${slot.key} must be a number between -${max} and ${max}.`);
    }
    if (slot.kind === "url_suffix" && /\s/.test(given))
      problem("The link's ending cannot contain spaces.");
  }
  const text = lines.join("\n");
  if (text.length > 1024)
    problems.push({
      part: "body",
      key: null,
      message: `The message would be ${text.length} characters long; the limit is 1024.`,
    });
  return { text, problems, ready: problems.length === 0 };
}
