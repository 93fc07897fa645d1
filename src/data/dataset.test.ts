import { describe, expect, test } from "vitest";
import { arange, Generator, tensor } from "../index.js";
import { DataLoader, TensorDataset } from "./dataset.js";
import { thrown } from "../../test/helpers.js";

describe("TensorDataset and DataLoader", () => {
  const x = arange(10).reshape([5, 2]);
  const y = tensor([0, 1, 0, 1, 1], { dtype: "int32" });
  const ds = new TensorDataset(x, y);

  test("items are rows of every tensor; mismatched first dimensions are refused", () => {
    expect(ds.length).toBe(5);
    expect(ds.at(3).map((t) => t.tolist())).toEqual([[6, 7], 1]);
    expect(thrown(() => new TensorDataset(x, tensor([1, 2]))).message).toMatch(/TensorDataset: size mismatch .*\[5, 2\], \[2\]/);
  });

  test("batches in order, the short last batch kept or dropped", () => {
    const batches = [...new DataLoader(ds, { batchSize: 2 })];
    expect(batches.map(([xb]) => xb!.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(batches[2]!.map((t) => t.tolist())).toEqual([[[8, 9]], [1]]);
    expect([...new DataLoader(ds, { batchSize: 2, dropLast: true })]).toHaveLength(2);
    expect(new DataLoader(ds, { batchSize: 2, dropLast: true }).length).toBe(2);
  });

  test("shuffling is a seeded permutation, different on every pass", () => {
    const loader = new DataLoader(ds, { batchSize: 5, shuffle: true, generator: new Generator(7) });
    const first = [...loader][0]![1]!.tolist();
    const firstX = ([...loader][0]![0]!.tolist() as number[][]).map((r) => r[0]! / 2);
    expect([...firstX].sort()).toEqual([0, 1, 2, 3, 4]);
    const again = [...new DataLoader(ds, { batchSize: 5, shuffle: true, generator: new Generator(7) })][0]![1]!.tolist();
    expect(again).toEqual(first);
    expect(thrown(() => new DataLoader(ds, { batch_size: 2 } as never)).message).toMatch(/did you mean batchSize\?/);
  });
});
