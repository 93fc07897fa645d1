/**
 * A second backward through a recurrent layer: every backend raises autograd's error (the fused
 * wasm kernels free their saved activations), and `retainGraph: true` keeps them for another pass.
 */
import { afterAll, describe, expect, test } from "vitest";
import { getBackend, Generator, nn, randn, setBackend } from "../src/index.js";
import { expectAllClose, thrown } from "./helpers.js";
import { goldenBackends } from "./backends.js";

const previous = getBackend().name;
afterAll(() => setBackend(previous));

describe.each(goldenBackends())("%s", (name) => {
  test("backward twice through an LSTM: refused, then allowed with retainGraph", () => {
    setBackend(name);
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const x = randn([5, 2, 3], { generator: new Generator(7) });
    const loss = lstm.forward(x)[0].square().sum();
    loss.backward();
    expect(thrown(() => loss.backward()).message).toMatch(/^Trying to backward through the graph a second time .*retainGraph: true/);

    lstm.zeroGrad();
    const again = lstm.forward(x)[0].square().sum();
    again.backward(null, { retainGraph: true });
    const once = lstm.parameters().map((p) => p.grad!.clone());
    again.backward(null, { retainGraph: true });
    again.backward();
    lstm.parameters().forEach((p, i) => expectAllClose(p.grad, once[i]!.mul(3), `grad ${i}`, { atol: 1e-4, rtol: 1e-4 }));
    expect(() => again.backward()).toThrow(/second time/);
  });
});
