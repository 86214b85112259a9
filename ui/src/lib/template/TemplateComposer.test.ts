import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
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

describe("Template tool: header, buttons and their values", () => {
  const slot = (part: string, key: string) =>
    screen.getByTestId(`${testIds.templateSlot}-${part}-${key}`);
  const JPEG = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], "sale.jpg", {
    type: "image/jpeg",
  });

  it("asks_for_the_picture_the_link_ending_and_the_coupon_code", () => {
    setup(named("summer_sale"));

    const media = slot("header", "media");
    expect(within(media).getByRole("button", { name: "Choose picture…" })).toBeInTheDocument();
    expect(
      within(media).getByRole("button", { name: "Use the template's picture" }),
    ).toBeInTheDocument();
    const ending = slot("button", "0");
    expect(ending).toHaveAccessibleName("Link ending for “Shop the sale”");
    // The fixed start of the address is shown before the ending.
    expect(ending.closest("label")).toHaveTextContent("https://northwind.example/sale/");
    expect(slot("button", "1")).toHaveAccessibleName("Coupon code");
    // The text variable stays in the text.
    expect(fields().map((f) => [f.dataset.part, f.dataset.key])).toEqual([["body", "1"]]);
  });

  it("previews_the_header_above_the_text_and_the_buttons_as_the_guest_sees_them", async () => {
    const { user } = setup(named("summer_sale"));
    const header = screen.getByTestId(testIds.templatePreviewHeader);
    expect(header).toHaveTextContent("Picture");
    const buttons = screen.getByTestId(testIds.templatePreviewButtons);
    const items = within(buttons).getAllByRole("listitem");
    expect(items.map((b) => b.textContent?.trim())).toEqual(["Shop the sale", "Copy offer code"]);
    expect(items[0]).toHaveAttribute("title", "https://northwind.example/sale/{{1}}");

    await user.type(slot("button", "0"), "SUMMER24");
    expect(items[0]).toHaveAttribute("title", "https://northwind.example/sale/SUMMER24");

    await user.click(screen.getByRole("button", { name: "Use the template's picture" }));
    expect(within(header).getByRole("img")).toHaveAttribute(
      "src",
      "https://northwind.example/templates/summer_sale.jpg",
    );
    // The header is drawn above the text.
    const text = screen.getByTestId(testIds.templatePreview);
    expect(header.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("uploads_a_chosen_picture_and_sends_its_media_id", async () => {
    const { user, fake, onsend } = setup(named("summer_sale"));

    await user.upload(screen.getByTestId(testIds.templatePictureInput) as HTMLInputElement, JPEG);

    await waitFor(() => expect(slot("header", "media").dataset.value).not.toBe(""));
    const mediaId = slot("header", "media").dataset.value ?? "";
    // Prepared like a Photo Library picture, then uploaded for the header.
    const commands = fake.calls.map((c) => c.command);
    expect(commands.indexOf("preparePhoto")).toBeGreaterThanOrEqual(0);
    expect(commands.indexOf("uploadHeaderPicture")).toBeGreaterThan(
      commands.indexOf("preparePhoto"),
    );
    // The thumbnail beside the buttons and in the preview.
    expect(within(slot("header", "media")).getByRole("img")).toHaveAttribute(
      "src",
      expect.stringMatching(/^data:image\/jpeg/),
    );
    expect(
      within(screen.getByTestId(testIds.templatePreviewHeader)).getByRole("img"),
    ).toHaveAttribute("src", expect.stringMatching(/^data:image\/jpeg/));

    await user.type(field("body", "1"), "Maria");
    await user.type(slot("button", "0"), "SUMMER24");
    await user.type(slot("button", "1"), "MARIA10");
    const send = screen.getByTestId(testIds.templateSend);
    await waitFor(() => expect(send).toBeEnabled());
    await user.click(send);

    expect(onsend).toHaveBeenCalledWith([
      { part: "header", key: "media", value: mediaId },
      { part: "body", key: "1", value: "Maria" },
      { part: "button", key: "0", value: "SUMMER24" },
      { part: "button", key: "1", value: "MARIA10" },
    ]);
  });

  it("keeps_send_disabled_until_the_coupon_code_is_given", async () => {
    const { user } = setup(named("summer_sale"));
    await user.click(screen.getByRole("button", { name: "Use the template's picture" }));
    await user.type(field("body", "1"), "Maria");
    await user.type(slot("button", "0"), "SUMMER24");
    await waitFor(() =>
      expect(screen.getByTestId(testIds.templatePreview)).toHaveTextContent("Hi Maria"),
    );
    expect(screen.getByTestId(testIds.templateSend)).toBeDisabled();

    // Enter in the last field asks to send: the missing value says so.
    await user.click(slot("button", "1"));
    await user.keyboard("{Enter}");
    expect(slot("button", "1")).toHaveAttribute("aria-invalid", "true");
    expect(slot("button", "1")).toHaveFocus();
    expect(screen.getByText("Fill in the coupon code.")).toBeInTheDocument();
  });

  it("offers_only_the_template_s_own_file_for_a_video_and_a_pdf_for_a_document", () => {
    const base = named("conversation_restart");
    const { unmount } = render(TemplateComposer, {
      props: {
        template: { ...base, header: { format: "VIDEO", sample: null } },
        onsend: vi.fn(),
        oncancel: vi.fn(),
      },
      context: ipcContext(createFakeIpc({ contacts: [], threads: [], messages: [] })),
    });
    const media = slot("header", "media");
    expect(media).toHaveTextContent("This template sends its own video.");
    expect(within(media).queryByRole("button")).toBeNull();
    expect(screen.getByTestId(testIds.templatePreviewHeader)).toHaveTextContent("Video");
    unmount();

    setup({
      ...base,
      header: { format: "DOCUMENT", sample: "https://northwind.example/terms.pdf" },
    });
    const document = slot("header", "media");
    expect(within(document).queryByRole("button", { name: "Choose picture…" })).toBeNull();
    expect(within(document).queryByRole("button", { name: "Take photo…" })).toBeNull();
    expect(within(document).getByRole("button", { name: "Choose PDF…" })).toBeInTheDocument();
    expect(
      within(document).getByRole("button", { name: "Use the template's document" }),
    ).toBeInTheDocument();
  });

  it("asks_for_a_place_for_a_location_header", () => {
    setup({ ...named("conversation_restart"), header: { format: "LOCATION" } });
    expect(slot("header", "latitude")).toHaveAccessibleName("Latitude");
    expect(slot("header", "longitude")).toHaveAccessibleName("Longitude");
    expect(slot("header", "name")).toHaveAccessibleName("Place name");
    expect(slot("header", "address")).toHaveAccessibleName("Place address");
    expect(screen.getByTestId(testIds.templatePreviewHeader)).toHaveTextContent("Location");
  });
});

describe("Template tool: a header's picture from the camera", () => {
  const slot = (part: string, key: string) =>
    screen.getByTestId(`${testIds.templateSlot}-${part}-${key}`);

  /** A camera that answers (as the camera's own test mocks it), and a frame to take: jsdom
   * draws nothing, so the still is handed over as the JPEG the canvas would make. */
  function aCamera() {
    const stop = vi.fn();
    const stream = { getTracks: () => [{ stop }] } as unknown as MediaStream;
    Object.defineProperty(navigator, "mediaDevices", {
      configurable: true,
      value: { getUserMedia: vi.fn(() => Promise.resolve(stream)) },
    });
    vi.spyOn(HTMLVideoElement.prototype, "videoWidth", "get").mockReturnValue(1280);
    vi.spyOn(HTMLVideoElement.prototype, "videoHeight", "get").mockReturnValue(720);
    vi.spyOn(HTMLMediaElement.prototype, "play").mockResolvedValue(undefined);
    vi.spyOn(HTMLMediaElement.prototype, "pause").mockReturnValue(undefined);
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({
      drawImage: vi.fn(),
    } as unknown as CanvasRenderingContext2D);
    vi.spyOn(HTMLCanvasElement.prototype, "toBlob").mockImplementation((done) =>
      done(new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 9])], { type: "image/jpeg" })),
    );
    return { stop };
  }

  afterEach(() => {
    vi.restoreAllMocks();
    Reflect.deleteProperty(navigator, "mediaDevices");
  });

  it("takes_a_photo_with_the_camera_and_uses_it_as_the_header_s_picture", async () => {
    const { stop } = aCamera();
    const { user, fake } = setup(named("summer_sale"));

    await user.click(screen.getByTestId(testIds.templateTakePhoto));
    const camera = await screen.findByTestId(testIds.camera);
    await waitFor(() => expect(screen.getByTestId(testIds.cameraCapture)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.cameraCapture));
    await user.click(await within(camera).findByTestId(testIds.cameraUse));

    expect(screen.queryByTestId(testIds.camera)).toBeNull();
    expect(stop).toHaveBeenCalled();
    await waitFor(() => expect(slot("header", "media").dataset.value).not.toBe(""));
    // The same path as a chosen picture: prepared, then uploaded for the header.
    const commands = fake.calls.map((c) => c.command);
    expect(commands.indexOf("uploadHeaderPicture")).toBeGreaterThan(
      commands.indexOf("preparePhoto"),
    );
    expect(commands.indexOf("preparePhoto")).toBeGreaterThanOrEqual(0);
    expect(within(slot("header", "media")).getByRole("img")).toHaveAttribute(
      "src",
      expect.stringMatching(/^data:image\/jpeg/),
    );
  });

  it("offers_the_camera_only_for_a_picture", () => {
    setup(named("invoice_ready"));
    expect(screen.queryByTestId(testIds.templateTakePhoto)).toBeNull();
  });
});

describe("Template tool: a header's PDF", () => {
  const slot = (part: string, key: string) =>
    screen.getByTestId(`${testIds.templateSlot}-${part}-${key}`);
  const pdfInput = () => screen.getByTestId(testIds.templateDocumentInput) as HTMLInputElement;

  it("uploads_a_chosen_pdf_under_its_name_and_sends_its_media_id", async () => {
    const { user, fake, onsend } = setup(named("invoice_ready"));
    const invoice = new File(["%PDF-1.4 an invoice"], "Invoice 2024-117.pdf", {
      type: "application/pdf",
    });

    await user.upload(pdfInput(), invoice);

    await waitFor(() => expect(slot("header", "media").dataset.value).not.toBe(""));
    const mediaId = slot("header", "media").dataset.value ?? "";
    const prepare = fake.calls.findIndex((c) => c.command === "prepareDocument");
    const upload = fake.calls.findIndex((c) => c.command === "uploadHeaderDocument");
    expect(prepare).toBeGreaterThanOrEqual(0);
    expect(upload).toBeGreaterThan(prepare);
    expect(fake.calls[upload]?.args[1]).toBe("Invoice 2024-117.pdf");
    // Its name and size beside the buttons, and its name in the preview's header.
    expect(within(slot("header", "media")).getByRole("group")).toHaveTextContent(
      "Invoice 2024-117.pdf",
    );
    expect(slot("header", "media")).toHaveTextContent(`PDF · ${invoice.size} bytes`);
    expect(screen.getByTestId(testIds.templatePreviewHeader)).toHaveTextContent(
      "Invoice 2024-117.pdf",
    );

    await user.type(field("body", "1"), "Maria");
    const send = screen.getByTestId(testIds.templateSend);
    await waitFor(() => expect(send).toBeEnabled());
    await user.click(send);

    expect(onsend).toHaveBeenCalledWith([
      { part: "header", key: "media", value: mediaId },
      { part: "body", key: "1", value: "Maria" },
    ]);
  });

  it("refuses_a_file_that_is_not_a_pdf_in_the_core_s_words", async () => {
    const { fake } = setup(named("invoice_ready"));
    const notes = new File(["some notes"], "notes.txt", { type: "text/plain" });

    // The chooser offers PDFs; a file chosen anyway is the core's to refuse.
    await userEvent.setup({ applyAccept: false }).upload(pdfInput(), notes);

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "A template's document must be a PDF.",
    );
    expect(fake.calls.some((c) => c.command === "uploadHeaderDocument")).toBe(true);
    expect(slot("header", "media").dataset.value).toBe("");
    expect(screen.getByTestId(testIds.templatePreviewHeader)).toHaveTextContent("Document");
    expect(screen.getByTestId(testIds.templateSend)).toBeDisabled();
  });

  it("keeps_the_template_s_own_document", async () => {
    const { user } = setup(named("invoice_ready"));
    await user.click(screen.getByRole("button", { name: "Use the template's document" }));
    expect(slot("header", "media").dataset.value).toBe(
      "https://northwind.example/templates/invoice.pdf",
    );
  });
});
