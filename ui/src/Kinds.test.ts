/** F23: every kind WhatsApp delivers, in the real App with the fake core. */
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import type { Message } from "./lib/ipc/bindings/Message";
import { createFakeIpc, plain, type FakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, renderApp } from "./test/app";

type User = ReturnType<typeof userEvent.setup>;

function row(threadId: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(
    `[data-testid="${testIds.threadRow}"][data-thread-id="${threadId}"]`,
  );
  if (!found) throw new Error(`no row for ${threadId}`);
  return found;
}

function bubble(messageId: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(
    `[data-testid="${testIds.messageBubble}"][data-message-id="${messageId}"]`,
  );
  if (!found) throw new Error(`no bubble for ${messageId}`);
  return found;
}

async function open(user: User, threadId: string) {
  await user.click(row(threadId));
  await waitFor(() => expect(byTestId(testIds.messageBubble).length).toBeGreaterThan(0));
}

const calls = (fake: FakeIpc, command: string) =>
  fake.calls.filter((c) => c.command === command).map((c) => c.args);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("A guest's thread with every kind", () => {
  it("shows_each_kind_as_its_own_bubble", async () => {
    const { user } = await renderApp();
    await open(user, "t-8");
    const kinds = byTestId(testIds.messageBubble).map((b) => b.dataset.kind);
    for (const kind of [
      "notice",
      "text",
      "choice",
      "location",
      "audio",
      "video",
      "document",
      "contacts",
      "form",
      "sticker",
      "unsupported",
    ])
      expect(kinds).toContain(kind);
    expect(byTestId(testIds.messageAudio).map((a) => a.dataset.voice)).toEqual([
      "true",
      "false",
      "true",
    ]);
    expect(screen.getByTestId(testIds.messageAd)).toHaveTextContent("Business loans from 4.9%");
    expect(screen.getByTestId(testIds.messageForwarded)).toHaveTextContent("Forwarded many times");
    expect(within(bubble("k-3")).getByText("Rafael Costa reacted 🙏")).toBeInTheDocument();
    expect(within(bubble("k-17")).getByRole("img", { name: "Played" })).toBeInTheDocument();
    expect(within(bubble("k-18")).getByText("Original message not found")).toBeInTheDocument();
    expect(bubble("k-1")).toHaveClass("system-line");
  });
});

describe("A notice that the guest changed their number", () => {
  it("offers_the_new_number_and_says_once_it_is_used", async () => {
    const { user, fake } = await renderApp();
    await open(user, "t-8");
    const notice = bubble("k-16");
    expect(notice).toHaveTextContent("Rafael Costa changed their number to +351 912 000 111");
    await user.click(within(notice).getByRole("button", { name: "Use the new number" }));
    expect(calls(fake, "useNewNumber")).toEqual([["k-16"]]);
    await waitFor(() =>
      expect(within(bubble("k-16")).getByTestId(testIds.numberApplied)).toHaveTextContent(
        "Now writing to this number",
      ),
    );
    expect(within(bubble("k-16")).queryByRole("button")).toBeNull();
  });
});

describe("A guest known by a WhatsApp username only", () => {
  it("never_shows_null_for_the_number_and_offers_no_call_or_text", async () => {
    const { user } = await renderApp();
    expect(row("t-8")).toHaveTextContent("Rafael Costa");
    expect(row("t-8")).not.toHaveTextContent("null");
    await open(user, "t-8");
    const header = within(screen.getByTestId(testIds.threadView)).getByRole("heading", {
      name: "Rafael Costa",
    }).parentElement;
    // No number: the channel alone (and how long free messaging lasts).
    expect(header).toHaveTextContent(/^Rafael Costa\s*WhatsApp\s*· 23 h \d+ min left$/);
    expect(screen.queryByRole("button", { name: /^(Text back|Call)/ })).toBeNull();

    await user.click(screen.getByTestId(testIds.navHistory));
    const rafael = byTestId(testIds.historyContact).find((c) =>
      c.textContent?.includes("Rafael Costa"),
    );
    expect(rafael).toBeDefined();
    expect(rafael).not.toHaveTextContent("null");
  });

  it("leaves_a_row_without_preview_or_number_quiet", async () => {
    const fake = createFakeIpc();
    const rafael = fake.threads.find((t) => t.id === "t-8");
    if (!rafael) throw new Error("seed changed: no t-8");
    rafael.last_message_preview = null;
    await renderApp(fake);
    expect(row("t-8")).toHaveTextContent(/^RC\s*Rafael Costa\s*\d+ min\s*Unread: 1$/);
    expect(row("t-8")).not.toHaveTextContent("null");
  });

  it("offers_no_text_back_on_a_voicemail_without_a_number", async () => {
    const fake = createFakeIpc();
    const voicemail = fake.threads.find((t) => t.id === "t-4");
    if (!voicemail) throw new Error("seed changed: no t-4");
    voicemail.guest_phone = null;
    const { user } = await renderApp(fake);
    await user.click(row("t-4"));
    await screen.findByTestId(testIds.voicemail);
    expect(screen.getByTestId(testIds.composerNotice)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Text back" })).toBeNull();
    expect(screen.queryByRole("button", { name: "WhatsApp" })).toBeNull();
  });
});

describe("A shared contact card", () => {
  it("opens_the_contact_editor_filled_in_and_adds_the_contact", async () => {
    const { user, fake } = await renderApp();
    await open(user, "t-8");
    const card = screen.getByRole("region", { name: "Contact card: Ana Silva" });
    await user.click(within(card).getByRole("button", { name: "Add to Contacts" }));

    const editor = screen.getByRole("dialog", { name: "New contact" });
    expect(within(editor).getByLabelText("Name")).toHaveValue("Ana Silva");
    expect(within(editor).getByLabelText(/^Company/)).toHaveValue("Silva Contabilidade");
    expect(within(editor).getByLabelText("Phone number 1")).toHaveValue("+351 912 345 678");
    expect(within(editor).getByLabelText("Label of phone number 1")).toHaveValue("mobile");
    expect(within(editor).getByLabelText("Phone number 2")).toHaveValue("+351 213 456 789");
    expect(within(editor).getByLabelText("Label of phone number 2")).toHaveValue("work");
    expect(within(editor).getByLabelText(/^Notes/)).toHaveValue(
      "E-mail: ana@silva-contabilidade.example",
    );

    await user.click(within(editor).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls(fake, "createContact")).toEqual([
      [
        {
          name: "Ana Silva",
          company: "Silva Contabilidade",
          notes: "E-mail: ana@silva-contabilidade.example",
          phones: [
            { number: "+351 912 345 678", label: "mobile" },
            { number: "+351 213 456 789", label: "work" },
          ],
        },
      ],
    ]);
    expect(fake.contacts.find((c) => c.name === "Ana Silva")?.phones).toEqual([
      { number: "+351912345678", label: "mobile" },
      { number: "+351213456789", label: "work" },
    ]);
    // The conversation stays open; the toast says it is done.
    expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-8");
    expect(await screen.findByText("Ana Silva is in your contacts now.")).toBeInTheDocument();
  });

  it("shows_the_editors_refusal_on_the_number_and_keeps_what_was_typed", async () => {
    const { user, fake } = await renderApp();
    await open(user, "t-8");
    await user.click(screen.getAllByRole("button", { name: "Add to Contacts" })[0] as HTMLElement);
    const editor = screen.getByRole("dialog", { name: "New contact" });
    const first = within(editor).getByLabelText("Phone number 1");
    await user.clear(first);
    await user.type(first, "912 345 678");
    await user.click(within(editor).getByRole("button", { name: "Save" }));

    expect(await within(editor).findByTestId(testIds.fieldError)).toHaveTextContent(
      "Enter the number with its country code",
    );
    expect(first).toHaveFocus();
    expect(fake.contacts.some((c) => c.name === "Ana Silva")).toBe(false);
  });
});

describe("Reactions", () => {
  it("change_and_disappear_in_place_when_the_message_is_updated", async () => {
    const { user, fake } = await renderApp();
    await open(user, "t-1");
    const reacted = () => within(bubble("m-6")).queryByTestId(testIds.messageReactions);
    expect(reacted()).toHaveAttribute("title", "Maria Gonzalez reacted 👍");

    const m6 = fake.messages.find((m) => m.id === "m-6");
    if (!m6) throw new Error("seed changed: no m-6");
    const at = new Date().toISOString();
    fake.emit({
      kind: "message_upserted",
      message: { ...m6, reactions: [{ emoji: "❤️", by: "Maria Gonzalez", at }] },
    });
    await waitFor(() => expect(reacted()).toHaveAttribute("title", "Maria Gonzalez reacted ❤️"));
    expect(within(bubble("m-6")).getByText("Maria Gonzalez reacted ❤️")).toBeInTheDocument();

    fake.emit({ kind: "message_upserted", message: { ...m6, reactions: [] } });
    await waitFor(() => expect(reacted()).toBeNull());
    expect(bubble("m-6")).toHaveTextContent("We are open until 6 pm on Thursday.");
  });
});

describe("A quoted reply", () => {
  it("scrolls_to_the_quoted_message_and_marks_it_for_a_moment", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const scrolled = vi.spyOn(Element.prototype, "scrollIntoView");
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(App, { props: { ipc: createFakeIpc() } });
    await waitFor(() => expect(byTestId(testIds.threadRow).length).toBeGreaterThan(0));
    await open(user, "t-1");

    const quote = within(bubble("m-8")).getByRole("button", {
      name: "In reply to You: We are open until 6 pm on Thursday.",
    });
    quote.focus();
    await user.keyboard("{Enter}");

    await waitFor(() => expect(bubble("m-6")).toHaveAttribute("data-highlighted", "true"));
    expect(scrolled.mock.contexts).toEqual([bubble("m-6")]);
    expect(bubble("m-6")).toHaveFocus();
    vi.advanceTimersByTime(1600);
    await waitFor(() => expect(bubble("m-6")).not.toHaveAttribute("data-highlighted"));
  });

  it("reads_older_pages_until_the_quoted_message_is_there", async () => {
    const start = Date.now() - 200 * 60_000;
    const messages: Message[] = Array.from({ length: 120 }, (_, i) => ({
      id: `p-${i}`,
      client_id: null,
      thread_id: "t-1",
      direction: i % 2 === 0 ? "inbound" : "outbound",
      author_name: i % 2 === 0 ? null : "Alex Morgan",
      body: { type: "text", text: `Message ${i}` },
      state: i % 2 === 0 ? "delivered" : "read",
      failure: null,
      created_at: new Date(start + i * 60_000).toISOString(),
      ...plain(),
      reply_to:
        i === 119 ? { message_id: "p-0", direction: "inbound", preview: "Message 0" } : null,
    }));
    const fake = createFakeIpc({ messages });
    const { user } = await renderApp(fake);
    await open(user, "t-1");
    expect(byTestId(testIds.messageBubble)).toHaveLength(50);

    await user.click(within(bubble("p-119")).getByTestId(testIds.messageQuote));

    await waitFor(() => expect(bubble("p-0")).toHaveAttribute("data-highlighted", "true"));
    expect(calls(fake, "listMessages")).toHaveLength(3);
    expect(byTestId(testIds.messageBubble)).toHaveLength(120);
  });

  it("says_so_when_the_quoted_message_is_not_in_the_conversation", async () => {
    const fake = createFakeIpc();
    const m8 = fake.messages.find((m) => m.id === "m-8");
    if (!m8) throw new Error("seed changed: no m-8");
    m8.reply_to = { message_id: "gone", direction: "outbound", preview: "Deleted meanwhile" };
    const { user } = await renderApp(fake);
    await open(user, "t-1");
    await user.click(within(bubble("m-8")).getByTestId(testIds.messageQuote));
    expect(
      await screen.findByText("The original message is not in this conversation."),
    ).toBeInTheDocument();
  });
});

describe("A problem WhatsApp reports with the line", () => {
  it("stays_at_the_top_of_messages_until_dismissed", async () => {
    const { user, fake } = await renderApp();
    expect(screen.queryByTestId(testIds.lineProblem)).toBeNull();

    fake.emit({
      kind: "line_problem",
      text: "This number has been restricted from sending messages until 14 June.",
    });
    const banner = await screen.findByTestId(testIds.lineProblem);
    expect(banner).toHaveAttribute("role", "alert");
    expect(banner).toHaveTextContent(
      "WhatsApp reports a problem with your line. This number has been restricted from sending messages until 14 June.",
    );

    // Persistent: still there after going elsewhere and back.
    await user.click(screen.getByTestId(testIds.navContacts));
    await user.click(screen.getByTestId(testIds.navMessages));
    expect(screen.getByTestId(testIds.lineProblem)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId(testIds.lineProblem)).toBeNull();
  });
});
