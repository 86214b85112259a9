import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FilledValue } from "../ipc/bindings/FilledValue";
import type { Template } from "../ipc/bindings/Template";
import { createFakeIpc, demoTemplates } from "../ipc/fake";
import { ipcContext } from "../ipc/ipc";
import { testIds } from "../testids";
import TemplateComposer from "./TemplateComposer.svelte";

function named(name: string): Template {
  const template = demoTemplates().find((t) => t.name === name);
  if (!template) throw new Error(`no demo template ${name}`);
  return template;
}

function setup(template: Template, result = true) {
  const fake = createFakeIpc({ contacts: [], threads: [], messages: [] });
  const onsend = vi.fn(async (_values: FilledValue[]) => result);
  const oncancel = vi.fn();
  const user = userEvent.setup();
  render(TemplateComposer, {
    props: { template, onsend, oncancel },
    context: ipcContext(fake),
  });
  return { fake, user, onsend, oncancel };
}

function fields(): HTMLInputElement[] {
  return screen.getAllByTestId(testIds.templateField) as HTMLInputElement[];
}

function field(part: string, key: string): HTMLInputElement {
  const found = fields().find((f) => f.dataset.part === part && f.dataset.key === key);
  if (!found) throw new Error(`no field ${part}/${key}`);
  return found;
}

describe("Template tool", () => {
  it("shows_a_field_for_each_variable_and_the_fixed_text_as_text", async () => {
    setup(named("appointment_reminder"));

    expect(fields().map((f) => [f.dataset.part, f.dataset.key])).toEqual([
      ["body", "1"],
      ["body", "2"],
    ]);
    // The fixed text is there, but not as something to edit.
    const card = screen.getByRole("group");
    expect(card).toHaveTextContent("this is a reminder of your appointment on");
    expect(card.querySelectorAll("textarea, [contenteditable]")).toHaveLength(0);
    expect(card.querySelectorAll("input")).toHaveLength(2);
  });

  it("names_fields_after_named_variables", () => {
    setup(named("statement_ready"));
    expect(fields().map((f) => f.dataset.key)).toEqual(["first_name", "month"]);
  });

  it("keeps_send_disabled_until_the_preview_is_ready", async () => {
    const { user } = setup(named("appointment_reminder"));
    const send = screen.getByTestId(testIds.templateSend);
    await waitFor(() =>
      expect(screen.getByTestId(testIds.templatePreview)).toHaveTextContent("Hi {{1}}"),
    );
    expect(send).toBeDisabled();

    await user.type(field("body", "1"), "Maria");
    await waitFor(() =>
      expect(screen.getByTestId(testIds.templatePreview)).toHaveTextContent("Hi Maria"),
    );
    expect(send).toBeDisabled();

    await user.type(field("body", "2"), "Thursday at 3 pm");
    await waitFor(() => expect(send).toBeEnabled());
    expect(screen.getByTestId(testIds.templatePreview)).toHaveTextContent(
      "Hi Maria, this is a reminder of your appointment on Thursday at 3 pm.",
    );
  });

  it("sends_the_filled_values_in_field_order", async () => {
    const { user, onsend } = setup(named("appointment_reminder"));
    await user.type(field("body", "1"), "Maria");
    await user.type(field("body", "2"), "Friday");
    const send = screen.getByRole("button", { name: "Send template" });
    await waitFor(() => expect(send).toBeEnabled());

    await user.click(send);

    expect(onsend).toHaveBeenCalledTimes(1);
    expect(onsend).toHaveBeenCalledWith([
      { part: "body", key: "1", value: "Maria" },
      { part: "body", key: "2", value: "Friday" },
    ]);
  });

  it("moves_to_the_next_field_on_enter_and_sends_from_the_last", async () => {
    const { user, onsend } = setup(named("appointment_reminder"));
    await waitFor(() => expect(field("body", "1")).toHaveFocus());

    await user.keyboard("Maria{Enter}");
    expect(field("body", "2")).toHaveFocus();
    expect(onsend).not.toHaveBeenCalled();

    await user.keyboard("Friday");
    await waitFor(() => expect(screen.getByTestId(testIds.templateSend)).toBeEnabled());
    await user.keyboard("{Enter}");

    expect(onsend).toHaveBeenCalledWith([
      { part: "body", key: "1", value: "Maria" },
      { part: "body", key: "2", value: "Friday" },
    ]);
  });

  it("shows_the_core_s_problem_on_its_field", async () => {
    const { user, fake } = setup(named("appointment_reminder"));
    const first = field("body", "1");
    await user.type(first, "M");
    await user.clear(first);

    await waitFor(() => expect(first).toHaveAttribute("aria-invalid", "true"));
    const describedBy = first.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy)).toHaveTextContent("Fill in {{1}}.");
    // Only the field the user touched complains; the other is simply still empty.
    expect(field("body", "2")).not.toHaveAttribute("aria-invalid");
    expect(fake.calls.some((c) => c.command === "previewTemplate")).toBe(true);
  });

  it("shows_a_problem_of_the_whole_message_under_the_preview", async () => {
    const { user } = setup(named("conversation_restart"));

    await user.click(field("body", "1"));
    await user.paste("x".repeat(1100));

    await waitFor(() =>
      expect(screen.getByText(/The message would be \d+ characters long/)).toBeInTheDocument(),
    );
    expect(screen.getByTestId(testIds.templateSend)).toBeDisabled();
  });

  it("cancels_with_the_cancel_button", async () => {
    const { user, oncancel, onsend } = setup(named("appointment_reminder"));
    await user.click(screen.getByTestId(testIds.templateCancel));
    expect(oncancel).toHaveBeenCalledTimes(1);
    expect(onsend).not.toHaveBeenCalled();
  });
});
