"""PyTorch side of `npm run bench` (bench/run.ts): the same workloads and measurement protocol as
bench/child.ts, one measurement per process.

Usage: /usr/bin/python3 bench/torch_workloads.py '<json>'
  {"mode": "probe"}  prints {"torch_version", "num_threads", "openblas_coretype"}
  {"mode": "measure", "case", "workload", "phase", "backend", "threads", "protocol"}
      (the workload and protocol objects as defined in bench/workloads.ts) prints one JSON line
      shaped like MeasureResult in bench/workloads.ts.
  {"mode": "export", "workload", "dir"}  writes the workload's forward model as ONNX into dir (see
      export_onnx; read by bench/ort_child.ts) and prints its manifest.
On an error it prints `failed: <message>` to stderr and exits with status 1.
"""
import json
import os
import resource
import sys
import time
import warnings

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


def build(w):
    """The workload's forward model and its input, for a bare (unpacked) recurrent layer or the
    classifier: (model, x) with model(x) the output tensor. Call after torch.manual_seed(0); it draws
    from the generator in the order bench/child.ts does (recurrent layer, then input or embedding,
    head and ids), so what a phase draws after it is the same too."""
    r = w["model"]["rnn"]
    cls = torch.nn.LSTM if r["mode"] == "LSTM" else torch.nn.GRU
    rnn = cls(r["inputSize"], r["hiddenSize"], num_layers=r["numLayers"],
              bidirectional=r["bidirectional"], batch_first=r["batchFirst"])
    T, N = w["seqLen"], w["batch"]
    H = r["hiddenSize"] * (2 if r["bidirectional"] else 1)
    if w["model"]["kind"] == "rnn":
        x = torch.randn(N, T, r["inputSize"]) if r["batchFirst"] else torch.randn(T, N, r["inputSize"])
        return RecurrentOutput(rnn), x
    if w["model"]["kind"] != "classifier":
        raise ValueError(f"model kind {w['model']['kind']} has no single forward model")
    embedding = torch.nn.Embedding(w["model"]["vocab"], r["inputSize"])
    head = torch.nn.Linear(H, w["model"]["classes"])
    ids = torch.randint(0, w["model"]["vocab"], (N, T), dtype=torch.int32)
    return Classifier(embedding, rnn, head), ids


class RecurrentOutput(torch.nn.Module):
    """A recurrent layer that returns its output sequence only."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class Classifier(torch.nn.Module):
    """Embedding -> recurrent layer -> Linear on the last time step."""

    def __init__(self, embedding, rnn, head):
        super().__init__()
        self.embedding, self.rnn, self.head = embedding, rnn, head

    def forward(self, ids):
        out, _ = self.rnn(self.embedding(ids))
        return self.head(out.select(1, -1))


def setup(w, phase):
    """Builds the workload with seed 0 and returns one step of `phase` (see bench/workloads.ts)."""
    torch.manual_seed(0)
    if w["model"]["kind"] == "cellLoop":
        return cell_loop(w, phase)
    r = w["model"]["rnn"]
    T, N = w["seqLen"], w["batch"]
    H = r["hiddenSize"] * (2 if r["bidirectional"] else 1)

    if w["model"]["kind"] == "rnn" and w["model"].get("packedShort") is not None:
        cls = torch.nn.LSTM if r["mode"] == "LSTM" else torch.nn.GRU
        rnn = cls(r["inputSize"], r["hiddenSize"], num_layers=r["numLayers"],
                  bidirectional=r["bidirectional"], batch_first=r["batchFirst"])
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

    model, x = build(w)
    if phase == "forward":
        def forward():
            with torch.no_grad():
                model(x)
        return forward

    if w["model"]["kind"] == "rnn":
        if phase != "forwardBackward":
            raise ValueError(f"phase {phase} is not defined for a bare recurrent layer")
        up = torch.randn(N, T, H) if r["batchFirst"] else torch.randn(T, N, H)
        x.requires_grad_(True)

        def forward_backward():
            model.zero_grad(set_to_none=True)
            x.grad = None
            (model(x) * up).sum().backward()
        return forward_backward

    if phase != "trainStep":
        raise ValueError(f"phase {phase} is not defined for the classifier")
    target = torch.randint(0, w["model"]["classes"], (N,))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam([*model.embedding.parameters(), *model.rnn.parameters(), *model.head.parameters()])

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), target).backward()
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


ONNX_OPSET = 17  # the newest opset torch 1.13's exporter writes


def export_onnx(w, directory):
    """Exports the workload's forward model (built as the measured PyTorch rows build it: seed 0, same
    order of draws) with torch.onnx.export into `directory`: model.onnx; input.bin and output.bin, the
    input and PyTorch's output for it as raw little-endian arrays; and manifest.json naming their
    dtypes and shapes. Needs no `onnx` Python package. Returns the manifest."""
    torch.manual_seed(0)
    model, x = build(w)
    model.eval()
    with torch.no_grad():
        expected = model(x)
    os.makedirs(directory, exist_ok=True)
    with warnings.catch_warnings():
        # The GRU symbolic warns that batch sizes other than the exported one may fail; shapes are fixed here.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), os.path.join(directory, "model.onnx"), input_names=["input"],
                          output_names=["output"], opset_version=ONNX_OPSET, do_constant_folding=True)

    def raw(t, name):
        dtype, layout = {torch.float32: ("float32", "<f4"), torch.int32: ("int32", "<i4")}[t.dtype]
        t.detach().contiguous().numpy().astype(layout).tofile(os.path.join(directory, name))
        return {"file": name, "dtype": dtype, "shape": list(t.shape)}
    manifest = {"workload": w["id"], "opset": ONNX_OPSET, "torchVersion": torch.__version__,
                "input": {"name": "input", **raw(x, "input.bin")}, "output": {"name": "output", **raw(expected, "output.bin")}}
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


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
    if args["mode"] == "export":
        return export_onnx(args["workload"], args["dir"])
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
