/** F23: every kind of message as the thread shows it, one bubble at a time, on a fake core. */
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppState, appContext } from "../../app.svelte";
import type { Message } from "../../ipc/bindings/Message";
import { createFakeIpc, plain, type FakeIpc } from "../../ipc/fake";
import { testIds } from "../../testids";
import MessageBubble from "../MessageBubble.svelte";

function message(body: Message["body"], extra: Partial<Message> = {}): Message {
  return {
    id: "m-1",
    client_id: null,
    thread_id: "t-8",
    direction: "inbound",
    author_name: null,
    body,
    state: "delivered",
    failure: null,
    created_at: "2024-03-12T10:00:00Z",
    ...plain(),
    ...extra,
  };
}

function setup(m: Message, fake: FakeIpc = createFakeIpc()) {
  const user = userEvent.setup();
  const app = new AppState(fake);
  const view = render(MessageBubble, {
    props: { message: m, showAuthor: false, first: true, guestName: "Rafael Costa" },
    context: appContext(app),
  });
  const bubble = screen.getByTestId(testIds.messageBubble);
  return { user, fake, app, bubble, view };
}

const calls = (fake: FakeIpc, command: string) =>
  fake.calls.filter((c) => c.command === command).map((c) => c.args);

// jsdom has no media playback: `play()` starts "playing" as a browser would.
beforeEach(() => {
  vi.spyOn(HTMLMediaElement.prototype, "play").mockImplementation(function (
    this: HTMLMediaElement,
  ) {
    this.dispatchEvent(new Event("play"));
    return Promise.resolve();
  });
  vi.spyOn(HTMLMediaElement.prototype, "pause").mockImplementation(function (
    this: HTMLMediaElement,
  ) {
    this.dispatchEvent(new Event("pause"));
  });
});
afterEach(() => vi.restoreAllMocks());

describe("A voice note", () => {
  const voice = message({
    type: "audio",
    media_id: "au-1",
    mime_type: "audio/ogg",
    size: 18_400,
    voice: true,
    duration_secs: 7,
  });
  /** One whose length the connector could not read: the web view's is shown. */
  const unread = message({
    type: "audio",
    media_id: "au-1",
    mime_type: "audio/ogg",
    size: 18_400,
    voice: true,
    duration_secs: null,
  });

  it("shows_the_length_the_connector_read_and_learns_it_from_a_stream_that_hid_it", async () => {
    const { user } = setup(voice);
    const player = screen.getByRole("group", { name: "Voice message" });
    // The connector read it from the file: shown before the web view knows anything.
    expect(player).toHaveTextContent("0:07");
    const audio = player.querySelector("audio");
    if (!audio) throw new Error("no audio element");
    await waitFor(() => expect(audio.getAttribute("src")).toMatch(/^blob:/));
    // WebKit says Infinity for some Ogg streams: the connector's length stays.
    Object.defineProperty(audio, "duration", { value: Infinity, configurable: true });
    await fireEvent(audio, new Event("loadedmetadata"));
    expect(player).toHaveTextContent("0:07");
    await user.click(screen.getByRole("button", { name: "Play the voice message" }));
    audio.currentTime = 7.4;
    await fireEvent(audio, new Event("timeupdate"));
    await fireEvent(audio, new Event("ended"));
    expect(player).toHaveAttribute("data-state", "ended");
    const seek = screen.getByRole("slider", { name: "Position in the voice message" });
    expect(seek).toHaveAttribute("aria-valuetext", "0:07 of 0:07");
  });

  it("shows_its_length_before_a_play_then_plays_from_an_object_url_to_its_end", async () => {
    const { user, fake } = setup(unread);
    const player = screen.getByRole("group", { name: "Voice message" });
    expect(player).toHaveAttribute("data-voice", "true");
    expect(within(player).getByTitle("Voice message")).toBeInTheDocument();
    // A small recording is fetched at once, so its length shows.
    await waitFor(() => expect(calls(fake, "getMedia")).toEqual([["au-1"]]));
    const audio = player.querySelector("audio");
    if (!audio) throw new Error("no audio element");
    await waitFor(() => expect(audio.getAttribute("src")).toMatch(/^blob:/));
    Object.defineProperty(audio, "duration", { value: 42, configurable: true });
    await fireEvent(audio, new Event("loadedmetadata"));
    expect(player).toHaveTextContent("0:42");
    const seek = screen.getByRole("slider", { name: "Position in the voice message" });
    expect(seek).toHaveAttribute("aria-valuetext", "0:00 of 0:42");

    await user.click(screen.getByRole("button", { name: "Play the voice message" }));
    expect(player).toHaveAttribute("data-state", "playing");
    audio.currentTime = 12;
    await fireEvent(audio, new Event("timeupdate"));
    expect(seek).toHaveAttribute("aria-valuetext", "0:12 of 0:42");
    await user.click(screen.getByRole("button", { name: "Pause the voice message" }));
    expect(player).toHaveAttribute("data-state", "paused");

    await fireEvent(audio, new Event("ended"));
    expect(player).toHaveAttribute("data-state", "ended");
    expect(calls(fake, "getMedia")).toHaveLength(1);
  });

  it("seeks_where_the_user_moves_the_bar", async () => {
    setup(unread);
    const player = screen.getByRole("group", { name: "Voice message" });
    const audio = player.querySelector("audio");
    if (!audio) throw new Error("no audio element");
    await waitFor(() => expect(audio.getAttribute("src")).toMatch(/^blob:/));
    Object.defineProperty(audio, "duration", { value: 42, configurable: true });
    await fireEvent(audio, new Event("loadedmetadata"));

    const seek = screen.getByRole("slider", { name: "Position in the voice message" });
    await fireEvent.input(seek, { target: { value: "30" } });
    expect(audio.currentTime).toBe(30);
    expect(seek).toHaveAttribute("aria-valuetext", "0:30 of 0:42");
  });

  it("releases_its_object_url_when_it_goes", async () => {
    const revoke = vi.spyOn(URL, "revokeObjectURL");
    const { view } = setup(voice);
    const audio = screen.getByRole("group", { name: "Voice message" }).querySelector("audio");
    await waitFor(() => expect(audio?.getAttribute("src")).toMatch(/^blob:/));
    const url = audio?.getAttribute("src");
    view.unmount();
    expect(revoke).toHaveBeenCalledWith(url);
  });

  it("shows_ours_played_by_the_guest_with_a_blue_mic_and_a_played_mark", () => {
    setup({ ...voice, direction: "outbound", author_name: "Alex Morgan", state: "played" });
    expect(screen.getByRole("img", { name: "Played" })).toHaveAttribute("title", "Played");
    expect(screen.getByTitle("Voice message, played")).toHaveClass("played");
  });

  it("says_so_when_it_cannot_be_fetched", async () => {
    const fake = createFakeIpc();
    fake.getMedia = () => Promise.reject({ code: "offline", message: "Offline." });
    const { user } = setup(voice, fake);
    await user.click(screen.getByRole("button", { name: "Play the voice message" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This recording can't be played right now.",
    );
  });
});

describe("An audio file", () => {
  it("is_an_audio_player_with_a_note_and_its_size_fetched_only_when_played", async () => {
    const { user, fake } = setup(
      message({
        type: "audio",
        media_id: "au-2",
        mime_type: "audio/mpeg",
        size: 2_310_000,
        voice: false,
        duration_secs: null,
      }),
    );
    const player = screen.getByRole("group", { name: "Audio" });
    expect(player).toHaveAttribute("data-voice", "false");
    expect(within(player).getByTitle("Audio file")).toBeInTheDocument();
    expect(player).toHaveTextContent("Audio · 2.3 MB");
    expect(calls(fake, "getMedia")).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Play the audio" }));
    expect(calls(fake, "getMedia")).toEqual([["au-2"]]);
    expect(player).toHaveAttribute("data-state", "playing");
  });
});

describe("A video", () => {
  it("shows_its_first_frame_with_the_players_controls_and_its_caption", async () => {
    const { fake } = setup(
      message({
        type: "video",
        media_id: "vd-1",
        mime_type: "video/mp4",
        size: 3_400_000,
        caption: "The café from outside",
      }),
    );
    const figure = screen.getByTestId(testIds.messageVideo);
    const video = await waitFor(() => {
      const found = figure.querySelector("video");
      if (!found) throw new Error("no video yet");
      return found;
    });
    expect(calls(fake, "getMedia")).toEqual([["vd-1"]]);
    expect(video).toHaveAttribute("preload", "metadata");
    expect(video).toHaveAttribute("controls");
    expect(video.getAttribute("src")).toMatch(/^blob:/);
    expect(video).toHaveAccessibleName("Video: The café from outside");
    expect(screen.getByTestId(testIds.messageText)).toHaveTextContent("The café from outside");

    await fireEvent(video, new Event("ended"));
    expect(figure).toHaveAttribute("data-state", "ended");
  });

  it("waits_for_the_user_before_fetching_a_large_one", async () => {
    const { user, fake } = setup(
      message({
        type: "video",
        media_id: "vd-2",
        mime_type: "video/mp4",
        size: 12e6,
        caption: null,
      }),
    );
    expect(calls(fake, "getMedia")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Load the video (12 MB)" }));
    await waitFor(() => expect(screen.getByTestId(testIds.messageVideo).querySelector("video")));
    expect(calls(fake, "getMedia")).toEqual([["vd-2"]]);
  });
});

describe("A document", () => {
  const pdf = message({
    type: "document",
    media_id: "doc-1",
    mime_type: "application/pdf",
    size: 1342,
    filename: "Business plan.pdf",
    caption: "Our plan for next year",
  });

  it("shows_its_name_type_and_size_and_opens_in_the_systems_app", async () => {
    const { user, fake } = setup(pdf);
    const card = screen.getByRole("group", { name: "Document: Business plan.pdf" });
    expect(card).toHaveAttribute("data-family", "pdf");
    expect(within(card).getByText("Business plan.pdf")).toBeInTheDocument();
    expect(within(card).getByText("PDF · 1.3 KB")).toBeInTheDocument();
    expect(screen.getByTestId(testIds.messageText)).toHaveTextContent("Our plan for next year");

    await user.click(within(card).getByRole("button", { name: "Open" }));
    expect(calls(fake, "openMedia")).toEqual([["doc-1", "Business plan.pdf"]]);
    expect(calls(fake, "getMedia")).toEqual([]);
  });

  it("saves_where_the_user_chooses_and_says_so", async () => {
    const { user, fake, app } = setup(pdf);
    await user.click(screen.getByRole("button", { name: "Save as…" }));
    expect(calls(fake, "saveMedia")).toEqual([["doc-1", "Business plan.pdf"]]);
    await waitFor(() =>
      expect(app.toasts.items.map((t) => [t.tone, t.message])).toEqual([
        ["info", "Saved Business plan.pdf."],
      ]),
    );
  });

  it("says_nothing_when_the_user_cancels_the_save_dialog", async () => {
    const fake = createFakeIpc();
    fake.saveMedia = async () => false;
    const { user, app } = setup(pdf, fake);
    await user.click(screen.getByRole("button", { name: "Save as…" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Save as…" })).toBeEnabled());
    expect(app.toasts.items).toEqual([]);
  });

  it("says_why_in_a_toast_when_the_file_cannot_be_opened", async () => {
    const fake = createFakeIpc();
    fake.failNext("openMedia", {
      code: "file_unreadable",
      message: "The file could not be opened.",
    });
    const { user, app } = setup(pdf, fake);
    await user.click(screen.getByRole("button", { name: "Open" }));
    await waitFor(() =>
      expect(app.toasts.items.map((t) => [t.tone, t.message])).toEqual([
        ["error", "The file could not be opened."],
      ]),
    );
  });

  it("names_a_spreadsheets_type_in_words", () => {
    setup(
      message({
        type: "document",
        media_id: "doc-2",
        mime_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        size: 48_200,
        filename: "Cash flow 2024.xlsx",
        caption: null,
      }),
    );
    const card = screen.getByRole("group", { name: "Document: Cash flow 2024.xlsx" });
    expect(card).toHaveAttribute("data-family", "sheet");
    expect(card).toHaveTextContent("Spreadsheet (XLSX) · 48 KB");
  });
});

describe("A sticker", () => {
  it("is_a_small_picture_without_a_bubble", async () => {
    const { bubble } = setup(
      message({ type: "sticker", media_id: "st-1", mime_type: "image/webp", animated: true }),
    );
    const sticker = screen.getByTestId(testIds.messageSticker);
    await waitFor(() => expect(sticker).toHaveAttribute("data-loaded", "true"));
    const img = screen.getByRole("img", { name: "Animated sticker" });
    expect(img.tagName).toBe("IMG");
    expect(img).toHaveAttribute("width", "144");
    expect(bubble.querySelector(".bubble")).toHaveClass("bare");
  });
});

describe("A location", () => {
  it("shows_the_place_its_coordinates_and_opens_the_map_in_the_browser", async () => {
    const { user, fake } = setup(
      message({
        type: "location",
        latitude: 38.7223,
        longitude: -9.1393,
        name: "Café Costa",
        address: "Rua Augusta 120, 1100-053 Lisboa",
        url: null,
      }),
    );
    const place = screen.getByRole("group", { name: "Location" });
    expect(place).toHaveTextContent("Café Costa");
    expect(place).toHaveTextContent("Rua Augusta 120, 1100-053 Lisboa");
    expect(place).toHaveTextContent("38.7223° N, 9.1393° W");
    const link = within(place).getByRole("link", { name: "Open in maps" });
    const url = "https://www.openstreetmap.org/?mlat=38.7223&mlon=-9.1393#map=16/38.7223/-9.1393";
    expect(link).toHaveAttribute("href", url);

    await user.click(link);
    expect(calls(fake, "openUrl")).toEqual([[url]]);
  });

  it("shows_only_coordinates_for_a_dropped_pin", () => {
    setup(
      message({
        type: "location",
        latitude: -33.8568,
        longitude: 151.2153,
        name: null,
        address: null,
        url: null,
      }),
    );
    const place = screen.getByRole("group", { name: "Location" });
    expect(place).toHaveTextContent(/^33\.8568° S, 151\.2153° E\s*Open in maps$/);
  });
});

describe("Contact cards", () => {
  it("show_each_cards_name_organization_numbers_and_emails", () => {
    setup(
      message({
        type: "contacts",
        cards: [
          {
            name: "Ana Silva",
            organization: "Silva Contabilidade",
            phones: [
              { number: "+351 912 345 678", wa_id: "351912345678", label: "CELL" },
              { number: "+351 213 456 789", wa_id: null, label: "WORK" },
            ],
            emails: ["ana@silva.example"],
          },
          { name: "Bruno Dias", organization: null, phones: [], emails: [] },
        ],
      }),
    );
    const ana = screen.getByRole("region", { name: "Contact card: Ana Silva" });
    expect(within(ana).getByText("Silva Contabilidade")).toBeInTheDocument();
    expect(within(ana).getByText("+351 912 345 678").parentElement).toHaveTextContent("Mobile");
    expect(within(ana).getByText("+351 213 456 789").parentElement).toHaveTextContent("Work");
    expect(within(ana).getByText("ana@silva.example")).toBeInTheDocument();
    expect(within(ana).getByRole("button", { name: "Add to Contacts" })).toBeInTheDocument();
    const bruno = screen.getByRole("region", { name: "Contact card: Bruno Dias" });
    expect(within(bruno).getByRole("button", { name: "Add to Contacts" })).toBeInTheDocument();
  });
});

describe("Replies to what the business offered", () => {
  it("shows_the_chosen_button_or_row_with_its_description", () => {
    setup(
      message({
        type: "choice",
        text: "Visit a branch",
        description: "Mon–Fri, 9 am to 5 pm",
        id: "visit",
      }),
    );
    const choice = screen.getByTestId(testIds.messageChoice);
    expect(choice).toHaveTextContent(/^Chose:\s*Visit a branch\s*Mon–Fri, 9 am to 5 pm$/);
    expect(choice).toHaveAttribute("data-choice-id", "visit");
  });

  it("shows_a_sent_forms_answers_as_names_and_values", () => {
    setup(
      message({
        type: "form",
        text: "Sent",
        fields: [
          { name: "Loan amount", value: "€25,000" },
          { name: "Term", value: "5 years" },
        ],
      }),
    );
    const form = screen.getByTestId(testIds.messageForm);
    expect(form).toHaveTextContent("Form: Sent");
    const terms = within(form)
      .getAllByRole("term")
      .map((t) => t.textContent);
    const values = within(form)
      .getAllByRole("definition")
      .map((d) => d.textContent);
    expect(terms).toEqual(["Loan amount", "Term"]);
    expect(values).toEqual(["€25,000", "5 years"]);
  });
});

describe("What a message says about itself", () => {
  it("says_it_was_forwarded_once_or_many_times", () => {
    const { view } = setup(message({ type: "text", text: "Hi" }, { forwarded: "once" }));
    expect(screen.getByTestId(testIds.messageForwarded)).toHaveTextContent(/^Forwarded$/);
    view.unmount();
    setup(message({ type: "text", text: "Hi" }, { forwarded: "many" }));
    expect(screen.getByTestId(testIds.messageForwarded)).toHaveTextContent("Forwarded many times");
  });

  it("names_the_ad_the_guest_came_from", () => {
    setup(
      message(
        { type: "text", text: "Can I get a loan?" },
        { ad: { headline: "Business loans from 4.9%", body: "Grow.", source_url: null } },
      ),
    );
    expect(screen.getByTestId(testIds.messageAd)).toHaveTextContent(
      "From an ad: Business loans from 4.9%",
    );
  });

  it("quotes_the_message_it_answers_and_goes_there_on_a_click_or_enter", async () => {
    const user = userEvent.setup();
    const onquote = vi.fn();
    render(MessageBubble, {
      props: {
        message: message(
          { type: "text", text: "Yes please" },
          {
            reply_to: {
              message_id: "k-3",
              direction: "outbound",
              preview: "Would you like a call?",
            },
          },
        ),
        showAuthor: false,
        first: true,
        guestName: "Rafael Costa",
        onquote,
      },
      context: appContext(new AppState(createFakeIpc())),
    });
    const quote = screen.getByRole("button", { name: "In reply to You: Would you like a call?" });
    await user.click(quote);
    quote.focus();
    await user.keyboard("{Enter}");
    expect(onquote.mock.calls).toEqual([["k-3"], ["k-3"]]);
  });

  it("says_the_original_is_not_found_when_nothing_is_known_of_it", () => {
    setup(
      message(
        { type: "text", text: "Which one?" },
        { reply_to: { message_id: null, direction: null, preview: "" } },
      ),
    );
    const quote = screen.getByTestId(testIds.messageQuote);
    expect(quote).toHaveTextContent("Original message not found");
    expect(quote.tagName).not.toBe("BUTTON");
  });

  it("shows_reactions_on_the_bubbles_corner_in_words_for_screen_readers", () => {
    setup(
      message(
        { type: "text", text: "See you Thursday" },
        {
          reactions: [
            { emoji: "👍", by: "Ana Silva", at: "2024-03-12T10:01:00Z" },
            { emoji: "❤️", by: "Rafael Costa", at: "2024-03-12T10:02:00Z" },
          ],
        },
      ),
    );
    const badge = screen.getByTestId(testIds.messageReactions);
    expect(badge).toHaveAttribute("title", "Ana Silva reacted 👍\nRafael Costa reacted ❤️");
    expect(within(badge).getByText("Ana Silva reacted 👍, Rafael Costa reacted ❤️")).toHaveClass(
      "sr-only",
    );
    expect(badge).toHaveTextContent("👍❤️2");
  });
});

describe("Lines about the thread", () => {
  it("shows_a_whatsapp_notice_as_a_centred_line_with_nothing_to_press", () => {
    const { bubble } = setup(
      message(
        {
          type: "notice",
          notice: { kind: "opened_chat" },
          text: "Rafael Costa opened a chat with you",
        },
        { direction: "system" },
      ),
    );
    expect(bubble).toHaveClass("system-line");
    expect(bubble).toHaveAttribute("data-notice", "opened_chat");
    expect(bubble).toHaveTextContent(/^Rafael Costa opened a chat with you$/);
    expect(within(bubble).queryByRole("button")).toBeNull();
  });

  it("offers_a_new_number_on_its_notice_until_it_is_used", () => {
    const notice = (applied: boolean) =>
      message(
        {
          type: "notice",
          notice: { kind: "number_changed", new_phone: "+351912000111", applied },
          text: "Rafael Costa changed their number to +351 912 000 111",
        },
        { direction: "system" },
      );
    const { bubble } = setup(notice(false));
    expect(within(bubble).getByRole("button", { name: "Use the new number" })).toBeInTheDocument();
    cleanup();
    const { bubble: used } = setup(notice(true));
    expect(within(used).queryByRole("button")).toBeNull();
    expect(used).toHaveTextContent("Now writing to this number");
  });

  it("shows_a_kind_the_app_cannot_show_yet_as_a_muted_line", () => {
    setup(
      message({
        type: "unsupported",
        kind: "order",
        description: "A message of a kind this app can't show yet (order)",
      }),
    );
    const text = screen.getByTestId(testIds.messageText);
    expect(text).toHaveTextContent("A message of a kind this app can't show yet (order)");
    expect(text).toHaveClass("unsupported");
  });
});
