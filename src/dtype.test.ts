import { describe, expect, test } from "vitest";
import { thrown } from "../test/helpers.js";
import { allocBuf, allocLike, DTYPE_NAMES, resolveDType, setSlabAllocation } from "./dtype.js";
import { manualSeed } from "./random.js";
import * as nn from "./nn/index.js";
import { arange, full, randn, tensor, zeros } from "./tensor.js";

describe("dtype names", () => {
  test("PyTorch's aliases resolve: long/int64/int to int32, float to float32, double to float64", () => {
    expect(tensor([1, 2], { dtype: "int64" }).dtype).toBe("int32");
    expect(tensor([1, 2], { dtype: "long" }).dtype).toBe("int32");
    expect(tensor([1, 2], { dtype: "int" }).dtype).toBe("int32");
    expect(tensor([1, 2], { dtype: "float" }).dtype).toBe("float32");
    expect(zeros([2], { dtype: "double" }).dtype).toBe("float64");
    expect(arange(3, undefined, 1, { dtype: "long" }).tolist()).toEqual([0, 1, 2]);
    expect(tensor([1.5, 2.5]).to("long").tolist()).toEqual([1, 2]);
    expect(randn([2]).to("double").dtype).toBe("float64");
  });

  test("int64 values past the int32 storage are an error naming the value", () => {
    expect(thrown(() => tensor([1, 2 ** 31], { dtype: "int64" })).message).toMatch(/tensor: value 2147483648 does not fit dtype int64, stored as int32/);
    expect(() => tensor([-(2 ** 31)], { dtype: "long" })).not.toThrow();
    expect(thrown(() => full([2], -(2 ** 31) - 1, { dtype: "long" })).message).toMatch(/-2147483649/);
    expect(thrown(() => tensor([3e9]).double().to("long")).message).toMatch(/to: value 3000000000/);
  });

  test("an unknown dtype is rejected with the supported list", () => {
    const msg = thrown(() => tensor([1], { dtype: "int8" as never })).message;
    expect(msg).toBe(`tensor: unsupported dtype "int8"; supported dtypes are ${DTYPE_NAMES.join(", ")}`);
    expect(msg).toMatch(/float32, float64, int32, float, double, int, int64, long/);
    expect(() => zeros([1], { dtype: "bfloat16" as never })).toThrow(/zeros|full: unsupported dtype "bfloat16"/);
    expect(() => randn([2]).to("half" as never)).toThrow(/to: unsupported dtype "half"/);
    expect(() => resolveDType("x", "toString")).toThrow(/unsupported dtype "toString"/);
  });

  test("typed arrays keep their dtype; numbers and arrays default to float32", () => {
    expect(tensor(new Float64Array([1, 2])).dtype).toBe("float64");
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("int32");
    expect(tensor(new Float32Array([1, 2])).dtype).toBe("float32");
    expect(tensor(new Uint8Array([1, 2])).dtype).toBe("float32");
    expect(tensor([1, 2]).dtype).toBe("float32");
    expect(tensor(1.5).dtype).toBe("float32");
    expect(tensor(new Float64Array([1, 2]), { dtype: "float32" }).dtype).toBe("float32");
  });

  test("to() returns the same tensor when the dtype already matches", () => {
    const x = randn([2, 3], { requiresGrad: true });
    expect(x.to("float32")).toBe(x);
    expect(x.float()).toBe(x);
    expect(x.to("float")).toBe(x);
    const d = x.double();
    expect(d).not.toBe(x);
    expect(d.double()).toBe(d);
    expect(d.gradFn).not.toBeNull();
  });
});

describe("dtype mismatches name the op and both dtypes", () => {
  test("matmul", () => {
    const msg = thrown(() => randn([2, 3]).matmul(randn([3, 4], { dtype: "float64" }))).message;
    expect(msg).toBe("matmul: expected both tensors to have the same dtype, got float32 and float64");
    expect(thrown(() => randn([2, 3], { dtype: "float64" }).matmul(randn([3]))).message).toMatch(/^matmul: .*got float64 and float32/);
  });

  test("a layer given the other float dtype names itself and suggests .double()/.float()", () => {
    const lin = new nn.Linear(3, 2);
    expect(thrown(() => lin.forward(randn([4, 3], { dtype: "float64" }))).message).toBe(
      "Linear: input has dtype float64 but the layer's parameters are float32; convert the input with input.float() or the layer with Linear.double()");
    expect(thrown(() => new nn.LSTM(3, 2).forward(randn([5, 1, 3], { dtype: "float64" }))).message).toMatch(/^LSTM: input has dtype float64 .*input\.float\(\) or the layer with LSTM\.double\(\)/);
    expect(thrown(() => new nn.GRUCell(3, 2).double().forward(randn([1, 3]))).message).toMatch(/^GRUCell: input has dtype float32 .*input\.double\(\) or the layer with GRUCell\.float\(\)/);
  });
});

describe("Module.to / double / float", () => {
  test("parameters convert in place of the registered entries, keeping identity and requiresGrad", () => {
    const lin = new nn.Linear(3, 2);
    const w = lin.weight;
    const before = [...w.data];
    expect(lin.double()).toBe(lin);
    expect(lin.weight).toBe(w);
    expect(lin.getParameter("weight")).toBe(w);
    expect(w.dtype).toBe("float64");
    expect(w.data).toBeInstanceOf(Float64Array);
    expect(w.requiresGrad).toBe(true);
    expect([...w.data]).toEqual(before);
    expect(lin.parameters().every((p) => p.dtype === "float64")).toBe(true);
    const x = randn([4, 3], { dtype: "float64" });
    const y = lin.forward(x);
    expect(y.dtype).toBe("float64");
    y.sum().backward();
    expect(w.grad!.dtype).toBe("float64");
    lin.to("float");
    expect(w.dtype).toBe("float32");
    expect(w.grad!.dtype).toBe("float32");
    expect(lin.float().forward(randn([1, 3])).dtype).toBe("float32");
  });

  test("floating buffers convert, integer buffers stay; nested modules and recurrent layers too", () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    seq.double();
    const dtypes = Object.fromEntries(seq.namedBuffers().map(([k, b]) => [k, b.dtype]));
    expect(dtypes).toEqual({ "1.running_mean": "float64", "1.running_var": "float64", "1.num_batches_tracked": "int32" });
    expect(seq.forward(randn([5, 3], { dtype: "float64" })).dtype).toBe("float64");
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }).double();
    const [out] = lstm.forward(randn([6, 2, 3], { dtype: "float64" }));
    expect(out.dtype).toBe("float64");
    expect(() => lstm.to("long")).toThrow(/only accepts floating point dtypes/);
  });
});

describe("index tensors", () => {
  test(".long() gives the int32 index dtype; index ops suggest it", () => {
    const ids = tensor([1.7, 2]).long();
    expect(ids.dtype).toBe("int32");
    expect(ids.tolist()).toEqual([1, 2]);
    expect(ids.long()).toBe(ids);
    const e = new nn.Embedding(4, 2);
    expect(thrown(() => e.forward(tensor([1, 2]))).message).toMatch(/must be an int32 tensor, got float32 \(int32 is PyTorch's long here: convert with \.long\(\)\)/);
    expect(e.forward(tensor([1, 2]).long()).shape).toEqual([2, 2]);
  });
});

describe("slab allocation (the default outside Node)", () => {
  test("small buffers are zeroed, 16-byte aligned, disjoint views of shared slabs; large ones own their memory", () => {
    const was = setSlabAllocation(true);
    try {
      const bufs = [allocBuf("float32", 3), allocBuf("int32", 1000), allocBuf("float64", 5), allocLike(new Float32Array(1), 16384), allocBuf("float32", 16385)];
      for (const b of bufs) {
        expect(b.byteOffset % 16).toBe(0);
        expect(Array.from(b).every((v) => v === 0)).toBe(true);
        b.fill(7);
      }
      expect(bufs[0]!.buffer).toBe(bufs[1]!.buffer);
      expect(bufs[4]!.buffer.byteLength).toBe(16385 * 4); // over 64 KB: its own ArrayBuffer
      expect(bufs[3]).toBeInstanceOf(Float32Array);
      // Disjoint: the fill of each left the others' values alone.
      for (const b of bufs) expect(Array.from(b).every((v) => v === 7)).toBe(true);
      const shared = bufs.slice(0, 4).filter((b) => b.buffer === bufs[0]!.buffer).map((b) => [b.byteOffset, b.byteOffset + b.byteLength] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < shared.length; i++) expect(shared[i]![0]).toBeGreaterThanOrEqual(shared[i - 1]![1]);
      // A slab is cut once: past its 1 MB, a new one starts, zeroed.
      const many = Array.from({ length: 40 }, () => allocBuf("float32", 8192));
      expect(new Set(many.map((b) => b.buffer)).size).toBeGreaterThan(1);
      expect(many.every((b) => b.every((v) => v === 0))).toBe(true);
      setSlabAllocation(false);
      expect(allocBuf("float32", 3).buffer.byteLength).toBe(12);
    } finally {
      setSlabAllocation(was);
    }
  });

  test("training gives the same numbers with slabs as without", () => {
    const run = (slabs: boolean): number[] => {
      const was = setSlabAllocation(slabs);
      try {
        manualSeed(3);
        const lstm = new nn.LSTM(5, 7, { bidirectional: true });
        const x = randn([4, 3, 5]);
        const [y] = lstm.forward(x);
        y.square().sum().backward();
        return [...Array.from(y.data), ...Array.from(lstm.getParameter("weight_hh_l0_reverse")!.grad!.data)];
      } finally {
        setSlabAllocation(was);
      }
    };
    const off = run(false);
    const on = run(true);
    expect(on.length).toBe(off.length);
    expect(on.every((v, i) => v === off[i])).toBe(true);
  });
});
