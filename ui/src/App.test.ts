import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Message } from "./lib/ipc/bindings/Message";
import { createFakeIpc, plain } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";
import { LIST_DRAWN, PAGE } from "./lib/thread/threads.svelte";
import App from "./App.svelte";

async function openContacts(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByTestId(testIds.navContacts));
  await waitFor(() => expect(byTestId(testIds.contactRow).length).toBeGreaterThan(0));
}

describe("Contacts tab", () => {
  it("filters_contacts_as_the_user_types", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    expect(byTestId(testIds.contactRow)).toHaveLength(7);

    await user.type(screen.getByTestId(testIds.contactSearch), "gonz");

    await waitFor(() => expect(byTestId(testIds.contactRow)).toHaveLength(1));
    expect(byTestId(testIds.contactRow)[0]).toHaveTextContent("Maria Gonzalez");
    expect(fake.calls.filter((c) => c.command === "listContacts").at(-1)?.args).toEqual(["gonz"]);
  });

  it("says_no_contacts_match_when_the_search_finds_nothing", async () => {
    const { user } = await renderApp();
    await openContacts(user);

    await user.type(screen.getByTestId(testIds.contactSearch), "zzzz");

    await waitFor(() => expect(screen.getByText("No contacts match")).toBeInTheDocument());
    expect(byTestId(testIds.contactRow)).toHaveLength(0);
  });

  it("shows_a_green_whatsapp_button_per_number_when_the_organization_enabled_it", async () => {
    const { user } = await renderApp(createFakeIpc({ whatsappEnabled: true }));
    await openContacts(user);
    await user.click(screen.getByText("Maria Gonzalez"));

    const details = await screen.findByTestId(testIds.contactDetails);
    expect(within(details).getByTestId(testIds.contactName)).toHaveTextContent("Maria Gonzalez");
    expect(within(details).getByRole("button", { name: "WhatsApp +15551234567" })).toBeVisible();
    expect(within(details).getAllByTestId(testIds.whatsappButton)).toHaveLength(2);
  });

  it("hides_every_whatsapp_button_when_the_organization_disabled_it", async () => {
    const { user } = await renderApp(createFakeIpc({ whatsappEnabled: false }));
    await openContacts(user);
    await user.click(screen.getByText("Maria Gonzalez"));

    const details = await screen.findByTestId(testIds.contactDetails);
    // The numbers and the other actions are there; only WhatsApp is gone.
    expect(within(details).getByText("+1 555 123 4567")).toBeInTheDocument();
    expect(within(details).getByRole("button", { name: "Call +15551234567" })).toBeInTheDocument();
    expect(within(details).queryByTestId(testIds.whatsappButton)).toBeNull();
    expect(within(details).queryByRole("button", { name: /^WhatsApp/ })).toBeNull();
    // Maria's conversations are listed, under a neutral mark: no green glyph anywhere.
    expect(within(details).getAllByTestId(testIds.historyThread)).toHaveLength(2);
    await user.click(screen.getByTestId(testIds.navMessages));
    await waitFor(() => expect(byTestId(testIds.threadRow).length).toBeGreaterThan(0));
    expect(document.querySelectorAll("svg.glyph")).toHaveLength(0);
    expect(screen.getAllByRole("img", { name: "Chat (WhatsApp is turned off)" }).length).toBe(5);
  });

  it("opens_the_whatsapp_thread_from_the_contact_in_the_messages_tab", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await user.click(screen.getByText("Priya Sharma"));
    await user.click(await screen.findByRole("button", { name: "WhatsApp +919812345678" }));

    const view = await screen.findByTestId(testIds.threadView);
    expect(fake.calls.find((c) => c.command === "openWhatsappThread")?.args).toEqual([
      "c-3",
      "+919812345678",
      false,
    ]);
    expect(view).toHaveAttribute("data-thread-id", "t-5");
    expect(within(view).getByRole("heading", { name: "Priya Sharma" })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.navMessages)).toHaveAttribute("aria-current", "page");
    // Her window has closed: the composer says why.
    expect(within(view).getByTestId(testIds.composerNotice)).toHaveTextContent("template");
  });
});

describe("Thread", () => {
  it("replaces_the_pending_bubble_when_the_core_confirms_it_by_client_id", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    await user.type(screen.getByTestId(testIds.composerInput), "See you Thursday{Enter}");

    const pending = await waitFor(() => {
      const bubble = byTestId(testIds.messageBubble).find((b) =>
        b.textContent?.includes("See you Thursday"),
      );
      expect(bubble).toBeDefined();
      return bubble as HTMLElement;
    });
    expect(pending).toHaveAttribute("data-state", "sending");
    expect(pending).toHaveAttribute("data-direction", "outbound");

    const sent = fake.messages.find(
      (m) => m.body.type === "text" && m.body.text === "See you Thursday",
    ) as Message;
    fake.emit({
      kind: "message_upserted",
      message: { ...sent, id: "server-id-1", state: "delivered" },
    });

    await waitFor(() => {
      const matching = byTestId(testIds.messageBubble).filter((b) =>
        b.textContent?.includes("See you Thursday"),
      );
      expect(matching).toHaveLength(1);
      expect(matching[0]).toHaveAttribute("data-state", "delivered");
      expect(matching[0]).toHaveAttribute("data-message-id", "server-id-1");
    });
  });

  it("shows_an_inbound_message_pushed_by_the_core", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const before = byTestId(testIds.messageBubble).length;

    fake.emit({
      kind: "message_upserted",
      message: {
        id: "m-new",
        client_id: null,
        thread_id: "t-1",
        direction: "inbound",
        author_name: null,
        body: { type: "text", text: "Running 5 minutes late" },
        state: "delivered",
        failure: null,
        created_at: new Date().toISOString(),
        ...plain(),
      },
    });

    await waitFor(() => expect(byTestId(testIds.messageBubble)).toHaveLength(before + 1));
    const last = byTestId(testIds.messageBubble).at(-1);
    expect(last).toHaveAttribute("data-direction", "inbound");
    expect(last).toHaveTextContent("Running 5 minutes late");
  });

  it("reads_a_reply_arriving_in_the_open_thread_whatever_the_order_of_the_events", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    vi.spyOn(document, "hasFocus").mockReturnValue(true);
    const reads = () => calls(fake, "markRead").length;
    const before = reads();
    const summary = fake.threads.find((t) => t.id === "t-1");
    if (!summary) throw new Error("seed changed: no t-1");

    // The message first (the list still says 0 unread), then the thread with its count.
    fake.emit({
      kind: "message_upserted",
      message: {
        id: "m-live",
        client_id: null,
        thread_id: "t-1",
        direction: "inbound",
        author_name: null,
        body: { type: "text", text: "On my way" },
        state: "delivered",
        failure: null,
        created_at: new Date().toISOString(),
        ...plain(),
      },
    });
    fake.emit({ kind: "thread_upserted", thread: { ...summary, unread_count: 1 } });

    await waitFor(() => expect(reads()).toBeGreaterThan(before));
    await waitFor(() => {
      const row = byTestId(testIds.threadRow).find((r) => r.dataset.threadId === "t-1");
      expect(row?.querySelector("[data-testid='" + testIds.unreadBadge + "']")).toBeNull();
    });
  });

  it("shows_the_error_message_and_keeps_the_text_when_a_send_is_refused", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    fake.failNext("sendText", {
      code: "window_closed_use_template",
      message: "More than 24 hours have passed. Restart the conversation with a template message.",
    });

    const input = screen.getByTestId(testIds.composerInput);
    await user.type(input, "Hello again{Enter}");

    const banner = await screen.findByTestId(testIds.errorBanner);
    expect(banner).toHaveTextContent("Restart the conversation with a template message.");
    expect(banner).not.toHaveTextContent("window_closed_use_template");
    expect(banner.textContent).not.toContain("{");
    await waitFor(() => expect(input).toHaveValue("Hello again"));
  });

  it("marks_whatsapp_threads_with_the_green_glyph_and_shows_unread_counts", async () => {
    await renderApp();
    const row = document.querySelector<HTMLElement>(`[data-thread-id="t-1"]`) as HTMLElement;
    expect(within(row).getByRole("img", { name: "WhatsApp" })).toBeInTheDocument();
    expect(within(row).getByTestId(testIds.unreadBadge)).toHaveTextContent("2");
    const sms = document.querySelector<HTMLElement>(`[data-thread-id="t-2"]`) as HTMLElement;
    expect(within(sms).queryByRole("img", { name: "WhatsApp" })).toBeNull();
  });

  it("reloads_the_thread_list_when_the_core_says_events_were_dropped", async () => {
    const { fake } = await renderApp();
    const loads = () => fake.calls.filter((c) => c.command === "listThreads").length;
    const before = loads();
    fake.emit({ kind: "resync" });
    await waitFor(() => expect(loads()).toBe(before + 1));
  });

  it("opens_a_thread_with_its_summary_asked_of_the_core_once_and_kept_live", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    expect(fake.calls.filter((c) => c.command === "getThread").map((c) => c.args[0])).toEqual([
      "t-1",
    ]);
    const composer = screen.getByRole("textbox", { name: /message/i });
    expect(composer).toBeEnabled();

    // The list's rows carry no rules: what may be sent comes with the open thread's summary,
    // and a pushed summary for it changes the composer at once.
    const summary = structuredClone(fake.threads.find((t) => t.id === "t-1"));
    if (!summary) throw new Error("t-1");
    summary.composer = { state: "refused", reason: "whatsapp_disabled", message: "Not now." };
    fake.emit({ kind: "thread_upserted", thread: summary });
    await waitFor(() => expect(screen.getByText("Not now.")).toBeVisible());
    expect(composer).toBeDisabled();

    // A resync asks for it again.
    fake.emit({ kind: "resync" });
    await waitFor(() =>
      expect(fake.calls.filter((c) => c.command === "getThread")).toHaveLength(2),
    );
  });

  it("shows_a_blank_pane_not_select_a_conversation_while_a_thread_opens", async () => {
    const fake = createFakeIpc();
    const { user } = await renderApp(fake);
    await openThread(user, "t-1");
    // The core answers the next thread late.
    const getThread = fake.getThread.bind(fake);
    let answer: () => void = () => {};
    fake.getThread = (id) => new Promise((resolve) => (answer = () => resolve(getThread(id))));
    const row = document.querySelector<HTMLElement>(`[data-thread-id="t-2"]`);
    if (!row) throw new Error("no row for t-2");
    await user.click(row);
    expect(screen.getByTestId(testIds.threadOpening)).toHaveAttribute("aria-busy", "true");
    expect(screen.queryByText("Select a conversation")).toBeNull();
    answer();
    await waitFor(() => expect(screen.queryByTestId(testIds.threadOpening)).toBeNull());
    expect(screen.getByRole("textbox", { name: /message/i })).toBeVisible();
  });

  it("says_so_when_the_thread_opened_is_not_known_to_the_core", async () => {
    const fake = createFakeIpc();
    const { user } = await renderApp(fake);
    fake.getThread = async () => null;
    const row = document.querySelector<HTMLElement>(`[data-thread-id="t-2"]`);
    if (!row) throw new Error("no row for t-2");
    await user.click(row);
    await waitFor(() => expect(screen.getByText("This conversation is not here")).toBeVisible());
    // The one-pane layout's way back is there.
    expect(screen.getByRole("button", { name: "Back to messages" })).toBeInTheDocument();
  });

  it("clears_the_unread_count_of_the_thread_the_user_opens", async () => {
    const { user, fake } = await renderApp();
    const badge = () =>
      document.querySelector(`[data-thread-id="t-1"] [data-testid="${testIds.unreadBadge}"]`);
    expect(badge()).not.toBeNull();
    await openThread(user, "t-1");
    await waitFor(() => expect(badge()).toBeNull());
    expect(fake.calls.filter((c) => c.command === "markRead").map((c) => c.args[0])).toEqual([
      "t-1",
    ]);
  });

  it("draws_only_the_rows_on_screen_of_ten_thousand_threads", async () => {
    const seed = createFakeIpc();
    const template = seed.threads[0];
    if (!template) throw new Error("no seed thread");
    const start = Date.parse("2026-03-01T09:00:00Z");
    const threads = Array.from({ length: 10_000 }, (_, i) => ({
      ...template,
      id: `t-many-${i}`,
      contact_name: `Guest ${i}`,
      last_message_at: new Date(start - i * 60_000).toISOString(),
    }));
    await renderApp(createFakeIpc({ threads }));

    const list = screen.getByTestId(testIds.threadList);
    // Read in pages of 500: the first is drawn at once, the rest follow.
    await waitFor(() => expect(list).toHaveAttribute("data-count", "10000"));
    const rows = byTestId(testIds.threadRow);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]).toHaveTextContent("Guest 0");
    expect(rows[0]?.parentElement).toHaveAttribute("aria-setsize", "10000");
  });

  it("does_not_say_there_are_no_conversations_nor_mark_the_list_drawn_before_it_is_all_read", async () => {
    performance.clearMarks(LIST_DRAWN);
    const seed = createFakeIpc();
    const template = seed.threads[0];
    if (!template) throw new Error("no seed thread");
    const start = Date.parse("2026-03-01T09:00:00Z");
    // A first page of closed threads (History's), the open one older than all of them.
    const closed = Array.from({ length: PAGE }, (_, i) => ({
      ...template,
      id: `t-closed-${i}`,
      status: "closed" as const,
      last_message_at: new Date(start - i * 60_000).toISOString(),
    }));
    const open = { ...template, id: "t-open", last_message_at: "2026-01-01T09:00:00Z" };
    const fake = createFakeIpc({ threads: [...closed, open] });
    const listThreads = fake.listThreads.bind(fake);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    fake.listThreads = async (after = null, limit = null) => {
      asked++;
      if (after !== null) await held;
      return listThreads(after, limit);
    };
    render(App, { props: { ipc: fake } });
    // The first page is in; the second is asked for and held.
    await waitFor(() => expect(asked).toBe(2));
    expect(screen.queryByText("No conversations yet")).toBeNull();
    // `make bench` times the launch by this mark: not made for a first page.
    expect(performance.getEntriesByName(LIST_DRAWN)).toHaveLength(0);
    release();
    await waitFor(() => expect(byTestId(testIds.threadRow)).toHaveLength(1));
    expect(screen.queryByText("No conversations yet")).toBeNull();
    await waitFor(() => expect(performance.getEntriesByName(LIST_DRAWN)).toHaveLength(1));
  });

  it("lists_threads_newest_first_and_moves_an_updated_thread_to_the_top", async () => {
    const { fake } = await renderApp();
    const ids = () => byTestId(testIds.threadRow).map((r) => r.dataset.threadId);
    expect(ids()).toEqual(["t-1", "t-8", "t-2", "t-3", "t-4", "t-5", "t-6"]);

    const priya = fake.threads.find((t) => t.id === "t-5");
    if (!priya) throw new Error("seed changed: no t-5");
    fake.emit({
      kind: "thread_upserted",
      thread: { ...priya, last_message_at: new Date().toISOString(), unread_count: 1 },
    });

    await waitFor(() => expect(ids()[0]).toBe("t-5"));
  });

  it("shows_a_participant_change_as_a_system_line_not_a_bubble", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    fake.emit({
      kind: "message_upserted",
      message: {
        id: "m-system",
        client_id: null,
        thread_id: "t-1",
        direction: "system",
        author_name: null,
        body: {
          type: "system",
          event: { kind: "added", by: "u-1", user: "u-2" },
          text: "Alex Morgan added Sam Rivera",
        },
        state: "delivered",
        failure: null,
        created_at: new Date().toISOString(),
        ...plain(),
      },
    });

    await waitFor(() =>
      expect(byTestId(testIds.messageBubble).at(-1)).toHaveTextContent(
        "Alex Morgan added Sam Rivera",
      ),
    );
    const line = byTestId(testIds.messageBubble).at(-1);
    expect(line).toHaveAttribute("data-direction", "system");
    expect(line?.querySelector(".bubble")).toBeNull();
  });

  it("sends_a_picture_chosen_from_the_library_with_its_caption", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const before = byTestId(testIds.messageBubble).length;

    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuPhotoLibrary));
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], "car.jpg", {
      type: "image/jpeg",
    });
    await user.upload(screen.getByTestId(testIds.photoInput), jpeg);

    await waitFor(() => expect(screen.getByTestId(testIds.photoComposer)).toBeInTheDocument());
    expect(screen.getByTestId(testIds.photoComposer)).toHaveTextContent(
      "Location and camera data removed",
    );
    await user.type(screen.getByTestId(testIds.photoCaption), "Your car, ready");
    await user.click(screen.getByTestId(testIds.photoSend));

    await waitFor(() => expect(byTestId(testIds.messageBubble)).toHaveLength(before + 1));
    expect(screen.queryByTestId(testIds.photoComposer)).toBeNull();
    const sent = fake.calls.find((c) => c.command === "sendPicture");
    expect(sent?.args.slice(2)).toEqual(["Your car, ready"]);
    const last = byTestId(testIds.messageBubble).at(-1);
    expect(last).toHaveTextContent("Your car, ready");
    await waitFor(() =>
      expect(last?.querySelector(`[data-testid="${testIds.messagePicture}"]`)).toHaveAttribute(
        "data-loaded",
        "true",
      ),
    );
  });

  it("shows_a_queued_pictures_upload_on_its_bubble_until_the_connector_has_it", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1])], "car.jpg", {
      type: "image/jpeg",
    });
    await user.upload(screen.getByTestId(testIds.photoInput), jpeg);
    await waitFor(() => expect(screen.getByTestId(testIds.photoComposer)).toBeInTheDocument());
    await user.click(screen.getByTestId(testIds.photoSend));
    await waitFor(() => expect(fake.calls.some((c) => c.command === "sendPicture")).toBe(true));
    const queued = fake.messages.find((m) => m.body.type === "picture" && m.state === "sending");
    if (!queued?.client_id) throw new Error("the picture was not queued");
    const clientId = queued.client_id;

    // Another thread's upload is not shown here.
    fake.emit({
      kind: "upload_progress",
      progress: { thread_id: "t-2", client_id: clientId, percent: 10 },
    });
    expect(screen.queryByTestId(testIds.uploadProgress)).toBeNull();
    fake.emit({
      kind: "upload_progress",
      progress: { thread_id: "t-1", client_id: clientId, percent: 40 },
    });
    const bar = await screen.findByRole("progressbar", { name: "Uploading the photo" });
    expect(bar).toHaveAttribute("value", "40");
    expect(screen.getByTestId(testIds.uploadProgress)).toHaveTextContent("Uploading… 40%");
    fake.emit({
      kind: "upload_progress",
      progress: { thread_id: "t-1", client_id: clientId, percent: 100 },
    });
    await waitFor(() => expect(bar).toHaveAttribute("value", "100"));

    // The connector has it: the bubble is a sent picture.
    fake.emit({
      kind: "message_upserted",
      message: { ...structuredClone(queued), id: "m-up", state: "sent" },
    });
    await waitFor(() => expect(screen.queryByTestId(testIds.uploadProgress)).toBeNull());
  });

  it("takes_a_picture_dropped_on_the_conversation_before_any_other_file", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const view = screen.getByTestId(testIds.threadView);
    const drag = (files: File[]) => ({ dataTransfer: { types: ["Files"], files } });
    const pdf = new File(["%PDF-1.7"], "invoice.pdf", { type: "application/pdf" });

    await fireEvent.dragOver(view, drag([pdf]));
    expect(screen.getByTestId(testIds.photoDrop)).toBeInTheDocument();
    await fireEvent.drop(view, drag([pdf]));
    expect(screen.queryByTestId(testIds.photoDrop)).toBeNull();
    // Documents out: a file that is not a picture waits in the document composer.
    expect(await screen.findByTestId(testIds.documentComposer)).toBeInTheDocument();
    expect(fake.calls.some((c) => c.command === "preparePhoto")).toBe(false);

    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], "car.jpg", {
      type: "image/jpeg",
    });
    await fireEvent.drop(view, drag([pdf, jpeg]));
    await waitFor(() => expect(screen.getByTestId(testIds.photoComposer)).toBeInTheDocument());
    expect(fake.calls.filter((c) => c.command === "preparePhoto")).toHaveLength(1);
  });

  it("ignores_a_drop_where_pictures_cannot_be_sent", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-2"); // SMS: no pictures from this app yet.
    const view = screen.getByTestId(testIds.threadView);
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff])], "car.jpg", { type: "image/jpeg" });

    await fireEvent.dragOver(view, { dataTransfer: { types: ["Files"], files: [jpeg] } });
    expect(screen.queryByTestId(testIds.photoDrop)).toBeNull();
    await fireEvent.drop(view, { dataTransfer: { types: ["Files"], files: [jpeg] } });
    expect(fake.calls.some((c) => c.command === "preparePhoto")).toBe(false);
  });

  it("shows_how_far_the_core_is_with_the_picture", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    let release = () => {};
    fake.photoGate = new Promise((resolve) => (release = resolve));
    const jpeg = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1])], "car.jpg", {
      type: "image/jpeg",
    });

    await user.upload(screen.getByTestId(testIds.photoInput), jpeg);
    const progress = await screen.findByRole("progressbar", { name: "Preparing the photo" });
    expect(progress).toHaveAttribute("value", "0");
    fake.emit({ kind: "photo_progress", progress: { id: "p", percent: 60 } });
    await waitFor(() => expect(progress).toHaveAttribute("value", "60"));

    release();
    await waitFor(() => expect(screen.getByTestId(testIds.photoComposer)).toBeInTheDocument());
    expect(screen.queryByTestId(testIds.photoProgress)).toBeNull();
  });

  it("refuses_a_file_that_is_not_a_picture_with_the_cores_words", async () => {
    const { user } = await renderApp();
    await openThread(user, "t-1");

    const notes = new File(["just some notes"], "notes.jpg", { type: "image/jpeg" });
    await user.upload(screen.getByTestId(testIds.photoInput), notes);

    await waitFor(() =>
      expect(
        screen.getByText(
          "This file is not a picture that can be sent. Use a photo: JPEG, PNG, HEIC, WebP or GIF.",
        ),
      ).toBeInTheDocument(),
    );
    expect(screen.queryByTestId(testIds.photoComposer)).toBeNull();
  });

  it("adds_a_colleague_and_then_leaves_the_conversation", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    await user.click(screen.getByTestId(testIds.participantsButton));
    await waitFor(() => expect(byTestId(testIds.colleagueOption)).toHaveLength(1));
    expect(screen.getByTestId(testIds.participantsConfirm)).toBeDisabled();
    await user.click(screen.getByTestId(testIds.colleagueOption));
    await user.click(screen.getByTestId(testIds.participantsConfirm));

    await waitFor(() => expect(screen.queryByTestId(testIds.participantsDialog)).toBeNull());
    expect(fake.calls.find((c) => c.command === "changeParticipants")?.args[1]).toEqual({
      op: "add",
      user_id: "u-sam",
    });
    await waitFor(() =>
      expect(byTestId(testIds.messageBubble).at(-1)).toHaveAttribute("data-direction", "system"),
    );

    await user.click(screen.getByTestId(testIds.participantsButton));
    await user.click(await screen.findByTestId(testIds.leaveConversation));
    expect(screen.getByText(/Leave this conversation with Maria Gonzalez\?/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Back" }));
    expect(fake.calls.filter((c) => c.command === "changeParticipants")).toHaveLength(1);
    await user.click(screen.getByTestId(testIds.leaveConversation));
    await user.click(screen.getByTestId(testIds.participantsConfirm));
    await waitFor(() =>
      expect(byTestId(testIds.threadRow).map((r) => r.dataset.threadId)).not.toContain("t-1"),
    );
    expect(screen.queryByTestId(testIds.threadView)).toBeNull();
  });

  it("closes_and_drops_a_thread_the_user_was_removed_from", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    fake.emit({ kind: "thread_removed", thread_id: "t-1" });

    await waitFor(() =>
      expect(byTestId(testIds.threadRow).map((r) => r.dataset.threadId)).not.toContain("t-1"),
    );
    expect(byTestId(testIds.messageBubble)).toHaveLength(0);
    expect(screen.getByText("You are no longer in that conversation.")).toBeInTheDocument();
  });

  it("shows_the_sync_state_pushed_by_the_core", async () => {
    const { fake } = await renderApp();
    await waitFor(() => expect(screen.getByTestId(testIds.syncState)).toHaveTextContent("Online"));

    fake.emit({
      kind: "sync_state_changed",
      sync: { state: "offline", since: new Date().toISOString() },
    });

    await waitFor(() =>
      expect(screen.getByTestId(testIds.syncState)).toHaveAttribute("data-state", "offline"),
    );
    expect(screen.getByTestId(testIds.syncState)).toHaveTextContent(/Offline\s*since/);
  });

  it("says_so_when_the_session_ended", async () => {
    const { fake } = await renderApp();
    await waitFor(() => expect(screen.getByTestId(testIds.syncState)).toHaveTextContent("Online"));

    fake.emit({ kind: "sync_state_changed", sync: { state: "signed_out" } });

    await waitFor(() =>
      expect(screen.getByTestId(testIds.syncState)).toHaveAttribute("data-state", "signed_out"),
    );
    expect(screen.getByTestId(testIds.syncState)).toHaveTextContent("Signed out");
    expect(screen.getByTestId(testIds.syncState)).toHaveAttribute(
      "title",
      expect.stringContaining("messages you wrote wait"),
    );
  });
});
