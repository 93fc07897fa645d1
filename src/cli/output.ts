/** How the CLI talks: one-line errors, JSON mode, and a per-epoch progress bar on stderr. */
import cliProgress from "cli-progress";
import { oneLine } from "../message.js";

/** An error the user can act on: printed as one line, without a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

/** Runs a command, turning any error into `seqtorch: <message>` and a non-zero exit code. */
export async function runCommand(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    const message = oneLine(err?.message ?? String(e)); // PyTorch-worded errors span lines: all of them count
    process.stderr.write(`seqtorch: ${message}\n`);
    if (process.env.SEQTORCH_DEBUG && err?.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

export function pct(x: number | null | undefined): string {
  return x == null || Number.isNaN(x) ? "-" : `${(100 * x).toFixed(1)}%`;
}

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "-";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

/** A progress bar for one epoch; silent when stderr is not a terminal or when disabled. */
export class EpochBar {
  private bar: cliProgress.SingleBar | null = null;
  constructor(private readonly enabled: boolean) {}

  start(epoch: number, epochs: number, batches: number): void {
    if (!this.enabled || !process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} {bar} {percentage}% | loss {loss} | acc {acc} | {rate} ex/s | ETA {left}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: "-", acc: "-", rate: "-", left: "-" });
  }

  update(batch: number, batches: number, loss: number, acc: number | null, examples: number, elapsedMs: number): void {
    if (!this.bar) return;
    const perBatch = elapsedMs / 1000 / batch;
    this.bar.update(batch, {
      loss: loss.toFixed(4),
      acc: pct(acc),
      rate: Math.round(examples / (elapsedMs / 1000)).toLocaleString("en-US"),
      left: fmtDuration(perBatch * (batches - batch)),
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
