import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Message } from "../ipc/bindings/Message";
import { createFakeIpc, plain } from "../ipc/fake";
import { ipcContext } from "../ipc/ipc";
import { testIds } from "../testids";
import MessageBubble from "./MessageBubble.svelte";

const picture: Message = {
  id: "m-7",
  client_id: null,
  thread_id: "t-1",
  direction: "inbound",
  author_name: null,
  body: {
    type: "picture",
    media_id: "media-1",
    caption: "The scratch on the door",
    width: 800,
    height: 600,
  },
  state: "delivered",
  failure: null,
  created_at: "2024-03-12T10:00:00Z",
  ...plain(),
};

function setup(message: Message = picture) {
  const user = userEvent.setup();
  const ipc = createFakeIpc();
  render(MessageBubble, {
    props: { message, showAuthor: false, first: true, guestName: "Ana Silva" },
    context: ipcContext(ipc),
  });
  return { user, ipc };
}

describe("A received picture", () => {
  it("opens_full_size_with_who_sent_it_and_closes_with_escape", async () => {
    const { user } = setup();
    const open = await screen.findByRole("button", { name: "Open the photo full size" });
    expect(screen.queryByTestId(testIds.pictureViewer)).toBeNull();

    await user.click(open);
    const viewer = screen.getByRole("dialog", { name: "Photo" });
    expect(viewer).toHaveTextContent("Ana Silva");
    expect(viewer).toHaveTextContent("800 × 600");
    expect(viewer).toHaveTextContent("The scratch on the door");
    const image = screen.getByTestId(testIds.pictureViewerImage);
    expect(image).toHaveAttribute("width", "800");
    expect(image.getAttribute("src")).toMatch(/^data:image\//);
    expect(screen.getByRole("button", { name: "Close" })).toHaveFocus();

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId(testIds.pictureViewer)).toBeNull();
    await waitFor(() => expect(open).toHaveFocus());
  });

  it("closes_with_its_button_or_a_click_beside_the_picture", async () => {
    const { user } = setup();
    await user.click(await screen.findByRole("button", { name: "Open the photo full size" }));
    await user.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByTestId(testIds.pictureViewer)).toBeNull();

    await user.click(screen.getByRole("button", { name: "Open the photo full size" }));
    // Beside the picture: the stage around it.
    const stage = screen.getByTestId(testIds.pictureViewerImage).parentElement;
    if (!stage) throw new Error("the picture's stage");
    await user.click(stage);
    expect(screen.queryByTestId(testIds.pictureViewer)).toBeNull();
    // Not inside the message list's live region: moved to the end of <body>.
    await user.click(screen.getByRole("button", { name: "Open the photo full size" }));
    expect(screen.getByTestId(testIds.pictureViewer).closest("li")).toBeNull();
  });

  it("is_not_a_button_before_it_has_loaded", () => {
    const ipc = createFakeIpc();
    ipc.getMedia = () => new Promise(() => {});
    render(MessageBubble, {
      props: { message: picture, showAuthor: false, first: true },
      context: ipcContext(ipc),
    });
    expect(screen.queryByRole("button", { name: "Open the photo full size" })).toBeNull();
  });
});
