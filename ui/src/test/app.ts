/** What the whole-app tests share: the App on a fake core, and finding elements by test id. */
import { render, waitFor } from "@testing-library/svelte";
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
