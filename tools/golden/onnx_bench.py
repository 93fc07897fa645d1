"""Golden ONNX models for the ONNX Runtime rows of `npm run bench` (bench/ort.ts, bench/ort_child.ts).

Run from the repository root:
    /usr/bin/python3 tools/golden/onnx_bench.py
which writes test/golden/onnx/<name>/ for two tiny workloads, each through the bench's own exporter
(export_onnx in bench/torch_workloads.py, the one `npm run bench` uses): model.onnx, manifest.json,
input.bin and output.bin, PyTorch's output for that input. test/ort-bench.test.ts runs them through
the ONNX Runtime child without PyTorch.

The workloads are shaped like bench/workloads.ts's Workload: a bare recurrent layer (LSTM, two
layers, bidirectional, batch-first, as W5 but tiny and batch-first) and the classifier (Embedding ->
GRU -> Linear on the last step, int32 ids, as W3 but tiny).
"""
import os
import shutil
import sys

from _common import GOLDEN_DIR

sys.path.insert(0, os.path.join(os.path.dirname(GOLDEN_DIR), "..", "bench"))
import torch_workloads  # noqa: E402


def rnn(mode, input_size, hidden_size, **kw):
    return {"mode": mode, "inputSize": input_size, "hiddenSize": hidden_size, "numLayers": 1,
            "bidirectional": False, "batchFirst": False, **kw}


WORKLOADS = {
    "lstm": {"id": "lstm", "title": "LSTM(3, 4, numLayers 2, bidirectional, batchFirst), input [2, 5, 3]",
             "model": {"kind": "rnn", "rnn": rnn("LSTM", 3, 4, numLayers=2, bidirectional=True, batchFirst=True)},
             "seqLen": 5, "batch": 2, "phases": ["forward"]},
    "gru-classifier": {"id": "gru-classifier", "title": "Embedding(11, 3) -> GRU(3, 4, batchFirst) -> Linear(4, 2), ids [2, 5]",
                       "model": {"kind": "classifier", "vocab": 11, "rnn": rnn("GRU", 3, 4, batchFirst=True), "classes": 2},
                       "seqLen": 5, "batch": 2, "phases": ["forward"]},
}

for name, w in WORKLOADS.items():
    directory = os.path.join(GOLDEN_DIR, "onnx", name)
    shutil.rmtree(directory, ignore_errors=True)
    manifest = torch_workloads.export_onnx(w, directory)
    sizes = ", ".join(f"{f} {os.path.getsize(os.path.join(directory, f))} B" for f in sorted(os.listdir(directory)))
    print(f"wrote {directory}: {sizes}")
