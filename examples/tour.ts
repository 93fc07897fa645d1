// The README's tour, kept runnable: test/readme.test.ts checks the two stay identical and runs it.
import { nn, optim, tensor, randn, manualSeed, noGrad } from "../src/index.js";

manualSeed(0);

// Tensors: float32 by default, int32 for indices, float64 for gradient checks.
const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
a.mul(a).sum().backward();
a.grad!.tolist(); // [[2, 4], [6, 8]]
String(a.double()); // "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64, grad_fn=<ToCopyBackward0>)"

// Python's indexing, one argument per subscript entry: x[1:3, :, -1] is x.at("1:3", ":", -1).
const x = randn([4, 3, 5]);
const [top, where] = x.at("1:3", ":", -1).topk(2); // values [2, 2] (differentiable), int32 indices

// The tutorial's LSTM, exactly as in PyTorch.
const lstm = new nn.LSTM(10, 20, 2);
const [output, [hN, cN]] = lstm.forward(randn([5, 3, 10]), [randn([2, 3, 20]), randn([2, 3, 20])]);
output.shape; // [5, 3, 20]

// Options are PyTorch's, in camelCase, with PyTorch's defaults (batchFirst is false).
const gru = new nn.GRU(8, 16, { numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.1 });
Object.keys(gru.stateDict()); // ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", ...]

// A classifier and a training step.
const embed = new nn.Embedding(1000, 32, { paddingIdx: 0 });
const rnn = new nn.LSTM(32, 64, { batchFirst: true });
const head = new nn.Linear(64, 2);
const params = [...embed.parameters(), ...rnn.parameters(), ...head.parameters()];
const opt = new optim.Adam(params, { lr: 3e-3 });
const lossFn = new nn.CrossEntropyLoss();

const tokens = tensor([[5, 8, 13, 0], [7, 2, 0, 0]], { dtype: "int32" });
const labels = tensor([1, 0], { dtype: "int32" });
const [, [h]] = rnn.forward(embed.forward(tokens));
const loss = lossFn.forward(head.forward(h.select(0, -1)), labels);
opt.zeroGrad();
loss.backward();
nn.utils.clipGradNorm_(params, 1.0);
opt.step();

// Parameter counts, PyTorch's exact figure with the one-bias formula beside it.
const table = nn.summary(lstm);
noGrad(() => lstm.forward(randn([5, 3, 10]))); // inference without recording a graph

export { output, hN, cN, loss, table, a, top, where };
