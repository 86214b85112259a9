/** A failed message's one-tap actions through the whole app, on the fake core. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { createFakeIpc, type FakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";

function bubble(id: string): HTMLElement {
  const found = byTestId(testIds.messageBubble).find((b) => b.dataset.messageId === id);
  if (!found) throw new Error(`no bubble ${id}`);
  return found;
}

/** Maria's failed "Shall I book a slot at 3 pm?" (t-1), its remedy set to `remedy`. */
function withRemedy(remedy: "retry" | "sms", smsEnabled = true): FakeIpc {
  const fake = createFakeIpc({ smsEnabled });
  const failed = fake.messages.find((m) => m.id === "m-6b");
  if (!failed) throw new Error("seed changed: no m-6b");
  failed.remedy = remedy;
  return fake;
}

describe("Failed message", () => {
  it("retries_the_same_message_once", async () => {
    const { user, fake } = await renderApp(withRemedy("retry"));
    await openThread(user, "t-1");
    const retry = await within(bubble("m-6b")).findByTestId(testIds.failedRetry);

    await user.click(retry);

    await waitFor(() => expect(bubble("m-6b")).toHaveAttribute("data-state", "sending"));
    expect(calls(fake, "retryMessage").map((c) => c.args)).toEqual([["m-6b"]]);
    expect(within(bubble("m-6b")).queryByTestId(testIds.failedRetry)).toBeNull();
  });

  it("says_a_not_confirmed_message_may_have_arrived_and_sends_it_again_on_request", async () => {
    const fake = withRemedy("retry");
    const cut = fake.messages.find((m) => m.id === "m-6b");
    if (!cut) throw new Error("seed changed: no m-6b");
    cut.state = "unconfirmed";
    cut.failure =
      "Not confirmed: the connector restarted while sending this message, and WhatsApp may have delivered it. Check with the guest before you send it again.";
    const { user } = await renderApp(fake);
    await openThread(user, "t-1");

    const note = within(bubble("m-6b")).getByRole("note");
    expect(note).toHaveTextContent("Check with the guest before you send it again.");
    expect(within(bubble("m-6b")).getByRole("img", { name: "Not confirmed" })).toBeInTheDocument();
    const again = within(bubble("m-6b")).getByTestId(testIds.failedRetry);
    expect(again).toHaveTextContent("Send again");

    await user.click(again);

    await waitFor(() => expect(bubble("m-6b")).toHaveAttribute("data-state", "sending"));
    expect(calls(fake, "retryMessage").map((c) => c.args)).toEqual([["m-6b"]]);
  });

  it("shows_a_refused_retry_as_the_app_shows_errors", async () => {
    const { user, fake } = await renderApp(withRemedy("retry"));
    await openThread(user, "t-1");
    fake.failNext("retryMessage", {
      code: "not_retryable",
      message: "This message cannot be sent again.",
    });

    await user.click(await within(bubble("m-6b")).findByTestId(testIds.failedRetry));

    await waitFor(() =>
      expect(screen.getByTestId(testIds.errorBanner)).toHaveTextContent(
        "This message cannot be sent again.",
      ),
    );
    expect(within(bubble("m-6b")).getByTestId(testIds.failedRetry)).toBeEnabled();
  });

  it("opens_the_template_picker_when_the_window_closed", async () => {
    const { user } = await renderApp();
    await openThread(user, "t-5");

    await user.click(await within(bubble("m-13c")).findByTestId(testIds.failedSendTemplate));

    expect(await screen.findByTestId(testIds.templatePicker)).toBeInTheDocument();
  });

  it("sends_the_text_by_sms_and_opens_the_sms_thread", async () => {
    const { user, fake } = await renderApp(withRemedy("sms"));
    await openThread(user, "t-1");

    await user.click(await within(bubble("m-6b")).findByTestId(testIds.failedSendSms));

    await waitFor(() => expect(calls(fake, "sendBySms")).toHaveLength(1));
    expect(calls(fake, "sendBySms")[0]?.args).toEqual(["t-1", "m-6b"]);
    const sms = fake.threads.find((t) => t.channel === "sms" && t.guest_phone === "+15551234567");
    await waitFor(() =>
      expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", sms?.id),
    );
    await waitFor(() =>
      expect(byTestId(testIds.messageBubble).at(-1)).toHaveTextContent(
        "Shall I book a slot at 3 pm?",
      ),
    );
  });

  it("does_not_offer_sms_where_the_organization_cannot_text", async () => {
    const { user } = await renderApp(withRemedy("sms", false));
    await openThread(user, "t-1");
    await screen.findByText("Shall I book a slot at 3 pm?");
    expect(within(bubble("m-6b")).queryByTestId(testIds.failedSendSms)).toBeNull();
  });
});
