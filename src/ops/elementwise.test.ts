import { describe, expect, test } from "vitest";
import { noGrad } from "../autograd.js";
import { Generator } from "../random.js";
import { ShapeError, type Shape } from "../shape.js";
import { ones, randn, tensor, Tensor, zeros } from "../tensor.js";
import { expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const gen = new Generator(11);
const r64 = randn64From(gen);
/** Moves every element at least `margin` away from each of `points` (kinks of relu, abs, clamp…). */
function avoid(t: Tensor, points: number[], margin = 0.05): Tensor {
  for (let i = 0; i < t.numel(); i++) {
    for (const p of points) {
      const v = t.data[i]!;
      if (Math.abs(v - p) < margin) t.data[i] = v >= p ? p + margin : p - margin;
    }
  }
  return t;
}
/** Strictly positive float64 input, `|randn| + 0.5`. */
const pos64 = (shape: Shape): Tensor => {
  const t = r64(shape);
  for (let i = 0; i < t.numel(); i++) t.data[i] = Math.abs(t.data[i]!) + 0.5;
  return t;
};

describe("unary backward (gradcheck, float64)", () => {
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ["neg", (x) => x.neg(), () => r64([3, 4])],
    ["exp", (x) => x.exp(), () => r64([3, 1, 2])],
    ["log", (x) => x.log(), () => pos64([3, 4])],
    ["tanh", (x) => x.tanh(), () => r64([3, 4])],
    ["sigmoid", (x) => x.sigmoid(), () => r64([2, 1, 3])],
    ["relu", (x) => x.relu(), () => avoid(r64([3, 4]), [0])],
    ["leakyRelu", (x) => x.leakyRelu(0.2), () => avoid(r64([3, 4]), [0])],
    ["abs", (x) => x.abs(), () => avoid(r64([3, 4]), [0])],
    ["sqrt", (x) => x.sqrt(), () => pos64([3, 4])],
    ["square", (x) => x.square(), () => r64([1, 4])],
    ["reciprocal", (x) => x.reciprocal(), () => pos64([3, 4])],
    ["sin", (x) => x.sin(), () => r64([3, 4])],
    ["cos", (x) => x.cos(), () => r64([3, 4])],
    ["clamp min and max", (x) => x.clamp(-0.5, 0.7), () => avoid(r64([4, 5]), [-0.5, 0.7])],
    ["clamp min only", (x) => x.clamp(0.1), () => avoid(r64([4, 5]), [0.1])],
    ["clamp max only", (x) => x.clamp(null, -0.2), () => avoid(r64([4, 5]), [-0.2])],
    ["clone", (x) => x.clone().mul(x), () => r64([3, 4])],
    ["0-d input", (x) => x.tanh().exp(), () => r64([])],
  ];
  for (const [name, fn, make] of cases) test(name, () => expectGradcheck(fn, [make()]));

  test("cast: float to float passes the gradient back unchanged in the source dtype; to int32 cuts the graph", () => {
    // float32 rounding needs a wide step; the function is linear so the step adds no error.
    expectGradcheck((x) => x.float().mul(3).double(), [r64([3, 4])], { eps: 1e-2, atol: 1e-4 });

    // float64 -> float32 -> float64: the upstream gradient comes back as it went in.
    const a = tensor([1, -2, 0.5], { dtype: "float64", requiresGrad: true });
    const b = a.float();
    expect(b.dtype).toBe("float32");
    expect(b.gradFn).toBe("cast");
    b.double().backward(tensor([3, -0.25, 8], { dtype: "float64" }));
    expect(a.grad!.dtype).toBe("float64");
    expect(a.grad!.tolist()).toEqual([3, -0.25, 8]);
    // On the way back it passes through float32, as in PyTorch, so it is rounded to float32.
    a.grad = null;
    a.float().double().backward(tensor([0.1, 1 / 3, 1], { dtype: "float64" }));
    expect(a.grad!.tolist()).toEqual([Math.fround(0.1), Math.fround(1 / 3), 1]);

    // float32 -> float64 -> float32.
    const x = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const y = x.double().mul(tensor([3, 4], { dtype: "float64" }));
    expect(y.dtype).toBe("float64");
    y.sum().backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(x.grad!.tolist()).toEqual([3, 4]);
    x.grad = null;
    x.double().float().backward(tensor([-1.5, 7]));
    expect(x.grad!.dtype).toBe("float32");
    expect(x.grad!.tolist()).toEqual([-1.5, 7]);

    // To int32: no graph, so d/df (f · int(f)) is int(f) alone.
    const f = tensor([1.5, -2.7, 3], { requiresGrad: true });
    const i = f.int();
    expect(i.dtype).toBe("int32");
    expect(i.requiresGrad).toBe(false);
    expect(i.gradFn).toBeNull();
    expect(i.tolist()).toEqual([1, -2, 3]);
    f.mul(i).sum().backward();
    expect(f.grad!.dtype).toBe("float32");
    expect(f.grad!.tolist()).toEqual([1, -2, 3]);
    expect(i.float().requiresGrad).toBe(false);
    expect(() => i.float().sum().backward()).toThrow(/does not require grad/);
  });
});

describe("binary backward (gradcheck, float64)", () => {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (s: Shape) => Tensor, (s: Shape) => Tensor][] = [
    ["add", (a, b) => a.add(b), r64, r64],
    ["add with alpha", (a, b) => a.add(b, -2.5), r64, r64],
    ["sub", (a, b) => a.sub(b), r64, r64],
    ["mul", (a, b) => a.mul(b), r64, r64],
    ["div", (a, b) => a.div(b), r64, (s) => pos64(s).mul(-1).detach().requiresGrad_()],
    ["pow", (a, b) => a.pow(b), pos64, r64],
    ["maximum", (a, b) => a.maximum(b), r64, r64],
    ["minimum", (a, b) => a.minimum(b), r64, r64],
  ];
  const shapes: [string, Shape, Shape][] = [
    ["same shape", [3, 4], [3, 4]],
    ["broadcast b", [2, 3, 4], [3, 1]],
    ["broadcast both", [2, 1, 4], [3, 1]],
    ["0-d b", [2, 3], []],
  ];
  for (const [name, fn, ma, mb] of ops) {
    for (const [sname, sa, sb] of shapes) {
      test(`${name}, ${sname}`, () => expectGradcheck(fn, [ma(sa), mb(sb)]));
    }
  }

  test("a number on the right", () => {
    expectGradcheck((a) => a.add(2).mul(3).sub(1).div(4), [r64([2, 3])]);
    expectGradcheck((a) => a.pow(3), [r64([2, 3])]);
    expectGradcheck((a) => a.pow(2.5), [pos64([2, 3])]);
    expectGradcheck((a) => a.maximum(0.3).minimum(0.9), [avoid(r64([3, 3]), [0.3, 0.9])]);
  });

  test("only one side requires grad", () => {
    const b = randn([3, 1], { dtype: "float64", generator: gen });
    expectGradcheck((a) => a.mul(b.abs().add(0.5)).div(b.add(3)).pow(b.square()), [pos64([2, 3, 4])]);
    const a = randn([4], { dtype: "float64", generator: gen });
    expectGradcheck((y) => a.mul(y).add(a).div(y), [pos64([3, 4])]);
  });

  test("maximum and minimum split the gradient evenly on ties", () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([1, 5, 0], { requiresGrad: true });
    a.maximum(b).sum().backward();
    expect(a.grad!.tolist()).toEqual([0.5, 0, 1]);
    expect(b.grad!.tolist()).toEqual([0.5, 1, 0]);
  });
});

describe("forward values", () => {
  test("unary ops", () => {
    const x = tensor([-2, -0.5, 0, 1.5]);
    expect(x.neg().tolist()).toEqual([2, 0.5, -0, -1.5]);
    expect(x.relu().tolist()).toEqual([0, 0, 0, 1.5]);
    expect(x.leakyRelu(0.1).tolist()).toEqual([Math.fround(-0.2), Math.fround(-0.05), 0, 1.5]);
    expect(x.abs().tolist()).toEqual([2, 0.5, 0, 1.5]);
    expect(x.square().tolist()).toEqual([4, 0.25, 0, 2.25]);
    expect(x.sign().tolist()).toEqual([-1, -1, 0, 1]);
    expect(x.clamp(-1, 1).tolist()).toEqual([-1, -0.5, 0, 1]);
    expect(tensor([4, 9]).sqrt().tolist()).toEqual([2, 3]);
    expect(tensor([0]).sigmoid().item()).toBe(0.5);
    expect(tensor([4]).reciprocal().item()).toBe(0.25);
    const e = tensor([0, 1], { dtype: "float64" }).exp().log();
    expect(e.tolist()).toEqual([0, 1]);
  });

  test("binary ops broadcast", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([10, 20, 30]);
    expect(a.add(b).tolist()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(a.sub(tensor([[1], [2]])).tolist()).toEqual([[0, 1, 2], [2, 3, 4]]);
    expect(a.mul(2).tolist()).toEqual([[2, 4, 6], [8, 10, 12]]);
    expect(a.div(tensor([1, 2, 4])).tolist()).toEqual([[1, 1, 0.75], [4, 2.5, 1.5]]);
    expect(a.pow(2).tolist()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(a.maximum(tensor([[3], [5]])).tolist()).toEqual([[3, 3, 3], [5, 5, 6]]);
    expect(a.minimum(3).tolist()).toEqual([[1, 2, 3], [3, 3, 3]]);
    expect(a.add(b, 2).tolist()).toEqual([[21, 42, 63], [24, 45, 66]]);
    expect(a.gt(3).tolist()).toEqual([[0, 0, 0], [1, 1, 1]]);
    expect(tensor([1, 2]).add(tensor([[1], [2], [3]])).shape).toEqual([3, 2]);
  });

  test("dtype promotion", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    const f = tensor([0.5, 0.5, 0.5]);
    expect(i.add(f).dtype).toBe("float32");
    expect(i.add(f).tolist()).toEqual([1.5, 2.5, 3.5]);
    expect(f.add(tensor([1], { dtype: "float64" })).dtype).toBe("float64");
    expect(i.add(i).dtype).toBe("int32");
    expect(i.mul(2).dtype).toBe("int32");
    expect(i.add(0.5).dtype).toBe("float32");
    const q = tensor([1, 3, 7], { dtype: "int32" }).div(tensor([2, 2, 2], { dtype: "int32" }));
    expect(q.dtype).toBe("float32");
    expect(q.tolist()).toEqual([0.5, 1.5, 3.5]);
    expect(i.exp().dtype).toBe("float32");
    expect(i.neg().dtype).toBe("int32");
    expect(tensor([1.7, -1.7]).int().tolist()).toEqual([1, -1]);
  });

  test("tolist and item", () => {
    expect(tensor([[1, 2], [3, 4]]).tolist()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5).tolist()).toBe(5);
    expect(tensor(5).item()).toBe(5);
    expect(tensor([[7]]).item()).toBe(7);
    expect(zeros([2, 0]).tolist()).toEqual([[], []]);
    expect(() => tensor([1, 2]).item()).toThrow(ShapeError);
  });

  test("broadcast errors are ShapeErrors naming op and shapes", () => {
    const a = ones([2, 3]);
    const b = ones([4, 3]);
    const err = thrown(() => a.add(b), ShapeError);
    expect(err.op).toBe("add");
    expect(err.shapes).toEqual([[2, 3], [4, 3]]);
    expect(() => a.mul(b)).toThrow(/\[2, 3\] and \[4, 3\]/);
    expect(() => a.maximum(ones([3, 2]))).toThrow(/maximum/);
  });
});

describe("autograd", () => {
  test("a tensor used twice accumulates both paths", () => {
    const x = tensor([1, -2, 3], { dtype: "float64", requiresGrad: true });
    const y = x.mul(x).add(x);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([3, -3, 7]);
    expect(x.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn).toBe("add");
  });

  test(".grad accumulates across backward calls", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(x.grad!.tolist()).toEqual([6, 6]);
    x.grad = null;
    x.square().sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 4]);
  });

  test(".grad accumulates in place, as PyTorch's AccumulateGrad does: a reference to it sees the sum", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    const g = x.grad!;
    const version = g._version.value;
    x.mul(2).sum().backward();
    expect(x.grad).toBe(g);
    expect(g.tolist()).toEqual([5, 5]);
    expect(g._version.value).toBe(version + 1);
    // A grad set to another dtype is replaced by the sum rather than written.
    const other = tensor([1, 1], { dtype: "float64" });
    x.grad = other;
    x.mul(2).sum().backward();
    expect(other.tolist()).toEqual([1, 1]);
    expect(x.grad.tolist()).toEqual([3, 3]);
  });

  test("backward with an explicit gradient", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(2).backward(tensor([3, -1]));
    expect(x.grad!.tolist()).toEqual([6, -2]);
    expect(() => x.mul(2).backward()).toThrow(ShapeError);
    expect(() => x.mul(2).backward(tensor([1, 2, 3]))).toThrow(ShapeError);
  });

  test("broadcast gradients are summed back to the input shape", () => {
    const a = ones([2, 3], { requiresGrad: true });
    const b = ones([3], { requiresGrad: true });
    const c = ones([2, 1], { requiresGrad: true });
    a.mul(b).add(c).sum().backward();
    expect(b.grad!.tolist()).toEqual([2, 2, 2]);
    expect(c.grad!.tolist()).toEqual([[3], [3]]);
    expect(a.grad!.shape).toEqual([2, 3]);
  });

  test("detach stops gradient flow", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    x.mul(d).sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 4]);
  });

  test("noGrad records no graph", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2).exp());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.sum().backward()).toThrow(/does not require grad/);
  });

  test("int32 tensors cannot require grad; comparisons carry no graph", () => {
    expect(() => tensor([1], { dtype: "int32", requiresGrad: true })).toThrow(/floating point/);
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.gt(1).requiresGrad).toBe(false);
    expect(x.sign().requiresGrad).toBe(false);
  });
});
