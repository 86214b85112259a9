import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { createFakeIpc, FAKE_PASSWORD, type FakeIpc } from "./lib/ipc/fake";
import { theme } from "./lib/settings/theme.svelte";
import { testIds } from "./lib/testids";

function byTestId(id: string): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
}

function renderApp(fake: FakeIpc) {
  const user = userEvent.setup();
  const restart = vi.fn();
  render(App, { props: { ipc: fake, restart } });
  return { user, restart };
}

afterEach(() => {
  theme.set("system");
});

describe("Sign-in screen", () => {
  it("shows_the_form_prefilled_and_loads_nothing_else_while_signed_out", async () => {
    const fake = createFakeIpc({ signedOut: true });
    renderApp(fake);

    const url = await screen.findByTestId(testIds.signInUrl);
    expect(url).toHaveValue("http://127.0.0.1:8080");
    expect(screen.getByTestId(testIds.signInEmail)).toHaveValue("alex.morgan@northwind.example");
    expect(screen.queryByTestId(testIds.threadList)).not.toBeInTheDocument();
    const called = new Set(fake.calls.map((c) => c.command));
    expect(called).toEqual(new Set(["accountState"]));
  });

  it("shows_a_wrong_password_on_the_password_field_and_a_bad_address_on_the_address", async () => {
    const fake = createFakeIpc({ signedOut: true });
    const { user, restart } = renderApp(fake);
    const password = await screen.findByTestId(testIds.signInPassword);

    await user.type(password, "nope{Enter}");

    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("The email or password is wrong.")).toBeInTheDocument();

    const url = screen.getByTestId(testIds.signInUrl);
    await user.clear(url);
    await user.type(url, "not a url");
    await user.click(screen.getByTestId(testIds.signInSubmit));

    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    expect(password).not.toHaveAttribute("aria-invalid");
    expect(screen.getByText(/Enter the connector's address/)).toBeInTheDocument();
    expect(restart).not.toHaveBeenCalled();
  });

  it("says_an_app_too_old_for_its_connector_and_which_version_to_install", async () => {
    const fake = createFakeIpc({ signedOut: true });
    const tooOld =
      "This MultiLine app (0.1.0) is older than your organization's connector accepts: " +
      "install MultiLine 0.2.0 or newer, then sign in again.";
    fake.signIn = async () => {
      throw { code: "app_too_old", message: tooOld };
    };
    const { user, restart } = renderApp(fake);
    const password = await screen.findByTestId(testIds.signInPassword);

    await user.type(password, `${FAKE_PASSWORD}{Enter}`);

    expect(await screen.findByText(tooOld)).toBeInTheDocument();
    expect(password).not.toHaveAttribute("aria-invalid");
    expect(screen.getByTestId(testIds.signInUrl)).not.toHaveAttribute("aria-invalid");
    expect(restart).not.toHaveBeenCalled();
  });

  it("signs_in_with_a_demo_account_and_starts_afresh", async () => {
    const fake = createFakeIpc({ signedOut: true });
    const { user, restart } = renderApp(fake);
    await screen.findByTestId(testIds.signIn);

    await user.click(screen.getByRole("button", { name: "Use Sam Rivera" }));
    expect(screen.getByTestId(testIds.signInEmail)).toHaveValue("sam@northwind.example");
    await user.click(screen.getByTestId(testIds.signInSubmit));

    await waitFor(() => expect(restart).toHaveBeenCalledTimes(1));
    const call = fake.calls.find((c) => c.command === "signIn");
    expect(call?.args).toEqual(["http://127.0.0.1:8080", "sam@northwind.example", FAKE_PASSWORD]);
  });

  it("says_why_when_the_connector_ends_the_session", async () => {
    const fake = createFakeIpc();
    renderApp(fake);
    await waitFor(() => expect(byTestId(testIds.threadRow).length).toBeGreaterThan(0));

    fake.account = {
      state: "signed_out",
      connector_url: "http://127.0.0.1:8080",
      email: fake.session.user.email,
      demo_accounts: [],
      reason: "Your session ended. Sign in again.",
    };
    fake.emit({ kind: "sync_state_changed", sync: { state: "signed_out" } });

    expect(await screen.findByRole("status")).toHaveTextContent(
      "Your session ended. Sign in again.",
    );
    expect(screen.getByTestId(testIds.signIn)).toBeInTheDocument();
  });
});

describe("Settings", () => {
  it("shows_the_account_the_organization_and_the_connector", async () => {
    const fake = createFakeIpc({ whatsappEnabled: false });
    const { user } = renderApp(fake);
    await user.click(await screen.findByTestId(testIds.navSettings));

    expect(screen.getByTestId(testIds.settingsUserName)).toHaveTextContent("Alex Morgan");
    expect(screen.getByTestId(testIds.settingsWhatsapp)).toHaveTextContent("Not enabled");
    expect(screen.getByTestId(testIds.settingsConnector)).toHaveTextContent(
      "http://127.0.0.1:8080",
    );
    expect(screen.getByText("The demo, running on this computer")).toBeInTheDocument();
  });

  it("switches_to_the_dark_theme_and_remembers_it", async () => {
    const { user } = renderApp(createFakeIpc());
    await user.click(await screen.findByTestId(testIds.navSettings));

    await user.click(screen.getByTestId(`${testIds.settingsTheme}-dark`));

    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem("multiline.theme")).toBe("dark");
    await user.click(screen.getByTestId(`${testIds.settingsTheme}-light`));
    expect(document.documentElement.dataset.theme).toBe("light");
  });

  it("signs_out_only_after_confirming", async () => {
    const fake = createFakeIpc();
    const { user, restart } = renderApp(fake);
    await user.click(await screen.findByTestId(testIds.navSettings));

    await user.click(screen.getByTestId(testIds.signOut));
    const dialog = screen.getByTestId(testIds.signOutDialog);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId(testIds.signOutDialog)).not.toBeInTheDocument();
    expect(fake.calls.some((c) => c.command === "signOut")).toBe(false);

    await user.click(screen.getByTestId(testIds.signOut));
    await user.click(screen.getByTestId(testIds.signOutConfirm));

    await waitFor(() => expect(restart).toHaveBeenCalledTimes(1));
    expect(fake.calls.filter((c) => c.command === "signOut")).toHaveLength(1);
  });
});

describe("History", () => {
  it("lists_every_thread_per_contact_open_and_closed_and_opens_any", async () => {
    const { user } = renderApp(createFakeIpc());
    await waitFor(() => expect(byTestId(testIds.threadRow).length).toBeGreaterThan(0));
    expect(byTestId(testIds.threadRow).map((r) => r.dataset.threadId)).not.toContain("t-7");

    await user.click(screen.getByTestId(testIds.navHistory));

    const maria = byTestId(testIds.historyContact).find((c) =>
      c.textContent?.includes("Maria Gonzalez"),
    );
    if (!maria) throw new Error("no Maria in History");
    const threads = within(maria).getAllByTestId(testIds.historyThread);
    expect(threads.map((t) => [t.dataset.threadId, t.dataset.status])).toEqual([
      ["t-1", "open"],
      ["t-7", "closed"],
    ]);
    expect(within(maria).getByText("2 conversations")).toBeInTheDocument();

    await user.type(screen.getByTestId(testIds.historySearch), "priya");
    await waitFor(() => expect(byTestId(testIds.historyContact)).toHaveLength(1));

    await user.clear(screen.getByTestId(testIds.historySearch));
    const closed = byTestId(testIds.historyThread).find((t) => t.dataset.threadId === "t-7");
    if (!closed) throw new Error("no closed thread");
    await user.click(closed);

    await waitFor(() => expect(screen.getByTestId(testIds.threadView)).toBeInTheDocument());
    expect(screen.getByText("Closed")).toBeInTheDocument();
  });
});
