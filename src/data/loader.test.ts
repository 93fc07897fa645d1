import { describe, expect, test } from "vitest";
import { Generator } from "../random.js";
import { BucketLoader, shuffle, trainValSplit } from "./loader.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe("shuffle", () => {
  test("a seeded permutation in a new array", () => {
    const input = range(20);
    const a = shuffle(input, new Generator(3));
    expect(input).toEqual(range(20));
    expect(sorted(a)).toEqual(range(20));
    expect(a).not.toEqual(input);
    expect(shuffle(input, new Generator(3))).toEqual(a);
    expect(shuffle(input, new Generator(4))).not.toEqual(a);
    expect(shuffle([], new Generator(0))).toEqual([]);
  });

  test("every position is roughly uniform", () => {
    const g = new Generator(1);
    const firsts = new Array<number>(4).fill(0);
    for (let t = 0; t < 4000; t++) firsts[shuffle([0, 1, 2, 3], g)[0]]++;
    for (const c of firsts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});

describe("trainValSplit", () => {
  test("sizes: a partition with round(n * valFraction) held out", () => {
    const { train, val } = trainValSplit(100, { valFraction: 0.2, seed: 1 });
    expect(val).toHaveLength(20);
    expect(sorted([...train, ...val])).toEqual(range(100));
    expect(train).toEqual(sorted(train));
    expect(trainValSplit(100).val).toHaveLength(10);
  });

  test("deterministic for a seed, different across seeds", () => {
    expect(trainValSplit(50, { seed: 7 })).toEqual(trainValSplit(50, { seed: 7 }));
    expect(trainValSplit(50, { seed: 7 }).val).not.toEqual(trainValSplit(50, { seed: 8 }).val);
  });

  test("at least one validation example when valFraction > 0, never all; none at 0", () => {
    expect(trainValSplit(5, { valFraction: 0.01 }).val).toHaveLength(1);
    expect(trainValSplit(2, { valFraction: 0.99 })).toMatchObject({ train: [expect.any(Number)], val: [expect.any(Number)] });
    expect(trainValSplit(1, { valFraction: 0.5 })).toEqual({ train: [0], val: [] });
    expect(trainValSplit(10, { valFraction: 0 })).toEqual({ train: range(10), val: [] });
    expect(trainValSplit(0)).toEqual({ train: [], val: [] });
  });

  test("stratify keeps each label's share", () => {
    const labels = range(200).map((i) => (i % 10 < 7 ? "a" : i % 10 < 9 ? "b" : "c")); // 140 / 40 / 20
    const { train, val } = trainValSplit(200, { valFraction: 0.25, seed: 3, stratify: labels });
    const count = (idx: number[], l: string): number => idx.filter((i) => labels[i] === l).length;
    expect(val).toHaveLength(50);
    expect([count(val, "a"), count(val, "b"), count(val, "c")]).toEqual([35, 10, 5]);
    expect([count(train, "a"), count(train, "b"), count(train, "c")]).toEqual([105, 30, 15]);
    expect(trainValSplit(200, { valFraction: 0.25, seed: 3, stratify: labels })).toEqual({ train, val });
  });

  test("stratify: rounding shares the remainder so the total is exact", () => {
    const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
    const { val } = trainValSplit(10, { valFraction: 0.2, stratify: labels });
    expect(val).toHaveLength(2);
  });

  test("invalid arguments", () => {
    expect(() => trainValSplit(10, { valFraction: 1 })).toThrow("trainValSplit: invalid valFraction: 1 (must be in [0, 1))");
    expect(() => trainValSplit(10, { valFraction: -0.1 })).toThrow("invalid valFraction: -0.1");
    expect(() => trainValSplit(10, { valFraction: NaN })).toThrow("invalid valFraction: NaN");
    expect(() => trainValSplit(2.5)).toThrow("invalid n: 2.5");
    expect(() => trainValSplit(3, { stratify: ["a"] })).toThrow("stratify has 1 labels but n is 3");
  });
});

describe("BucketLoader", () => {
  // Items are [id, length] pairs with lengths 1..100.
  const g = new Generator(11);
  const items = range(1000).map((id) => ({ id, len: 1 + g.randint(100) }));
  const lengthOf = (x: { len: number }): number => x.len;
  const ids = (batches: { id: number }[][]): number[] => batches.flat().map((x) => x.id);
  const spread = (batches: { len: number }[][]): number => {
    const per = batches.map((b) => Math.max(...b.map(lengthOf)) - Math.min(...b.map(lengthOf)));
    return per.reduce((a, b) => a + b, 0) / per.length;
  };

  test("every item exactly once per epoch, in batches of batchSize", () => {
    const loader = new BucketLoader(items, { batchSize: 32, lengthOf });
    expect(loader.length).toBe(32);
    for (let epoch = 0; epoch < 3; epoch++) {
      const batches = [...loader];
      expect(batches).toHaveLength(32);
      expect(sorted(ids(batches))).toEqual(range(1000));
      expect(batches.filter((b) => b.length !== 32).map((b) => b.length)).toEqual([1000 % 32]);
    }
  });

  test("batches are far more length-homogeneous than random batches", () => {
    const bucketed = spread([...new BucketLoader(items, { batchSize: 16, lengthOf, bucketSize: 50 })]);
    const random = spread([...new BucketLoader(items, { batchSize: 16, lengthOf, bucketSize: 1 })]);
    expect(random).toBeGreaterThan(60);
    expect(bucketed).toBeLessThan(random / 5);
  });

  test("reproducible for a seed; different across epochs and seeds", () => {
    const epochs = (seed: number): number[][] => {
      const loader = new BucketLoader(items, { batchSize: 16, lengthOf, seed });
      return [ids([...loader]), ids([...loader])];
    };
    const [e0, e1] = epochs(5);
    expect(epochs(5)).toEqual([e0, e1]);
    expect(e1).not.toEqual(e0);
    expect(epochs(6)[0]).not.toEqual(e0);
  });

  test("shuffle: false gives the same bucketed order every epoch", () => {
    const loader = new BucketLoader(items, { batchSize: 10, lengthOf, shuffle: false, bucketSize: 100 });
    const first = [...loader];
    expect([...loader]).toEqual(first);
    expect(first.flat().map(lengthOf)).toEqual(sorted(items.map(lengthOf)));
  });

  test("dropLast drops only the short final batch", () => {
    const loader = new BucketLoader(items, { batchSize: 32, lengthOf, dropLast: true, bucketSize: 3 });
    expect(loader.length).toBe(31);
    const batches = [...loader];
    expect(batches).toHaveLength(31);
    expect(batches.every((b) => b.length === 32)).toBe(true);
    expect(new Set(ids(batches)).size).toBe(992);
    const exact = new BucketLoader(range(64), { batchSize: 32, lengthOf: () => 1, dropLast: true });
    expect([...exact]).toHaveLength(2);
  });

  test("small and empty inputs", () => {
    expect([...new BucketLoader([], { batchSize: 4, lengthOf: () => 0 })]).toEqual([]);
    expect(new BucketLoader([], { batchSize: 4, lengthOf: () => 0 }).length).toBe(0);
    expect([...new BucketLoader(["abc", "a", "ab"], { batchSize: 8, lengthOf: (s) => s.length })]).toEqual([["a", "ab", "abc"]]);
    expect([...new BucketLoader(["abc"], { batchSize: 8, lengthOf: (s) => s.length, dropLast: true })]).toEqual([]);
  });

  test("validates its options", () => {
    expect(() => new BucketLoader(items, { batchSize: 0, lengthOf })).toThrow("BucketLoader: invalid batchSize: 0 (must be a positive integer)");
    expect(() => new BucketLoader(items, { batchSize: 2.5, lengthOf })).toThrow("invalid batchSize: 2.5");
    expect(() => new BucketLoader(items, { batchSize: 4, lengthOf, bucketSize: 0 })).toThrow("invalid bucketSize: 0");
    expect(() => new BucketLoader(["a"], { batchSize: 4, lengthOf: () => NaN })).toThrow("lengthOf returned NaN for item 0");
  });
});
