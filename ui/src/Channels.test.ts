import { screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createFakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, renderApp } from "./test/app";

/** F22: SMS and voicemail beside WhatsApp, in the real App with the fake core. */

function row(threadId: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(
    `[data-testid="${testIds.threadRow}"][data-thread-id="${threadId}"]`,
  );
  if (!found) throw new Error(`no row for ${threadId}`);
  return found;
}

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

describe("One inbox for WhatsApp, SMS and voicemail", () => {
  it("marks_each_thread_with_its_channel", async () => {
    await renderApp();
    expect(within(row("t-1")).getByRole("img", { name: "WhatsApp" })).toBeInTheDocument();
    expect(within(row("t-2")).getByRole("img", { name: "SMS" })).toBeInTheDocument();
    expect(within(row("t-4")).getByRole("img", { name: "Voicemail" })).toBeInTheDocument();
  });

  it("texts_by_sms_without_any_opt_in_or_template_tools", async () => {
    const { user, fake } = await renderApp();
    await user.click(row("t-2"));
    await waitFor(() => expect(byTestId(testIds.messageBubble).length).toBeGreaterThan(0));
    expect(screen.queryByTestId(testIds.expandButton)).toBeNull();
    expect(screen.queryByTestId(testIds.consentNotice)).toBeNull();

    await user.type(screen.getByTestId(testIds.composerInput), "I'll call you at 4{Enter}");
    await waitFor(() =>
      expect(fake.calls.some((c) => c.command === "sendText" && c.args[0] === "t-2")).toBe(true),
    );
  });

  it("says_why_nothing_can_be_sent_after_stop", async () => {
    const fake = createFakeIpc();
    const sms = fake.threads.find((t) => t.id === "t-2");
    if (!sms) throw new Error("the fake's SMS thread");
    sms.composer = {
      state: "refused",
      reason: "sms_stopped",
      message: "This person replied STOP. Texts can't be sent until they reply START.",
    };
    const { user } = await renderApp(fake);
    await user.click(row("t-2"));
    expect(
      await screen.findByText(
        "This person replied STOP. Texts can't be sent until they reply START.",
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId(testIds.composerInput)).toBeDisabled();
  });

  it("opens_an_sms_thread_from_the_contacts_sms_button", async () => {
    const { user, fake } = await renderApp();
    await user.click(screen.getByTestId(testIds.navContacts));
    await user.click(await screen.findByText("Maria Gonzalez"));
    const details = await screen.findByTestId(testIds.contactDetails);
    await user.click(within(details).getByRole("button", { name: "SMS +15551234567" }));

    await waitFor(() =>
      expect(fake.calls.find((c) => c.command === "openSmsThread")?.args).toEqual([
        "c-1",
        "+15551234567",
      ]),
    );
    const view = await screen.findByTestId(testIds.threadView);
    expect(within(view).getByText("SMS · +1 555 123 4567")).toBeInTheDocument();
  });

  it("leaves_the_sms_button_disabled_where_texting_is_not_set_up", async () => {
    const { user, fake } = await renderApp(createFakeIpc({ smsEnabled: false }));
    await user.click(screen.getByTestId(testIds.navContacts));
    await user.click(await screen.findByText("Maria Gonzalez"));
    const details = await screen.findByTestId(testIds.contactDetails);
    const sms = within(details).getByRole("button", { name: "SMS +15551234567" });
    // aria-disabled: still focusable, so its tip says why.
    expect(sms).toHaveAttribute("aria-disabled", "true");
    expect(sms).toHaveAccessibleDescription("Texting is not set up for your line");
    await user.click(sms);
    expect(fake.calls.some((c) => c.command === "openSmsThread")).toBe(false);
  });
});

describe("A voicemail", () => {
  it("shows_its_length_and_transcript_plays_and_is_marked_heard_once", async () => {
    const { user, fake } = await renderApp();
    await user.click(row("t-4"));
    const voicemail = await screen.findByTestId(testIds.voicemail);
    expect(voicemail).toHaveAttribute("data-heard", "false");
    expect(voicemail).toHaveTextContent("0:42");
    expect(within(voicemail).getByText("New")).toBeInTheDocument();
    expect(screen.getByTestId(testIds.voicemailTranscript)).toHaveTextContent(
      "I'd like to move our meeting to next week",
    );
    expect(fake.calls.some((c) => c.command === "getMedia")).toBe(false);

    await user.click(screen.getByRole("button", { name: "Play the voicemail" }));
    // Fetched on the first play, heard for everyone, and the "New" badge goes.
    await waitFor(() => expect(voicemail).toHaveAttribute("data-heard", "true"));
    expect(fake.calls.filter((c) => c.command === "getMedia").map((c) => c.args)).toEqual([
      ["vm-1"],
    ]);
    expect(fake.calls.filter((c) => c.command === "markHeard")).toHaveLength(1);
    expect(within(voicemail).queryByText("New")).toBeNull();
    const audio = voicemail.querySelector("audio");
    expect(audio?.getAttribute("src")).toMatch(/^data:audio\/wav;base64,/);

    await user.click(screen.getByRole("button", { name: "Pause the voicemail" }));
    await user.click(screen.getByRole("button", { name: "Play the voicemail" }));
    expect(fake.calls.filter((c) => c.command === "getMedia")).toHaveLength(1);
    expect(fake.calls.filter((c) => c.command === "markHeard")).toHaveLength(1);
  });

  it("cannot_be_answered_in_place_but_offers_to_text_back", async () => {
    const { user, fake } = await renderApp();
    await user.click(row("t-4"));
    await screen.findByTestId(testIds.voicemail);
    expect(screen.queryByTestId(testIds.composerInput)).toBeNull();
    expect(
      screen.getByText("A voicemail can't be answered here. Reply by SMS or WhatsApp."),
    ).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Text back" }));
    await waitFor(() =>
      expect(fake.calls.find((c) => c.command === "openSmsThread")?.args).toEqual([
        "c-4",
        "+4915112345678",
      ]),
    );
  });

  it("says_so_when_its_recording_cannot_be_fetched", async () => {
    const fake = createFakeIpc();
    fake.getMedia = () => Promise.reject({ code: "offline", message: "Offline." });
    const { user } = await renderApp(fake);
    await user.click(row("t-4"));
    await user.click(await screen.findByRole("button", { name: "Play the voicemail" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This recording can't be played right now.",
    );
    expect(fake.calls.some((c) => c.command === "markHeard")).toBe(false);
  });
});
