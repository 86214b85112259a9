import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { createFakeIpc } from "../ipc/fake";
import { testIds } from "../testids";
import TemplatePicker from "./TemplatePicker.svelte";

async function setup() {
  // As the core lists them: approved and paused, never the opt-in (Ask for consent sends it).
  const fake = createFakeIpc({ contacts: [], threads: [], messages: [] });
  const templates = await fake.listTemplates();
  const onpick = vi.fn();
  const oncancel = vi.fn();
  const user = userEvent.setup();
  render(TemplatePicker, { props: { templates, loaded: true, onpick, oncancel } });
  return { user, onpick, oncancel, templates };
}

const row = (name: string) => screen.getByTestId(`${testIds.templateRow}-${name}`);
const names = () =>
  screen.getAllByTestId(testIds.templateOption).map((option) => option.dataset.templateName ?? "");

describe("Template picker", () => {
  it("shows_each_template_s_category_and_language", async () => {
    await setup();
    expect(row("summer_sale")).toHaveTextContent("Summer sale");
    expect(row("summer_sale")).toHaveTextContent("Marketing");
    expect(row("summer_sale")).toHaveTextContent("en_US");
    expect(row("appointment_reminder")).toHaveTextContent("Utility");
    expect(row("summer_sale")).toHaveAttribute("data-status", "APPROVED");
  });

  it("does_not_list_the_opt_in_template", async () => {
    const { templates } = await setup();
    expect(templates.some((t) => t.name === "optin_request")).toBe(false);
    expect(screen.queryByTestId(`${testIds.templateRow}-optin_request`)).toBeNull();
  });

  it("shows_a_paused_template_greyed_and_does_not_let_it_be_chosen", async () => {
    const { user, onpick } = await setup();
    const paused = row("winter_teaser");
    expect(paused).toHaveAttribute("data-status", "PAUSED");
    expect(paused).toHaveTextContent("Paused");
    const option = within(paused).getByRole("button");
    expect(option).toBeDisabled();

    await user.click(option);
    expect(onpick).not.toHaveBeenCalled();

    await user.click(within(row("summer_sale")).getByRole("button"));
    expect(onpick).toHaveBeenCalledWith(expect.objectContaining({ name: "summer_sale" }));
  });

  it("finds_templates_by_name_and_by_text", async () => {
    const { user } = await setup();
    const search = screen.getByTestId(testIds.templateSearch);
    expect(search).toHaveFocus();

    await user.type(search, "summer");
    expect(names()).toEqual(["summer_sale"]);

    await user.clear(search);
    await user.type(search, "statement is ready");
    expect(names()).toEqual(["statement_ready"]);

    await user.clear(search);
    await user.type(search, "Appointment Reminder");
    expect(names()).toEqual(["appointment_reminder"]);

    await user.clear(search);
    await user.type(search, "mortgage");
    expect(screen.queryAllByTestId(testIds.templateOption)).toHaveLength(0);
    expect(screen.getByText("No templates match “mortgage”.")).toBeInTheDocument();
  });
});
