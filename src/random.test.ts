import { describe, expect, test } from "vitest";
import { defaultGenerator, Generator, getRngState, manualSeed, setRngState } from "./random.js";
import { rand, randint, randn, randperm } from "./tensor.js";

describe("random", () => {
  test("manualSeed makes the default stream reproducible", () => {
    manualSeed(42);
    const a = [rand([5]).tolist(), randn([3], { dtype: "float64" }).tolist(), randint(0, 10, [4]).tolist(), randperm(6).tolist()];
    manualSeed(42);
    const b = [rand([5]).tolist(), randn([3], { dtype: "float64" }).tolist(), randint(0, 10, [4]).tolist(), randperm(6).tolist()];
    expect(b).toEqual(a);
    manualSeed(43);
    expect(rand([5]).tolist()).not.toEqual(a[0]);
    expect(manualSeed(1)).toBe(defaultGenerator);
  });

  test("getRngState/setRngState continue the stream exactly, through JSON, mid Box-Muller pair", () => {
    manualSeed(5);
    randn([3], { dtype: "float64" }); // an odd count leaves a spare normal cached
    const state = JSON.parse(JSON.stringify(getRngState())) as ReturnType<typeof getRngState>;
    expect(state.spare).not.toBeNull();
    const next = [randn([5], { dtype: "float64" }).tolist(), rand([4]).tolist()];
    manualSeed(77);
    setRngState(state);
    expect([randn([5], { dtype: "float64" }).tolist(), rand([4]).tolist()]).toEqual(next);
    const g = new Generator(3);
    const h = new Generator(9).setState(g.getState());
    expect(h.nextUint32()).toBe(g.nextUint32());
    expect(() => setRngState({ s: [0, 0, 0, 0], spare: null })).toThrow(/four 32-bit words, not all zero/);
    expect(() => setRngState({ s: [1, 2, 3], spare: null })).toThrow(/got \[1,2,3\]/);
    expect(() => setRngState({ s: [1, 2, 3, 2 ** 32], spare: null })).toThrow(/32-bit/);
  });

  test("generators are independent and reseedable", () => {
    const g1 = new Generator(7);
    const g2 = new Generator(7);
    const x = randn([8], { generator: g1 }).tolist();
    manualSeed(99); // the default stream does not touch g2
    randn([4]);
    expect(randn([8], { generator: g2 }).tolist()).toEqual(x);
    g1.manualSeed(7);
    expect(randn([8], { generator: g1 }).tolist()).toEqual(x);
    expect(new Generator(8).nextUint32()).not.toBe(new Generator(7).nextUint32());
    // Large seeds use their high bits too.
    expect(new Generator(2 ** 40).nextUint32()).not.toBe(new Generator(0).nextUint32());
  });

  test("rand is in [0, 1)", () => {
    const g = new Generator(1);
    for (const dtype of ["float32", "float64"] as const) {
      const v = rand([10_000], { dtype, generator: g }).data;
      let lo = 1, hi = 0, sum = 0;
      for (const x of v) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
        sum += x;
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThan(1);
      expect(sum / v.length).toBeGreaterThan(0.48);
      expect(sum / v.length).toBeLessThan(0.52);
    }
    expect(rand([2, 3]).dtype).toBe("float32");
    expect(rand([2, 3]).shape).toEqual([2, 3]);
  });

  test("randn has mean about 0 and std about 1", () => {
    const v = randn([10_000], { dtype: "float64", generator: new Generator(2) }).data;
    let s = 0, s2 = 0;
    for (const x of v) {
      s += x;
      s2 += x * x;
    }
    const mean = s / v.length;
    const std = Math.sqrt(s2 / v.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    const t = randn([3], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
  });

  test("randint stays in [low, high) and reaches both ends", () => {
    const t = randint(-3, 4, [2000], { generator: new Generator(3) });
    expect(t.dtype).toBe("int32");
    const seen = new Set(t.data);
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(() => randint(2, 2, [1])).toThrow(/low < high/);
    expect(randint(0, 5, [3], { dtype: "float64" }).dtype).toBe("float64");
  });

  test("randperm is a permutation", () => {
    const g = new Generator(4);
    for (const n of [0, 1, 2, 17, 100]) {
      const p = randperm(n, { generator: g });
      expect(p.dtype).toBe("int32");
      expect([...p.data].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(randperm(50, { generator: g }).tolist()).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test("bad shapes are rejected", () => {
    expect(() => rand([2, -1])).toThrow(/non-negative integers/);
    expect(() => randn([1.5])).toThrow(/non-negative integers/);
  });
});
