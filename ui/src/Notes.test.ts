/** Private notes (issue 21): written to the colleagues in the thread, shown as a note, never
 * sent; possible whatever may be sent to the guest. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";

describe("Private notes", () => {
  it("adds_a_note_shown_apart_from_messages_and_never_sent", async () => {
    const { user, fake } = await renderApp();
    const view = await openThread(user, "t-1");

    await user.click(within(view).getByTestId(testIds.noteMode));
    expect(within(view).getByText(/Only colleagues in this conversation see notes/)).toBeVisible();
    const field = within(view).getByRole("textbox", { name: "Private note" });
    await user.type(field, "Prefers a call after 5 pm.{Enter}");

    expect(calls(fake, "addNote").map((c) => c.args)).toEqual([
      ["t-1", "Prefers a call after 5 pm."],
    ]);
    expect(calls(fake, "sendText")).toEqual([]);
    const note = await waitFor(() => {
      const found = byTestId(testIds.messageBubble).find((b) => b.dataset.direction === "note");
      if (!found) throw new Error("no note yet");
      return found;
    });
    expect(within(note).getByTestId(testIds.privateNote)).toHaveTextContent(
      "Private note · Alex Morgan",
    );
    expect(note).toHaveTextContent("Prefers a call after 5 pm.");
    // Back to messages: the note's draft and the message's are kept apart.
    await user.click(within(view).getByTestId(testIds.messageMode));
    expect(within(view).getByRole("textbox", { name: "Message" })).toHaveValue("");
  });

  it("can_be_written_while_messaging_is_paused", async () => {
    const { user, fake } = await renderApp();
    // James has not consented yet: no message may go, a note may.
    const view = await openThread(user, "t-3");
    expect(within(view).getByRole("textbox", { name: "Message" })).toBeDisabled();
    await user.click(within(view).getByTestId(testIds.noteMode));
    const field = within(view).getByRole("textbox", { name: "Private note" });
    expect(field).toBeEnabled();
    await user.type(field, "Asked at the branch too.");
    await user.click(within(view).getByTestId(testIds.composerSend));
    await waitFor(() => expect(calls(fake, "addNote")).toHaveLength(1));
    expect(screen.getByTestId(testIds.composerSend)).toBeDisabled();
  });
});
