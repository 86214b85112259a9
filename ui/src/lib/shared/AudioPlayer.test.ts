/** The player's length: the one given beforehand wins over the element's estimate. */
import { fireEvent, render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import AudioPlayer from "./AudioPlayer.svelte";

const source = () => Promise.resolve("data:audio/ogg;base64,");

function reported(audio: HTMLAudioElement, seconds: number) {
  Object.defineProperty(audio, "duration", { configurable: true, get: () => seconds });
}

describe("AudioPlayer's length", () => {
  it("shows_the_given_length_rounded", () => {
    const { container } = render(AudioPlayer, {
      source,
      name: "the voice message",
      caption: "Voice message",
      duration: 2.6,
    });
    expect(container.querySelector(".times")).toHaveTextContent(/^Voice message\s*0:03$/);
  });

  it("keeps_the_given_length_when_the_element_estimates_another", async () => {
    const { container } = render(AudioPlayer, {
      source,
      name: "the voice message",
      caption: "Voice message",
      duration: 3,
    });
    const audio = container.querySelector("audio");
    if (!audio) throw new Error("no audio element");
    reported(audio, 1.4);
    await fireEvent(audio, new Event("loadedmetadata"));
    expect(container.querySelector(".times")).toHaveTextContent(/0:03$/);
  });

  it("uses_the_elements_length_when_none_was_given", async () => {
    const { container } = render(AudioPlayer, {
      source,
      name: "the audio",
      caption: "Audio",
    });
    expect(container.querySelector(".times")).toHaveTextContent(/–:––$/);
    const audio = container.querySelector("audio");
    if (!audio) throw new Error("no audio element");
    reported(audio, 125.2);
    await fireEvent(audio, new Event("loadedmetadata"));
    expect(container.querySelector(".times")).toHaveTextContent(/2:05$/);
  });
});
