import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Consent } from "../ipc/bindings/Consent";
import type { ThreadSummary } from "../ipc/bindings/ThreadSummary";
import { fakeRules } from "../ipc/fake";
import { clock } from "../shared/clock.svelte";
import { testIds } from "../testids";
import ConsentNotice from "./ConsentNotice.svelte";

function thread(consent: Consent, overrides: Partial<ThreadSummary> = {}): ThreadSummary {
  return {
    id: "t-1",
    channel: "whatsapp",
    contact_id: "c-1",
    contact_name: "Maria Gonzalez",
    guest_phone: "+15551234567",
    status: "open",
    last_message_preview: null,
    last_message_at: null,
    unread_count: 0,
    ...fakeRules(consent, true),
    consent,
    participants: [],
    participant_names: [],
    opened_at: null,
    ...overrides,
  };
}

function setup(summary: ThreadSummary) {
  const onask = vi.fn();
  render(ConsentNotice, { props: { thread: summary, onask } });
  return { onask, user: userEvent.setup() };
}

describe("ConsentNotice", () => {
  it("says_the_guest_has_not_agreed_and_offers_to_ask_when_consent_is_none", async () => {
    const { onask, user } = setup(thread({ state: "none" }));

    const notice = screen.getByTestId(testIds.consentNotice);
    expect(notice).toHaveAttribute("data-consent", "none");
    expect(notice).toHaveTextContent("Maria Gonzalez hasn't agreed to WhatsApp messages yet.");
    const ask = screen.getByTestId(testIds.askConsent);
    expect(ask).toBeEnabled();

    await user.click(ask);
    expect(onask).toHaveBeenCalledTimes(1);
  });

  it("disables_ask_for_consent_when_the_core_refuses_the_opt_in", async () => {
    const refusal = "WhatsApp is not enabled for your organization.";
    const { onask, user } = setup(
      thread(
        { state: "none" },
        { opt_in: { state: "refused", reason: "whatsapp_disabled", message: refusal } },
      ),
    );

    const ask = screen.getByTestId(testIds.askConsent);
    expect(ask).toBeDisabled();
    expect(ask).toHaveAttribute("title", refusal);
    await user.click(ask);
    expect(onask).not.toHaveBeenCalled();
  });

  it("says_when_the_opt_in_was_sent_while_waiting_for_consent", () => {
    const at = new Date(clock.now - 5 * 60_000).toISOString();
    setup(thread({ state: "requested", at }));

    const notice = screen.getByTestId(testIds.consentNotice);
    expect(notice).toHaveAttribute("data-consent", "requested");
    expect(notice).toHaveTextContent(
      "Waiting for Maria Gonzalez to reply with consent. The opt-in message was sent 5 minutes ago.",
    );
    expect(screen.queryByTestId(testIds.askConsent)).toBeNull();
  });

  it("says_the_guest_opted_out_when_consent_is_revoked", () => {
    setup(thread({ state: "revoked", at: new Date().toISOString(), guest_returned_at: null }));

    const notice = screen.getByTestId(testIds.consentNotice);
    expect(notice).toHaveAttribute("data-consent", "revoked");
    expect(notice).toHaveTextContent("Maria Gonzalez opted out of WhatsApp messages.");
    expect(screen.queryByTestId(testIds.askConsent)).toBeNull();
  });

  it("shows_nothing_once_consent_is_granted", () => {
    setup(thread({ state: "granted", at: new Date().toISOString(), reply: "YES" }));
    expect(screen.queryByTestId(testIds.consentNotice)).toBeNull();
  });
});
