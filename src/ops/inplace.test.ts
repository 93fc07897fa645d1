import { describe, expect, test } from "vitest";
import { noGrad } from "../autograd.js";
import { Generator } from "../random.js";
import { ShapeError } from "../shape.js";
import { randn, tensor, Tensor, zeros } from "../tensor.js";
import { SGD } from "../optim/sgd.js";
import { expectAllClose, expectGradcheck, randn64From, thrown } from "../../test/helpers.js";

const r64 = randn64From(new Generator(5));
const LEAF = "a leaf Variable that requires grad is being used in an in-place operation.";
const SECOND = /^Trying to backward through the graph a second time .*Specify retainGraph: true/;
const VERSION = /^one of the variables needed for gradient computation has been modified by an inplace operation: \[torch\.DoubleTensor \[2, 3\]\].* is at version 1; expected version 0 instead\./;

describe("in-place values", () => {
  const a = (): Tensor => tensor([[1, -2, 3], [-4, 5, -6]]);
  const cases: [string, (t: Tensor) => Tensor, number[]][] = [
    ["add_", (t) => t.add_(tensor([10, 20, 30])), [11, 18, 33, 6, 25, 24]],
    ["add_ alpha", (t) => t.add_(2, 3), [7, 4, 9, 2, 11, 0]],
    ["sub_", (t) => t.sub_(tensor([[1], [2]])), [0, -3, 2, -6, 3, -8]],
    ["sub_ alpha", (t) => t.sub_(tensor([1, 1, 1]), 2), [-1, -4, 1, -6, 3, -8]],
    ["mul_", (t) => t.mul_(-2), [-2, 4, -6, 8, -10, 12]],
    ["div_", (t) => t.div_(tensor([1, 2, 4])), [1, -1, 0.75, -4, 2.5, -1.5]],
    ["clamp_", (t) => t.clamp_(-3, 4), [1, -2, 3, -3, 4, -3]],
    ["clamp_ min only", (t) => t.clamp_(0), [1, 0, 3, 0, 5, 0]],
    ["zero_", (t) => t.zero_(), [0, 0, 0, 0, 0, 0]],
    ["fill_", (t) => t.fill_(7.5), [7.5, 7.5, 7.5, 7.5, 7.5, 7.5]],
    ["copy_ broadcast + cast", (t) => t.copy_(tensor([1, 2, 3], { dtype: "int32" })), [1, 2, 3, 1, 2, 3]],
    ["maskedFill_", (t) => t.maskedFill_(t.lt(0), 0), [1, 0, 3, 0, 5, 0]],
    ["maskedFill_ broadcast mask", (t) => t.maskedFill_(tensor([[1], [0]], { dtype: "int32" }), 9), [9, 9, 9, -4, 5, -6]],
    ["set element", (t) => t.set([1, 2], 60), [1, -2, 3, -4, 5, 60]],
    ["set row", (t) => t.set(0, tensor([7, 8, 9])), [7, 8, 9, -4, 5, -6]],
    ["set negative index, scalar row", (t) => t.set(-1, 0), [1, -2, 3, 0, 0, 0]],
    ["indexPut_ columns", (t) => t.indexPut_([[0, 1], [2, 0]], tensor([30, 40])), [1, -2, 30, 40, 5, -6]],
    ["indexPut_ accumulate", (t) => t.indexPut_([tensor([0, 0], { dtype: "int32" })], tensor([1, 1, 1]), true), [3, 0, 5, -4, 5, -6]],
  ];
  for (const [name, fn, expected] of cases) {
    test(name, () => {
      const t = a();
      const r = fn(t);
      expect(r).toBe(t);
      expect(t.version).toBe(1);
      expectAllClose(t, expected, name);
    });
  }

  test("uniform_ and normal_ draw as rand/randn do from the same generator", () => {
    const t = zeros([100], { dtype: "float64" }).uniform_(-2, 3, new Generator(1));
    const g = new Generator(1);
    expectAllClose(t, Array.from({ length: 100 }, () => -2 + 5 * g.random()), "uniform_");
    const n = zeros([4]).normal_(1, 2, new Generator(2));
    expectAllClose(n, randn([4], { generator: new Generator(2) }).mul(2).add(1), "normal_");
  });

  test("int32 tensors stay int32; a float result cannot be written into one", () => {
    const t = tensor([1, 2, 3], { dtype: "int32" });
    t.add_(2).mul_(tensor([2, 2, 2], { dtype: "int32" }));
    expect([...t.data]).toEqual([6, 8, 10]);
    expect(thrown(() => t.add_(0.5)).message).toMatch(/result type Float can't be cast to the desired output type Int/);
    expect(thrown(() => t.div_(2)).message).toMatch(/can't be cast/);
  });

  test("the result must keep this tensor's shape", () => {
    const e = thrown(() => tensor([1, 2]).add_(tensor([[1, 2], [3, 4]])), ShapeError);
    expect(e.message).toMatch(/output with shape \[2\] doesn't match the broadcast shape \[2, 2\]/);
    expect(() => tensor([1, 2]).copy_(tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => zeros([2, 2]).set([2, 0], 1)).toThrow(/out of bounds/);
  });
});

describe("autograd rules", () => {
  test("a leaf that requires grad: refused with grad on, allowed inside noGrad", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    for (const f of [(): Tensor => w.add_(1), (): Tensor => w.zero_(), (): Tensor => w.set(0, 3), (): Tensor => w.copy_(tensor([0, 0]))]) {
      expect(thrown(f).message).toMatch(new RegExp(`^\\w+: ${LEAF.replace(/\./g, "\\.")}$`));
    }
    expect(thrown(() => w.mul_(2)).message).toBe(`mul_: ${LEAF}`);
    expect(thrown(() => w.view(2, 1).add_(1)).message).toBe("add_: a view of a leaf Variable that requires grad is being used in an in-place operation.");
    expectAllClose(w, [1, 2], "w untouched");
    noGrad(() => w.sub_(tensor([1, 1]), 0.5));
    expectAllClose(w, [0.5, 1.5], "w");
    expect(w.isLeaf && w.requiresGrad).toBe(true);
    expect(w.version).toBe(1);
  });

  test("modifying a tensor a node saved: backward raises PyTorch's error", () => {
    const x = r64([2, 3]);
    const h = x.mul(1); // a non-leaf
    const y = h.mul(h); // mul saves both operands
    h.add_(1);
    expect(thrown(() => y.sum().backward()).message).toMatch(VERSION);
    // exp saves its result; so does div (for the divisor's gradient)
    const e = x.exp();
    const z = e.sum();
    e.mul_(2);
    expect(thrown(() => x.exp().sub_(1).sum().backward()).message).toMatch(/output 0 of exp, is at version 1/);
    expect(thrown(() => z.backward()).message).toMatch(/\[torch\.DoubleTensor \[2, 3\]\], which is output 0 of exp, is at version 1; expected version 0/);
  });

  test("modifying a tensor no node saved is fine, and the gradient is PyTorch's", () => {
    const x = r64([2, 3]);
    const h = x.mul(1);
    const y = h.add(1).mul(3); // add saves nothing; mul by a constant saves only the constant
    h.mul_(5);
    y.sum().backward();
    expectAllClose(x.grad, Array(6).fill(3), "x.grad");
    // an unrelated later use of the modified value still gets its own gradient
    const w = r64([3]);
    const a = w.mul(2);
    const b = a.mul(3); // saves 3 only
    a.mul_(10);
    b.add(a).sum().backward();
    expectAllClose(w.grad, Array(3).fill(2 * 3 + 2 * 10), "w.grad");
  });

  test("gradients flow through in-place ops on non-leaves (y = x*2; y.add_(1) gives x.grad = 2)", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const r = y.add_(1);
    expect(r).toBe(y);
    expect(y.isLeaf).toBe(false);
    y.sum().backward();
    expectAllClose(x.grad, [2, 2, 2], "x.grad");
  });

  test("gradcheck through each recorded in-place op", () => {
    const cases: [string, (x: Tensor, o: Tensor) => Tensor][] = [
      ["add_ alpha", (x, o) => x.mul(1).add_(o, 0.5)],
      ["sub_", (x, o) => x.sin().sub_(o)],
      ["mul_", (x, o) => x.mul(1).mul_(o).mul_(x)],
      ["div_", (x, o) => x.mul(1).div_(o.square().add(1))],
      ["clamp_", (x, o) => x.mul(o).clamp_(-0.5, 0.5)],
      ["fill_ then add", (x, o) => x.mul(2).fill_(1).add_(o)],
      ["zero_", (x, o) => x.mul(o).zero_().add_(x)],
      ["copy_", (x, o) => x.mul(3).copy_(o.tanh())],
      ["maskedFill_", (x, o) => x.mul(o).maskedFill_(x.gt(0), 2)],
      ["indexPut_", (x, o) => x.mul(1).indexPut_([[0, 1], [2, 1]], o.sum(0).narrow(0, 0, 2))],
      ["indexPut_ accumulate", (x, o) => x.mul(1).indexPut_([[1, 1]], o.narrow(0, 0, 1), true)],
      ["set", (x, o) => x.mul(2).set(1, o.select(0, 0).exp())],
      ["into a tensor outside the graph", (_x, o) => zeros([2, 3], { dtype: "float64" }).add_(o).mul_(o)],
    ];
    for (const [name, fn] of cases) expectGradcheck(fn, [r64([2, 3]), r64([2, 3])], {}, name);
  });

  test("a float32 tensor written from a float64 operand keeps its dtype and passes the gradient back", () => {
    const o = r64([3]);
    const t = zeros([3]).add_(o);
    expect(t.dtype).toBe("float32");
    t.sum().backward();
    expect(o.grad!.dtype).toBe("float64");
    expectAllClose(o.grad, [1, 1, 1], "o.grad");
  });

  test("reshape (and view, detach) results share the version counter", () => {
    const t = zeros([2, 3]);
    const v = t.view(6);
    const d = t.detach();
    v.add_(1);
    expect([t.version, v.version, d.version]).toEqual([1, 1, 1]);
    expectAllClose(t, Array(6).fill(1), "t sees the write");
    t.reshape(3, 2).mul_(2);
    expect(d.version).toBe(2);
    expect(t.clone().version).toBe(0);
    // a node that saved the base sees a write through the view
    const x = r64([2, 3]);
    const h = x.mul(1);
    const y = h.sin();
    h.reshape(6).zero_();
    expect(thrown(() => y.sum().backward()).message).toMatch(VERSION);
  });
});

describe("views of a tensor in the graph", () => {
  const STALE = /^\w+: an input \[torch\.DoubleTensor \[[\d, ]+\]\] was modified by an in-place op through another view of its storage/;

  test("an in-place op on a view (or on the tensor itself) keeps the gradient right", () => {
    const x = r64([2, 3]);
    const w = r64([3, 4]);
    const b = r64([4]);
    expectGradcheck((x, w, b) => x.matmul(w).add_(b).mul_(x.sum()), [x, w, b], {}, "matmul then add_, mul_");
    expectGradcheck((x, w) => x.mul(w.narrow(1, 0, 3).narrow(0, 0, 2)).view(6).mul_(3).reshape(3, 2).add_(1), [x, w], {}, "a chain of views written at its end");
  });

  test("a tensor used after its storage was written through another view: an honest error, not a wrong gradient", () => {
    const x = r64([2, 3]);
    const h = x.mul(1);
    const v = h.view(6);
    v.mul_(2); // PyTorch would rebase h onto the write
    expect(thrown(() => h.sum()).message).toMatch(STALE);
    const h2 = x.mul(1);
    const v2 = h2.view(3, 2);
    h2.mul_(2); // PyTorch would rebase v2
    expect(thrown(() => v2.sin()).message).toMatch(STALE);
    // a plain tensor written through a view with a value that requires grad
    const buf = zeros([2, 3], { dtype: "float64" });
    buf.view(6).add_(x.view(6));
    expect(thrown(() => buf.mul(x)).message).toMatch(STALE);
  });
});

describe("backward twice", () => {
  test("a second backward through saved tensors raises unless the first retained the graph", () => {
    const x = r64([2, 3]);
    const loss = x.tanh().sum();
    loss.backward();
    expect(thrown(() => loss.backward()).message).toMatch(SECOND);

    const loss2 = x.tanh().sum();
    x.grad = null;
    loss2.backward(null, { retainGraph: true });
    const first = x.grad!.clone();
    loss2.backward();
    expectAllClose(x.grad, first.mul(2), "accumulated twice");
    expect(() => loss2.backward()).toThrow(SECOND);
  });

  test("a graph whose nodes saved nothing can be walked again, as in PyTorch", () => {
    const x = r64([3]);
    const y = x.add(1).sum();
    y.backward();
    y.backward();
    expectAllClose(x.grad, [2, 2, 2], "x.grad");
  });
});

test("a manual SGD loop written the PyTorch way matches optim.SGD", () => {
  const data = randn([16, 3], { generator: new Generator(3) });
  const target = data.matmul(tensor([[1], [-2], [0.5]])).add(0.3);
  const init = (): Tensor[] => [randn([3, 1], { generator: new Generator(4) }).requiresGrad_(), zeros([1], { requiresGrad: true })];
  const lossOf = ([w, b]: Tensor[]): Tensor => data.matmul(w!).add(b!).sub(target).square().mean();
  const lr = 0.1;

  const manual = init();
  for (let i = 0; i < 50; i++) {
    for (const p of manual) if (p.grad) p.grad.zero_();
    lossOf(manual).backward();
    noGrad(() => {
      for (const p of manual) p.sub_(p.grad!.mul(lr));
    });
  }
  const params = init();
  const opt = new SGD(params, { lr });
  for (let i = 0; i < 50; i++) {
    opt.zeroGrad();
    lossOf(params).backward();
    opt.step();
  }
  expectAllClose(manual[0]!, params[0]!, "w");
  expectAllClose(manual[1]!, params[1]!, "b");
  expect(lossOf(manual).item()).toBeLessThan(0.01);
  expect(thrown(() => manual[0]!.sub_(1)).message).toBe(`sub_: ${LEAF}`);
});
