/** `Residual`: a skip connection around one module (a seqtorch extension; PyTorch has no such module). */
import { fmtShape, shapesEqual, ShapeError } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { TensorModule } from "./layers.js";
import { Module } from "./module.js";

/**
 * `y = x + module(x)`, a skip connection. The module must keep the shape of its input: the sum does
 * not broadcast, so a shape change is an error naming both shapes.
 *
 * Shapes: input `[*]`, output `[*]` (the same).
 * The child is registered as "module", so its state-dict keys are `module.weight`, `module.bias`, ...
 *
 * This is a seqtorch extension: PyTorch has no `nn.Residual`; there one writes `x + f(x)` in a
 * custom `forward`.
 * @example
 * const block = new nn.Residual(new nn.Sequential(new nn.Linear(16, 16), new nn.ReLU()));
 * block.forward(randn([4, 16])).shape;   // [4, 16]
 */
export class Residual extends Module implements TensorModule {
  constructor(readonly module: TensorModule) {
    super();
    this.registerModule("module", module);
  }

  forward(x: Tensor): Tensor {
    const y = this.module.forward(x);
    if (!shapesEqual(x.shape, y.shape)) {
      throw new ShapeError(
        "Residual",
        `the module must keep the input shape. Expected ${fmtShape(x.shape)}, got ${fmtShape(y.shape)} from ${this.module.constructor.name}`,
        [x.shape, y.shape],
      );
    }
    return x.add(y);
  }
}
