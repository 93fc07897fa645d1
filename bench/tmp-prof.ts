import { nn, optim, randint, manualSeed, setNumThreads } from "../src/index.js";
import { registerNativeBackend } from "../src/backend/native/index.js";
registerNativeBackend();
manualSeed(0);
const emb = new nn.Embedding(20000, 128), lstm = new nn.LSTM(128, 256, { batchFirst: true }), head = new nn.Linear(256, 2);
const params = [...emb.parameters(), ...lstm.parameters(), ...head.parameters()];
const opt = new optim.Adam(params);
const ids = randint(0, 20000, [32, 64], { dtype: "int32" }), y = randint(0, 2, [32], { dtype: "int32" });
const lossFn = new nn.CrossEntropyLoss();
const step = () => { opt.zeroGrad(); const [out] = lstm.forward(emb.forward(ids)); const l = lossFn.forward(head.forward(out.select(1, -1)), y); l.backward(); opt.step(); };
for (const th of [1, 2]) { setNumThreads(th); for (let i = 0; i < 3; i++) step();
const t0 = performance.now(); for (let i = 0; i < 10; i++) step(); console.log(th, "thread W2 train ms/step", ((performance.now() - t0) / 10).toFixed(1)); }
