import { describe, expect, test } from "vitest";
import { oneLine, showJson } from "./message.js";

/** A JSON array nested 100,000 deep: JSON.parse reads it, JSON.stringify overflows the stack on it. */
const deeplyNested = (): unknown => JSON.parse("[".repeat(100_000) + "]".repeat(100_000));

describe("message helpers", () => {
  test("oneLine folds every kind of line break with the whitespace around it", () => {
    expect(oneLine("a\nb\r\nc\rd  \u2028  e")).toBe("a b c d e");
    expect(oneLine("no break")).toBe("no break");
  });

  test("showJson quotes, cuts, and describes what JSON.stringify cannot print", () => {
    expect(showJson("a\nb")).toBe('"a\\nb"');
    expect(showJson([1, 2])).toBe("[1,2]");
    expect(showJson(undefined)).toBe("undefined");
    expect(showJson("x".repeat(50), 10)).toBe('"xxxxxx...');
    expect(() => JSON.stringify(deeplyNested())).toThrow(RangeError);
    expect(showJson(deeplyNested())).toBe("a list nested too deeply to show");
    expect(showJson({ a: deeplyNested() })).toBe("an object nested too deeply to show");
  });
});
