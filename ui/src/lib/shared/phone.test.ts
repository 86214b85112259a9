import { describe, expect, it } from "vitest";
import { displayName, formatPhone } from "./phone";

describe("formatPhone", () => {
  it("groups_each_number_as_its_country_writes_it", () => {
    expect(formatPhone("+12025550147")).toBe("+1 202 555 0147");
    expect(formatPhone("+447911123456")).toBe("+44 7911 123456");
    expect(formatPhone("+819012345678")).toBe("+81 90 1234 5678");
    // Not a number it can read: as given.
    expect(formatPhone("not a number")).toBe("not a number");
  });

  it("formats_a_name_that_is_only_a_number", () => {
    expect(displayName("+13125552121")).toBe("+1 312 555 2121");
    expect(displayName("Ana Silva")).toBe("Ana Silva");
    expect(displayName("+1 (mobile)")).toBe("+1 (mobile)");
  });
});
