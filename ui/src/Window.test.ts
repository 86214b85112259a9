/** The 24-hour window as the user lives it (issue 21): the countdown, "Closing soon", the
 * notification, and what the closed banner offers; all on the core's clock. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeIpc, type FakeIpc } from "./lib/ipc/fake";
import { closingSoonSetting } from "./lib/settings/closing.svelte";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";

const MIN = 60_000;

/** The fake with thread `id`'s free messaging ending `ms` after now. */
function endingIn(id: string, ms: number, fake: FakeIpc = createFakeIpc()): FakeIpc {
  const thread = fake.threads.find((t) => t.id === id);
  if (!thread) throw new Error(`seed changed: no ${id}`);
  thread.free_until = new Date(Date.now() + ms).toISOString();
  return fake;
}

function rowIds(within: HTMLElement | Document = document): string[] {
  return Array.from(
    within.querySelectorAll<HTMLElement>(`[data-testid="${testIds.threadRow}"]`),
  ).map((r) => r.dataset.threadId ?? "");
}

afterEach(() => {
  closingSoonSetting.set({ minutes: 60, notify: true });
  localStorage.clear();
});

describe("The countdown", () => {
  it("reads_the_time_left_in_the_header_and_composer_and_moves_with_the_core_s_clock", async () => {
    const fake = endingIn("t-1", 3 * 60 * MIN + 12 * MIN + 30_000);
    const { user } = await renderApp(fake);
    const view = await openThread(user, "t-1");

    expect(within(view).getByTestId(testIds.headerCountdown)).toHaveTextContent("3 h 12 min left");
    const composer = within(view).getByTestId(testIds.windowCountdown);
    expect(composer).toHaveTextContent("Free messaging for 3 h 12 min");
    expect(composer).not.toHaveClass("soon");

    // The demo's clock skips three hours ahead: the times follow it, not this computer's.
    fake.emit({ kind: "clock_moved", now: new Date(Date.now() + 3 * 60 * MIN).toISOString() });
    await waitFor(() =>
      expect(within(view).getByTestId(testIds.windowCountdown)).toHaveTextContent(
        "Free messaging for 12 min",
      ),
    );
    expect(within(view).getByTestId(testIds.windowCountdown)).toHaveClass("soon");
    expect(within(view).getByTestId(testIds.headerCountdown)).toHaveTextContent("12 min left");

    // Past the end: nothing to count (the core re-announces the thread refused).
    fake.emit({ kind: "clock_moved", now: new Date(Date.now() + 4 * 60 * MIN).toISOString() });
    await waitFor(() => expect(within(view).queryByTestId(testIds.windowCountdown)).toBeNull());
    expect(within(view).queryByTestId(testIds.headerCountdown)).toBeNull();
  });

  it("shows_no_countdown_where_free_messaging_has_no_end", async () => {
    const { user } = await renderApp();
    // James waits for consent; Daniel is an SMS thread.
    for (const id of ["t-3", "t-2"]) {
      const view = await openThread(user, id);
      expect(within(view).queryByTestId(testIds.windowCountdown)).toBeNull();
      expect(within(view).queryByTestId(testIds.headerCountdown)).toBeNull();
    }
  });
});

describe("Closing soon", () => {
  it("lists_threads_ending_within_the_setting_first_and_follows_the_setting", async () => {
    const { user } = await renderApp(endingIn("t-5", 42 * MIN + 30_000));

    const group = await screen.findByTestId(testIds.closingSoon);
    expect(within(group).getByRole("heading", { name: "Closing soon" })).toBeInTheDocument();
    expect(rowIds(group)).toEqual(["t-5"]);
    expect(group).toHaveTextContent("42 min left");
    // Listed once: not again below.
    expect(rowIds(screen.getByTestId(testIds.threadList))).not.toContain("t-5");

    // Settings: within 30 minutes, Priya's 42 are not "soon".
    await user.click(screen.getByTestId(testIds.navSettings));
    await user.selectOptions(screen.getByTestId(testIds.settingsClosingSoon), "30");
    expect(JSON.parse(localStorage.getItem("multiline.closingSoon") ?? "{}")).toEqual({
      minutes: 30,
      notify: true,
    });
    await user.click(screen.getByTestId(testIds.navMessages));
    expect(screen.queryByTestId(testIds.closingSoon)).toBeNull();
    expect(rowIds(screen.getByTestId(testIds.threadList))).toContain("t-5");
  });

  it("notifies_once_when_free_messaging_ends_within_the_hour", async () => {
    const fake = endingIn("t-1", 59 * MIN + 30_000);
    endingIn("t-8", 61 * MIN, fake);
    await renderApp(fake);

    await waitFor(() => expect(calls(fake, "notify")).toHaveLength(1));
    expect(calls(fake, "notify")[0]?.args).toEqual([
      "Maria Gonzalez: free messaging ends in 59 min",
      "Reply now: after that, only an approved template can be sent until they write again.",
    ]);
    // The clock moves on: Rafael's turn comes; Maria is not notified twice.
    fake.emit({ kind: "clock_moved", now: new Date(Date.now() + 2 * MIN).toISOString() });
    await waitFor(() => expect(calls(fake, "notify")).toHaveLength(2));
    expect(calls(fake, "notify")[1]?.args[0]).toMatch(/^Rafael Costa: free messaging ends in/);
  });

  it("says_many_closing_at_once_in_one_notification", async () => {
    const fake = createFakeIpc();
    for (const id of ["t-1", "t-2", "t-5", "t-8"]) endingIn(id, 20 * MIN, fake);
    await renderApp(fake);
    await waitFor(() => expect(calls(fake, "notify")).toHaveLength(1));
    expect(calls(fake, "notify")[0]?.args[0]).toBe("Free messaging ends soon in 4 conversations");
  });

  it("does_not_notify_when_the_user_turned_it_off", async () => {
    closingSoonSetting.set({ notify: false });
    const fake = endingIn("t-1", 30 * MIN);
    await renderApp(fake);
    await screen.findByTestId(testIds.closingSoon);
    expect(calls(fake, "notify")).toEqual([]);
  });
});

describe("The closed window", () => {
  it("offers_a_template_and_links_the_policy", async () => {
    const { user, fake } = await renderApp();
    // Priya consented, but her window closed two days ago.
    const view = await openThread(user, "t-5");
    const notice = within(view).getByTestId(testIds.composerNotice);
    expect(notice).toHaveAttribute("data-reason", "window_closed_use_template");

    await user.click(within(notice).getByTestId(testIds.windowPolicyLink));
    expect(calls(fake, "openUrl").map((c) => c.args)).toEqual([
      ["https://www.whatsapp.com/legal/business-policy/?lang=en"],
    ]);

    await user.click(within(notice).getByTestId(testIds.chooseTemplate));
    expect(await screen.findByTestId(testIds.templatePicker)).toBeInTheDocument();
    expect(byTestId(testIds.windowCountdown)).toEqual([]);
  });
});
