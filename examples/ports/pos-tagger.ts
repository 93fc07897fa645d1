/**
 * The LSTM part-of-speech tagger from PyTorch's tutorial "Sequence Models and Long Short-Term Memory
 * Networks" (pytorch/tutorials, beginner_source/nlp/sequence_models_tutorial.py, by Robert
 * Guthrie), ported line for line. Python's names become camelCase and locals become `const`.
 *
 * Where it is not line for line:
 * - `torch.manual_seed(1)` is `manualSeed(opts.seed)` (1 by default); the tutorial's introductory
 *   `nn.LSTM(3, 3)` demo before the tagger is left out, and seqtorch's generator is not PyTorch's,
 *   so the initial weights (and the printed scores) differ from the tutorial's.
 * - Modules are not callable: `model(x)` is `model.forward(x)`, `loss_function(a, b)` is
 *   `lossFunction.forward(a, b)`, and `self.lstm(...)` is `this.lstm.forward(...)`.
 * - `len(sentence)` (a tensor's first dimension) is `sentence.size(0)`; `len(word_to_ix)` is
 *   `wordToIx.size`, the dicts being `Map`s (`word not in word_to_ix` is `!wordToIx.has(word)`,
 *   `to_ix[w]` is `toIx.get(w)!`).
 * - `import torch.nn.functional as F` is `const F = nn.functional`, and
 *   `F.log_softmax(tag_space, dim=1)` is `F.logSoftmax(tagSpace, 1)` (keyword as positional).
 * - `super(LSTMTagger, self).__init__()` is `super()`, and the attributes are also declared as
 *   typed fields (TypeScript needs them declared; the assignments still register the modules).
 *   The camelCase attribute names make the state-dict keys `wordEmbeddings.weight` where
 *   PyTorch has `word_embeddings.weight`.
 * - `lstm_out, _ = self.lstm(...)` is `const [lstmOut] = this.lstm.forward(...)`.
 * - `torch.tensor(idxs, dtype=torch.long)` is `tensor(idxs, { dtype: "long" })` (stored as int32).
 * - `"The dog ate the apple".split()` is `.split(" ")` (the sentences hold single spaces only).
 * - The tutorial's top-level script (from `training_data` on) is the body of `main(opts)`.
 * - `with torch.no_grad():` is `noGrad(() => { ... })`, each block returning its `tag_scores`
 *   (`const before = noGrad(...)`, `const after = noGrad(...)`); `print(...)` is `log(...)`, printing only
 *   when `opts.verbose` is set.
 * - `range(300)` is `opts.epochs` (300 by default), and `main` returns the scores before and after
 *   training, the last loss and the predicted tags instead of only printing them (one added line,
 *   `lastLoss = loss.item()`, in the training loop; the tags are read off with `argmax(1)` after
 *   the tutorial's last print).
 */
import { nn, optim, tensor, noGrad, manualSeed, type Tensor } from "../../src/index.js";

const F = nn.functional;

export interface PosTaggerOptions {
  epochs?: number;
  seed?: number;
  verbose?: boolean;
}

export interface PosTaggerResult {
  before: Tensor;
  after: Tensor;
  lastLoss: number;
  predicted: string[];
  expected: string[];
}

export function prepareSequence(seq: string[], toIx: Map<string, number>): Tensor {
  const idxs = seq.map((w) => toIx.get(w)!);
  return tensor(idxs, { dtype: "long" });
}

export class LSTMTagger extends nn.Module {
  hiddenDim: number;
  wordEmbeddings: nn.Embedding;
  lstm: nn.LSTM;
  hidden2tag: nn.Linear;

  constructor(embeddingDim: number, hiddenDim: number, vocabSize: number, tagsetSize: number) {
    super();
    this.hiddenDim = hiddenDim;

    this.wordEmbeddings = new nn.Embedding(vocabSize, embeddingDim);

    // The LSTM takes word embeddings as inputs, and outputs hidden states
    // with dimensionality hiddenDim.
    this.lstm = new nn.LSTM(embeddingDim, hiddenDim);

    // The linear layer that maps from hidden state space to tag space
    this.hidden2tag = new nn.Linear(hiddenDim, tagsetSize);
  }

  forward(sentence: Tensor): Tensor {
    const embeds = this.wordEmbeddings.forward(sentence);
    const [lstmOut] = this.lstm.forward(embeds.view(sentence.size(0), 1, -1));
    const tagSpace = this.hidden2tag.forward(lstmOut.view(sentence.size(0), -1));
    const tagScores = F.logSoftmax(tagSpace, 1);
    return tagScores;
  }
}

export function main(opts: PosTaggerOptions = {}): PosTaggerResult {
  const { epochs = 300, seed = 1, verbose = false } = opts;
  const log = (...args: unknown[]): void => { if (verbose) console.log(...args); };

  manualSeed(seed);

  const trainingData: [string[], string[]][] = [
    // Tags are: DET - determiner; NN - noun; V - verb
    // For example, the word "The" is a determiner
    ["The dog ate the apple".split(" "), ["DET", "NN", "V", "DET", "NN"]],
    ["Everybody read that book".split(" "), ["NN", "V", "DET", "NN"]],
  ];
  const wordToIx = new Map<string, number>();
  // For each words-list (sentence) and tags-list in each tuple of trainingData
  for (const [sent, tags] of trainingData) {
    for (const word of sent) {
      if (!wordToIx.has(word)) { // word has not been assigned an index yet
        wordToIx.set(word, wordToIx.size); // Assign each word with a unique index
      }
    }
  }
  log(wordToIx);
  const tagToIx = new Map([["DET", 0], ["NN", 1], ["V", 2]]); // Assign each tag with a unique index

  // These will usually be more like 32 or 64 dimensional.
  // We will keep them small, so we can see how the weights change as we train.
  const EMBEDDING_DIM = 6;
  const HIDDEN_DIM = 6;

  const model = new LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, wordToIx.size, tagToIx.size);
  const lossFunction = new nn.NLLLoss();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });

  // See what the scores are before training
  // Note that element i,j of the output is the score for tag j for word i.
  // Here we don't need to train, so the code is wrapped in noGrad
  const before = noGrad(() => {
    const inputs = prepareSequence(trainingData[0][0], wordToIx);
    const tagScores = model.forward(inputs);
    log(tagScores);
    return tagScores;
  });

  let lastLoss = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) { // again, normally you would NOT do 300 epochs, it is toy data
    for (const [sentence, tags] of trainingData) {
      // Step 1. Remember that PyTorch accumulates gradients.
      // We need to clear them out before each instance
      model.zeroGrad();

      // Step 2. Get our inputs ready for the network, that is, turn them into
      // Tensors of word indices.
      const sentenceIn = prepareSequence(sentence, wordToIx);
      const targets = prepareSequence(tags, tagToIx);

      // Step 3. Run our forward pass.
      const tagScores = model.forward(sentenceIn);

      // Step 4. Compute the loss, gradients, and update the parameters by
      //  calling optimizer.step()
      const loss = lossFunction.forward(tagScores, targets);
      loss.backward();
      optimizer.step();
      lastLoss = loss.item();
    }
  }

  // See what the scores are after training
  const after = noGrad(() => {
    const inputs = prepareSequence(trainingData[0][0], wordToIx);
    const tagScores = model.forward(inputs);

    // The sentence is "the dog ate the apple".  i,j corresponds to score for tag j
    // for word i. The predicted tag is the maximum scoring tag.
    // Here, we can see the predicted sequence below is 0 1 2 0 1
    // since 0 is index of the maximum value of row 1,
    // 1 is the index of maximum value of row 2, etc.
    // Which is DET NOUN VERB DET NOUN, the correct sequence!
    log(tagScores);
    return tagScores;
  });

  const ixToTag = [...tagToIx.keys()];
  const predicted = (after.argmax(1).tolist() as number[]).map((i) => ixToTag[i]!);
  return { before, after, lastLoss, predicted, expected: trainingData[0][1] };
}
