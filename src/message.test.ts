import { describe, expect, test } from "vitest";
import { oneLine, showJson } from "./message.js";

/** A JSON array nested 100,000 deep: JSON.parse reads it, JSON.stringify overflows the stack on it. */
const deeplyNested = (): unknown => JSON.parse("[".repeat(100_000) + "]".repeat(100_000));

describe("message helpers", () => {
  test("oneLine folds every kind of line break with the whitespace after it, in linear time", () => {
    expect(oneLine("a\nb\r\nc\rd \u2028  e")).toBe("a b c d  e");
    expect(oneLine("no break")).toBe("no break");
    // Found by fuzzing: /\s*[\r\n]+\s*/ took a minute on a CSV error quoting a field of 300,000 spaces.
    const t0 = performance.now();
    expect(oneLine(`a${" ".repeat(300_000)}b`)).toHaveLength(300_002);
    expect(performance.now() - t0).toBeLessThan(500);
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
