// A port of pytorch/examples word_language_model (model.py, data.py, main.py): an RNN/LSTM/GRU word-level
// language model trained by truncated backpropagation through time, with a hand-written SGD update,
// gradient clipping, learning-rate annealing and the best model kept by validation loss.
//
// Deviations from the PyTorch source, beyond camelCase, `const`/`let`, `declare`d fields and type annotations:
//  1. Data: `Corpus` takes three strings (train/valid/test) instead of a directory of wikitext-2 files (no
//     `os.path.join`, no `assert os.path.exists`); `tokenize` splits the string into lines (iterating over it,
//     as over a file) and `line.split()` is a whitespace regex with empty strings dropped.
//     The default data is the small text at the end of this file.
//  2. main.py's script body is the body of `main(options)` (its functions are closures inside it, its
//     globals `lr`, `epoch`, `model` are `let`s there). Arguments: argparse becomes `options`, an object of the flags with PyTorch's defaults except
//     `data` (the texts) and `save` ("model.safetensors"), plus `log` (where lines are printed, console.log
//     by default). `--accel`, `--onnx-export`, `--nhead`, the Transformer model (and with it
//     `PositionalEncoding`, the `if args.model == 'Transformer'` branches, the local `ntokens` that only they
//     use in `evaluate` and `train`, and `export_onnx`) are left out,
//     so there is no `device` and no `.to(device)` (in `batchify` and on the model).
//  3. Calling a module: `model(data, hidden)` is `model.forward(data, hidden)`, likewise for every layer and
//     for `criterion`; `F.log_softmax(x, dim=1)` is `nn.functional.logSoftmax(x, 1)`.
//  4. `getattr(nn, rnn_type)` is a lookup in the object literal `{ LSTM: nn.LSTM, GRU: nn.GRU }`; the
//     `try/except KeyError ... raise ValueError(...) from e` is an `undefined` check throwing an `Error`
//     (same message); the tie-size check throws an `Error` rather than a `ValueError`.
//  5. `next(self.parameters())` is `this.parameters()[0]` (an array, not an iterator); `len(corpus.dictionary)`
//     is `corpus.dictionary.length` (a getter in place of `__len__`); `len(source)`/`len(data)` are `.size(0)`;
//     `//` is `Math.floor(a / b)`; the `word2idx` dict is a `Map` (`has`/`get`/`set`), since a plain
//     object would find words such as "constructor" on its prototype.
//  6. `torch.tensor(ids).type(torch.int64)` is `tensor(ids, { dtype: "int64" })` (seqtorch has no `.type()`,
//     and stores int64 as int32 with a range check).
//  7. `new_zeros(a, b, c)` takes the shape as one array: `newZeros([a, b, c])`; `source[i:i+seq_len]` is
//     `source.at(`${i}:${i + seqLen}`)`.
//  8. `repackage_hidden` tests `instanceof Tensor` and maps the LSTM pair with `Array.map` (a two-element
//     array, not a tuple).
//  9. `with torch.no_grad():` is `noGrad(() => { ... })`; `for batch, i in enumerate(range(...))` is a `for`
//     loop with two counters; `time.time()` is `performance.now()` (milliseconds); `'{:5.2f}'.format` is
//     `toFixed`/`padStart`.
// 10. The manual update `p.data.add_(p.grad, alpha=-lr)` is `noGrad(() => p.add_(p.grad!, -lr))`: seqtorch's
//     `.data` is the raw typed array, so the in-place op runs on the parameter itself under `noGrad`.
// 11. Saving: `torch.save(model, f)` pickles the whole module; here the state dict is written as safetensors
//     with `writeFileSync(args.save, io.serializeSafetensors(model.stateDict()))` (both tied keys, each with
//     its own copy of the values), and `torch.load` becomes building a fresh `RNNModel` with the same
//     arguments and `loadStateDict(io.parseSafetensors(readFileSync(args.save)).tensors)` (loading both tied
//     keys into the one shared tensor keeps the tie). The `safe_globals` list and
//     `model.rnn.flatten_parameters()` have no equivalent and are dropped.
// 12. `if not best_val_loss` is `bestValLoss === null` (Python's test would also treat a loss of 0.0 as unset).
// 13. No `try/except KeyboardInterrupt` around the epoch loop. `optimizer` is declared up front as
//     `optim.AdamW | undefined` (a Python global that only exists with `--use-optimizer`).
// 14. Additions for the caller: `train()` also sums its epoch's losses and returns their mean (the original
//     only prints interval averages), and `main` collects the per-epoch train losses, validation losses and
//     learning rates and returns them with the test loss, the reloaded model and the corpus.
import { writeFileSync, readFileSync } from "node:fs";
import { nn, optim, io, tensor, cat, manualSeed, noGrad, Tensor } from "../../src/index.js";

// ---------------------------------------------------------------- data.py

export class Dictionary {
  word2idx = new Map<string, number>();
  idx2word: string[] = [];

  addWord(word: string): number {
    if (!this.word2idx.has(word)) {
      this.idx2word.push(word);
      this.word2idx.set(word, this.idx2word.length - 1);
    }
    return this.word2idx.get(word)!;
  }

  get length(): number {
    return this.idx2word.length;
  }
}

export class Corpus {
  dictionary: Dictionary;
  train: Tensor;
  valid: Tensor;
  test: Tensor;

  constructor(texts: { train: string; valid: string; test: string }) {
    this.dictionary = new Dictionary();
    this.train = this.tokenize(texts.train);
    this.valid = this.tokenize(texts.valid);
    this.test = this.tokenize(texts.test);
  }

  /** Tokenizes a text. */
  tokenize(text: string): Tensor {
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop(); // a final newline ends the last line, as in a file
    // Add words to the dictionary
    for (const line of lines) {
      const words = [...line.split(/\s+/).filter((w) => w !== ""), "<eos>"];
      for (const word of words) this.dictionary.addWord(word);
    }

    // Tokenize file content
    const idss: Tensor[] = [];
    for (const line of lines) {
      const words = [...line.split(/\s+/).filter((w) => w !== ""), "<eos>"];
      const ids: number[] = [];
      for (const word of words) ids.push(this.dictionary.word2idx.get(word)!);
      idss.push(tensor(ids, { dtype: "int64" }));
    }
    const ids = cat(idss);

    return ids;
  }
}

// ---------------------------------------------------------------- model.py

export type RNNType = "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU";
export type Hidden = Tensor | [Tensor, Tensor];

/** Container module with an encoder, a recurrent module, and a decoder. */
export class RNNModel extends nn.Module {
  declare ntoken: number;
  declare drop: nn.Dropout;
  declare encoder: nn.Embedding;
  declare rnn: nn.RNNBase<Hidden>;
  declare decoder: nn.Linear;
  declare rnnType: RNNType;
  declare nhid: number;
  declare nlayers: number;

  constructor(rnnType: RNNType, ntoken: number, ninp: number, nhid: number, nlayers: number, dropout = 0.5, tieWeights = false) {
    super();
    this.ntoken = ntoken;
    this.drop = new nn.Dropout(dropout);
    this.encoder = new nn.Embedding(ntoken, ninp);
    if (rnnType === "LSTM" || rnnType === "GRU") {
      this.rnn = new { LSTM: nn.LSTM, GRU: nn.GRU }[rnnType](ninp, nhid, nlayers, { dropout: dropout });
    } else {
      const nonlinearity = ({ RNN_TANH: "tanh", RNN_RELU: "relu" } as const)[rnnType];
      if (nonlinearity === undefined) {
        throw new Error(`An invalid option for \`--model\` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']`);
      }
      this.rnn = new nn.RNN(ninp, nhid, nlayers, { nonlinearity: nonlinearity, dropout: dropout });
    }
    this.decoder = new nn.Linear(nhid, ntoken);

    // Optionally tie weights as in:
    // "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016)
    // https://arxiv.org/abs/1608.05859
    // and
    // "Tying Word Vectors and Word Classifiers: A Loss Framework for Language Modeling" (Inan et al. 2016)
    // https://arxiv.org/abs/1611.01462
    if (tieWeights) {
      if (nhid !== ninp) {
        throw new Error("When using the tied flag, nhid must be equal to emsize");
      }
      this.decoder.weight = this.encoder.weight;
    }

    this.initWeights();

    this.rnnType = rnnType;
    this.nhid = nhid;
    this.nlayers = nlayers;
  }

  initWeights(): void {
    const initrange = 0.1;
    nn.init.uniform_(this.encoder.weight, -initrange, initrange);
    nn.init.zeros_(this.decoder.bias!);
    nn.init.uniform_(this.decoder.weight, -initrange, initrange);
  }

  forward(input: Tensor, hidden: Hidden): [Tensor, Hidden] {
    const emb = this.drop.forward(this.encoder.forward(input));
    let output: Tensor;
    [output, hidden] = this.rnn.forward(emb, hidden);
    output = this.drop.forward(output);
    let decoded = this.decoder.forward(output);
    decoded = decoded.view(-1, this.ntoken);
    return [nn.functional.logSoftmax(decoded, 1), hidden];
  }

  initHidden(bsz: number): Hidden {
    const weight = this.parameters()[0]!;
    if (this.rnnType === "LSTM") {
      return [weight.newZeros([this.nlayers, bsz, this.nhid]),
              weight.newZeros([this.nlayers, bsz, this.nhid])];
    } else {
      return weight.newZeros([this.nlayers, bsz, this.nhid]);
    }
  }
}

// ---------------------------------------------------------------- main.py

export interface Args {
  data: { train: string; valid: string; test: string }; // location of the data corpus (here: the texts)
  model: RNNType;       // type of network (RNN_TANH, RNN_RELU, LSTM, GRU)
  emsize: number;       // size of word embeddings
  nhid: number;         // number of hidden units per layer
  nlayers: number;      // number of layers
  lr: number;           // initial learning rate
  clip: number;         // gradient clipping
  epochs: number;       // upper epoch limit
  batchSize: number;    // batch size
  bptt: number;         // sequence length
  dropout: number;      // dropout applied to layers (0 = no dropout)
  tied: boolean;        // tie the word embedding and softmax weights
  seed: number;         // random seed
  logInterval: number;  // report interval
  save: string;         // path to save the final model
  dryRun: boolean;      // verify the code and the model
  useOptimizer: boolean; // Uses AdamW optimizer for gradient updating
  log: (line: string) => void;
}

export interface Result {
  trainLosses: number[];
  valLosses: number[];
  testLoss: number;
  lrs: number[];
  model: RNNModel;
  corpus: Corpus;
}

export function main(options: Partial<Args> = {}): Result {
  const args: Args = {
    data: EMBEDDED_TEXT, model: "LSTM", emsize: 200, nhid: 200, nlayers: 2, lr: 20, clip: 0.25, epochs: 40,
    batchSize: 20, bptt: 35, dropout: 0.2, tied: false, seed: 1111, logInterval: 200, save: "model.safetensors",
    dryRun: false, useOptimizer: false, log: (line) => console.log(line), ...options,
  };
  const print = args.log;

  // Set the random seed manually for reproducibility.
  manualSeed(args.seed);

  ///////////////////////////////////////////////////////////////////////////////
  // Load data
  ///////////////////////////////////////////////////////////////////////////////

  const corpus = new Corpus(args.data);

  // Starting from sequential data, batchify arranges the dataset into columns.
  // For instance, with the alphabet as the sequence and batch size 4, we'd get
  // ┌ a g m s ┐
  // │ b h n t │
  // │ c i o u │
  // │ d j p v │
  // │ e k q w │
  // └ f l r x ┘.
  // These columns are treated as independent by the model, which means that the
  // dependence of e. g. 'g' on 'f' can not be learned, but allows more efficient
  // batch processing.

  function batchify(data: Tensor, bsz: number): Tensor {
    // Work out how cleanly we can divide the dataset into bsz parts.
    const nbatch = Math.floor(data.size(0) / bsz);
    // Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz);
    // Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous();
    return data;
  }

  const evalBatchSize = 10;
  const trainData = batchify(corpus.train, args.batchSize);
  const valData = batchify(corpus.valid, evalBatchSize);
  const testData = batchify(corpus.test, evalBatchSize);

  ///////////////////////////////////////////////////////////////////////////////
  // Build the model
  ///////////////////////////////////////////////////////////////////////////////

  const ntokens = corpus.dictionary.length;
  let model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied);

  const criterion = new nn.NLLLoss();
  let optimizer: optim.AdamW | undefined;
  if (args.useOptimizer) {
    optimizer = new optim.AdamW(model.parameters(), { lr: args.lr });
  }

  ///////////////////////////////////////////////////////////////////////////////
  // Training code
  ///////////////////////////////////////////////////////////////////////////////

  /** Wraps hidden states in new Tensors, to detach them from their history. */
  function repackageHidden(h: Hidden): Hidden {
    if (h instanceof Tensor) {
      return h.detach();
    } else {
      return h.map((v) => repackageHidden(v)) as [Tensor, Tensor];
    }
  }

  // get_batch subdivides the source data into chunks of length args.bptt.
  // If source is equal to the example output of the batchify function, with
  // a bptt-limit of 2, we'd get the following two Variables for i = 0:
  // ┌ a g m s ┐ ┌ b h n t ┐
  // └ b h n t ┘ └ c i o u ┘
  // Note that despite the name of the function, the subdivison of data is not
  // done along the batch dimension (i.e. dimension 1), since that was handled
  // by the batchify function. The chunks are along dimension 0, corresponding
  // to the seq_len dimension in the LSTM.

  function getBatch(source: Tensor, i: number): [Tensor, Tensor] {
    const seqLen = Math.min(args.bptt, source.size(0) - 1 - i);
    const data = source.at(`${i}:${i + seqLen}`);
    const target = source.at(`${i + 1}:${i + 1 + seqLen}`).view(-1);
    return [data, target];
  }

  function evaluate(dataSource: Tensor): number {
    // Turn on evaluation mode which disables dropout.
    model.eval();
    let totalLoss = 0;
    let hidden = model.initHidden(evalBatchSize);
    noGrad(() => {
      for (let i = 0; i < dataSource.size(0) - 1; i += args.bptt) {
        const [data, targets] = getBatch(dataSource, i);
        let output: Tensor;
        [output, hidden] = model.forward(data, hidden);
        hidden = repackageHidden(hidden);
        totalLoss += data.size(0) * criterion.forward(output, targets).item();
      }
    });
    return totalLoss / (dataSource.size(0) - 1);
  }

  function train(): number {
    // Turn on training mode which enables dropout.
    model.train();
    let totalLoss = 0;
    let epochLoss = 0;
    let nbatches = 0;
    let startTime = performance.now();
    let hidden = model.initHidden(args.batchSize);
    for (let batch = 0, i = 0; i < trainData.size(0) - 1; batch++, i += args.bptt) {
      const [data, targets] = getBatch(trainData, i);
      // Starting each batch, we detach the hidden state from how it was previously produced.
      // If we didn't, the model would try backpropagating all the way to start of the dataset.
      if (args.useOptimizer) {
        optimizer!.zeroGrad();
      } else {
        model.zeroGrad();
      }
      hidden = repackageHidden(hidden);
      let output: Tensor;
      [output, hidden] = model.forward(data, hidden);
      const loss = criterion.forward(output, targets);
      loss.backward();

      // `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
      nn.utils.clipGradNorm_(model.parameters(), args.clip);
      if (args.useOptimizer) {
        optimizer!.step();
      } else {
        for (const p of model.parameters()) {
          noGrad(() => p.add_(p.grad!, -lr));
        }
      }

      totalLoss += loss.item();
      epochLoss += loss.item();
      nbatches += 1;

      if (batch % args.logInterval === 0 && batch > 0) {
        const curLoss = totalLoss / args.logInterval;
        const elapsed = (performance.now() - startTime) / 1000;
        print(`| epoch ${String(epoch).padStart(3)} | ${String(batch).padStart(5)}/${String(Math.floor(trainData.size(0) / args.bptt)).padStart(5)} batches | ` +
              `lr ${lr.toFixed(2)} | ms/batch ${(elapsed * 1000 / args.logInterval).toFixed(2).padStart(5)} | ` +
              `loss ${curLoss.toFixed(2).padStart(5)} | ppl ${Math.exp(curLoss).toFixed(2).padStart(8)}`);
        totalLoss = 0;
        startTime = performance.now();
      }
      if (args.dryRun) {
        break;
      }
    }
    return epochLoss / nbatches;
  }

  // Loop over epochs.
  let lr = args.lr;
  let bestValLoss: number | null = null;
  let epoch = 0;
  const trainLosses: number[] = [];
  const valLosses: number[] = [];
  const lrs: number[] = [];

  for (epoch = 1; epoch < args.epochs + 1; epoch++) {
    const epochStartTime = performance.now();
    lrs.push(lr);
    trainLosses.push(train());
    const valLoss = evaluate(valData);
    valLosses.push(valLoss);
    print("-".repeat(89));
    print(`| end of epoch ${String(epoch).padStart(3)} | time: ${((performance.now() - epochStartTime) / 1000).toFixed(2).padStart(5)}s | ` +
          `valid loss ${valLoss.toFixed(2).padStart(5)} | valid ppl ${Math.exp(valLoss).toFixed(2).padStart(8)}`);
    print("-".repeat(89));
    // Save the model if the validation loss is the best we've seen so far.
    if (bestValLoss === null || valLoss < bestValLoss) {
      writeFileSync(args.save, io.serializeSafetensors(model.stateDict()));
      bestValLoss = valLoss;
    } else {
      // Anneal the learning rate if no improvement has been seen in the validation dataset.
      lr /= 4.0;
    }
  }

  // Load the best saved model.
  model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied);
  model.loadStateDict(io.parseSafetensors(readFileSync(args.save)).tensors);

  // Run on test data.
  const testLoss = evaluate(testData);
  print("=".repeat(89));
  print(`| End of training | test loss ${testLoss.toFixed(2).padStart(5)} | test ppl ${Math.exp(testLoss).toFixed(2).padStart(8)}`);
  print("=".repeat(89));

  return { trainLosses, valLosses, testLoss, lrs, model, corpus };
}

// ---------------------------------------------------------------- the corpus

// A small text written for this port, in place of wikitext-2: one sentence a line, a narrow vocabulary,
// so that a tiny model learns something measurable in a few epochs.
const TRAIN_TEXT = `the old miller lived by the river with his two dogs and a grey cat .
every morning the miller walked to the mill and opened the heavy door .
the river turned the wheel and the wheel turned the stone .
the stone ground the wheat into flour and the flour filled the sacks .
the dogs slept by the door and the cat watched the mice in the barn .
in the afternoon the farmers came to the mill with their carts of wheat .
the miller weighed the wheat and the farmers waited by the river .
when the sacks were full the farmers paid the miller and went home .
in the evening the miller closed the heavy door and walked home with his dogs .
the cat stayed in the barn and watched the mice all night .
one spring the river rose and the water came into the mill .
the miller and his dogs carried the sacks of flour up to the loft .
the farmers came with their carts and helped the miller save the wheat .
the water turned the wheel too fast and the stone cracked in two .
the miller sat by the river and looked at the broken stone .
the next morning the farmers came back with a new stone on a cart .
they carried the new stone into the mill and set it under the wheel .
the river fell and the wheel turned slowly again .
the new stone ground the wheat into fine white flour .
the miller filled the sacks and the farmers paid him with bread and cheese .
in the summer the days were long and the river was low .
the wheel turned slowly and the miller had time to sit in the sun .
the dogs ran along the river and the cat slept on the warm sacks .
the children of the farmers came to the mill to see the wheel .
the miller showed them the stone and the flour and the heavy door .
in the autumn the farmers brought more wheat than ever before .
the miller worked from morning to evening and the wheel never stopped .
the sacks of flour filled the loft and the barn and the cart .
in the winter the river froze and the wheel stood still .
the miller sat by the fire with his dogs and his grey cat .
the farmers came to the mill with bread and cheese and sat by the fire .
they talked about the river and the wheat and the new stone .
when the spring came the river ran again and the wheel turned again .
the miller opened the heavy door and the farmers came with their carts of wheat .
`;

const VALID_TEXT = `the miller walked to the mill every morning with his dogs .
the river turned the wheel and the stone ground the wheat into flour .
the farmers came with their carts and waited by the river .
the cat watched the mice in the barn and the dogs slept by the door .
in the evening the miller closed the door and walked home .
the farmers paid the miller with bread and cheese .
`;

const TEST_TEXT = `in the morning the miller opened the heavy door of the mill .
the wheel turned and the new stone ground the wheat into white flour .
the farmers filled their carts with sacks of flour and went home .
the grey cat slept on the sacks and the dogs ran along the river .
in the winter the miller sat by the fire with the farmers .
the river froze and the wheel stood still until the spring .
`;

export const EMBEDDED_TEXT = { train: TRAIN_TEXT, valid: VALID_TEXT, test: TEST_TEXT };
