import { describe, expect, it } from "vitest";
import { dataUrlToBlob, fileSize, playTime } from "./media";

/** jsdom's Blob has no text(): read it as a browser's FileReader would. */
function text(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error("unreadable"));
    reader.readAsText(blob);
  });
}

describe("dataUrlToBlob", () => {
  it("decodes_base64_with_its_type", async () => {
    const blob = dataUrlToBlob("data:application/pdf;base64,JVBERi0xLjQK");
    expect(blob.type).toBe("application/pdf");
    expect(await text(blob)).toBe("%PDF-1.4\n");
  });

  it("decodes_percent_encoded_text", async () => {
    const blob = dataUrlToBlob("data:text/plain,caf%C3%A9");
    expect(blob.type).toBe("text/plain");
    expect(await text(blob)).toBe("café");
  });

  it("refuses_anything_else", () => {
    expect(() => dataUrlToBlob("blob:abc")).toThrow("not a data: URL");
  });
});

describe("fileSize", () => {
  it.each([
    [0, "0 bytes"],
    [1, "1 byte"],
    [812, "812 bytes"],
    [1342, "1.3 KB"],
    [48_200, "48 KB"],
    [999_700, "1 MB"],
    [2_310_000, "2.3 MB"],
    [16_000_000, "16 MB"],
    [3_200_000_000, "3.2 GB"],
  ])("says_%d_bytes_as_%s", (bytes, said) => {
    expect(fileSize(bytes)).toBe(said);
  });
});

describe("playTime", () => {
  it.each([
    [0, "0:00"],
    [42.9, "0:42"],
    [725, "12:05"],
    [3723, "1:02:03"],
    [Number.NaN, "–:––"],
    [Number.POSITIVE_INFINITY, "–:––"],
  ])("says_%d_seconds_as_%s", (seconds, said) => {
    expect(playTime(seconds)).toBe(said);
  });
});
