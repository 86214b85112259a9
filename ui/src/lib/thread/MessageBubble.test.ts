import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Message } from "../ipc/bindings/Message";
import { createFakeIpc, plain } from "../ipc/fake";
import { ipcContext } from "../ipc/ipc";
import { testIds } from "../testids";
import type { Remedies } from "./FailedActions.svelte";
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

describe("A template message", () => {
  type TemplateBody = Extract<Message["body"], { type: "template" }>;
  const template = (header: TemplateBody["header"]): Message => ({
    ...picture,
    id: "m-t",
    direction: "outbound",
    state: "delivered",
    body: {
      type: "template",
      name: "summer_sale",
      language: "en_US",
      text: "Hi Ana, our summer sale is on.",
      components: [],
      header,
      buttons: ["Shop the sale", "Copy offer code"],
    },
  });

  it("draws_an_attached_header_picture_above_the_text_and_the_buttons_under_it", async () => {
    setup(template({ kind: "image", media_id: "media-9", link: null }));
    const header = screen.getByTestId(testIds.messageTemplateHeader);
    const image = await within(header).findByRole("img");
    expect(image.getAttribute("src")).toMatch(/^data:image\//);
    const text = screen.getByTestId(testIds.messageText);
    expect(header.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const buttons = screen.getByTestId(testIds.messageTemplateButtons);
    expect(
      within(buttons)
        .getAllByRole("listitem")
        .map((b) => b.textContent?.trim()),
    ).toEqual(["Shop the sale", "Copy offer code"]);
    expect(text.compareDocumentPosition(buttons) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("names_a_header_given_by_link_without_loading_it", () => {
    const { ipc } = setup(
      template({ kind: "image", media_id: null, link: "https://northwind.example/sale.jpg" }),
    );
    const header = screen.getByTestId(testIds.messageTemplateHeader);
    expect(header).toHaveTextContent("Picture");
    expect(within(header).queryByRole("img")).toBeNull();
    expect(ipc.calls.some((c) => c.command === "getMedia")).toBe(false);
  });
});

describe("A failed message", () => {
  const failed = (remedy: Message["remedy"], body: Message["body"] = textBody): Message => ({
    ...picture,
    id: "m-f",
    direction: "outbound",
    state: "failed",
    failure: "Could not be delivered.",
    remedy,
    body,
  });
  const textBody: Message["body"] = { type: "text", text: "See you at 3 pm?" };

  function show(message: Message, remedies: Remedies) {
    const user = userEvent.setup();
    render(MessageBubble, {
      props: { message, showAuthor: false, first: true, remedies },
      context: ipcContext(createFakeIpc()),
    });
    return user;
  }

  const all = () => ({
    retry: vi.fn(async (_id: string) => {}),
    template: vi.fn(),
    sms: vi.fn(async (_id: string) => {}),
  });

  it("offers_retry_and_sends_one_request_however_often_it_is_tapped", async () => {
    let answer: () => void = () => {};
    const remedies = {
      ...all(),
      retry: vi.fn((_id: string) => new Promise<void>((resolve) => (answer = resolve))),
    };
    const user = show(failed("retry"), remedies);
    expect(screen.queryByTestId(testIds.failedSendTemplate)).toBeNull();
    expect(screen.queryByTestId(testIds.failedSendSms)).toBeNull();
    const retry = screen.getByTestId(testIds.failedRetry);
    expect(retry).toHaveTextContent("Retry");

    await user.click(retry);
    expect(retry).toBeDisabled();
    await user.click(retry);
    await user.dblClick(retry);
    expect(remedies.retry).toHaveBeenCalledTimes(1);
    expect(remedies.retry).toHaveBeenCalledWith("m-f");

    answer();
    await waitFor(() => expect(retry).toBeEnabled());
  });

  it("offers_a_template_when_the_window_closed", async () => {
    const remedies = all();
    const user = show(failed("template"), remedies);
    expect(screen.queryByTestId(testIds.failedRetry)).toBeNull();
    await user.click(screen.getByTestId(testIds.failedSendTemplate));
    expect(remedies.template).toHaveBeenCalledTimes(1);
  });

  it("says_why_a_template_cannot_be_sent_now", () => {
    const refusal = "Waiting for the guest to reply with consent to the opt-in request.";
    show(failed("template"), { ...all(), templateRefusal: refusal });
    const button = screen.getByTestId(testIds.failedSendTemplate);
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("title", refusal);
  });

  it("offers_sms_for_a_text_where_the_line_can_text", async () => {
    const remedies = all();
    const user = show(failed("sms"), remedies);
    await user.click(screen.getByTestId(testIds.failedSendSms));
    expect(remedies.sms).toHaveBeenCalledWith("m-f");
  });

  it("hides_sms_where_the_line_cannot_text_or_the_message_is_not_a_text", () => {
    const { unmount } = render(MessageBubble, {
      props: {
        message: failed("sms"),
        showAuthor: false,
        first: true,
        remedies: { ...all(), sms: undefined },
      },
      context: ipcContext(createFakeIpc()),
    });
    expect(screen.queryByTestId(testIds.failedSendSms)).toBeNull();
    unmount();

    show(failed("sms", picture.body), all());
    expect(screen.queryByTestId(testIds.failedSendSms)).toBeNull();
  });

  it("offers_nothing_without_a_remedy", () => {
    show(failed(null), all());
    expect(screen.getByRole("note")).toHaveTextContent("Could not be delivered.");
    for (const id of [testIds.failedRetry, testIds.failedSendTemplate, testIds.failedSendSms])
      expect(screen.queryByTestId(id)).toBeNull();
  });
});
