"""PyTorch side of `npm run bench` (bench/run.ts): the same workloads and measurement protocol as
bench/child.ts, one measurement per process.

Usage: /usr/bin/python3 bench/torch_workloads.py '<json>'
  {"mode": "probe"}  prints {"torch_version", "num_threads", "openblas_coretype"}
  {"mode": "measure", "case", "workload", "phase", "backend", "threads", "protocol"}
      (the workload and protocol objects as defined in bench/workloads.ts) prints one JSON line
      shaped like MeasureResult in bench/workloads.ts.
On an error it prints `failed: <message>` to stderr and exits with status 1.
"""
import json
import os
import resource
import sys
import time

START = time.perf_counter()

import torch  # noqa: E402  (START includes the import, as the Node child's clock includes its imports)


def rss_now():
    """Current resident set size in bytes (VmRSS), or the peak so far where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return peak_rss()


def peak_rss():
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def setup(w, phase):
    """Builds the workload with seed 0 and returns one step of `phase` (see bench/workloads.ts)."""
    torch.manual_seed(0)
    r = w["model"]["rnn"]
    cls = torch.nn.LSTM if r["mode"] == "LSTM" else torch.nn.GRU
    rnn = cls(r["inputSize"], r["hiddenSize"], num_layers=r["numLayers"],
              bidirectional=r["bidirectional"], batch_first=r["batchFirst"])
    T, N = w["seqLen"], w["batch"]
    dirs = 2 if r["bidirectional"] else 1
    H = r["hiddenSize"] * dirs

    if w["model"]["kind"] == "cellLoop":
        return cell_loop(w, phase)
    if w["model"]["kind"] == "rnn" and w["model"].get("packedShort") is not None:
        short = w["model"]["packedShort"]
        lengths = [T] + [short] * (N - 1)
        x = torch.randn(T, N, r["inputSize"])

        def run_packed(inp):
            out, _ = rnn(torch.nn.utils.rnn.pack_padded_sequence(inp, lengths))
            return out.data
        if phase == "forward":
            def forward():
                with torch.no_grad():
                    run_packed(x)
            return forward
        up = torch.randn(T + (N - 1) * short, H)
        x.requires_grad_(True)

        def forward_backward():
            rnn.zero_grad(set_to_none=True)
            x.grad = None
            (run_packed(x) * up).sum().backward()
        return forward_backward

    if w["model"]["kind"] == "rnn":
        x = torch.randn(N, T, r["inputSize"]) if r["batchFirst"] else torch.randn(T, N, r["inputSize"])
        if phase == "forward":
            def forward():
                with torch.no_grad():
                    rnn(x)
            return forward
        if phase != "forwardBackward":
            raise ValueError(f"phase {phase} is not defined for a bare recurrent layer")
        up = torch.randn(N, T, H) if r["batchFirst"] else torch.randn(T, N, H)
        x.requires_grad_(True)

        def forward_backward():
            rnn.zero_grad(set_to_none=True)
            x.grad = None
            out, _ = rnn(x)
            (out * up).sum().backward()
        return forward_backward

    vocab, classes = w["model"]["vocab"], w["model"]["classes"]
    embedding = torch.nn.Embedding(vocab, r["inputSize"])
    head = torch.nn.Linear(H, classes)
    ids = torch.randint(0, vocab, (N, T), dtype=torch.int32)

    def model():
        out, _ = rnn(embedding(ids))
        return head(out.select(1, -1))

    if phase == "forward":
        def forward():
            with torch.no_grad():
                model()
        return forward
    if phase != "trainStep":
        raise ValueError(f"phase {phase} is not defined for the classifier")
    target = torch.randint(0, classes, (N,))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam([*embedding.parameters(), *rnn.parameters(), *head.parameters()])

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(), target).backward()
        opt.step()
    return train_step


def cell_loop(w, phase):
    """PyTorch's time_sequence_prediction model stepped in a loop (see cellLoop in bench/child.ts)."""
    if phase != "trainStep":
        raise ValueError(f"phase {phase} is not defined for the cell loop")
    torch.manual_seed(0)
    H, T, N = w["model"]["rnn"]["hiddenSize"], w["seqLen"], w["batch"]
    cell1, cell2, head = torch.nn.LSTMCell(1, H), torch.nn.LSTMCell(H, H), torch.nn.Linear(H, 1)
    signal = torch.randn(N, T)
    inputs = signal.chunk(T, 1)
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.Adam([*cell1.parameters(), *cell2.parameters(), *head.parameters()])

    def train_step():
        opt.zero_grad(set_to_none=True)
        s1 = (torch.zeros(N, H), torch.zeros(N, H))
        s2 = (torch.zeros(N, H), torch.zeros(N, H))
        outputs = []
        for x in inputs:
            s1 = cell1(x, s1)
            s2 = cell2(s1[0], s2)
            outputs.append(head(s2[0]))
        loss_fn(torch.stack(outputs, 1).squeeze(2), signal).backward()
        opt.step()
    return train_step


def measure(step, p):
    """The protocol of Protocol in bench/workloads.ts."""
    last, warmups = 0.0, 0
    while warmups < max(1, p["warmup"]):
        t0 = time.perf_counter()
        step()
        last = (time.perf_counter() - t0) * 1000
        warmups += 1
        if last > p["targetSec"] * 1000:
            break
    deadline = START + p["budgetSec"]
    times, truncated, elapsed = [], False, 0.0
    while len(times) < p["maxReps"] and (len(times) < p["minReps"] or elapsed < p["targetSec"] * 1000):
        if times and time.perf_counter() + times[-1] / 1000 > deadline:
            truncated = True
            break
        t0 = time.perf_counter()
        step()
        dt = (time.perf_counter() - t0) * 1000
        times.append(dt)
        elapsed += dt
    return times, warmups, truncated


def main():
    args = json.loads(sys.argv[1])
    if args["mode"] == "probe":
        return {"torch_version": torch.__version__, "num_threads": torch.get_num_threads(),
                "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}
    torch.set_num_threads(args["threads"])
    step = setup(args["workload"], args["phase"])
    baseline = rss_now()
    times, warmups, truncated = measure(step, args["protocol"])
    s = sorted(times)
    n = len(s)
    return {
        "case": args["case"], "backend": "torch", "threads": torch.get_num_threads(),
        "medianMs": s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2,
        "minMs": s[0], "reps": n, "warmups": warmups, "truncated": truncated,
        "baselineRssBytes": baseline, "peakRssBytes": peak_rss(), "peakSource": "ru_maxrss",
        "torchVersion": torch.__version__,
    }


if __name__ == "__main__":
    try:
        print(json.dumps(main()), flush=True)
    except Exception as e:  # reported by run.ts as "failed: <reason>"
        if os.environ.get("BENCH_DEBUG"):
            raise
        msg = (str(e).splitlines() or [""])[0]
        sys.stderr.write(f"failed: {type(e).__name__}: {msg}\n")
        sys.exit(1)
