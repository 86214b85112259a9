/** What the whole-app tests share: the App on a fake core, and finding elements by test id. */
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { expect } from "vitest";
import App from "../App.svelte";
import { createFakeIpc, type FakeIpc } from "../lib/ipc/fake";
import { testIds } from "../lib/testids";

export function byTestId(id: string): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
}

/** Renders the App on `fake` and waits for its thread list. */
export async function renderApp(fake: FakeIpc = createFakeIpc()) {
  const user = userEvent.setup();
  render(App, { props: { ipc: fake } });
  await waitFor(() => expect(byTestId(testIds.threadRow).length).toBeGreaterThan(0));
  return { user, fake };
}

export type User = ReturnType<typeof userEvent.setup>;

/** Opens thread `threadId` from the list and waits for its messages; resolves with its view. */
export async function openThread(user: User, threadId: string): Promise<HTMLElement> {
  const row = document.querySelector<HTMLElement>(
    `[data-testid="${testIds.threadRow}"][data-thread-id="${threadId}"]`,
  );
  if (!row) throw new Error(`no row for ${threadId}`);
  await user.click(row);
  await waitFor(() => expect(byTestId(testIds.messageBubble).length).toBeGreaterThan(0));
  return screen.findByTestId(testIds.threadView);
}

/** The calls the fake core took for `command`, oldest first. */
export const calls = (fake: FakeIpc, command: string) =>
  fake.calls.filter((c) => c.command === command);
