/**
 * Port of the usual packed bidirectional GRU text classifier in PyTorch: `nn.Embedding(...,
 * padding_idx=0)`, `nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True,
 * enforce_sorted=False)`, a bidirectional `nn.GRU(batch_first=True)`, the last layer's final
 * forward and backward states joined with `torch.cat((hidden[-2,:,:], hidden[-1,:,:]), dim=1)`
 * (the model of bentrevett/pytorch-sentiment-analysis's packed-sequence notebook, there an LSTM with
 * a one-logit BCE head, here a one-layer GRU with two classes and `nn.CrossEntropyLoss`), trained
 * with `optim.Adam`, `nn.utils.clip_grad_norm_` and `optim.lr_scheduler.StepLR`, with
 * `model.train()` / `model.eval()` and `with torch.no_grad():` for evaluation. The data are
 * synthetic: does a zero-padded sequence of token ids contain token 3?
 *
 * Deviations from the PyTorch program, beyond camelCase, `const`/`let` and types:
 * 1. Calls: `model(text, lengths)`, `self.embedding(text)`, `self.gru(packed)`, `self.fc(...)` and
 *    `criterion(...)` are `.forward(...)`: TypeScript objects are not callable.
 * 2. `nn.utils.rnn.pack_padded_sequence` is `nn.utils.packPaddedSequence` (seqtorch has no
 *    `nn.utils.rnn` namespace), and `text_lengths.to('cpu')` before packing is dropped (one device).
 * 3. `_, hidden = self.gru(packed)` is `const [, hidden] = this.gru.forward(packed)`.
 * 4. Keyword arguments become option objects (`{ paddingIdx: 0 }`, `{ batchFirst: true,
 *    bidirectional: true }`, `{ batchFirst: true, enforceSorted: false }`, `{ lr }`);
 *    `StepLR(optimizer, step_size=s, gamma=g)` and `torch.cat(..., dim=1)` take them positionally.
 * 5. `with torch.no_grad():` is `noGrad(() => { ... })`, returning the block's value.
 * 6. Indexing: `hidden[-2,:,:]` is `hidden.at(-2, ":", ":")`, `perm[i:i + batch_size]` is
 *    `perm.at(slice(i, i + batchSize))`, and the advanced indexing `x[idx]` with an index tensor is
 *    `x.indexSelect(0, idx)` (`at` takes no tensor index).
 * 7. Operators become methods: `torch.arange(n)[None, :] < lengths[:, None]` is
 *    `arange(n).lt(lengths.unsqueeze(1))`, `x * mask` is `x.mul(mask)`, `preds == y` is `.eq(y)`.
 * 8. `(x == 3).any(dim=1).long()` is `x.eq(3).sum(1).gt(0).long()`: seqtorch has no `any` and no bool
 *    dtype (comparisons give 0/1 int32 tensors, so the mask multiplies as 0/1).
 * 9. No `TensorDataset` / `DataLoader(shuffle=True)`: each epoch batches through `torch.randperm`
 *    indices by hand (seqtorch has no `DataLoader`).
 * 10. `torch.randint(low, high, (n, m))` takes the shape as an array, `randint(low, high, [n, m])`.
 * 11. The script's top level sits in `main(options)`, whose options set the sizes, epochs,
 *    learning rate, clipping, schedule and seed; it evaluates once before training as well, and
 *    returns the per-epoch losses, accuracies and learning rates (`scheduler.getLastLr()`) instead
 *    of printing them (`verbose: true` prints one line per epoch).
 */
import { nn, optim, cat, randint, randperm, arange, manualSeed, noGrad, slice, type Tensor } from "../../src/index.js";

export class GRUClassifier extends nn.Module {
  embedding: nn.Embedding;
  gru: nn.GRU;
  fc: nn.Linear;

  constructor(vocabSize: number, embeddingDim: number, hiddenDim: number, outputDim: number) {
    super();
    this.embedding = new nn.Embedding(vocabSize, embeddingDim, { paddingIdx: 0 });
    this.gru = new nn.GRU(embeddingDim, hiddenDim, { batchFirst: true, bidirectional: true });
    this.fc = new nn.Linear(hiddenDim * 2, outputDim);
  }

  forward(text: Tensor, textLengths: Tensor): Tensor {
    // text = [batch size, sent len]
    const embedded = this.embedding.forward(text);
    // embedded = [batch size, sent len, emb dim]
    const packedEmbedded = nn.utils.packPaddedSequence(embedded, textLengths, { batchFirst: true, enforceSorted: false });
    const [, hidden] = this.gru.forward(packedEmbedded);
    // hidden = [num layers * num directions, batch size, hid dim]
    const hiddenCat = cat([hidden.at(-2, ":", ":"), hidden.at(-1, ":", ":")], 1);
    // hiddenCat = [batch size, hid dim * 2]
    return this.fc.forward(hiddenCat);
  }
}

/** The synthetic task: `n` sequences of ids 1..vocabSize-1, padded with 0 after a random length; label 1 if token 3 occurs. */
export function makeData(n: number, maxLen: number, vocabSize: number): [Tensor, Tensor, Tensor] {
  const lengths = randint(2, maxLen + 1, [n]);
  const mask = arange(maxLen).lt(lengths.unsqueeze(1));
  const x = randint(1, vocabSize, [n, maxLen]).mul(mask);
  const y = x.eq(3).sum(1).gt(0).long();
  return [x, lengths, y];
}

export interface PackedGruOptions {
  nTrain?: number;
  nValid?: number;
  maxLen?: number;
  vocabSize?: number;
  embeddingDim?: number;
  hiddenDim?: number;
  batchSize?: number;
  nEpochs?: number;
  lr?: number;
  clip?: number;
  stepSize?: number;
  gamma?: number;
  seed?: number;
  verbose?: boolean;
}

export interface PackedGruResult {
  trainLosses: number[];
  trainAccs: number[];
  validLosses: number[];
  validAccs: number[];
  lrs: number[];
  /** The share of label 1 in the validation set, so accuracy can be read against the majority baseline. */
  validPositiveRate: number;
  model: GRUClassifier;
}

export function main(options: PackedGruOptions = {}): PackedGruResult {
  const {
    nTrain = 512, nValid = 256, maxLen = 10, vocabSize = 10, embeddingDim = 16, hiddenDim = 32,
    batchSize = 32, nEpochs = 5, lr = 3e-3, clip = 1.0, stepSize = 2, gamma = 0.5, seed = 0, verbose = false,
  } = options;
  manualSeed(seed);

  const [trainX, trainLengths, trainY] = makeData(nTrain, maxLen, vocabSize);
  const [validX, validLengths, validY] = makeData(nValid, maxLen, vocabSize);

  const model = new GRUClassifier(vocabSize, embeddingDim, hiddenDim, 2);
  const optimizer = new optim.Adam(model.parameters(), { lr });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, stepSize, gamma);
  const criterion = new nn.CrossEntropyLoss();

  function trainEpoch(): [number, number] {
    model.train();
    let epochLoss = 0;
    let epochAcc = 0;
    let nBatches = 0;
    const perm = randperm(nTrain);
    for (let i = 0; i < nTrain; i += batchSize) {
      const idx = perm.at(slice(i, i + batchSize));
      const [x, lengths, y] = [trainX.indexSelect(0, idx), trainLengths.indexSelect(0, idx), trainY.indexSelect(0, idx)];
      optimizer.zeroGrad();
      const predictions = model.forward(x, lengths);
      const loss = criterion.forward(predictions, y);
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), clip);
      optimizer.step();
      epochLoss += loss.item();
      epochAcc += predictions.argmax(1).eq(y).float().mean().item();
      nBatches += 1;
    }
    return [epochLoss / nBatches, epochAcc / nBatches];
  }

  function evaluate(): [number, number] {
    model.eval();
    return noGrad(() => {
      const predictions = model.forward(validX, validLengths);
      const loss = criterion.forward(predictions, validY);
      const acc = predictions.argmax(1).eq(validY).float().mean();
      return [loss.item(), acc.item()];
    });
  }

  const result: PackedGruResult = {
    trainLosses: [], trainAccs: [], validLosses: [], validAccs: [], lrs: [],
    validPositiveRate: validY.float().mean().item(), model,
  };
  const [initialLoss, initialAcc] = evaluate();
  result.validLosses.push(initialLoss);
  result.validAccs.push(initialAcc);
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    const [trainLoss, trainAcc] = trainEpoch();
    const [validLoss, validAcc] = evaluate();
    result.lrs.push(scheduler.getLastLr()[0]!);
    scheduler.step();
    result.trainLosses.push(trainLoss);
    result.trainAccs.push(trainAcc);
    result.validLosses.push(validLoss);
    result.validAccs.push(validAcc);
    if (verbose) {
      console.log(`Epoch ${epoch + 1}: train loss ${trainLoss.toFixed(3)} acc ${(trainAcc * 100).toFixed(1)}% | valid loss ${validLoss.toFixed(3)} acc ${(validAcc * 100).toFixed(1)}%`);
    }
  }
  return result;
}
