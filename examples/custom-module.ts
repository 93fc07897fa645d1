// The README's custom-module example, kept runnable by test/readme.test.ts.
import { nn, optim, tensor, manualSeed, type Tensor } from "../src/index.js";

manualSeed(0);

// Written as in PyTorch: attributes assigned a module or a parameter are registered, in order.
class LanguageModel extends nn.Module {
  encoder = new nn.Embedding(50, 16);
  rnn = new nn.LSTM(16, 16, { batchFirst: true });
  decoder = new nn.Linear(16, 50);

  constructor() {
    super();
    this.decoder.weight = this.encoder.weight; // weight tying, as in word_language_model
  }

  forward(ids: Tensor): Tensor {
    const [out] = this.rnn.forward(this.encoder.forward(ids));
    return this.decoder.forward(out);
  }
}

const model = new LanguageModel();
Object.keys(model.stateDict()); // ["encoder.weight", "rnn.weight_ih_l0", ..., "decoder.weight", "decoder.bias"]
model.parameters().length; // 6: the tied weight is listed once

const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
const ids = tensor([[1, 2, 3, 4]], { dtype: "int32" });
const next = tensor([2, 3, 4, 5], { dtype: "int32" });
opt.zeroGrad();
const loss = new nn.CrossEntropyLoss().forward(model.forward(ids).reshape([-1, 50]), next);
loss.backward();
opt.step();

export { model, loss };
