/**
 * The fake's thread commands: the thread list in the core's order and pages, opening a
 * WhatsApp or SMS thread with a contact, marking a thread read, and its participants (add,
 * remove, restart, leave, transfer).
 */
import type { Consent } from "../bindings/Consent";
import type { ThreadSummary } from "../bindings/ThreadSummary";
import { fakeRules, fakeSmsRules, plain } from "../fake-rules";
import type { Ipc, ThreadCursor } from "../ipc";
import { rowOf } from "../../thread/row";
import { nextId, type FakeWorld } from "./world";

/** Two rows (or a row and a cursor) in the core's key: activity time (none sorts oldest),
 * then id. */
function compareRows(a: ThreadCursor, b: ThreadCursor): number {
  const time = (r: ThreadCursor) => (r.last_message_at ? Date.parse(r.last_message_at) : 0);
  return time(a) - time(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function threadCommands(
  world: FakeWorld,
): Pick<
  Ipc,
  | "listThreads"
  | "getThread"
  | "openWhatsappThread"
  | "openSmsThread"
  | "markRead"
  | "replyFromThread"
  | "listColleagues"
  | "changeParticipants"
> {
  const { fake } = world;
  return {
    async listThreads(after = null, limit = null) {
      world.record("listThreads", after, limit);
      // Rows only, as the core sends them: the UI must not read a summary's rules from a row.
      // The core's order: most recent activity first, then by id (descending).
      const rows = [...fake.threads].map(rowOf).sort((a, b) => -compareRows(a, b));
      const rest = after === null ? rows : rows.filter((r) => compareRows(r, after) < 0);
      return limit === null ? rest : rest.slice(0, limit);
    },
    async getThread(threadId) {
      world.record("getThread", threadId);
      const thread = fake.threads.find((t) => t.id === threadId);
      return thread ? structuredClone(thread) : null;
    },
    async openWhatsappThread(contactId, phone, askConsent) {
      world.record("openWhatsappThread", contactId, phone, askConsent);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      const open = fake.threads.find(
        (t) => t.channel === "whatsapp" && t.guest_phone === phone && t.status === "open",
      );
      if (open) return structuredClone(open);
      // Consent belongs to the guest: a new thread starts where their last one stands.
      const consent: Consent = structuredClone(
        fake.threads.find((t) => t.channel === "whatsapp" && t.guest_phone === phone)?.consent ?? {
          state: "none",
        },
      );
      const rules = fakeRules(consent, false);
      // As the connector: a guest who must first be asked has no thread without the request.
      if (rules.opt_in.state === "allowed" && !askConsent) {
        throw {
          code: "consent_missing",
          message:
            "This contact has not been asked for consent yet. Send the opt-in request first.",
        };
      }
      const thread: ThreadSummary = {
        id: nextId("t"),
        channel: "whatsapp",
        contact_id: contactId,
        contact_name: contact.name,
        guest_phone: phone,
        status: "open",
        last_message_preview: null,
        last_message_at: world.iso(),
        unread_count: 0,
        ...rules,
        consent,
        participants: [structuredClone(fake.session.user)],
        participant_names: [fake.session.user.name],
        opened_at: world.iso(),
      };
      fake.threads.push(thread);
      return structuredClone(thread);
    },
    async openSmsThread(contactId, phone) {
      world.record("openSmsThread", contactId, phone);
      const contact = fake.contacts.find((c) => c.id === contactId);
      if (!contact) throw { code: "not_found", message: "This contact no longer exists." };
      if (!fake.session.organization.sms_enabled) {
        throw { code: "sms_unavailable", message: "Texting is not set up for your line." };
      }
      const open = fake.threads.find(
        (t) => t.channel === "sms" && t.guest_phone === phone && t.status === "open",
      );
      if (open) return structuredClone(open);
      const consent: Consent = { state: "none" };
      const thread: ThreadSummary = {
        id: nextId("t"),
        channel: "sms",
        contact_id: contactId,
        contact_name: contact.name,
        guest_phone: phone,
        status: "open",
        last_message_preview: null,
        last_message_at: world.iso(),
        unread_count: 0,
        ...fakeSmsRules(consent),
        consent,
        participants: [structuredClone(fake.session.user)],
        participant_names: [fake.session.user.name],
        opened_at: world.iso(),
      };
      fake.threads.push(thread);
      return structuredClone(thread);
    },
    async replyFromThread(threadId) {
      world.record("replyFromThread", threadId);
      const thread = world.find(threadId);
      if (thread.status === "open") return structuredClone(thread);
      const open = fake.threads.find(
        (t) =>
          t.channel === thread.channel &&
          t.guest_phone !== null &&
          t.guest_phone === thread.guest_phone &&
          t.status === "open",
      );
      if (open) return structuredClone(open);
      // None open: this one opens again, under the rules of its channel.
      thread.status = "open";
      Object.assign(
        thread,
        thread.channel === "sms"
          ? fakeSmsRules(thread.consent)
          : fakeRules(thread.consent, world.openWindows.has(thread.id)),
      );
      fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
      return structuredClone(thread);
    },
    async markRead(threadId) {
      world.record("markRead", threadId);
      const thread = world.find(threadId);
      if (thread.unread_count > 0) {
        thread.unread_count = 0;
        fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
      }
    },
    async listColleagues() {
      world.record("listColleagues");
      return [{ id: "u-sam", name: "Sam Rivera", email: "sam@northwind.example" }];
    },
    async changeParticipants(threadId, change) {
      world.record("changeParticipants", threadId, change);
      const thread = world.find(threadId);
      const me = fake.session.user.name;
      const line = (text: string) =>
        fake.emit({
          kind: "message_upserted",
          message: {
            id: `sys-${fake.calls.length}`,
            client_id: null,
            thread_id: threadId,
            direction: "system",
            author_name: null,
            body: { type: "system", event: { kind: "left", user: fake.session.user.id }, text },
            state: "delivered",
            failure: null,
            created_at: world.iso(),
            ...plain(),
          },
        });
      const sam = { id: "u-sam", name: "Sam Rivera", email: "sam@northwind.example" };
      switch (change.op) {
        case "add":
          line(`${me} added Sam Rivera`);
          thread.participants = [...thread.participants, sam];
          fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
          return structuredClone(thread);
        case "remove": {
          const gone = thread.participants.find((p) => p.id === change.user_id);
          line(`${me} removed ${gone?.name ?? "a colleague"}`);
          thread.participants = thread.participants.filter((p) => p.id !== change.user_id);
          fake.emit({ kind: "thread_upserted", thread: structuredClone(thread) });
          return structuredClone(thread);
        }
        case "restart":
          line(`${me} restarted the conversation`);
          return structuredClone(thread);
        case "leave":
        case "transfer":
          fake.threads = fake.threads.filter((t) => t.id !== threadId);
          fake.emit({ kind: "thread_removed", thread_id: threadId });
          return null;
      }
    },
  };
}
