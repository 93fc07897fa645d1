"""Shared helpers for the PyTorch golden-file generators in tools/golden/.

Not a generator itself. Each generator is run as
    /usr/bin/python3 tools/golden/<name>.py
from the repository root (or anywhere: paths are resolved relative to this file)
and writes test/golden/<name>.json.
"""
import json
import math
import os
import struct

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN_DIR = os.path.join(ROOT, "test", "golden")


def _num(x):
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError("non-finite value in golden data")
    # 9 significant digits round-trip any float32 exactly.
    return float(f"{x:.9g}")


def T(t):
    """Float tensor -> {"shape", "data"} (row-major)."""
    t = t.detach()
    return {"shape": list(t.shape), "data": [_num(v) for v in t.double().flatten().tolist()]}


def TI(t):
    """Integer tensor -> {"shape", "data", "dtype": "int32"}."""
    t = t.detach()
    return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()], "dtype": "int32"}


def write(name, cases):
    ids = [c["name"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case names"
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    path = os.path.join(GOLDEN_DIR, name + ".json")
    doc = {"meta": {"torch_version": torch.__version__, "script": f"tools/golden/{name}.py"}, "cases": cases}
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.float16: "F16"}


def write_safetensors(path, tensors, metadata):
    """Writes a safetensors file by hand (the `safetensors` package is not installed here), as the
    reference writer lays it out: u64 little-endian header length, compact JSON header with
    "__metadata__" first, padded with spaces to a multiple of 8, then the tensors ordered by dtype
    alignment (largest first), then name. Returns that order."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for k in order:
        t = tensors[k]
        # numpy's tobytes is native order; force little-endian explicitly.
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)
    return order
