/** "You can access any of your threads to reply from the History page" (issue 21). */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { createFakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { calls, renderApp, type User } from "./test/app";

/** Opens Maria's closed conversation (t-7) from History. */
async function openClosed(user: User) {
  await user.click(screen.getByTestId(testIds.navHistory));
  const closed = await screen.findByRole("button", {
    name: /Closed.*Thanks, the account is open now/,
  });
  // Told apart from the open one by when it was opened and who is in it.
  expect(within(closed).getByTestId(testIds.historyAbout)).toHaveTextContent(
    /^Opened .+ · Alex Morgan$/,
  );
  await user.click(closed);
  const view = await screen.findByTestId(testIds.threadView);
  expect(view).toHaveAttribute("data-thread-id", "t-7");
  return view;
}

describe("Reply from History", () => {
  it("continues_in_the_guests_open_conversation_linked_back", async () => {
    const { user, fake } = await renderApp();
    const view = await openClosed(user);
    const notice = within(view).getByTestId(testIds.composerNotice);
    expect(notice).toHaveTextContent(
      "This conversation is closed. Reply to continue with this contact.",
    );

    await user.click(within(notice).getByTestId(testIds.replyFromThread));

    expect(calls(fake, "replyFromThread").map((c) => c.args)).toEqual([["t-7"]]);
    await waitFor(() =>
      expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-1"),
    );
    const earlier = screen.getByTestId(testIds.earlierThread);
    await user.click(
      within(earlier).getByRole("button", { name: "Back to the earlier conversation" }),
    );
    expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-7");
  });

  it("reopens_the_conversation_when_the_guest_has_no_open_one", async () => {
    const fake = createFakeIpc();
    fake.threads = fake.threads.filter((t) => t.id !== "t-1");
    fake.messages = fake.messages.filter((m) => m.thread_id !== "t-1");
    const { user } = await renderApp(fake);
    const view = await openClosed(user);

    await user.click(within(view).getByTestId(testIds.replyFromThread));

    // Open again; its window closed long ago, so a template restarts it.
    await waitFor(() =>
      expect(screen.getByTestId(testIds.composerNotice)).toHaveAttribute(
        "data-reason",
        "window_closed_use_template",
      ),
    );
    expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-7");
    expect(screen.queryByTestId(testIds.earlierThread)).toBeNull();
    expect(fake.threads.find((t) => t.id === "t-7")?.status).toBe("open");
  });

  it("says_so_when_colleagues_hold_the_open_conversation", async () => {
    const { user, fake } = await renderApp();
    const view = await openClosed(user);
    fake.failNext("replyFromThread", {
      code: "join_requested",
      message: "Sam Rivera has this conversation open: they were asked to add you.",
    });
    await user.click(within(view).getByTestId(testIds.replyFromThread));
    expect(await screen.findByTestId(testIds.errorBanner)).toHaveTextContent(
      "Sam Rivera has this conversation open: they were asked to add you.",
    );
    expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-7");
  });
});
