import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { ADDING_BASELINE_MSE, addingProblem, copyBaseline, copyMemory, COPY_DELIMITER } from "./tasks.js";

describe("adding problem", () => {
  test("one marker in each half, the target is the sum of the marked values", () => {
    const { input, target } = addingProblem(50, 11, new Generator(1));
    expect(input.shape).toEqual([50, 11, 2]);
    expect(target.shape).toEqual([50, 1]);
    for (let b = 0; b < 50; b++) {
      const marks: number[] = [];
      let sum = 0;
      for (let t = 0; t < 11; t++) {
        const v = input.data[(b * 11 + t) * 2]!;
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
        if (input.data[(b * 11 + t) * 2 + 1] === 1) {
          marks.push(t);
          sum += v;
        }
      }
      expect(marks).toHaveLength(2);
      expect(marks[0]).toBeLessThan(5);
      expect(marks[1]).toBeGreaterThanOrEqual(5);
      expect(target.data[b]).toBeCloseTo(sum, 6);
    }
  });

  test("predicting 1 always gives MSE 1/6", () => {
    const { target } = addingProblem(20000, 10, new Generator(2));
    let mse = 0;
    for (const y of target.data) mse += (y - 1) ** 2;
    expect(mse / 20000).toBeCloseTo(ADDING_BASELINE_MSE, 2);
  });
});

describe("copy memory", () => {
  test("10 symbols, T - 1 blanks, the delimiter, 10 blanks; the target repeats the symbols at the end", () => {
    const T = 7;
    const { input, target } = copyMemory(3, T, new Generator(3));
    expect(input.shape).toEqual([3, T + 20]);
    const x = input.tolist() as number[][];
    const y = target.tolist() as number[][];
    for (let b = 0; b < 3; b++) {
      const symbols = x[b]!.slice(0, 10);
      for (const s of symbols) expect(s >= 1 && s <= 8).toBe(true);
      expect(x[b]!.slice(10, 10 + T - 1).every((v) => v === 0)).toBe(true);
      expect(x[b]![10 + T - 1]).toBe(COPY_DELIMITER);
      expect(x[b]!.slice(10 + T).every((v) => v === 0)).toBe(true);
      expect(y[b]!.slice(0, T + 10).every((v) => v === 0)).toBe(true);
      expect(y[b]!.slice(T + 10)).toEqual(symbols);
    }
  });

  test("the memoryless baseline is 10 ln 8 / (T + 20)", () => {
    expect(copyBaseline(100)).toBeCloseTo((10 * Math.log(8)) / 120, 12);
  });

  test("bad sizes are named", () => {
    expect(() => addingProblem(1, 1)).toThrow(/length must be an integer of at least 2, got 1/);
    expect(() => copyMemory(0, 5)).toThrow(/batch size must be a positive integer, got 0/);
  });
});
