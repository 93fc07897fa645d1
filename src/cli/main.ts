#!/usr/bin/env node
/**
 * The `seqtorch` command: argument parsing only; the work is done by the public API.
 * With no command it trains the default model (`npm start`).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { createRequire } from "node:module";
import { cells, fmtShape, getBackend, listBackends, manualSeed, nn, randn } from "../index.js";
// The native kernels become the default backend where they were built (as under `import "seqtorch"` in Node).
import "../backend/native/auto.js";
import { loadNativeAddon, nativeUnavailableReason } from "../backend/native/index.js";
import { runCommand } from "./output.js";
import { trainCommand, type TrainArgs } from "./train.js";
import { evalCommand, paramsCommand, predictCommand } from "./use.js";
import { exportCommand, type ExportArgs } from "./export.js";
import { gradflowCommand, labCommand, type GradflowArgs, type LabArgs } from "./lab.js";


const packageVersion = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
/** The version, with the backends this install has: the native kernels' instruction set, or why there are none. */
const version = `${packageVersion} (backends: ${listBackends().map((b) => (b === "native" ? `native ${loadNativeAddon()!.isa()}` : b)).join(", ")}${nativeUnavailableReason() ? `; native kernels unavailable: ${nativeUnavailableReason()}` : ""}; default ${getBackend().name})`;

const int = (name: string, min = 1) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};
const num = (name: string, check: (n: number) => boolean, what: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${name} must be ${what}, got "${v}"`);
  return n;
};
const positive = (name: string): ((v: string) => number) => num(name, (n) => n > 0, "a positive number");

function tutorial(): void {
  manualSeed(0);
  const lstm = new nn.LSTM(10, 20, 2);
  const input = randn([5, 3, 10]);
  const h0 = randn([2, 3, 20]);
  const c0 = randn([2, 3, 20]);
  const [output, [hN, cN]] = lstm.forward(input, [h0, c0]);
  console.log(`${lstm.toString()} on input ${fmtShape(input.shape)} with h0, c0 ${fmtShape(h0.shape)}`);
  console.log(`output, hN, cN: ${fmtShape(output.shape)} ${fmtShape(hN.shape)} ${fmtShape(cN.shape)}`);
  console.log();
  console.log(nn.summary(lstm));
  console.log();
  console.log(`${nn.countParameters(lstm)} parameters (PyTorch's count: b_ih and b_hh are two bias vectors per layer)`);
  console.log(`${nn.tutorialParameterCount(lstm)!} by the tutorial's formula 4((X+H)H+H) summed over the layers, which counts one bias vector`);
}

function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--cell <type>", "recurrent cell").choices(cells.CELL_KINDS).default("lstm"))
    .option("--embedding-dim <n>", "embedding size", int("--embedding-dim"), 32)
    .option("--hidden-size <n>", "hidden size", int("--hidden-size"), 64)
    .option("--layers <n>", "stacked recurrent layers", int("--layers"), 1)
    .option("--no-bidirectional", "run one direction only (default: bidirectional)");
}

const program = new Command("seqtorch")
  .description("Train, evaluate and run recurrent text models (PyTorch-faithful RNN, LSTM and GRU in TypeScript).")
  .version(version)
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, "seqtorch: ")) });

const trainCmd = addModelOptions(
  program
    .command("train", { isDefault: true })
    .description("train a text classifier (or regressor) on a CSV/TSV/JSONL file, or on the embedded first-names data when --data is omitted")
    .option("--data <file>", "training data (.csv, .tsv, .jsonl); default: the embedded first-names dataset")
    .option("--text-col <name>", "column holding the text", "text")
    .option("--label-col <name>", "column holding the label (or the target value)", "label")
    .addOption(new Option("--task <task>", "what to predict").choices(["classification", "regression"]).default("classification"))
    .addOption(new Option("--tokenizer <kind>", "how to split text; default: char for the names data, word otherwise").choices(["char", "word", "whitespace"]))
    .option("--locale <tag>", "locale for word segmentation (e.g. zh, ja, en)", "en")
    .option("--no-lowercase", "keep case (default: lowercase)"),
)
  .option("--dropout <p>", "dropout on embeddings, between layers and before the head", num("--dropout", (n) => n >= 0 && n < 1, "in [0, 1)"), 0)
  .addOption(new Option("--pooling <kind>", "sequence summary: final hidden state or mean over steps").choices(["last", "mean"]).default("last"))
  .option("--epochs <n>", "passes over the training data", int("--epochs"), 6)
  .option("--batch-size <n>", "examples per batch", int("--batch-size"), 64)
  .addOption(new Option("--optimizer <name>", "optimizer").choices(["adam", "adamw", "sgd", "rmsprop"]).default("adam"))
  .option("--lr <rate>", "learning rate", positive("--lr"), 3e-3)
  .option("--weight-decay <w>", "weight decay", num("--weight-decay", (n) => n >= 0, "non-negative"), 0)
  .addOption(new Option("--scheduler <name>", "learning-rate schedule: step and cosine per epoch, plateau on the validation loss, onecycle per batch peaking at --lr").choices(["none", "step", "cosine", "plateau", "onecycle"]).default("none"))
  .option("--step-size <n>", "step: epochs between decays", int("--step-size"), 2)
  .option("--gamma <f>", "step, plateau: factor the learning rate is multiplied by", num("--gamma", (n) => n > 0 && n < 1, "in (0, 1)"), 0.5)
  .option("--patience <n>", "plateau: epochs without improvement before a decay", int("--patience", 0), 1)
  .option("--clip-norm <max>", "clip the global gradient norm", positive("--clip-norm"))
  .option("--clip-value <max>", "clamp each gradient element to [-max, max]", positive("--clip-value"))
  .option("--max-len <n>", "truncate texts to this many tokens", int("--max-len"))
  .option("--min-freq <n>", "drop tokens seen fewer times from the vocabulary", int("--min-freq"), 1)
  .option("--max-vocab <n>", "largest vocabulary, specials included", int("--max-vocab", 2))
  .option("--val-fraction <f>", "fraction held out for validation", num("--val-fraction", (n) => n > 0 && n < 1, "in (0, 1)"), 0.1)
  .option("--seed <n>", "random seed (split, init, batches, dropout)", int("--seed", 0), 0)
  .option("--backend <name>", `compute backend: ${listBackends().join(" or ")}`, getBackend().name)
  .option("--checkpoint <dir>", "where to keep the best model; default: checkpoints/<data name>")
  .option("--resume [dir]", "continue the run saved in the checkpoint directory (or in dir) exactly where it stopped; --epochs may extend it")
  .option("--overwrite", "start a new run in a directory that holds a model; that model is replaced only by a better one (on the same validation data)", false)
  .option("--json", "print one JSON summary instead of text", false)
  .option("--quiet", "no progress output", false)
  .action((o: Record<string, unknown>, cmd: Command) =>
    runCommand(() =>
      trainCommand({
        ...(o as unknown as TrainArgs),
        explicit: Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === "cli"),
        tokenizer: (o.tokenizer as TrainArgs["tokenizer"] | undefined) ?? (o.data ? "word" : "char"),
        layers: o.layers as number,
      }),
    ),
  );
void trainCmd;

program
  .command("predict")
  .description("label texts given as arguments, or one per line on standard input")
  .argument("[texts...]", "texts to label")
  .requiredOption("--checkpoint <dir>", "a directory written by seqtorch train")
  .option("--json", "one JSON object per text", false)
  .action((texts: string[], o: { checkpoint: string; json: boolean }) => runCommand(() => predictCommand(texts, o)));

program
  .command("eval")
  .description("evaluate a checkpoint on a labelled file: accuracy, macro-F1, per-class report, confusion matrix")
  .requiredOption("--checkpoint <dir>", "a directory written by seqtorch train")
  .requiredOption("--data <file>", "labelled data (.csv, .tsv, .jsonl)")
  .option("--text-col <name>", "column holding the text", "text")
  .option("--label-col <name>", "column holding the label", "label")
  .option("--json", "print JSON", false)
  .action((o: { checkpoint: string; data: string; textCol: string; labelCol: string; json: boolean }) => runCommand(() => evalCommand(o)));

program
  .command("export")
  .description("write a checkpoint for another framework: --format pytorch gives the weights, vocab.json, a torch.nn model.py and a DistributedDataParallel train_ddp.py in a new directory; --format onnx gives an ONNX file (inputs tokens and lengths) with <name>.vocab.json beside it")
  .requiredOption("--checkpoint <dir>", "a directory written by seqtorch train")
  .addOption(new Option("--format <format>", "what to write").choices(["pytorch", "onnx"]).makeOptionMandatory())
  .requiredOption("--out <path>", "pytorch: a new (or empty) directory; onnx: the file to write")
  .option("--opset <n>", "onnx: the ONNX opset version", int("--opset", 1), 17)
  .option("--data <file>", "pytorch: also write data.jsonl, this file's rows as token ids, for train_ddp.py (needed with the word tokenizer)")
  .option("--text-col <name>", "column holding the text", "text")
  .option("--label-col <name>", "column holding the label", "label")
  .option("--json", "print JSON", false)
  .action((o: ExportArgs) => runCommand(() => exportCommand(o)));

addModelOptions(
  program
    .command("params")
    .description("parameter table of a checkpoint (or of a model described by the options), with the tutorial's formula beside PyTorch's exact count")
    .option("--checkpoint <dir>", "a directory written by seqtorch train")
    .option("--vocab-size <n>", "vocabulary size", int("--vocab-size", 2), 100)
    .option("--num-classes <n>", "number of classes", int("--num-classes", 2), 2),
)
  .option("--json", "print JSON", false)
  .action((o: Record<string, unknown>) =>
    runCommand(() =>
      paramsCommand({
        checkpoint: o.checkpoint as string | undefined,
        json: o.json as boolean,
        model: {
          vocabSize: o.vocabSize as number,
          numClasses: o.numClasses as number,
          embeddingDim: o.embeddingDim as number,
          hiddenSize: o.hiddenSize as number,
          cell: o.cell as cells.CellKind,
          numLayers: o.layers as number,
          bidirectional: o.bidirectional as boolean,
        },
      }),
    ),
  );

program
  .command("gradflow")
  .description("show vanishing and exploding gradients: the norm of d loss / d h_t at every distance from the loss, for freshly initialised cells on a long-range task; writes an SVG plot (log scale) and JSON")
  .option("--cells <list>", `comma-separated cells: ${cells.CELL_KINDS.join(", ")}`, "rnn,lstm,gru")
  .addOption(new Option("--task <task>", "long-range task").choices(["adding", "copy"]).default("adding"))
  .option("--length <T>", "sequence length", int("--length", 2), 100)
  .option("--hidden-size <n>", "hidden size", int("--hidden-size"), 64)
  .option("--batch-size <n>", "examples in the batch", int("--batch-size"), 32)
  .option("--init-scale <s>", "multiply every W_hh by s after initialisation (above ~1.5 a tanh RNN explodes)", positive("--init-scale"), 1)
  .option("--gate-bias <b>", "initial LSTM forget-gate / GRU update-gate bias (3: gates start open, as the LSTM argument assumes; 0: PyTorch's init)", num("--gate-bias", Number.isFinite, "a number"), 3)
  .option("--clip-norm <max>", "also report the update's norm after clipping the global gradient norm", positive("--clip-norm"))
  .option("--clip-value <max>", "also report the update's norm after clamping each gradient element", positive("--clip-value"))
  .option("--seed <n>", "random seed", int("--seed", 0), 0)
  .option("--out <dir>", "where to write gradflow.svg and gradflow.json", "gradflow")
  .option("--json", "print JSON", false)
  .action((o: GradflowArgs) => runCommand(() => gradflowCommand(o)));

program
  .command("lab")
  .description("train a recurrent cell on a long-range task (adding or copy) and compare it with the memoryless baseline")
  .argument("<task>", "adding or copy")
  .option("--cell <cell>", `one of ${cells.CELL_KINDS.join(", ")}`, "lstm")
  .option("--length <T>", "sequence length (adding) or delay (copy)", int("--length", 2), 100)
  .option("--hidden-size <n>", "hidden size", int("--hidden-size"), 128)
  .option("--batch-size <n>", "examples per step", int("--batch-size"), 64)
  .option("--lr <rate>", "Adam learning rate", positive("--lr"), 1e-3)
  .option("--steps <n>", "training steps at most", int("--steps"), 10000)
  .option("--minutes <m>", "stop after this much training time", positive("--minutes"))
  .option("--until <loss>", "stop once the test loss is below this", positive("--until"))
  .option("--gate-bias <b>", "initial LSTM forget-gate / GRU update-gate bias (0: PyTorch's init)", num("--gate-bias", Number.isFinite, "a number"), 1)
  .option("--clip-norm <max>", "clip the global gradient norm", positive("--clip-norm"))
  .option("--threads <n>", "threads for the native or wasm kernels", int("--threads"), 2)
  .option("--seed <n>", "random seed", int("--seed", 0), 0)
  .option("--json", "print one JSON summary", false)
  .action((task: string, o: Omit<LabArgs, "task">) =>
    runCommand(() => {
      if (task !== "adding" && task !== "copy") throw new InvalidArgumentError(`the task must be adding or copy, got "${task}"`);
      return labCommand({ ...o, task });
    }),
  );

program
  .command("cells")
  .description("list the recurrent cells --cell accepts: gates, states, parameters, and whether a fused kernel runs them")
  .option("--json", "print JSON", false)
  .action((o: { json: boolean }) => {
    const rows = cells.CELL_KINDS.map((kind) => {
      const spec = cells.CELLS[kind];
      return {
        kind, layer: spec.layer, mode: spec.mode, gates: [...spec.gates], states: spec.states.map((st) => st.name),
        parameters: spec.params.map((p) => p.name), fused: cells.isFused(kind), pytorch: !("extension" in spec), description: spec.description,
      };
    });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    for (const r of rows) {
      const how = r.fused ? "fused kernel" : "composed from ops";
      process.stdout.write(`${r.kind.padEnd(10)} ${r.description}${r.pytorch ? "" : " [seqtorch extension]"}\n`);
      process.stdout.write(`${"".padEnd(10)} nn.${r.layer}; gates ${r.gates.join(", ")}; states ${r.states.join(", ")}; ${r.parameters.join(", ")}; ${how}\n`);
    }
  });

program
  .command("tutorial")
  .description("run nn.LSTM(10, 20, 2) on a [5, 3, 10] input and print the shapes and parameter counts")
  .action(() => tutorial());

// A bare `seqtorch` (`npm start`) is the main job, run again and again: each run starts anew in
// checkpoints/names and keeps the model there unless it beats it.
const argv = process.argv.length > 2 ? process.argv : [...process.argv, "train", "--overwrite"];
await program.parseAsync(argv);
