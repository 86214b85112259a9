/**
 * The fake's consent commands: each number's WhatsApp standing and a guest's consent record,
 * read from its threads and messages as the core reads its cache; saving an export (which
 * the fake only records).
 */
import type { Consent } from "../bindings/Consent";
import type { Message } from "../bindings/Message";
import type { RecordedMessage } from "../bindings/RecordedMessage";
import type { ThreadSummary } from "../bindings/ThreadSummary";
import { fakeRules } from "../fake-rules";
import type { Ipc } from "../ipc";
import type { FakeWorld } from "./world";

function recorded(m: Message, text: string): RecordedMessage {
  return {
    id: m.id,
    thread_id: m.thread_id,
    direction: m.direction,
    text,
    at: m.created_at,
    state: m.state,
  };
}

function textOf(m: Message): string {
  return "text" in m.body ? m.body.text : "";
}

/** The guest's message at the moment consent was decided (within two seconds). */
function decidingReply(consent: Consent, messages: Message[]): RecordedMessage | null {
  if (consent.state !== "granted" && consent.state !== "revoked") return null;
  const at = Date.parse(consent.at);
  const near = messages.filter(
    (m) => m.direction === "inbound" && Math.abs(Date.parse(m.created_at) - at) <= 2000,
  );
  const said = consent.state === "granted" ? consent.reply.trim().toLowerCase() : null;
  const best = near.find((m) => textOf(m).trim().toLowerCase() === said) ?? near.at(-1);
  return best ? recorded(best, textOf(best)) : null;
}

export function consentCommands(
  world: FakeWorld,
): Pick<Ipc, "whatsappStanding" | "consentRecord" | "saveText"> {
  const { fake } = world;
  const whatsappOf = (phone: string | null) =>
    fake.threads.filter((t) => t.channel === "whatsapp" && t.guest_phone === phone);
  return {
    async whatsappStanding(contactId) {
      world.record("whatsappStanding", contactId);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "contact not found" };
      return contact.phones.map((phone) => {
        const threads = whatsappOf(phone.number);
        const thread: ThreadSummary | undefined =
          threads.find((t) => t.status === "open") ?? threads.at(-1);
        const consent: Consent = thread ? structuredClone(thread.consent) : { state: "none" };
        return {
          number: phone.number,
          consent,
          thread_id: thread?.id ?? null,
          opt_in: thread ? structuredClone(thread.opt_in) : fakeRules(consent, false).opt_in,
        };
      });
    },
    async consentRecord(threadId) {
      world.record("consentRecord", threadId);
      const thread = world.find(threadId);
      const ids = new Set(
        thread.guest_phone === null ? [thread.id] : whatsappOf(thread.guest_phone).map((t) => t.id),
      );
      const messages = fake.messages
        .filter((m) => ids.has(m.thread_id))
        .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
      const template = fake.session.organization.opt_in_template;
      return {
        organization: fake.session.organization.name,
        contact_name: thread.contact_name,
        number: thread.guest_phone,
        consent: structuredClone(thread.consent),
        requests: messages
          .filter(
            (m) =>
              m.direction === "outbound" && m.body.type === "template" && m.body.name === template,
          )
          .map((m) => recorded(m, textOf(m))),
        reply: decidingReply(thread.consent, messages),
        exported_at: world.iso(),
        exported_by: structuredClone(fake.session.user),
      };
    },
    async saveText(filename, content) {
      world.record("saveText", filename, content);
      return true;
    },
  };
}
