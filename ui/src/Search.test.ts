/** Finding any message (issue 21): the Messages tab's search, by conversation, opening the
 * thread at the message; and the search within the open conversation. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { snippetParts } from "./lib/search/snippet";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";

function highlighted(): string[] {
  return byTestId(testIds.messageBubble)
    .filter((b) => b.dataset.highlighted === "true")
    .map((b) => b.textContent ?? "");
}

describe("Searching every message", () => {
  it("lists_hits_by_conversation_newest_first_with_the_matches_marked", async () => {
    const { user, fake } = await renderApp();
    await user.type(screen.getByTestId(testIds.searchMessages), "thurs");

    const results = await screen.findByTestId(testIds.searchResults);
    await waitFor(() => expect(results).toHaveAttribute("data-count", "3"));
    expect(calls(fake, "searchMessages").at(-1)?.args).toEqual(["thurs", null, 100]);
    // One conversation (Maria's), its three messages, newest first.
    const groups = within(results).getAllByRole("region");
    expect(groups).toHaveLength(1);
    expect(groups[0]).toHaveAccessibleName("In the conversation with Maria Gonzalez");
    const hits = within(results).getAllByTestId(testIds.searchHit);
    expect(hits.map((h) => h.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      expect.stringMatching(/^Perfect, I'll bring the signed forms on Thursday\./),
      expect.stringMatching(/^Is Thursday afternoon fine\?/),
      expect.stringMatching(/^You: We are open until 6 pm on Thursday\./),
    ]);
    expect(Array.from(results.querySelectorAll("mark")).map((m) => m.textContent)).toEqual([
      "Thursday",
      "Thursday",
      "Thursday",
    ]);
    // The list of conversations gives way to the results, and comes back when cleared.
    expect(screen.queryByTestId(testIds.threadList)).toBeNull();
    await user.clear(screen.getByTestId(testIds.searchMessages));
    expect(await screen.findByTestId(testIds.threadList)).toBeInTheDocument();
  });

  it("opens_the_conversation_at_the_message_marked", async () => {
    const { user } = await renderApp();
    await user.type(screen.getByTestId(testIds.searchMessages), "mortgage");
    const hit = await screen.findByTestId(testIds.searchHit);

    await user.click(hit);

    const view = await screen.findByTestId(testIds.threadView);
    expect(view).toHaveAttribute("data-thread-id", "t-5");
    await waitFor(() =>
      expect(highlighted()).toEqual([
        expect.stringContaining("Your mortgage documents are ready to sign."),
      ]),
    );
  });

  it("says_so_when_nothing_matches", async () => {
    const { user } = await renderApp();
    await user.type(screen.getByTestId(testIds.searchMessages), "zebra");
    expect(await screen.findByText("No messages match.")).toBeInTheDocument();
  });
});

describe("Searching in the open conversation", () => {
  it("goes_from_match_to_match_marking_each", async () => {
    const { user, fake } = await renderApp();
    const view = await openThread(user, "t-1");
    await user.click(within(view).getByTestId(testIds.threadSearchButton));
    await user.type(screen.getByTestId(testIds.threadSearchInput), "thursday");

    const count = screen.getByTestId(testIds.threadSearchCount);
    await waitFor(() => expect(count).toHaveTextContent("1 of 3"));
    expect(calls(fake, "searchMessages").at(-1)?.args).toEqual(["thursday", "t-1", 200]);
    await waitFor(() =>
      expect(highlighted()).toEqual([expect.stringContaining("bring the signed forms")]),
    );

    await user.click(screen.getByTestId(testIds.threadSearchPrev));
    expect(count).toHaveTextContent("2 of 3");
    await waitFor(() =>
      expect(highlighted()).toEqual([expect.stringContaining("Is Thursday afternoon fine?")]),
    );
    await user.click(screen.getByTestId(testIds.threadSearchInput));
    await user.keyboard("{Shift>}{Enter}{/Shift}");
    expect(count).toHaveTextContent("1 of 3");
    // Closed (Esc), the mark goes with it.
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId(testIds.threadSearchInput)).toBeNull();
    await waitFor(() => expect(highlighted()).toEqual([]));
  });
});

describe("snippetParts", () => {
  it("splits_the_core_s_marks", () => {
    expect(snippetParts("…see you \u{E000}Thurs\u{E001}day at \u{E000}3\u{E001}")).toEqual([
      { text: "…see you ", match: false },
      { text: "Thurs", match: true },
      { text: "day at ", match: false },
      { text: "3", match: true },
    ]);
  });
});
