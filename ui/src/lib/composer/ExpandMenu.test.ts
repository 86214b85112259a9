import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Composer } from "../ipc/bindings/Composer";
import { testIds } from "../testids";
import ExpandMenu from "./ExpandMenu.svelte";

function setup(template: Composer = { state: "allowed" }) {
  const ontemplate = vi.fn();
  const user = userEvent.setup();
  render(ExpandMenu, { props: { template, ontemplate } });
  return { user, ontemplate, button: screen.getByTestId(testIds.expandButton) };
}

describe("Expand menu", () => {
  it("opens_with_template_camera_photo_library_and_document", async () => {
    const { user, button } = setup();
    expect(screen.queryByTestId(testIds.expandMenu)).toBeNull();

    await user.click(button);

    const menu = screen.getByRole("menu");
    expect(menu).toHaveAttribute("data-testid", testIds.expandMenu);
    expect(button).toHaveAttribute("aria-expanded", "true");
    const items = screen.getAllByRole("menuitem");
    expect(items.map((i) => i.dataset.testid)).toEqual([
      testIds.menuTemplate,
      testIds.menuCamera,
      testIds.menuPhotoLibrary,
      testIds.menuDocument,
    ]);
    expect(items[0]).toHaveTextContent("Template");
    expect(items[3]).toHaveTextContent("Document");
    expect(items[0]).toHaveFocus();
  });

  it("closes_on_escape_and_returns_focus_to_the_button", async () => {
    const { user, button } = setup();
    await user.click(button);

    await user.keyboard("{Escape}");

    expect(screen.queryByTestId(testIds.expandMenu)).toBeNull();
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute("aria-expanded", "false");
  });

  it("marks_camera_photo_library_and_document_as_coming_later", async () => {
    const { user, button, ontemplate } = setup();
    await user.click(button);

    for (const id of [testIds.menuCamera, testIds.menuPhotoLibrary, testIds.menuDocument]) {
      const item = screen.getByTestId(id);
      expect(item).toHaveAttribute("aria-disabled", "true");
      expect(item).toHaveAttribute("title", "Comes in a later release");
      await user.click(item);
    }
    expect(ontemplate).not.toHaveBeenCalled();
    // A disabled item does nothing, and the menu stays open.
    expect(screen.getByTestId(testIds.expandMenu)).toBeInTheDocument();
  });

  it("moves_between_items_with_the_arrow_keys", async () => {
    const { user, button } = setup();
    await user.click(button);

    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId(testIds.menuCamera)).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId(testIds.menuPhotoLibrary)).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId(testIds.menuDocument)).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId(testIds.menuTemplate)).toHaveFocus();
    await user.keyboard("{ArrowUp}");
    expect(screen.getByTestId(testIds.menuDocument)).toHaveFocus();
  });

  it("opens_the_template_tool_when_the_core_allows_templates", async () => {
    const { user, button, ontemplate } = setup();
    await user.click(button);

    const template = screen.getByTestId(testIds.menuTemplate);
    expect(template).not.toHaveAttribute("aria-disabled");
    await user.click(template);

    expect(ontemplate).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId(testIds.expandMenu)).toBeNull();
  });

  it("disables_template_with_the_core_s_reason_when_refused", async () => {
    const message = "Waiting for the guest to reply with consent to the opt-in request.";
    const { user, button, ontemplate } = setup({
      state: "refused",
      reason: "consent_pending",
      message,
    });
    await user.click(button);

    const template = screen.getByTestId(testIds.menuTemplate);
    expect(template).toHaveAttribute("aria-disabled", "true");
    expect(template).toHaveAttribute("title", message);
    await user.click(template);
    await user.keyboard("{Enter}");
    expect(ontemplate).not.toHaveBeenCalled();
  });

  it("opens_the_photo_library_when_pictures_may_be_sent_and_says_why_not_otherwise", async () => {
    const onphoto = vi.fn();
    const user = userEvent.setup();
    const { unmount } = render(ExpandMenu, {
      props: {
        template: { state: "allowed" },
        ontemplate: vi.fn(),
        photo: { state: "allowed" },
        onphoto,
      },
    });
    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuPhotoLibrary));
    expect(onphoto).toHaveBeenCalledOnce();
    unmount();

    const refusedPhoto = vi.fn();
    render(ExpandMenu, {
      props: {
        template: { state: "allowed" },
        ontemplate: vi.fn(),
        photo: {
          state: "refused",
          reason: "window_closed_use_template",
          message: "The 24-hour window has closed. Send a template to restart the conversation.",
        },
        onphoto: refusedPhoto,
      },
    });
    await user.click(screen.getByTestId(testIds.expandButton));
    const item = screen.getByTestId(testIds.menuPhotoLibrary);
    expect(item).toHaveAttribute("aria-disabled", "true");
    expect(item).toHaveAttribute("title", expect.stringContaining("24-hour window"));
    await user.click(item);
    expect(refusedPhoto).not.toHaveBeenCalled();
  });

  it("opens_the_document_chooser_like_the_photo_library_and_disables_it_when_refused", async () => {
    const ondocument = vi.fn();
    const user = userEvent.setup();
    const { unmount } = render(ExpandMenu, {
      props: {
        template: { state: "allowed" },
        ontemplate: vi.fn(),
        photo: { state: "allowed" },
        onphoto: vi.fn(),
        ondocument,
      },
    });
    await user.click(screen.getByTestId(testIds.expandButton));
    const document = screen.getByTestId(testIds.menuDocument);
    expect(document).toHaveAttribute("data-testid", "expand-document");
    expect(document).not.toHaveAttribute("aria-disabled");
    await user.click(document);
    expect(ondocument).toHaveBeenCalledOnce();
    expect(screen.queryByTestId(testIds.expandMenu)).toBeNull();
    unmount();

    const refusedDocument = vi.fn();
    const message = "The 24-hour window has closed. Send a template to restart the conversation.";
    render(ExpandMenu, {
      props: {
        template: { state: "allowed" },
        ontemplate: vi.fn(),
        photo: { state: "refused", reason: "window_closed_use_template", message },
        onphoto: vi.fn(),
        ondocument: refusedDocument,
      },
    });
    await user.click(screen.getByTestId(testIds.expandButton));
    const item = screen.getByTestId(testIds.menuDocument);
    expect(item).toHaveAttribute("aria-disabled", "true");
    expect(item).toHaveAttribute("title", message);
    expect(item).toHaveTextContent(message);
    await user.click(item);
    expect(refusedDocument).not.toHaveBeenCalled();
    expect(screen.getByTestId(testIds.menuPhotoLibrary)).toHaveAttribute("aria-disabled", "true");
  });
});
