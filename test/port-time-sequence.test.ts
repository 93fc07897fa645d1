import { describe, expect, it } from "vitest";
import { main, generateSineWave, Sequence } from "../examples/ports/time-sequence.js";

describe("port: pytorch/examples time_sequence_prediction", () => {
  it("generates generate_sine_wave.py's data: sin((t + k) / T), k a seeded integer in [-4T, 4T)", () => {
    const T = 20;
    const data = generateSineWave({ L: 50, N: 10 });
    expect(data.shape).toEqual([10, 50]);
    expect(data.dtype).toBe("float64");
    const rows = data.tolist() as number[][];
    for (const row of rows) {
      const k = [...Array(8 * T).keys()].map((j) => j - 4 * T).find((c) => row.every((v, t) => Math.abs(v - Math.sin((t + c) / T)) < 1e-12));
      expect(k).toBeDefined();
    }
    expect(generateSineWave({ L: 50, N: 10 }).tolist()).toEqual(rows); // seeded
    expect(generateSineWave().shape).toEqual([100, 1000]); // the original's defaults
  });

  it("builds train.py's Sequence: two LSTMCells and a Linear, in float64 after .double()", () => {
    const seq = new Sequence();
    seq.double();
    expect(Object.keys(seq.stateDict())).toEqual([
      "lstm1.weight_ih", "lstm1.weight_hh", "lstm1.bias_ih", "lstm1.bias_hh",
      "lstm2.weight_ih", "lstm2.weight_hh", "lstm2.bias_ih", "lstm2.bias_hh",
      "linear.weight", "linear.bias",
    ]);
    expect(seq.parameters().every((p) => p.dtype === "float64")).toBe(true);
    const out = seq.forward(generateSineWave({ L: 6, N: 2 }), 3);
    expect(out.shape).toEqual([2, 6 + 3]);
  });

  it("learns the sine waves with LBFGS: the loss after 2 steps is far below the start", () => {
    const L = 20;
    const future = 5;
    const { trainLosses, testLosses, prediction } = main({ steps: 2, L, N: 6, future });
    expect(trainLosses.length).toBe(2);
    // LBFGS's defaults: up to 20 iterations (25 evaluations) per step(closure).
    for (const s of trainLosses) {
      expect(s.length).toBeGreaterThan(1);
      expect(s.length).toBeLessThanOrEqual(25);
    }
    const start = trainLosses[0]![0]!;
    const end = trainLosses.at(-1)!.at(-1)!;
    expect(start).toBeGreaterThan(0.1);
    expect(end).toBeLessThan(start / 50);
    expect(testLosses.length).toBe(2);
    expect(testLosses[1]!).toBeLessThan(testLosses[0]!);
    expect(testLosses[1]!).toBeLessThan(start / 20);
    // Three test waves, continued `future` steps past their L - 1 inputs.
    expect(prediction.length).toBe(3);
    for (const y of prediction) {
      expect(y.length).toBe(L - 1 + future);
      expect(y.every(Number.isFinite)).toBe(true);
    }
  });
});
