import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Composer as ComposerState } from "../ipc/bindings/Composer";
import { testIds } from "../testids";
import Composer from "./Composer.svelte";

let nextThread = 0;
function setup(composer: ComposerState = { state: "allowed" }, result = true) {
  const onsend = vi.fn(async (_text: string) => result);
  const user = userEvent.setup();
  render(Composer, { props: { threadId: `thread-${++nextThread}`, composer, onsend } });
  return { user, onsend, input: screen.getByTestId(testIds.composerInput) };
}

describe("Composer", () => {
  it("sends_on_enter_and_clears_the_field", async () => {
    const { user, onsend, input } = setup();

    await user.type(input, "Hello Maria{Enter}");

    expect(onsend).toHaveBeenCalledTimes(1);
    expect(onsend).toHaveBeenCalledWith("Hello Maria");
    expect(input).toHaveValue("");
  });

  it("inserts_a_new_line_on_shift_enter_without_sending", async () => {
    const { user, onsend, input } = setup();

    await user.type(input, "Line one{Shift>}{Enter}{/Shift}Line two");

    expect(onsend).not.toHaveBeenCalled();
    expect(input).toHaveValue("Line one\nLine two");
  });

  it("sends_with_the_send_button", async () => {
    const { user, onsend, input } = setup();
    const send = screen.getByRole("button", { name: "Send" });
    expect(send).toBeDisabled();

    await user.type(input, "Via the button");
    await user.click(send);

    expect(onsend).toHaveBeenCalledWith("Via the button");
  });

  it("does_not_send_blank_text", async () => {
    const { user, onsend, input } = setup();

    await user.type(input, "   {Enter}");

    expect(onsend).not.toHaveBeenCalled();
  });

  it("is_disabled_and_says_why_when_the_core_refuses", async () => {
    const message =
      "More than 24 hours have passed since the last message. Restart the conversation with a template message.";
    const { user, onsend, input } = setup({
      state: "refused",
      reason: "window_closed_use_template",
      message,
    });

    expect(input).toBeDisabled();
    expect(screen.getByTestId(testIds.composerNotice)).toHaveTextContent(message);
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();

    await user.type(input, "Sneaky{Enter}");
    expect(onsend).not.toHaveBeenCalled();
  });

  it("shows_no_notice_when_sending_is_allowed", () => {
    setup();
    expect(screen.queryByTestId(testIds.composerNotice)).toBeNull();
    expect(screen.getByTestId(testIds.composerInput)).toBeEnabled();
  });

  it("keeps_the_text_when_the_send_fails", async () => {
    const { user, onsend, input } = setup({ state: "allowed" }, false);

    await user.type(input, "Do not lose me{Enter}");

    expect(onsend).toHaveBeenCalledTimes(1);
    expect(input).toHaveValue("Do not lose me");
  });

  it("still_sends_on_enter_and_breaks_lines_on_shift_enter_beside_the_expand_menu", async () => {
    const onsend = vi.fn(async (_text: string) => true);
    const ontemplate = vi.fn();
    const user = userEvent.setup();
    render(Composer, {
      props: {
        threadId: `thread-${++nextThread}`,
        composer: { state: "allowed" },
        onsend,
        expand: { template: { state: "allowed" }, ontemplate },
      },
    });
    const input = screen.getByTestId(testIds.composerInput);

    await user.type(input, "One{Shift>}{Enter}{/Shift}Two");
    expect(onsend).not.toHaveBeenCalled();
    await user.keyboard("{Enter}");

    expect(onsend).toHaveBeenCalledWith("One\nTwo");
    expect(input).toHaveValue("");
    expect(ontemplate).not.toHaveBeenCalled();
    expect(screen.getByTestId(testIds.expandButton)).toBeEnabled();
  });

  it("keeps_the_expand_menu_usable_when_free_text_is_refused", async () => {
    const user = userEvent.setup();
    render(Composer, {
      props: {
        threadId: `thread-${++nextThread}`,
        composer: {
          state: "refused",
          reason: "window_closed_use_template",
          message: "24 hours have passed; restart the conversation with a template message.",
        },
        onsend: vi.fn(async () => true),
        expand: { template: { state: "allowed" }, ontemplate: vi.fn() },
      },
    });

    await user.click(screen.getByTestId(testIds.expandButton));

    expect(screen.getByTestId(testIds.menuTemplate)).not.toHaveAttribute("aria-disabled");
  });
});
