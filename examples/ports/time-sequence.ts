/**
 * pytorch/examples' time_sequence_prediction ported line for line: generate_sine_wave.py (the
 * data) and train.py (two `nn.LSTMCell`s and a `nn.Linear` stepped over a batch of sine waves,
 * trained with LBFGS, then asked to continue the waves `future` steps past the input). The port
 * follows the revision of train.py that steps with `input.chunk(input.size(1), dim=1)` and joins
 * the outputs with `torch.stack(outputs, 1).squeeze(2)` (later revisions use `split(1, dim=1)`,
 * `torch.cat(outputs, dim=1)` and a device option; the computation is the same). Python's names
 * become camelCase and locals become `const`.
 *
 * Where it is not line for line:
 * - generate_sine_wave.py runs in-process as `generateSineWave` instead of writing traindata.pt,
 *   and train.py reads its result instead of `torch.load('traindata.pt')`; `T` (20), `L` (1000),
 *   `N` (100) and the seed (2) are options. `np.array(range(L))` is `arange(L)`. numpy's `np.random.seed(2)` and `np.random.randint(-4 * T,
 *   4 * T, N)` are a seeded seqtorch `Generator(2)` and `randint(-4 * T, 4 * T, [N], { generator })`,
 *   so the phase offsets differ from numpy's.
 * - `np.empty((N, L), "int64")` is `zeros([N, L], { dtype: "int64" })`, and `x[:] = ...` is
 *   `x.copy_(...)` (which broadcasts as the slice assignment does).
 * - `np.sin(x / 1.0 / T).astype("float64")`: numpy divides an int64 array into float64, torch
 *   into float32, so the port converts first: `x.double().div(1.0).div(T).sin()`.
 * - train.py's `np.random.seed(0)` is dropped (train.py draws nothing from numpy); `torch.manual_seed(0)`
 *   is `manualSeed(0)`, and seqtorch's generator is not PyTorch's, so the initial weights differ.
 * - `torch.from_numpy(data[3:, :-1])` is `data.at("3:", ":-1")` (the data already is a float64
 *   tensor); `pred[:, :-future]` is `pred.at(":", slice(null, -future))`.
 * - `torch.zeros(input.size(0), 51, dtype=torch.double)` takes its shape as an array:
 *   `zeros([input.size(0), 51], { dtype: "double" })`.
 * - Modules are not callable: `seq(input)` is `seq.forward(input)`, `self.lstm1(...)` is
 *   `this.lstm1.forward(...)`, `criterion(out, target)` is `criterion.forward(out, target)`;
 *   `future = 0` is an optional parameter, and `seq(test_input, future=future)` passes it
 *   positionally.
 * - `super(Sequence, self).__init__()` is `super()`, and the three submodules are also declared
 *   as typed fields (TypeScript needs them declared; they are still registered by the assignments).
 * - `outputs = torch.stack(outputs, 1).squeeze(2); return outputs` reuses a list variable for a
 *   tensor, which TypeScript's types forbid, so the tensor is `const stacked`.
 * - `for i, input_t in enumerate(...)` is `for (const inputT of ...)` (`i` is unused) and
 *   `outputs += [output]` is `outputs.push(output)`. In the `future` loop TypeScript cannot see
 *   that `output` was set by the first loop, so it is declared `let output!: Tensor`.
 * - `for i in range(15)` is `opts.steps` (15 by default); `future = 1000` is `opts.future`
 *   (1000 by default).
 * - train.py's `if __name__ == '__main__':` block is the body of `main(opts)`.
 * - `with torch.no_grad():` is `noGrad(() => { ... })`; `print(...)` is `log(...)`, printing only
 *   when `opts.verbose` is set; `loss.item()` is also pushed onto the returned losses (one added
 *   line in the closure and one after the test loss); `pred.detach().numpy()` is
 *   `pred.detach().tolist()`.
 * - Three lines are added to collect results: `const stepLosses = []` before the closure,
 *   `trainLosses.push(stepLosses)` after `optimizer.step(closure)`, and `prediction = y` after
 *   `y` is computed; `future = 1000` inside the no-grad block reads `const future = futureSteps`.
 * - The matplotlib plot saved as predict%d.pdf after each step is left out; `main` returns each
 *   step's training losses (every closure call) and test loss, and the last prediction, instead.
 */
import { nn, optim, zeros, arange, randint, stack, noGrad, manualSeed, slice, Generator, type Tensor } from "../../src/index.js";

export interface SineWaveOptions {
  T?: number;
  L?: number;
  N?: number;
  seed?: number;
}

/** generate_sine_wave.py: `N` sine waves of length `L` and period `2π·T`, each shifted by a random phase. */
export function generateSineWave(opts: SineWaveOptions = {}): Tensor {
  const { T = 20, L = 1000, N = 100, seed = 2 } = opts;
  const generator = new Generator(seed);

  const x = zeros([N, L], { dtype: "int64" });
  x.copy_(arange(L).add(randint(-4 * T, 4 * T, [N], { generator }).reshape(N, 1)));
  const data = x.double().div(1.0).div(T).sin();
  return data;
}

export class Sequence extends nn.Module {
  lstm1: nn.LSTMCell;
  lstm2: nn.LSTMCell;
  linear: nn.Linear;

  constructor() {
    super();
    this.lstm1 = new nn.LSTMCell(1, 51);
    this.lstm2 = new nn.LSTMCell(51, 51);
    this.linear = new nn.Linear(51, 1);
  }

  forward(input: Tensor, future = 0): Tensor {
    const outputs: Tensor[] = [];
    let hT = zeros([input.size(0), 51], { dtype: "double" });
    let cT = zeros([input.size(0), 51], { dtype: "double" });
    let hT2 = zeros([input.size(0), 51], { dtype: "double" });
    let cT2 = zeros([input.size(0), 51], { dtype: "double" });

    let output!: Tensor;
    for (const inputT of input.chunk(input.size(1), 1)) {
      [hT, cT] = this.lstm1.forward(inputT, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    for (let i = 0; i < future; i++) { // if we should predict the future
      [hT, cT] = this.lstm1.forward(output, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    const stacked = stack(outputs, 1).squeeze(2);
    return stacked;
  }
}

export interface TimeSequenceOptions {
  /** LBFGS steps (train.py's `--steps`, 15). */
  steps?: number;
  /** Steps predicted past the test input after each training step (1000). */
  future?: number;
  /** Length and number of the sine waves (generate_sine_wave.py's `L` = 1000, `N` = 100; at least 4 waves). */
  L?: number;
  N?: number;
  verbose?: boolean;
}

export interface TimeSequenceResult {
  /** The loss of every closure call, per LBFGS step. */
  trainLosses: number[][];
  /** The test loss after each step. */
  testLosses: number[];
  /** The last step's prediction for the three test waves, `L - 1 + future` values each. */
  prediction: number[][];
}

export function main(opts: TimeSequenceOptions = {}): TimeSequenceResult {
  const { steps = 15, future: futureSteps = 1000, L = 1000, N = 100, verbose = false } = opts;
  const log = (...args: unknown[]): void => { if (verbose) console.log(...args); };
  const trainLosses: number[][] = [];
  const testLosses: number[] = [];
  let prediction: number[][] = [];

  // set random seed to 0
  manualSeed(0);
  // load data and make training set
  const data = generateSineWave({ L, N });
  const input = data.at("3:", ":-1");
  const target = data.at("3:", "1:");
  const testInput = data.at(":3", ":-1");
  const testTarget = data.at(":3", "1:");
  // build the model
  const seq = new Sequence();
  seq.double();
  const criterion = new nn.MSELoss();
  // use LBFGS as optimizer since we can load the whole data to train
  const optimizer = new optim.LBFGS(seq.parameters(), { lr: 0.8 });
  // begin to train
  for (let i = 0; i < steps; i++) {
    log("STEP: ", i);
    const stepLosses: number[] = [];
    const closure = (): Tensor => {
      optimizer.zeroGrad();
      const out = seq.forward(input);
      const loss = criterion.forward(out, target);
      log("loss:", loss.item());
      stepLosses.push(loss.item());
      loss.backward();
      return loss;
    };
    optimizer.step(closure);
    trainLosses.push(stepLosses);
    // begin to predict, no need to track gradient here
    noGrad(() => {
      const future = futureSteps;
      const pred = seq.forward(testInput, future);
      const loss = criterion.forward(pred.at(":", slice(null, -future)), testTarget);
      log("test loss:", loss.item());
      testLosses.push(loss.item());
      const y = pred.detach().tolist() as number[][];
      prediction = y;
    });
  }
  return { trainLosses, testLosses, prediction };
}
