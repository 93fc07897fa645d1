"""Golden data for the recurrent cells nn.RNNCell (tanh, relu), nn.LSTMCell, nn.GRUCell.

Run from the repository root:
    /usr/bin/python3 tools/golden/cells.py
which writes test/golden/cells.json.

Each case records options, the state dict (default init under torch.manual_seed),
inputs (input of shape (N, inputSize) or unbatched (inputSize,), optional h0/c0),
outputs (h, and c for LSTMCell), random upstream tensors, and the gradients of
    loss = (h*up.h).sum() [+ (c*up.c).sum()]
w.r.t. the input, the given states and every parameter.
"""
import torch
import torch.nn as nn

from _common import T, write


def make_case(name, module, I, H, bias=True, nonlin="tanh", batch=2, state=False, seed=0):
    torch.manual_seed(seed)
    options = {"inputSize": I, "hiddenSize": H, "bias": bias}
    if module == "LSTMCell":
        m = nn.LSTMCell(I, H, bias=bias)
    elif module == "GRUCell":
        m = nn.GRUCell(I, H, bias=bias)
    else:
        m = nn.RNNCell(I, H, bias=bias, nonlinearity=nonlin)
        options["nonlinearity"] = nonlin
    lead = () if batch is None else (batch,)
    x = torch.randn(*lead, I).requires_grad_(True)
    inputs = {"input": x}
    if state:
        inputs["h0"] = torch.randn(*lead, H).requires_grad_(True)
        if module == "LSTMCell":
            inputs["c0"] = torch.randn(*lead, H).requires_grad_(True)
    if module == "LSTMCell":
        h, c = m(x, (inputs["h0"], inputs["c0"])) if state else m(x)
        outputs = {"h": h, "c": c}
    else:
        h = m(x, inputs["h0"]) if state else m(x)
        outputs = {"h": h}
    upstream = {k: torch.randn(v.shape) for k, v in outputs.items()}
    loss = sum((outputs[k] * upstream[k]).sum() for k in outputs)
    loss.backward()
    sd = m.state_dict()
    params = dict(m.named_parameters())
    grads = {k: v.grad for k, v in inputs.items()}
    for k in sd:
        g = params[k].grad
        grads[k] = g if g is not None else torch.zeros_like(params[k])
    return {
        "name": name,
        "module": module,
        "options": options,
        "stateDict": {k: T(v) for k, v in sd.items()},
        "inputs": {k: T(v) for k, v in inputs.items()},
        "outputs": {k: T(v) for k, v in outputs.items()},
        "upstream": {k: T(v) for k, v in upstream.items()},
        "grads": {k: T(v) for k, v in grads.items()},
    }


GRID = [
    ("batched",                 dict(I=3, H=4, batch=2)),
    ("batched_state",           dict(I=4, H=3, batch=3, state=True)),
    ("batched_nobias_state",    dict(I=2, H=5, batch=2, bias=False, state=True)),
    ("unbatched",               dict(I=3, H=3, batch=None)),
    ("unbatched_state",         dict(I=5, H=4, batch=None, state=True)),
    ("unbatched_nobias",        dict(I=2, H=4, batch=None, bias=False)),
]

KINDS = [("lstmcell", "LSTMCell", "tanh"), ("grucell", "GRUCell", "tanh"),
         ("rnncell_tanh", "RNNCell", "tanh"), ("rnncell_relu", "RNNCell", "relu")]


def main():
    cases = []
    seed = 2000
    for prefix, module, nonlin in KINDS:
        for suffix, kw in GRID:
            seed += 1
            cases.append(make_case(f"{prefix}_{suffix}", module, nonlin=nonlin, seed=seed, **kw))
    write("cells", cases)


if __name__ == "__main__":
    main()
