import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testIds } from "../testids";
import CameraDialog from "./CameraDialog.svelte";

function setup() {
  const props = { recipient: "Maria", onuse: vi.fn(), onlibrary: vi.fn(), oncancel: vi.fn() };
  render(CameraDialog, { props });
  return { ...props, user: userEvent.setup() };
}

function cameraThat(getUserMedia: () => Promise<MediaStream>) {
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: { getUserMedia: vi.fn(getUserMedia) },
  });
}

afterEach(() => {
  Reflect.deleteProperty(navigator, "mediaDevices");
});

describe("Camera", () => {
  it("says_there_is_no_camera_and_offers_the_photo_library", async () => {
    cameraThat(() => Promise.reject(new DOMException("none", "NotFoundError")));
    const { user, onlibrary } = setup();

    expect(await screen.findByTestId(testIds.cameraProblem)).toHaveTextContent(
      "No camera was found on this computer.",
    );
    expect(screen.queryByTestId(testIds.cameraCapture)).toBeNull();
    await user.click(screen.getByTestId(testIds.cameraLibrary));
    expect(onlibrary).toHaveBeenCalledOnce();
  });

  it("says_so_when_the_camera_may_not_be_used", async () => {
    cameraThat(() => Promise.reject(new DOMException("no", "NotAllowedError")));
    setup();

    expect(await screen.findByTestId(testIds.cameraProblem)).toHaveTextContent(
      "MultiLine may not use the camera.",
    );
  });

  it("says_so_where_the_webview_offers_no_camera_at_all", async () => {
    setup();
    expect(await screen.findByTestId(testIds.cameraProblem)).toHaveTextContent(
      "This computer offers no camera to the app.",
    );
  });

  it("shows_the_live_preview_and_turns_the_camera_off_on_cancel", async () => {
    const stop = vi.fn();
    const stream = { getTracks: () => [{ stop }] } as unknown as MediaStream;
    cameraThat(() => Promise.resolve(stream));
    const { user, oncancel } = setup();

    await waitFor(() => expect(screen.getByTestId(testIds.cameraCapture)).toBeEnabled());
    expect(navigator.mediaDevices.getUserMedia).toHaveBeenCalledWith(
      expect.objectContaining({ audio: false }),
    );
    await user.click(screen.getByTestId(testIds.cameraCancel));

    expect(stop).toHaveBeenCalledOnce();
    expect(oncancel).toHaveBeenCalledOnce();
  });
});
