"""Golden safetensors file: a PyTorch nn.LSTM(3, 4, 2) state dict plus an int64 and a float16 tensor.

Run from the repository root:
    /usr/bin/python3 tools/golden/safetensors_file.py
which writes test/golden/lstm.safetensors and test/golden/lstm_safetensors.json.

The `safetensors` package is not installed here, so the file is written by hand
(`_common.write_safetensors`), laid out exactly as the reference writer does. The JSON records each tensor's
expected {shape, data} (and dtype "int32" for the int64 one), the metadata, and an LSTM input and
its output so the test can check that the loaded weights reproduce PyTorch.
"""
import json
import os

import torch

from _common import GOLDEN_DIR, T, TI, write_safetensors

torch.manual_seed(0)
lstm = torch.nn.LSTM(3, 4, 2)
tensors = {k: v.detach().contiguous() for k, v in lstm.state_dict().items()}
# Values at the edges of what seqtorch's int32 can hold, and float16 values including a subnormal,
# -0, and the largest finite half.
tensors["step"] = torch.tensor([[0, 1, -5], [2**31 - 1, -(2**31), 7]], dtype=torch.int64)
tensors["half"] = torch.cat([lstm.weight_hh_l1[0].detach(),
                             torch.tensor([2.0**-24, -0.0, 65504.0, -1.5])]).to(torch.float16)
metadata = {"format": "pt", "source": "tools/golden/safetensors_file.py"}

os.makedirs(GOLDEN_DIR, exist_ok=True)
path = os.path.join(GOLDEN_DIR, "lstm.safetensors")
order = write_safetensors(path, tensors, metadata)

x = torch.randn(5, 2, 3)
with torch.no_grad():
    out, (hN, cN) = lstm(x)
expected = {k: (TI(t) if t.dtype == torch.int64 else T(t.float())) for k, t in tensors.items()}
doc = {
    "meta": {"torch_version": torch.__version__, "script": "tools/golden/safetensors_file.py"},
    "order": order,
    "metadata": metadata,
    "tensors": expected,
    "input": T(x),
    "output": T(out),
    "hN": T(hN),
    "cN": T(cN),
}
jpath = os.path.join(GOLDEN_DIR, "lstm_safetensors.json")
with open(jpath, "w") as f:
    json.dump(doc, f, separators=(",", ":"), allow_nan=False)
    f.write("\n")
print(f"wrote {path} ({os.path.getsize(path)} bytes) and {jpath}")
