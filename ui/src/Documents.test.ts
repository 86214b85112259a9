/** Documents out: the Expand menu's Document, drops and pastes, the document composer and the
 * bubble of a document the user sent. */
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Message } from "./lib/ipc/bindings/Message";
import { createFakeIpc, plain } from "./lib/ipc/fake";
import { ipcContext } from "./lib/ipc/ipc";
import { testIds } from "./lib/testids";
import MessageBubble from "./lib/thread/MessageBubble.svelte";
import { byTestId, openThread, renderApp } from "./test/app";

/** A PDF of `bytes` bytes. */
function pdf(name = "invoice.pdf", bytes = 2500): File {
  const content = new Uint8Array(bytes);
  content.set([0x25, 0x50, 0x44, 0x46]); // %PDF
  return new File([content], name, { type: "application/pdf" });
}

const drag = (files: File[]) => ({ dataTransfer: { types: ["Files"], files } });

afterEach(() => vi.restoreAllMocks());

describe("Documents out", () => {
  it("offers_document_in_the_expand_menu_and_disables_it_when_the_composer_is_refused", async () => {
    const { user } = await renderApp();
    await openThread(user, "t-1");
    await user.click(screen.getByTestId(testIds.expandButton));
    const item = screen.getByTestId(testIds.menuDocument);
    expect(item).toHaveTextContent("Document");
    expect(item).not.toHaveAttribute("aria-disabled");
    expect(screen.getByTestId(testIds.documentInput)).toHaveAttribute(
      "accept",
      ".pdf,.txt,.doc,.docx,.xls,.xlsx,.ppt,.pptx",
    );
    await user.keyboard("{Escape}");

    // Waiting for the guest's consent: no pictures, no documents, for the core's reason.
    await openThread(user, "t-3");
    await user.click(screen.getByTestId(testIds.expandButton));
    const refused = screen.getByTestId(testIds.menuDocument);
    expect(refused).toHaveAttribute("aria-disabled", "true");
    expect(refused.getAttribute("title")).toBe(
      screen.getByTestId(testIds.menuPhotoLibrary).getAttribute("title"),
    );
    expect(refused.getAttribute("title")).not.toBe("");
  });

  it("sends_a_chosen_pdf_with_its_name_and_caption", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const before = byTestId(testIds.messageBubble).length;

    await user.click(screen.getByTestId(testIds.expandButton));
    await user.click(screen.getByTestId(testIds.menuDocument));
    await user.upload(screen.getByTestId(testIds.documentInput), pdf("invoice.pdf", 2500));

    const composer = await screen.findByTestId(testIds.documentComposer);
    expect(screen.getByTestId(testIds.documentName)).toHaveTextContent("invoice.pdf");
    expect(composer).toHaveTextContent("2.5 KB");
    // Nothing is read or kept before Send.
    expect(fake.calls.some((c) => c.command === "prepareDocument")).toBe(false);

    await user.type(screen.getByTestId(testIds.documentCaption), "Signed copy");
    await user.click(screen.getByTestId(testIds.documentSend));

    await waitFor(() => expect(screen.queryByTestId(testIds.documentComposer)).toBeNull());
    const commands = fake.calls.map((c) => c.command);
    const prepare = commands.indexOf("prepareDocument");
    expect(prepare).toBeGreaterThanOrEqual(0);
    expect(commands.indexOf("sendDocument")).toBeGreaterThan(prepare);
    expect(fake.calls[prepare]?.args).toEqual([2500]);
    const sent = fake.calls.find((c) => c.command === "sendDocument");
    expect(sent?.args[0]).toBe("t-1");
    expect(sent?.args.slice(2)).toEqual(["invoice.pdf", "Signed copy"]);

    await waitFor(() => expect(byTestId(testIds.messageBubble)).toHaveLength(before + 1));
    const last = byTestId(testIds.messageBubble).at(-1);
    expect(last).toHaveAttribute("data-direction", "outbound");
    expect(last).toHaveAttribute("data-kind", "document");
    expect(last?.querySelector(`[data-testid="${testIds.documentBubble}"]`)).toHaveTextContent(
      "invoice.pdf",
    );
    expect(last).toHaveTextContent("Signed copy");
  });

  it("sends_no_caption_when_none_is_typed_and_cancel_sends_nothing", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    await user.upload(screen.getByTestId(testIds.documentInput), pdf("terms.pdf"));
    await user.click(await screen.findByTestId(testIds.documentCancel));
    expect(screen.queryByTestId(testIds.documentComposer)).toBeNull();
    expect(screen.getByTestId(testIds.composerInput)).toBeInTheDocument();

    await user.upload(screen.getByTestId(testIds.documentInput), pdf("terms.pdf"));
    await user.click(await screen.findByTestId(testIds.documentSend));
    await waitFor(() => expect(screen.queryByTestId(testIds.documentComposer)).toBeNull());
    const sends = fake.calls.filter((c) => c.command === "sendDocument");
    expect(sends).toHaveLength(1);
    expect(sends[0]?.args.slice(2)).toEqual(["terms.pdf", null]);
  });

  it("refuses_a_document_over_100_mb_before_reading_it", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const read = vi.spyOn(FileReader.prototype, "readAsArrayBuffer");
    const huge = pdf("scan.pdf", 10);
    Object.defineProperty(huge, "size", { value: 100 * 1024 * 1024 + 1 });

    await user.upload(screen.getByTestId(testIds.documentInput), huge);

    expect(await screen.findByText("Documents can be at most 100 MB.")).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.documentComposer)).toBeNull();
    expect(read).not.toHaveBeenCalled();
    expect(fake.calls.some((c) => c.command === "prepareDocument")).toBe(false);
  });

  it("shows_the_cores_refusal_and_keeps_the_document_for_another_try", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const zip = new File(["PK"], "photos.zip", { type: "application/zip" });

    await fireEvent.drop(screen.getByTestId(testIds.threadView), drag([zip]));
    await user.click(await screen.findByTestId(testIds.documentSend));

    expect(
      await screen.findByText("Send documents as PDF, Word, Excel, PowerPoint or text files."),
    ).toBeInTheDocument();
    expect(screen.getByTestId(testIds.documentComposer)).toBeInTheDocument();
    expect(
      fake.messages.some((m) => m.body.type === "document" && m.direction === "outbound"),
    ).toBe(false);
  });

  it("opens_the_document_composer_for_a_dropped_pdf_and_the_photo_flow_for_a_dropped_png", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const view = screen.getByTestId(testIds.threadView);

    await fireEvent.drop(view, drag([pdf("contract.pdf")]));
    expect(await screen.findByTestId(testIds.documentComposer)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.documentName)).toHaveTextContent("contract.pdf");
    expect(fake.calls.some((c) => c.command === "preparePhoto")).toBe(false);
    await user.click(screen.getByTestId(testIds.documentCancel));

    const png = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2])], "car.png", {
      type: "image/png",
    });
    await fireEvent.drop(view, drag([png]));
    await waitFor(() => expect(screen.getByTestId(testIds.photoComposer)).toBeInTheDocument());
    expect(screen.queryByTestId(testIds.documentComposer)).toBeNull();
    expect(fake.calls.filter((c) => c.command === "preparePhoto")).toHaveLength(1);
    expect(fake.calls.some((c) => c.command === "prepareDocument")).toBe(false);
  });

  it("takes_a_document_pasted_into_the_composer", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");

    await fireEvent.paste(screen.getByTestId(testIds.composerInput), {
      clipboardData: { files: [pdf("statement.pdf")] },
    });

    expect(await screen.findByTestId(testIds.documentComposer)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.documentName)).toHaveTextContent("statement.pdf");
    expect(fake.calls.some((c) => c.command === "preparePhoto")).toBe(false);
  });
});

describe("A document the user sent", () => {
  const sent = (state: Message["state"]): Message => ({
    id: `m-${state}`,
    client_id: `c-${state}`,
    thread_id: "t-1",
    direction: "outbound",
    author_name: "Alex Morgan",
    body: {
      type: "document",
      media_id: "doc-1",
      mime_type: "application/pdf",
      size: 48_200,
      filename: "invoice-2041.pdf",
      caption: null,
    },
    state,
    failure: state === "failed" ? "WhatsApp could not deliver this message." : null,
    created_at: "2024-03-12T10:00:00Z",
    ...plain(),
  });

  for (const state of ["sending", "sent", "failed"] as const) {
    it(`shows_its_file_name_when_${state}`, () => {
      const { unmount } = render(MessageBubble, {
        props: { message: sent(state), showAuthor: false, first: true },
        context: ipcContext(createFakeIpc()),
      });
      const bubble = screen.getByTestId(testIds.messageBubble);
      expect(bubble).toHaveAttribute("data-direction", "outbound");
      expect(bubble).toHaveAttribute("data-state", state);
      const document = within(bubble).getByTestId(testIds.documentBubble);
      expect(document).toHaveTextContent("invoice-2041.pdf");
      expect(document).toHaveTextContent("PDF · 48 KB");
      expect(within(bubble).getByTestId(testIds.messageDocument)).toBeInTheDocument();
      unmount();
    });
  }

  it("shows_a_queued_documents_upload", () => {
    render(MessageBubble, {
      props: { message: sent("sending"), showAuthor: false, first: true, upload: 40 },
      context: ipcContext(createFakeIpc()),
    });
    const bar = screen.getByRole("progressbar", { name: "Uploading the document" });
    expect(bar).toHaveAttribute("value", "40");
    expect(screen.getByTestId(testIds.uploadProgress)).toHaveTextContent("Uploading… 40%");
  });
});
