/** Consent as users live it (issue 21): asking again after no yes, one banner per state,
 * each number's standing in Contact Details and its consent record; a draft stranded by the
 * window's end turned into a template. */
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { createFakeIpc } from "./lib/ipc/fake";
import { saveDraft } from "./lib/composer/drafts";
import { testIds } from "./lib/testids";
import { suggestTemplate, words } from "./lib/template/suggest";
import { demoTemplates } from "./lib/ipc/fake";
import { byTestId, calls, openThread, renderApp, type User } from "./test/app";

const DAY = 86_400_000;

async function firstRecordButton(details: HTMLElement): Promise<HTMLElement> {
  const [first] = await within(details).findAllByTestId(testIds.consentRecordButton);
  if (!first) throw new Error("no consent record button");
  return first;
}

async function openContact(user: User, name: string) {
  await user.click(screen.getByTestId(testIds.navContacts));
  await user.click(await screen.findByText(name));
  return screen.findByTestId(testIds.contactDetails);
}

/** James was asked 25 hours ago and said "No": the opt-in may go again. */
function jamesSaidNo() {
  const fake = createFakeIpc();
  const james = fake.threads.find((t) => t.id === "t-3");
  if (!james) throw new Error("seed changed: no t-3");
  james.consent = { state: "requested", at: new Date(Date.now() - DAY - 3_600_000).toISOString() };
  james.opt_in = { state: "allowed" };
  return fake;
}

describe("Asking again", () => {
  it("offers_ask_again_in_the_thread_when_the_request_went_unanswered_for_a_day", async () => {
    const { user, fake } = await renderApp(jamesSaidNo());
    const view = await openThread(user, "t-3");

    const notice = within(view).getByTestId(testIds.consentNotice);
    expect(notice).toHaveTextContent(
      "James Okafor hasn't agreed: the opt-in message was sent yesterday with no yes. You can ask again.",
    );
    // One banner: the composer does not say it a second time.
    expect(within(view).queryByTestId(testIds.composerNotice)).toBeNull();

    await user.click(within(notice).getByTestId(testIds.askConsent));
    await user.click(await screen.findByTestId(testIds.optInConfirm));
    await waitFor(() => expect(calls(fake, "sendOptIn").map((c) => c.args)).toEqual([["t-3"]]));
  });

  it("shows_one_banner_while_waiting", async () => {
    const { user } = await renderApp();
    const view = await openThread(user, "t-3");
    expect(within(view).getByTestId(testIds.consentNotice)).toHaveTextContent(
      "Waiting for James Okafor to reply with consent.",
    );
    expect(within(view).queryByTestId(testIds.composerNotice)).toBeNull();
    expect(within(view).queryByTestId(testIds.askConsent)).toBeNull();
  });
});

describe("Contact Details", () => {
  it("says_each_numbers_standing_and_asks_again_from_there", async () => {
    const { user, fake } = await renderApp(jamesSaidNo());
    const details = await openContact(user, "James Okafor");

    const standing = await within(details).findByTestId(testIds.consentStanding);
    expect(standing).toHaveTextContent(/^Waiting for a reply since /);
    await user.click(within(standing).getByTestId(testIds.askConsentAgain));

    // It opens the conversation and the opt-in dialog.
    await user.click(await screen.findByTestId(testIds.optInConfirm));
    await waitFor(() => expect(calls(fake, "sendOptIn").map((c) => c.args)).toEqual([["t-3"]]));
    expect(screen.getByTestId(testIds.threadView)).toHaveAttribute("data-thread-id", "t-3");
  });

  it("says_never_asked_consented_and_opted_out", async () => {
    const { user } = await renderApp();
    let details = await openContact(user, "Sofia Rossi");
    expect(await within(details).findByTestId(testIds.consentStanding)).toHaveTextContent(
      "Not asked yet",
    );
    expect(within(details).getByTestId(testIds.askConsentAgain)).toHaveTextContent(
      "Ask for consent",
    );
    expect(within(details).queryByTestId(testIds.consentRecordButton)).toBeNull();

    details = await openContact(user, "Maria Gonzalez");
    await waitFor(() =>
      expect(
        within(details)
          .getAllByTestId(testIds.consentStanding)
          .find((n) => n.dataset.phone === "+15551234567"),
      ).toHaveTextContent(/Consented on .+ by replying "YES"/),
    );
    details = await openContact(user, "Aiko Tanaka");
    await waitFor(() =>
      expect(within(details).getByTestId(testIds.consentStanding)).toHaveTextContent(
        /^Opted out on /,
      ),
    );
    expect(within(details).queryByTestId(testIds.askConsentAgain)).toBeNull();
  });

  it("shows_and_saves_the_consent_record_with_the_request_and_the_reply", async () => {
    const { user, fake } = await renderApp();
    const details = await openContact(user, "Maria Gonzalez");
    await user.click(await firstRecordButton(details));

    const dialog = await screen.findByTestId(testIds.consentRecord);
    expect(within(dialog).getByTestId(testIds.consentStandingText)).toHaveTextContent(
      /Consented on .+ by replying "YES"/,
    );
    const requests = within(dialog).getAllByTestId(testIds.consentRequestItem);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toHaveTextContent("id m-1");
    expect(requests[0]).toHaveTextContent("Reply YES to agree");
    expect(within(dialog).getByTestId(testIds.consentReply)).toHaveTextContent("id m-2");

    await user.click(within(dialog).getByTestId(testIds.consentSaveJson));
    await user.click(within(dialog).getByTestId(testIds.consentSavePage));
    const saved = calls(fake, "saveText").map((c) => c.args as [string, string]);
    expect(saved.map(([name]) => name)).toEqual([
      expect.stringMatching(/^consent-maria-gonzalez-15551234567-\d{4}-\d{2}-\d{2}\.json$/),
      expect.stringMatching(/^consent-maria-gonzalez-15551234567-\d{4}-\d{2}-\d{2}\.html$/),
    ]);
    const json = JSON.parse(saved[0]?.[1] ?? "{}");
    expect(json.requests.map((r: { id: string }) => r.id)).toEqual(["m-1"]);
    expect(json.reply.id).toBe("m-2");
    expect(json.consent).toMatchObject({ state: "granted", reply: "YES" });
    const page = new DOMParser().parseFromString(saved[1]?.[1] ?? "", "text/html");
    expect(page.title).toBe("Consent record: Maria Gonzalez");
    expect(page.body.textContent).toContain("m-2");
    expect(page.body.textContent).toContain("Reply YES to agree");
    expect(within(dialog).getByRole("status")).toHaveTextContent("Saved as consent-maria");
  });

  it("escapes_what_a_guest_wrote_in_the_printable_page", async () => {
    const fake = createFakeIpc();
    const reply = fake.messages.find((m) => m.id === "m-2");
    const maria = fake.threads.find((t) => t.id === "t-1");
    if (!reply || !maria || maria.consent.state !== "granted") throw new Error("seed changed");
    reply.body = { type: "text", text: "<img src=x onerror=alert(1)>YES" };
    maria.consent = { ...maria.consent, reply: "<img src=x onerror=alert(1)>YES" };
    const { user } = await renderApp(fake);
    const details = await openContact(user, "Maria Gonzalez");
    await user.click(await firstRecordButton(details));
    await user.click(await screen.findByTestId(testIds.consentSavePage));
    const html = calls(fake, "saveText")[0]?.args[1] as string;
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;YES");
    expect(html).not.toContain("<img");
  });
});

describe("A draft when the window closes", () => {
  it("suggests_the_closest_template_by_its_words_with_the_name_filled", () => {
    const templates = demoTemplates();
    const found = suggestTemplate(
      "Hi Priya, your statement for March is ready to download",
      templates,
      "Priya Sharma",
      "optin_request",
    );
    expect(found?.template.name).toBe("statement_ready");
    expect(found?.values).toEqual({ "body:first_name": "Priya" });
    const reminder = suggestTemplate("About your appointment on Friday", templates, "Priya Sharma");
    expect(reminder?.template.name).toBe("appointment_reminder");
    expect(reminder?.values).toEqual({ "body:1": "Priya" });
    expect(suggestTemplate("ok", templates, "Priya Sharma")).toBeNull();
    expect(suggestTemplate("xyzzy plugh", templates, "Priya Sharma")).toBeNull();
    expect([...words("The invoice, THE Invoice!")]).toEqual(["invoice"]);
  });

  it("offers_the_draft_as_a_template_with_its_fields_filled", async () => {
    saveDraft("t-5", "Your statement for March is ready, Priya");
    const { user } = await renderApp();
    const view = await openThread(user, "t-5");
    // Priya's window closed with a draft typed: the template it could go as.
    const suggestion = await within(view).findByTestId(testIds.templateSuggestion);
    expect(suggestion).toHaveTextContent("Send your draft as the template “Statement ready”");
    await user.click(suggestion);
    const field = await screen.findByRole("textbox", { name: /first_name|First name/i });
    expect(field).toHaveValue("Priya");
    expect(byTestId(testIds.templateSuggestion)).toEqual([]);
    // Sent, the draft is gone: the field is empty when the composer returns.
    await user.type(screen.getByRole("textbox", { name: /month/i }), "March");
    await waitFor(() => expect(screen.getByTestId(testIds.templateSend)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.templateSend));
    await waitFor(() => expect(screen.getByTestId(testIds.composerInput)).toHaveValue(""));
  });
});
