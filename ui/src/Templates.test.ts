/** The opt-in (F4-F6) and Template tool (F14-F15) flows through the whole app, on the fake core. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { fakeRules } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp, type User } from "./test/app";

async function tapWhatsapp(user: User, contact: string, phone: string) {
  await user.click(screen.getByTestId(testIds.navContacts));
  await user.click(await screen.findByText(contact));
  await user.click(await screen.findByRole("button", { name: `WhatsApp ${phone}` }));
  await screen.findByTestId(testIds.threadView);
}

/** Taps the WhatsApp icon of a contact who has never been asked: the opt-in dialog opens,
 * with no thread behind it yet. */
async function tapWhatsappUnasked(user: User, contact: string, phone: string) {
  await user.click(screen.getByTestId(testIds.navContacts));
  await user.click(await screen.findByText(contact));
  await user.click(await screen.findByRole("button", { name: `WhatsApp ${phone}` }));
  return screen.findByTestId(testIds.optInDialog);
}

const SOFIA = "+393331234567";

describe("Opt-in", () => {
  it("asks_before_sending_the_opt_in_to_a_contact_without_consent", async () => {
    const { user, fake } = await renderApp();
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);

    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAttribute("data-testid", testIds.optInDialog);
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(within(dialog).getByRole("heading", { name: "Ask for consent" })).toBeInTheDocument();
    expect(dialog).toHaveTextContent(
      "The first time you message Sofia on WhatsApp, they must agree to receive messages. Send the opt-in message now?",
    );
    // Nothing is sent, and no conversation exists, until the user agrees.
    expect(calls(fake, "sendOptIn")).toHaveLength(0);
    expect(fake.threads.filter((t) => t.guest_phone === SOFIA)).toEqual([]);
    expect(screen.queryByTestId(testIds.threadView)).toBeNull();
  });

  it("links_whatsapps_business_policy_on_consent_opened_in_the_browser", async () => {
    const { user, fake } = await renderApp();
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);

    const link = await screen.findByTestId(testIds.consentPolicyLink);
    expect(link).toHaveTextContent(
      "Getting user consent to message is a WhatsApp Business policy.",
    );
    await user.click(link);

    expect(calls(fake, "openUrl").map((c) => c.args)).toEqual([
      ["https://www.whatsapp.com/legal/business-policy/?lang=en"],
    ]);
    expect(screen.getByTestId(testIds.optInDialog)).toBeInTheDocument();
    expect(calls(fake, "sendOptIn")).toHaveLength(0);
  });

  it("opens_the_thread_with_the_opt_in_on_confirmation_and_waits_for_consent", async () => {
    const { user, fake } = await renderApp();
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);

    await user.click(await screen.findByTestId(testIds.optInConfirm));

    await waitFor(() => expect(screen.queryByTestId(testIds.optInDialog)).toBeNull());
    // Asked without the request first (refused: she must be asked), then with it.
    expect(calls(fake, "openWhatsappThread").map((c) => c.args)).toEqual([
      ["c-7", SOFIA, false],
      ["c-7", SOFIA, true],
    ]);
    const threads = fake.threads.filter((t) => t.guest_phone === SOFIA);
    expect(threads).toHaveLength(1);
    expect(calls(fake, "sendOptIn").map((c) => c.args)).toEqual([[threads[0]?.id]]);
    const view = await screen.findByTestId(testIds.threadView);
    expect(view).toHaveAttribute("data-thread-id", threads[0]?.id);
    await waitFor(() =>
      expect(screen.getByTestId(testIds.consentNotice)).toHaveAttribute(
        "data-consent",
        "requested",
      ),
    );
    const bubble = await waitFor(() => {
      const last = byTestId(testIds.messageBubble).at(-1);
      if (!last) throw new Error("no bubble yet");
      return last;
    });
    expect(bubble).toHaveTextContent("Template");
    expect(bubble).toHaveTextContent("Reply YES to agree");
  });

  it("leaves_no_conversation_when_the_user_cancels", async () => {
    const { user, fake } = await renderApp();
    const before = fake.threads.length;
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);

    await user.click(await screen.findByTestId(testIds.optInCancel));

    expect(screen.queryByTestId(testIds.optInDialog)).toBeNull();
    expect(calls(fake, "sendOptIn")).toHaveLength(0);
    expect(fake.threads).toHaveLength(before);
    expect(screen.queryByTestId(testIds.threadView)).toBeNull();
    await user.click(screen.getByTestId(testIds.navMessages));
    expect(
      byTestId(testIds.threadRow).filter((r) => r.textContent?.includes("Sofia Rossi")),
    ).toEqual([]);
  });

  it("cancels_on_escape_and_keeps_focus_inside_while_open", async () => {
    const { user, fake } = await renderApp();
    const dialog = await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);
    expect(screen.getByTestId(testIds.optInConfirm)).toHaveFocus();

    await user.tab();
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    await user.tab();
    expect(dialog).toContainElement(document.activeElement as HTMLElement);

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId(testIds.optInDialog)).toBeNull();
    expect(calls(fake, "sendOptIn")).toHaveLength(0);
  });

  it("does_not_ask_when_the_guest_already_consented", async () => {
    const { user } = await renderApp();
    await tapWhatsapp(user, "Maria Gonzalez", "+15551234567");
    expect(screen.queryByTestId(testIds.optInDialog)).toBeNull();
    expect(screen.queryByTestId(testIds.consentNotice)).toBeNull();
  });

  it("asks_again_from_the_contact_after_cancelling", async () => {
    const { user, fake } = await renderApp();
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);
    await user.click(await screen.findByTestId(testIds.optInCancel));

    await user.click(await screen.findByRole("button", { name: `WhatsApp ${SOFIA}` }));
    await user.click(await screen.findByTestId(testIds.optInConfirm));

    await waitFor(() => expect(calls(fake, "sendOptIn")).toHaveLength(1));
  });

  it("shows_the_core_s_error_and_leaves_no_conversation_when_the_opt_in_fails", async () => {
    const { user, fake } = await renderApp();
    const before = fake.threads.length;
    await tapWhatsappUnasked(user, "Sofia Rossi", SOFIA);
    fake.failNext("sendOptIn", {
      code: "opt_in_template_missing",
      message:
        'The opt-in template "optin_request" (en_US) is not available. Ask an admin to sync templates.',
    });

    await user.click(await screen.findByTestId(testIds.optInConfirm));

    await waitFor(() =>
      expect(screen.getByTestId(testIds.errorBanner)).toHaveTextContent(
        'The opt-in template "optin_request" (en_US) is not available.',
      ),
    );
    expect(fake.threads).toHaveLength(before);
    expect(screen.queryByTestId(testIds.threadView)).toBeNull();
  });

  it("unlocks_the_composer_live_when_the_guest_consents", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-3");
    const input = screen.getByTestId(testIds.composerInput);
    expect(input).toBeDisabled();
    expect(screen.getByTestId(testIds.consentNotice)).toHaveAttribute("data-consent", "requested");

    const james = fake.threads.find((t) => t.id === "t-3");
    if (!james) throw new Error("seed changed: no t-3");
    const consent = { state: "granted", at: new Date().toISOString(), reply: "YES" } as const;
    fake.emit({
      kind: "thread_upserted",
      thread: { ...james, ...fakeRules(consent, true), consent },
    });

    await waitFor(() => expect(screen.getByTestId(testIds.composerInput)).toBeEnabled());
    expect(screen.queryByTestId(testIds.consentNotice)).toBeNull();
    expect(screen.queryByTestId(testIds.composerNotice)).toBeNull();
  });
});

describe("Template tool", () => {
  it("sends_a_filled_template_where_the_window_has_closed", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-5");
    expect(screen.getByTestId(testIds.composerInput)).toBeDisabled();

    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuTemplate));
    const picker = await screen.findByTestId(testIds.templatePicker);
    const options = within(picker).getAllByTestId(testIds.templateOption);
    expect(options.map((o) => o.dataset.templateName)).toEqual([
      "appointment_reminder",
      "conversation_restart",
      "statement_ready",
      "summer_sale",
      "invoice_ready",
      "winter_teaser",
    ]);
    expect(options[0]).toHaveTextContent("Appointment reminder");
    expect(options[0]).toHaveTextContent("Utility");
    expect(options[0]).toHaveTextContent("Hi {{1}}, this is a reminder");

    await user.click(options[1] as HTMLElement);

    expect(screen.queryByTestId(testIds.templatePicker)).toBeNull();
    const field = screen.getByTestId(testIds.templateField);
    expect(field).toHaveAttribute("data-key", "1");
    await user.type(field, "Priya");
    await waitFor(() => expect(screen.getByTestId(testIds.templateSend)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.templateSend));

    await waitFor(() => expect(calls(fake, "sendTemplate")).toHaveLength(1));
    expect(calls(fake, "sendTemplate")[0]?.args).toEqual([
      "t-5",
      "conversation_restart",
      "en_US",
      [{ part: "body", key: "1", value: "Priya" }],
    ]);
    // Back to the normal composer, now open again; the template shows as a tagged bubble.
    await waitFor(() => expect(screen.getByTestId(testIds.composerInput)).toBeEnabled());
    const bubble = byTestId(testIds.messageBubble).at(-1) as HTMLElement;
    expect(bubble).toHaveTextContent("Template");
    expect(bubble).toHaveTextContent("Hello Priya, following up on our conversation.");
  });

  it("returns_to_the_normal_composer_on_cancel", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuTemplate));
    await user.click((await screen.findAllByTestId(testIds.templateOption))[0] as HTMLElement);
    expect(screen.queryByTestId(testIds.composerInput)).toBeNull();

    await user.click(screen.getByTestId(testIds.templateCancel));

    expect(screen.getByTestId(testIds.composerInput)).toBeEnabled();
    expect(screen.queryByTestId(testIds.templateField)).toBeNull();
    expect(calls(fake, "sendTemplate")).toHaveLength(0);
  });

  it("disables_the_template_item_while_consent_is_pending", async () => {
    const { user } = await renderApp();
    await openThread(user, "t-3");
    await user.click(screen.getByTestId(testIds.expandButton));

    const item = screen.getByTestId(testIds.menuTemplate);
    expect(item).toHaveAttribute("aria-disabled", "true");
    expect(item).toHaveAttribute(
      "title",
      "Waiting for the guest to reply with consent to the opt-in request.",
    );
  });

  it("redraws_the_open_picker_when_the_core_says_templates_changed", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-5");
    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuTemplate));
    const row = await screen.findByTestId(`${testIds.templateRow}-summer_sale`);
    expect(row).toHaveAttribute("data-status", "APPROVED");

    // WhatsApp paused it, and a new one was approved, while the picker is open.
    const sale = fake.templates.find((t) => t.name === "summer_sale");
    if (!sale) throw new Error("seed changed: no summer_sale");
    sale.status = "PAUSED";
    fake.templates.push({ ...sale, name: "autumn_offer", status: "APPROVED" });
    fake.emit({ kind: "templates_changed" });

    await waitFor(() =>
      expect(screen.getByTestId(`${testIds.templateRow}-summer_sale`)).toHaveAttribute(
        "data-status",
        "PAUSED",
      ),
    );
    expect(
      within(screen.getByTestId(`${testIds.templateRow}-summer_sale`)).getByRole("button"),
    ).toBeDisabled();
    expect(screen.getByTestId(`${testIds.templateRow}-autumn_offer`)).toBeInTheDocument();
  });

  it("sends_the_summer_sale_with_its_picture_link_ending_and_coupon", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-5");
    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuTemplate));
    const row = await screen.findByTestId(`${testIds.templateRow}-summer_sale`);
    await user.click(within(row).getByRole("button"));

    await user.click(screen.getByRole("button", { name: "Use the template's picture" }));
    await user.type(screen.getByTestId(testIds.templateField), "Priya");
    await user.type(screen.getByTestId(`${testIds.templateSlot}-button-0`), "SUMMER24");
    await user.type(screen.getByTestId(`${testIds.templateSlot}-button-1`), "PRIYA10");
    await waitFor(() => expect(screen.getByTestId(testIds.templateSend)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.templateSend));

    await waitFor(() => expect(calls(fake, "sendTemplate")).toHaveLength(1));
    expect(calls(fake, "sendTemplate")[0]?.args[3]).toEqual([
      {
        part: "header",
        key: "media",
        value: "https://northwind.example/templates/summer_sale.jpg",
      },
      { part: "body", key: "1", value: "Priya" },
      { part: "button", key: "0", value: "SUMMER24" },
      { part: "button", key: "1", value: "PRIYA10" },
    ]);
    // The sent bubble: the header's picture (a link: named, not loaded) and the buttons.
    await waitFor(() =>
      expect(byTestId(testIds.messageBubble).at(-1)).toHaveTextContent("our summer sale is on"),
    );
    const bubble = byTestId(testIds.messageBubble).at(-1) as HTMLElement;
    expect(within(bubble).getByTestId(testIds.messageTemplateHeader)).toHaveTextContent("Picture");
    expect(within(bubble).getByTestId(testIds.messageTemplateButtons)).toHaveTextContent(
      "Shop the sale",
    );
  });

  it("reloads_templates_when_the_core_says_they_changed", async () => {
    const { fake } = await renderApp();
    await waitFor(() => expect(calls(fake, "listTemplates")).toHaveLength(1));

    fake.emit({ kind: "templates_changed" });

    await waitFor(() => expect(calls(fake, "listTemplates")).toHaveLength(2));
  });
});
