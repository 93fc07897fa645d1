/**
 * Large recurrent outputs that the kernels write whole are taken uncleared (dtype.ts
 * `float32ForOverwrite`; the native backend sets Node's uncleared source when it registers). Here
 * the source hands out buffers full of NaN, so any element a kernel leaves unwritten (a row past a
 * sequence's length, a reverse direction's half of a row) shows: every backend with fused kernels
 * must still match the reference, with no NaN, for the stacked inference path and the layer path.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { getBackend, manualSeed, nn, noGrad, randn, setBackend, type Tensor } from "../src/index.js";
import { float32ForOverwrite, setUnclearedFloat32 } from "../src/dtype.js";
import { goldenBackends } from "./backends.js";
import { expectAllClose } from "./helpers.js";

const nanSource = (n: number): Float32Array => new Float32Array(n).fill(Number.NaN);

type Run = () => Tensor[];
// Outputs of at least 64K floats, the size from which buffers come uncleared.
const T = 32, N = 16, I = 12, H = 128;
const lengths = Array.from({ length: N }, (_, i) => (i === 0 ? T : 1 + ((i * 7) % T)));

function cases(): [string, Run][] {
  const flat = (out: Tensor | nn.utils.PackedSequence): Tensor => (out instanceof nn.utils.PackedSequence ? nn.utils.padPackedSequence(out)[0] : out);
  const run = (make: () => nn.RNNBase, grad: boolean, packed: boolean): Run => () => {
    manualSeed(11);
    const layer = make();
    const x = randn([T, N, I]);
    const input = packed ? nn.utils.packPaddedSequence(x, lengths, { enforceSorted: false }) : x;
    const forward = (): Tensor[] => {
      const [out, state] = layer.forward(input);
      return [flat(out), ...(Array.isArray(state) ? state : [state])];
    };
    return grad ? forward() : noGrad(forward);
  };
  const lstm2bi = () => new nn.LSTM(I, H, { numLayers: 2, bidirectional: true });
  return [
    ["stacked LSTM, 2 layers, bidirectional, padded", run(lstm2bi, false, false)],
    ["stacked LSTM, 2 layers, bidirectional, packed", run(lstm2bi, false, true)],
    ["LSTM layer with a gradient, padded", run(() => new nn.LSTM(I, H), true, false)],
    ["GRU layer with a gradient, packed", run(() => new nn.GRU(I, H), true, true)],
    ["stacked GRU, bidirectional, packed", run(() => new nn.GRU(I, H, { bidirectional: true }), false, true)],
  ];
}

const backends = goldenBackends().filter((b) => b !== "primitives" && b !== "cpu");
const table = cases();
// The reference, computed with cleared buffers.
const expected = new Map<string, Tensor[]>();

describe.each(backends)("%s backend, outputs from an uncleared source", (backend) => {
  let previous = "";
  let source: ReturnType<typeof setUnclearedFloat32> = null;
  beforeAll(() => {
    previous = getBackend().name;
    const was = setUnclearedFloat32(null);
    setBackend("cpu");
    for (const [name, run] of table) if (!expected.has(name)) expected.set(name, run());
    setUnclearedFloat32(was);
    setBackend(backend);
    source = setUnclearedFloat32(nanSource);
  });
  afterAll(() => {
    setUnclearedFloat32(source);
    setBackend(previous);
  });

  test("the source is used from 64K floats on", () => {
    expect(Number.isNaN(float32ForOverwrite(64 << 10)[0])).toBe(true);
    expect(float32ForOverwrite((64 << 10) - 1)[0]).toBe(0);
  });

  test.each(table)("%s: every element written, as the reference", (name, run) => {
    const got = run();
    const want = expected.get(name)!;
    expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape));
    got.forEach((t, i) => {
      expect(t.data.some((v) => Number.isNaN(v)), `${name}: output ${i} holds NaN`).toBe(false);
      expectAllClose(t.data, want[i]!.data, `${name}: output ${i}`, { rtol: 1e-4, atol: 1e-5 });
    });
  });
});
