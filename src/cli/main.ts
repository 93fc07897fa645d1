#!/usr/bin/env node
/**
 * The `seqtorch` command. For now it runs the tutorial's example: an `nn.LSTM(10, 20, 2)` over a
 * `[5, 3, 10]` input with `h0` and `c0` of `[2, 3, 20]`, printing the shapes and the parameter count.
 */
import { fmtShape, manualSeed, nn, randn } from "../index.js";

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
  const exact = nn.countParameters(lstm);
  const formula = nn.tutorialParameterCount(lstm)!;
  console.log();
  console.log(`${exact} parameters (PyTorch's count: b_ih and b_hh are two bias vectors per layer)`);
  console.log(`${formula} by the tutorial's formula 4((X+H)H+H) summed over the layers, which counts one bias vector`);
}

function usage(): void {
  console.log(`usage: seqtorch [tutorial]

  tutorial   run nn.LSTM(10, 20, 2) on a [5, 3, 10] input and print shapes and parameter counts`);
}

const [command = "tutorial", ...rest] = process.argv.slice(2);
if (command === "tutorial" && rest.length === 0) tutorial();
else if (command === "--help" || command === "-h" || command === "help") usage();
else {
  console.error(`seqtorch: unknown command "${[command, ...rest].join(" ")}"`);
  usage();
  process.exitCode = 2;
}
