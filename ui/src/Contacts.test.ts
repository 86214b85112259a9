/** F2: adding, editing and deleting contacts in the Contacts tab, on the fake core. */
import { screen, waitFor, within } from "@testing-library/svelte";
import type userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { describe, expect, it } from "vitest";
import type { ContactDraft } from "./lib/ipc/bindings/ContactDraft";
import { createFakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, renderApp } from "./test/app";

type User = ReturnType<typeof userEvent.setup>;

async function openContacts(user: User) {
  await user.click(screen.getByTestId(testIds.navContacts));
  await waitFor(() => expect(byTestId(testIds.contactRow).length).toBeGreaterThan(0));
}

async function openContact(user: User, name: string) {
  await user.click(within(screen.getByTestId(testIds.contactList)).getByText(name));
  await waitFor(() =>
    expect(screen.getByTestId(testIds.contactName)).toHaveTextContent(new RegExp(`^${name}$`)),
  );
}

async function openEditor(user: User): Promise<HTMLElement> {
  await user.click(screen.getByTestId(testIds.contactAdd));
  return screen.findByTestId(testIds.contactEditor);
}

function rowNames(): string[] {
  return byTestId(testIds.contactRow).map(
    (row) => row.querySelector(".name")?.textContent?.trim() ?? "",
  );
}

function calls(fake: ReturnType<typeof createFakeIpc>, command: string) {
  return fake.calls.filter((c) => c.command === command);
}

/** The error text an invalid field points at (aria-describedby). */
function errorOf(field: HTMLElement): string | null | undefined {
  const ids = field.getAttribute("aria-describedby")?.split(" ") ?? [];
  const error = ids
    .map((id) => document.getElementById(id))
    .find((el) => el?.getAttribute("data-testid") === testIds.fieldError);
  return error?.textContent?.trim();
}

describe("Adding a contact", () => {
  it("shows_an_invalid_number_on_its_field_focuses_it_and_creates_nothing", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    const editor = await openEditor(user);
    expect(screen.getByTestId(testIds.contactNameInput)).toHaveFocus();

    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    await user.type(screen.getByTestId(testIds.contactPhoneInput), "202 555 0147");
    await user.click(screen.getByTestId(testIds.contactSave));

    const phone = screen.getByTestId(testIds.contactPhoneInput);
    await waitFor(() => expect(phone).toHaveAttribute("aria-invalid", "true"));
    expect(phone).toHaveFocus();
    expect(errorOf(phone)).toBe("Enter the number with its country code, like +1 202 555 0147.");
    expect(within(editor).getAllByTestId(testIds.fieldError)).toHaveLength(1);
    expect(screen.getByTestId(testIds.contactNameInput)).not.toHaveAttribute("aria-invalid");
    // Nothing is lost, and nothing was created.
    expect(screen.getByTestId(testIds.contactNameInput)).toHaveValue("Grace Hopper");
    expect(phone).toHaveValue("202 555 0147");
    expect(fake.contacts).toHaveLength(7);
    expect(rowNames()).not.toContain("Grace Hopper");
    expect(screen.getByTestId(testIds.contactSave)).toHaveTextContent("Save");
  });

  it("shows_the_error_on_the_row_it_names_when_blank_rows_are_left_out", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    // Row 1 stays blank; rows 2 and 3 are sent as phones.0 and phones.1.
    await user.click(screen.getByTestId(testIds.contactAddPhone));
    expect(byTestId(testIds.contactPhoneInput)[1]).toHaveFocus();
    await user.keyboard("+1 202 555 0147");
    await user.click(screen.getByTestId(testIds.contactAddPhone));
    await user.keyboard("+1 111 555 0147");
    await user.click(screen.getByTestId(testIds.contactSave));

    const [blank, valid, invalid] = byTestId(testIds.contactPhoneInput) as [
      HTMLElement,
      HTMLElement,
      HTMLElement,
    ];
    await waitFor(() => expect(invalid).toHaveAttribute("aria-invalid", "true"));
    expect(invalid).toHaveFocus();
    expect(errorOf(invalid)).toBe("+1 111 555 0147 is not a valid number for its country.");
    expect(blank).not.toHaveAttribute("aria-invalid");
    expect(valid).not.toHaveAttribute("aria-invalid");
    const draft = calls(fake, "createContact")[0]?.args[0] as ContactDraft;
    expect(draft.phones.map((p) => p.number)).toEqual(["+1 202 555 0147", "+1 111 555 0147"]);
  });

  it("saves_once_the_number_is_fixed_and_opens_the_new_contacts_details", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    await user.type(screen.getByTestId(testIds.contactPhoneInput), "202 555 0147{Enter}");
    const phone = screen.getByTestId(testIds.contactPhoneInput);
    await waitFor(() => expect(phone).toHaveAttribute("aria-invalid", "true"));

    await user.clear(phone);
    await user.type(phone, "+1 (202) 555-0147");
    await user.selectOptions(screen.getByRole("combobox", { name: "Label of phone number 1" }), [
      "work",
    ]);
    // Enter in a field submits the form.
    await user.type(screen.getByRole("textbox", { name: /^Company/ }), "Navy{Enter}");

    await waitFor(() => expect(screen.queryByTestId(testIds.contactEditor)).toBeNull());
    const details = await screen.findByTestId(testIds.contactDetails);
    expect(within(details).getByTestId(testIds.contactName)).toHaveTextContent("Grace Hopper");
    // Shown as its country writes it.
    expect(within(details).getByText("+1 202 555 0147")).toBeInTheDocument();
    expect(within(details).getByText("work")).toBeInTheDocument();
    expect(within(details).getByText("Navy")).toBeInTheDocument();
    await waitFor(() => expect(rowNames()).toContain("Grace Hopper"));
    expect(rowNames()).toHaveLength(8);
    const created = fake.contacts.find((c) => c.name === "Grace Hopper");
    expect(details).toHaveAttribute("data-contact-id", created?.id);
    expect(calls(fake, "createContact").at(-1)?.args[0]).toEqual({
      name: "Grace Hopper",
      company: "Navy",
      notes: null,
      phones: [{ number: "+1 (202) 555-0147", label: "work" }],
    });
  });

  it("shows_a_missing_name_on_the_name_field", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    await user.type(screen.getByTestId(testIds.contactPhoneInput), "+44 7700 900456");
    await user.click(screen.getByTestId(testIds.contactSave));

    const name = screen.getByTestId(testIds.contactNameInput);
    await waitFor(() => expect(name).toHaveAttribute("aria-invalid", "true"));
    expect(name).toHaveFocus();
    expect(errorOf(name)).toBe("A contact needs a name.");
    expect(screen.getByTestId(testIds.contactPhoneInput)).toHaveValue("+44 7700 900456");
    expect(fake.contacts).toHaveLength(7);
  });

  it("shows_an_error_without_a_field_above_the_buttons", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    const editor = await openEditor(user);
    fake.failNext("createContact", {
      code: "offline",
      message: "You are offline. Try again when the connection is back.",
    });
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    await user.click(screen.getByTestId(testIds.contactSave));

    const alert = await within(editor).findByRole("alert");
    expect(alert).toHaveTextContent("You are offline. Try again when the connection is back.");
    expect(within(editor).queryAllByTestId(testIds.fieldError)).toHaveLength(0);
    expect(editor.querySelector('[aria-invalid="true"]')).toBeNull();
    expect(screen.getByTestId(testIds.contactNameInput)).toHaveValue("Grace Hopper");
    // Not a toast: the dialog says it.
    expect(byTestId(testIds.errorBanner)).toHaveLength(0);
    expect(fake.contacts).toHaveLength(7);
  });

  it("disables_the_buttons_while_saving", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const create = fake.createContact;
    fake.createContact = async (draft) => {
      await gate;
      return create(draft);
    };
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    await user.click(screen.getByTestId(testIds.contactSave));

    const save = screen.getByTestId(testIds.contactSave);
    await waitFor(() => expect(save).toHaveTextContent("Saving…"));
    expect(save).toBeDisabled();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();
    expect(screen.getByTestId(testIds.contactAddPhone)).toBeDisabled();

    release();
    await waitFor(() => expect(screen.queryByTestId(testIds.contactEditor)).toBeNull());
    expect(await screen.findByTestId(testIds.contactName)).toHaveTextContent("Grace Hopper");
  });

  it("closes_on_escape_without_saving", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");

    await user.keyboard("{Escape}");

    expect(screen.queryByTestId(testIds.contactEditor)).toBeNull();
    expect(calls(fake, "createContact")).toHaveLength(0);
    expect(fake.contacts).toHaveLength(7);
    // Focus is back where it was.
    expect(screen.getByTestId(testIds.contactAdd)).toHaveFocus();
  });

  it("labels_every_control_for_screen_readers", async () => {
    const { user } = await renderApp();
    await openContacts(user);
    const editor = await openEditor(user);
    await user.click(screen.getByTestId(testIds.contactAddPhone));

    const results = await axe.run(editor, { rules: { "color-contrast": { enabled: false } } });
    expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    expect(screen.getByRole("dialog", { name: "New contact" })).toBe(editor);
    expect(screen.getByRole("textbox", { name: "Name" })).toHaveAttribute("aria-required", "true");
    expect(screen.getByRole("textbox", { name: "Phone number 2" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Remove phone number 2" })).toBeInTheDocument();
  });

  it("removes_a_number_row_and_its_error", async () => {
    const { user } = await renderApp();
    await openContacts(user);
    await openEditor(user);
    await user.type(screen.getByTestId(testIds.contactNameInput), "Grace Hopper");
    await user.type(screen.getByTestId(testIds.contactPhoneInput), "12");
    await user.click(screen.getByTestId(testIds.contactSave));
    await waitFor(() => expect(byTestId(testIds.fieldError)).toHaveLength(1));

    await user.click(screen.getByRole("button", { name: "Remove phone number 1" }));

    expect(byTestId(testIds.contactPhoneInput)).toHaveLength(0);
    expect(byTestId(testIds.fieldError)).toHaveLength(0);
    expect(screen.getByTestId(testIds.contactAddPhone)).toHaveFocus();
  });
});

describe("Editing a contact", () => {
  it("changes_the_name_shown_in_the_list_and_the_details", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Maria Gonzalez");

    await user.click(screen.getByTestId(testIds.contactEdit));
    const editor = await screen.findByTestId(testIds.contactEditor);
    expect(within(editor).getByRole("heading", { name: "Edit contact" })).toBeInTheDocument();
    const name = screen.getByTestId(testIds.contactNameInput);
    expect(name).toHaveValue("Maria Gonzalez");
    expect(byTestId(testIds.contactPhoneInput).map((i) => (i as HTMLInputElement).value)).toEqual([
      "+15551234567",
      "+15557654321",
    ]);
    await user.clear(name);
    await user.type(name, "Maria Gonzalez Ruiz");
    await user.click(screen.getByTestId(testIds.contactSave));

    await waitFor(() => expect(screen.queryByTestId(testIds.contactEditor)).toBeNull());
    expect(screen.getByTestId(testIds.contactName)).toHaveTextContent("Maria Gonzalez Ruiz");
    await waitFor(() => expect(rowNames()).toContain("Maria Gonzalez Ruiz"));
    expect(rowNames()).not.toContain("Maria Gonzalez");
    expect(calls(fake, "updateContact").at(-1)?.args).toEqual([
      "c-1",
      {
        name: "Maria Gonzalez Ruiz",
        company: "Gonzalez Bakery",
        notes: "Prefers WhatsApp. Business account review due in June.",
        phones: [
          { number: "+15551234567", label: "mobile" },
          { number: "+15557654321", label: "work" },
        ],
      },
    ]);
    // Focus returns to the Edit button.
    expect(screen.getByTestId(testIds.contactEdit)).toHaveFocus();
  });

  it("refuses_a_number_listed_twice_on_the_second_one", async () => {
    const { user } = await renderApp();
    await openContacts(user);
    await openContact(user, "Maria Gonzalez");
    await user.click(screen.getByTestId(testIds.contactEdit));
    await screen.findByTestId(testIds.contactEditor);

    const second = byTestId(testIds.contactPhoneInput)[1] as HTMLElement;
    await user.clear(second);
    await user.type(second, "+1 555 123 4567{Enter}");

    await waitFor(() => expect(second).toHaveAttribute("aria-invalid", "true"));
    expect(errorOf(second)).toBe("The same number is listed twice.");
    expect(second).toHaveFocus();
  });
});

describe("Deleting a contact", () => {
  it("asks_first_and_cancel_keeps_the_contact", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");

    await user.click(screen.getByTestId(testIds.contactDelete));

    const dialog = await screen.findByRole("dialog", { name: "Delete Sofia Rossi?" });
    expect(dialog).toHaveTextContent("Their conversations keep their history.");
    // The safe choice has focus.
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls(fake, "deleteContact")).toHaveLength(0);
    expect(rowNames()).toContain("Sofia Rossi");
    expect(screen.getByTestId(testIds.contactName)).toHaveTextContent("Sofia Rossi");
  });

  it("removes_the_contact_goes_back_to_the_list_and_says_so", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");

    await user.click(screen.getByTestId(testIds.contactDelete));
    await user.click(await screen.findByTestId(testIds.contactDeleteConfirm));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.queryByTestId(testIds.contactDetails)).toBeNull();
    await waitFor(() => expect(rowNames()).not.toContain("Sofia Rossi"));
    expect(rowNames()).toHaveLength(6);
    expect(fake.contacts.some((c) => c.id === "c-7")).toBe(false);
    expect(calls(fake, "deleteContact").map((c) => c.args)).toEqual([["c-7"]]);
    const toasts = byTestId(testIds.errorBanner);
    expect(toasts.map((t) => t.textContent?.trim())).toEqual(["Contact deleted."]);
    expect(toasts[0]).toHaveAttribute("role", "status");
    expect(screen.getByTestId(testIds.contactAdd)).toHaveFocus();
  });

  it("keeps_the_dialog_open_with_the_reason_when_the_core_refuses", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");
    fake.failNext("deleteContact", {
      code: "offline",
      message: "You are offline. Try again when the connection is back.",
    });

    await user.click(screen.getByTestId(testIds.contactDelete));
    await user.click(await screen.findByTestId(testIds.contactDeleteConfirm));

    const dialog = screen.getByRole("dialog", { name: "Delete Sofia Rossi?" });
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("You are offline.");
    expect(rowNames()).toContain("Sofia Rossi");
    expect(screen.getByTestId(testIds.contactDeleteConfirm)).toBeEnabled();
  });
});

describe("Contact details: the actions beside a number", () => {
  it("labels_each_action_with_text_and_a_tip", async () => {
    const { user } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");

    const phone = screen.getByTestId(testIds.callButton).closest("li") as HTMLElement;
    const captions = Array.from(phone.querySelectorAll(".caption")).map((c) => c.textContent);
    expect(captions).toEqual(["SMS", "Call", "WhatsApp"]);
    const call = within(phone).getByRole("button", { name: "Call +393331234567" });
    expect(call).not.toHaveAttribute("aria-disabled", "true");
  });

  it("calls_through_the_systems_phone_app", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");

    await user.click(screen.getByTestId(testIds.callButton));

    expect(calls(fake, "dial").map((c) => c.args)).toEqual([["+393331234567"]]);
    expect(byTestId(testIds.errorBanner)).toHaveLength(0);
  });

  it("says_how_to_call_when_no_app_on_the_computer_makes_calls", async () => {
    const { user, fake } = await renderApp();
    await openContacts(user);
    await openContact(user, "Sofia Rossi");
    const message =
      "No app on this computer makes phone calls. Call +39 333 123 4567 from your phone.";
    fake.failNext("dial", { code: "no_dialer", message });

    await user.click(screen.getByTestId(testIds.callButton));

    await waitFor(() =>
      expect(byTestId(testIds.errorBanner).map((t) => t.textContent?.trim())).toEqual([message]),
    );
    expect(byTestId(testIds.errorBanner)[0]).toHaveAttribute("role", "status");
  });
});
