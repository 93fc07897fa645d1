/**
 * Port of "NLP From Scratch: Classifying Names with a Character-Level RNN" (pytorch/tutorials,
 * intermediate_source/char_rnn_classification_tutorial.py), the PyTorch 2 version of the tutorial:
 * the RNN built from i2h / h2h / h2o `nn.Linear` layers, `F.tanh` and `nn.LogSoftmax(dim=1)`,
 * `nn.NLLLoss`, and the manual update `p.data.add_(p.grad.data, alpha=-learning_rate)`.
 *
 * Deviations from the Python source, beyond camelCase, `const`/`let` and types:
 * 1. Data: the tutorial reads data/names/*.txt (18 languages, about 20,000 surnames) from a
 *    download; here `categoryLines` is an embedded table of 16 surnames for each of 4 languages, so
 *    `findFiles`, `readLines`, `unicodeToAscii` and the file loop are gone (the names are ASCII).
 * 2. `string.ascii_letters` is spelled out as a string literal.
 * 3. `random.randint(0, len(l) - 1)` (Python's global `random`) is `rng.randint(l.length)` on a
 *    seeded seqtorch `Generator`, which draws from [0, n).
 * 4. Calls: `rnn(input, hidden)`, `self.i2h(input)`, `self.softmax(output)` and `criterion(...)`
 *    are `.forward(...)`: TypeScript objects are not callable.
 * 5. Operators become methods: `F.tanh(a + b)` is `a.add(b).tanh()` (seqtorch has no functional
 *    `tanh`), and `confusion[i] / confusion[i].sum()` uses `.div`.
 * 6. Indexing: `tensor[li][0][letterToIndex(letter)] = 1` is `tensor.set([li, 0, letterToIndex(letter)], 1)`,
 *    `tensor[0][i] = 1` likewise, `line_tensor[i]` is `lineTensor.at(i)`, `top_i[0]` is
 *    `topI.at(0)`, `topv[0][i]` is `topv.at(0, i)`, `confusion[i][j] += 1` is
 *    `confusion.set([i, j], confusion.at(i, j).add(1))` and `confusion[i] = ...` is `confusion.set(i, ...)`.
 * 7. `p.data.add_(p.grad.data, alpha=-learning_rate)` is `noGrad(() => p.add_(p.grad!, -learningRate))`:
 *    seqtorch's `.data` is the raw typed array, and an in-place op on a leaf runs under `noGrad`.
 * 8. `torch.zeros(a, b)` takes a shape array, `zeros([a, b])`; `torch.tensor([i], dtype=torch.long)`
 *    is `tensor([i], { dtype: "long" })`; `nn.LogSoftmax(dim=1)` is `new nn.LogSoftmax(1)`.
 * 9. `for li, letter in enumerate(line)` is `for (const [li, letter] of [...line].entries())`;
 *    `all_categories.index(c)` is `allCategories.indexOf(c)`; Python's loop variable `output`,
 *    used after the loop, is declared before it (`let output!: Tensor`).
 * 10. The script's top-level statements from `n_hidden = 128` on sit in `main(options)`, whose
 *    options set n_iters (100000 by default, as in the tutorial), print_every, plot_every,
 *    n_hidden, learning_rate and a seed (`manualSeed`, not in the tutorial); it returns the losses,
 *    the normalized confusion matrix and the predictions instead of plotting them (matplotlib is
 *    left out), and prints the tutorial's progress and prediction lines only with `verbose: true`.
 * 11. The confusion matrix counts every embedded name once instead of 10,000 random draws, and
 *    `accuracy` (correct guesses over all names, read off the counts before the rows are
 *    normalized) is added.
 * 12. The demonstration statements (`print(category_lines['Italian'][:5])`,
 *    `print(letterToTensor('J'))`, the one-letter `rnn(input, hidden)` call, the ten sample
 *    `randomTrainingExample()` prints) are left out.
 */
import { nn, tensor, zeros, noGrad, manualSeed, Generator, type Tensor } from "../../src/index.js";

// Data: a small embedded stand-in for data/names/*.txt.
export const categoryLines: Record<string, string[]> = {
  Japanese: [
    "Abe", "Fujita", "Hayashi", "Inoue", "Kato", "Kimura", "Kobayashi", "Matsumoto",
    "Nakamura", "Ono", "Saito", "Sasaki", "Takahashi", "Tanaka", "Watanabe", "Yamamoto",
  ],
  Russian: [
    "Abramov", "Belov", "Bogdanov", "Fedorov", "Ivanov", "Kozlov", "Kuznetsov", "Lebedev",
    "Morozov", "Novikov", "Orlov", "Pavlov", "Petrov", "Smirnov", "Sokolov", "Volkov",
  ],
  Irish: [
    "Brennan", "Byrne", "Connolly", "Doherty", "Donnelly", "Flanagan", "Gallagher", "Kelly",
    "Mahony", "Murphy", "O'Brien", "O'Connor", "O'Neill", "Quinn", "Reilly", "Sullivan",
  ],
  Greek: [
    "Alexandropoulos", "Angelopoulos", "Christodoulou", "Dimitriou", "Georgiou", "Kalogeropoulos",
    "Karagiannis", "Konstantinidis", "Nikolaidis", "Oikonomou", "Pappas", "Papadopoulos",
    "Papageorgiou", "Stavropoulos", "Theodorou", "Vlachos",
  ],
};

export const allLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + " .,;'"; // string.ascii_letters + " .,;'"
export const nLetters = allLetters.length;

export const allCategories = Object.keys(categoryLines);
export const nCategories = allCategories.length;

// Turning Names into Tensors

// Find letter index from allLetters, e.g. "a" = 0
export function letterToIndex(letter: string): number {
  return allLetters.indexOf(letter);
}

// Just for demonstration, turn a letter into a <1 x nLetters> Tensor
export function letterToTensor(letter: string): Tensor {
  const tensor = zeros([1, nLetters]);
  tensor.set([0, letterToIndex(letter)], 1);
  return tensor;
}

// Turn a line into a <lineLength x 1 x nLetters>, or an array of one-hot letter vectors
export function lineToTensor(line: string): Tensor {
  const tensor = zeros([line.length, 1, nLetters]);
  for (const [li, letter] of [...line].entries()) {
    tensor.set([li, 0, letterToIndex(letter)], 1);
  }
  return tensor;
}

// Creating the Network

export class RNN extends nn.Module {
  hiddenSize: number;
  i2h: nn.Linear;
  h2h: nn.Linear;
  h2o: nn.Linear;
  softmax: nn.LogSoftmax;

  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();

    this.hiddenSize = hiddenSize;

    this.i2h = new nn.Linear(inputSize, hiddenSize);
    this.h2h = new nn.Linear(hiddenSize, hiddenSize);
    this.h2o = new nn.Linear(hiddenSize, outputSize);
    this.softmax = new nn.LogSoftmax(1);
  }

  forward(input: Tensor, hidden: Tensor): [Tensor, Tensor] {
    hidden = this.i2h.forward(input).add(this.h2h.forward(hidden)).tanh(); // F.tanh(self.i2h(input) + self.h2h(hidden))
    let output = this.h2o.forward(hidden);
    output = this.softmax.forward(output);
    return [output, hidden];
  }

  initHidden(): Tensor {
    return zeros([1, this.hiddenSize]);
  }
}

export interface CharRnnOptions {
  /** The tutorial's n_iters (100000 there). */
  nIters?: number;
  printEvery?: number;
  plotEvery?: number;
  nHidden?: number;
  /** The tutorial's learning_rate (0.005). */
  learningRate?: number;
  seed?: number;
  verbose?: boolean;
}

export interface CharRnnResult {
  allLosses: number[];
  confusion: Tensor;
  accuracy: number;
  predictions: Record<string, [number, string][]>;
  rnn: RNN;
}

export function main(options: CharRnnOptions = {}): CharRnnResult {
  const { nIters = 100000, printEvery = 5000, plotEvery = 1000, nHidden = 128, learningRate = 0.005, seed = 0, verbose = false } = options;
  manualSeed(seed);
  const rng = new Generator(seed);

  const rnn = new RNN(nLetters, nHidden, nCategories);

  // Preparing for Training

  function categoryFromOutput(output: Tensor): [string, number] {
    const [, topI] = output.topk(1);
    const categoryI = topI.at(0).item();
    return [allCategories[categoryI]!, categoryI];
  }

  function randomChoice<T>(l: T[]): T {
    return l[rng.randint(l.length)]!;
  }

  function randomTrainingExample(): [string, string, Tensor, Tensor] {
    const category = randomChoice(allCategories);
    const line = randomChoice(categoryLines[category]!);
    const categoryTensor = tensor([allCategories.indexOf(category)], { dtype: "long" });
    const lineTensor = lineToTensor(line);
    return [category, line, categoryTensor, lineTensor];
  }

  // Training the Network

  const criterion = new nn.NLLLoss();

  function train(categoryTensor: Tensor, lineTensor: Tensor): [Tensor, number] {
    let hidden = rnn.initHidden();

    rnn.zeroGrad();

    let output!: Tensor;
    for (let i = 0; i < lineTensor.size()[0]!; i++) {
      [output, hidden] = rnn.forward(lineTensor.at(i), hidden);
    }

    const loss = criterion.forward(output, categoryTensor);
    loss.backward();

    // Add parameters' gradients to their values, multiplied by learning rate
    for (const p of rnn.parameters()) {
      noGrad(() => p.add_(p.grad!, -learningRate));
    }

    return [output, loss.item()];
  }

  // Keep track of losses for plotting
  let currentLoss = 0;
  const allLosses: number[] = [];

  function timeSince(since: number): string {
    const now = Date.now() / 1000;
    let s = now - since;
    const m = Math.floor(s / 60);
    s -= m * 60;
    return `${m}m ${Math.floor(s)}s`;
  }

  const start = Date.now() / 1000;

  for (let iter = 1; iter <= nIters; iter++) {
    const [category, line, categoryTensor, lineTensor] = randomTrainingExample();
    const [output, loss] = train(categoryTensor, lineTensor);
    currentLoss += loss;

    // Print iter number, loss, name and guess
    if (verbose && iter % printEvery === 0) {
      const [guess] = categoryFromOutput(output);
      const correct = guess === category ? "✓" : `✗ (${category})`;
      console.log(`${iter} ${Math.floor((iter / nIters) * 100)}% (${timeSince(start)}) ${loss.toFixed(4)} ${line} / ${guess} ${correct}`);
    }

    // Add current loss avg to list of losses
    if (iter % plotEvery === 0) {
      allLosses.push(currentLoss / plotEvery);
      currentLoss = 0;
    }
  }

  // Evaluating the Results

  // Keep track of correct guesses in a confusion matrix
  const confusion = zeros([nCategories, nCategories]);

  // Just return an output given a line
  function evaluate(lineTensor: Tensor): Tensor {
    let hidden = rnn.initHidden();

    let output!: Tensor;
    for (let i = 0; i < lineTensor.size()[0]!; i++) {
      [output, hidden] = rnn.forward(lineTensor.at(i), hidden);
    }

    return output;
  }

  // Go through every name once and record which are correctly guessed
  for (const category of allCategories) {
    for (const line of categoryLines[category]!) {
      const output = evaluate(lineToTensor(line));
      const [, guessI] = categoryFromOutput(output);
      const categoryI = allCategories.indexOf(category);
      confusion.set([categoryI, guessI], confusion.at(categoryI, guessI).add(1)); // confusion[category_i][guess_i] += 1
    }
  }

  // Not in the tutorial: the share of names guessed right, read off the counts before normalizing.
  let correct = 0;
  for (let i = 0; i < nCategories; i++) correct += confusion.at(i, i).item();
  const accuracy = correct / confusion.sum().item();

  // Normalize by dividing every row by its sum
  for (let i = 0; i < nCategories; i++) {
    confusion.set(i, confusion.at(i).div(confusion.at(i).sum()));
  }

  // Running on User Input

  function predict(inputLine: string, nPredictions = 3): [number, string][] {
    if (verbose) console.log(`\n> ${inputLine}`);
    return noGrad(() => {
      const output = evaluate(lineToTensor(inputLine));

      // Get top N categories
      const [topv, topi] = output.topk(nPredictions, 1, true);
      const predictions: [number, string][] = [];

      for (let i = 0; i < nPredictions; i++) {
        const value = topv.at(0, i).item();
        const categoryIndex = topi.at(0, i).item();
        if (verbose) console.log(`(${value.toFixed(2)}) ${allCategories[categoryIndex]}`);
        predictions.push([value, allCategories[categoryIndex]!]);
      }
      return predictions;
    });
  }

  const predictions: Record<string, [number, string][]> = {};
  for (const name of ["Dovesky", "Jackson", "Satoshi"]) predictions[name] = predict(name);

  return { allLosses, confusion, accuracy, predictions, rnn };
}
