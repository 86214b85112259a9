/**
 * The fake's message commands: a thread's messages in pages, sending a text, retrying a
 * failed message or sending it by SMS, asking a guest's consent (the opt-in template), and
 * acting on a message (a voicemail heard, a guest's new number used).
 */
import type { Consent } from "../bindings/Consent";
import type { Message } from "../bindings/Message";
import { dayAfter, fakeRules, fakeSmsRules } from "../fake-rules";
import type { Ipc } from "../ipc";
import { nextId, type FakeWorld } from "./world";

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? name;
}

export function messageCommands(
  world: FakeWorld,
): Pick<
  Ipc,
  | "listMessages"
  | "sendText"
  | "retryMessage"
  | "sendBySms"
  | "sendOptIn"
  | "addNote"
  | "useNewNumber"
  | "markHeard"
> {
  const { fake, options } = world;
  return {
    async listMessages(threadId, before = null, limit = null) {
      world.record("listMessages", threadId, before, limit);
      // By time, then in the order stored (a stable sort), before the cursor's message.
      let all = fake.messages
        .filter((m) => m.thread_id === threadId)
        .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
      if (before !== null) {
        const at = all.findIndex((m) => m.id === before.id);
        all =
          at >= 0
            ? all.slice(0, at)
            : all.filter((m) => Date.parse(m.created_at) < Date.parse(before.created_at));
      }
      const page = limit === null ? all : all.slice(Math.max(0, all.length - limit));
      return page.map((m) => structuredClone(m));
    },
    async addNote(threadId, text) {
      world.record("addNote", threadId, text);
      const thread = world.find(threadId);
      if (text.trim() === "") throw { code: "empty_message", message: "Write something first." };
      const note: Message = {
        ...world.outbound(thread.id, { type: "text", text }),
        direction: "note",
        state: "delivered",
      };
      const index = fake.messages.findIndex((m) => m.id === note.id);
      if (index >= 0) fake.messages[index] = note;
      fake.emit({ kind: "message_upserted", message: structuredClone(note) });
      return structuredClone(note);
    },
    async sendText(threadId, text) {
      world.record("sendText", threadId, text);
      const thread = world.find(threadId);
      world.refuseUnless(thread.composer);
      const message = world.outbound(threadId, { type: "text", text });
      world.touch(thread, text, message.created_at);
      if (options.autoProgress) world.progress(message);
      return structuredClone(message);
    },
    async retryMessage(messageId) {
      world.record("retryMessage", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const failed = fake.messages[index];
      if (!failed) throw { code: "not_found", message: "This message no longer exists." };
      if (
        (failed.state !== "failed" && failed.state !== "unconfirmed") ||
        failed.remedy !== "retry"
      )
        throw { code: "not_retryable", message: "This message cannot be sent again." };
      // The same message, never a copy: back in the outbox.
      const message: Message = { ...failed, state: "sending", failure: null, remedy: null };
      fake.messages[index] = message;
      fake.emit({ kind: "message_upserted", message: structuredClone(message) });
      if (options.autoProgress) world.progress(message);
      return structuredClone(message);
    },
    async sendBySms(threadId, messageId) {
      world.record("sendBySms", threadId, messageId);
      const thread = world.find(threadId);
      const failed = fake.messages.find((m) => m.id === messageId && m.thread_id === threadId);
      if (!failed) throw { code: "not_found", message: "This message no longer exists." };
      if (failed.body.type !== "text" || failed.remedy !== "sms")
        throw { code: "invalid_request", message: "Only a failed text can be sent by SMS." };
      if (!fake.session.organization.sms_enabled)
        throw { code: "sms_unavailable", message: "Texting is not set up for your line." };
      if (thread.guest_phone === null)
        throw { code: "unknown_number", message: "This guest has no phone number to text." };
      const phone = thread.guest_phone;
      let sms = fake.threads.find(
        (t) => t.channel === "sms" && t.guest_phone === phone && t.status === "open",
      );
      if (!sms) {
        const consent: Consent = { state: "none" };
        sms = {
          id: nextId("t"),
          channel: "sms",
          contact_id: thread.contact_id,
          contact_name: thread.contact_name,
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
        fake.threads.push(sms);
      }
      world.refuseUnless(sms.composer);
      const message = world.outbound(sms.id, { type: "text", text: failed.body.text });
      world.touch(sms, failed.body.text, message.created_at);
      if (options.autoProgress) world.progress(message);
      return structuredClone(sms);
    },
    async sendOptIn(threadId) {
      world.record("sendOptIn", threadId);
      const thread = world.find(threadId);
      world.refuseUnless(thread.opt_in);
      const contact = fake.contacts.find((c) => c.id === thread.contact_id);
      const text = `Hi ${firstName(contact?.name ?? thread.contact_name)}, this is ${fake.session.organization.name}. May we send you messages about your requests here on WhatsApp? Reply YES to agree or STOP to opt out.`;
      const message = world.outbound(threadId, {
        type: "template",
        name: "optin_request",
        language: "en_US",
        text,
        components: [],
        header: null,
        buttons: [],
      });
      thread.consent = { state: "requested", at: message.created_at };
      Object.assign(thread, fakeRules(thread.consent, false));
      world.touch(thread, text, message.created_at);
      if (options.autoProgress) {
        world.progress(message);
        world.later(5000, () => {
          thread.consent = { state: "granted", at: world.iso(), reply: "YES" };
          world.openWindows.add(threadId);
          Object.assign(thread, fakeRules(thread.consent, true, dayAfter(world.iso())));
          world.receive(threadId, "YES");
        });
      }
      return structuredClone(message);
    },
    async useNewNumber(messageId) {
      world.record("useNewNumber", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const message = fake.messages[index];
      if (!message) throw { code: "not_found", message: "Not found." };
      if (message.body.type !== "notice" || message.body.notice.kind !== "number_changed") {
        throw { code: "invalid_request", message: "This message has no new number to use." };
      }
      const applied: Message = {
        ...message,
        body: { ...message.body, notice: { ...message.body.notice, applied: true } },
      };
      fake.messages[index] = applied;
      fake.emit({ kind: "message_upserted", message: structuredClone(applied) });
      return structuredClone(applied);
    },
    async markHeard(messageId) {
      world.record("markHeard", messageId);
      const index = fake.messages.findIndex((m) => m.id === messageId);
      const message = fake.messages[index];
      if (!message) throw { code: "not_found", message: "Not found." };
      if (message.body.type !== "voicemail") {
        throw { code: "not_a_voicemail", message: "Only a voicemail can be marked as heard." };
      }
      if (message.body.heard_at === null) {
        const heard: Message = { ...message, body: { ...message.body, heard_at: world.iso() } };
        fake.messages[index] = heard;
        fake.emit({ kind: "message_upserted", message: structuredClone(heard) });
      }
      return structuredClone(fake.messages[index] as Message);
    },
  };
}
