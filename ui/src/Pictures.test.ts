/** Several pictures at once (issue 18): chosen together or dropped together, they wait in a
 * strip, each with its caption, removable; Send sends them in the order shown. */
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { createFakeIpc } from "./lib/ipc/fake";
import { testIds } from "./lib/testids";
import { byTestId, calls, openThread, renderApp } from "./test/app";

/** A JPEG-looking file (the fake core decides by the first bytes, as the real one). */
function jpeg(name: string): File {
  return new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], name, {
    type: "image/jpeg",
  });
}

describe("Several pictures at once", () => {
  it("sends_the_chosen_pictures_in_order_each_with_its_caption_less_the_one_removed", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const files = [1, 2, 3, 4, 5].map((i) => jpeg(`car-${i}.jpg`));
    await user.upload(screen.getByTestId(testIds.photoInput), files);

    await waitFor(() => expect(byTestId(testIds.photoCard)).toHaveLength(5));
    expect(calls(fake, "preparePhoto")).toHaveLength(5);
    const send = screen.getByTestId(testIds.photoSend);
    expect(send).toHaveAccessibleName("Send 5 photos");

    // The third goes; the others keep their places.
    const third = byTestId(testIds.photoCard)[2];
    if (!third) throw new Error("no third picture");
    await user.click(within(third).getByTestId(testIds.photoRemove));
    expect(byTestId(testIds.photoCard)).toHaveLength(4);
    expect(send).toHaveAccessibleName("Send 4 photos");
    const captions = ["Front left", "Front right", "Rear bumper", "The dent"];
    const fields = byTestId(testIds.photoCaption);
    expect(fields).toHaveLength(4);
    for (const [field, caption] of fields.map((f, i) => [f, captions[i] ?? ""] as const))
      await user.type(field, caption);
    await user.click(send);

    await waitFor(() => expect(screen.queryByTestId(testIds.photoComposer)).toBeNull());
    const sent = calls(fake, "sendPicture").map((c) => c.args);
    expect(sent.map((args) => args[2])).toEqual(captions);
    // Each its own prepared picture, none twice, the removed one not sent.
    const ids = sent.map((args) => args[1]);
    expect(new Set(ids).size).toBe(4);
  });

  it("keeps_a_refused_picture_in_the_strip_and_sends_the_others", async () => {
    const fake = createFakeIpc();
    const { user } = await renderApp(fake);
    await openThread(user, "t-1");
    await user.upload(screen.getByTestId(testIds.photoInput), [jpeg("a.jpg"), jpeg("b.jpg")]);
    await waitFor(() => expect(byTestId(testIds.photoCard)).toHaveLength(2));
    // The core refuses the first (say, its file went from the device meanwhile).
    fake.failNext("sendPicture", { code: "not_found", message: "That picture no longer exists." });
    await user.click(screen.getByTestId(testIds.photoSend));

    await waitFor(() => expect(calls(fake, "sendPicture")).toHaveLength(2));
    expect(await screen.findByText("That picture no longer exists.")).toBeInTheDocument();
    // The second went; the first waits for another try.
    expect(byTestId(testIds.photoCard)).toHaveLength(1);
    expect(screen.getByTestId(testIds.photoSend)).toHaveAccessibleName("Send photo");
  });

  it("takes_at_most_ten_and_says_how_many_were_left_out", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const files = Array.from({ length: 12 }, (_, i) => jpeg(`p${i}.jpg`));
    await user.upload(screen.getByTestId(testIds.photoInput), files);

    expect(
      await screen.findByText(
        "Up to 10 pictures can be sent at once: 2 of those chosen were left out.",
      ),
    ).toBeInTheDocument();
    await waitFor(() => expect(byTestId(testIds.photoCard)).toHaveLength(10));
    expect(calls(fake, "preparePhoto")).toHaveLength(10);
  });

  it("takes_every_picture_dropped_together", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    const view = screen.getByTestId(testIds.threadView);
    const pdf = new File(["%PDF-1.7"], "invoice.pdf", { type: "application/pdf" });
    const files = [jpeg("1.jpg"), pdf, jpeg("2.jpg"), jpeg("3.jpg")];
    await fireEvent.drop(view, { dataTransfer: { types: ["Files"], files } });

    await waitFor(() => expect(byTestId(testIds.photoCard)).toHaveLength(3));
    expect(calls(fake, "preparePhoto")).toHaveLength(3);
    // Pictures first: the document is left for another drop.
    expect(screen.queryByTestId(testIds.documentComposer)).toBeNull();
  });

  it("cancel_drops_the_whole_strip", async () => {
    const { user, fake } = await renderApp();
    await openThread(user, "t-1");
    await user.upload(screen.getByTestId(testIds.photoInput), [jpeg("a.jpg"), jpeg("b.jpg")]);
    await waitFor(() => expect(byTestId(testIds.photoCard)).toHaveLength(2));
    await user.click(screen.getByTestId(testIds.photoCancel));
    expect(screen.queryByTestId(testIds.photoComposer)).toBeNull();
    expect(calls(fake, "sendPicture")).toHaveLength(0);
  });
});
