"""Golden data for seqtorch's Jordan network extension, nn.JordanRNN and nn.JordanRNNCell.

PyTorch has no Jordan layer, so the reference is written here with plain tensor ops:
    h_t = act(x_t @ W_ih.T + b_ih + y_{t-1} @ W_hy.T + b_hy)      act = tanh | relu
    y_t = act_out(h_t @ W_o.T + b_o)                              act_out = tanh | sigmoid | relu | identity
stacked like nn.RNN (layer k > 0 reads the concatenated directions, the reverse direction
runs t = L-1 .. 0, yN is [D*numLayers, N, O]).

Run from the repository root:
    /usr/bin/python3 tools/golden/jordan.py
which writes test/golden/jordan.json.

Each case records the options, the state dict under seqtorch's key names (every tensor from
U(-1/sqrt(H), 1/sqrt(H)) under torch.manual_seed, in registration order), the inputs
(input, optional y0), the outputs (output, yN; y, h for the cell), random upstream tensors and
the gradients of
    loss = (output*up.output).sum() + (yN*up.yN).sum()
with respect to the input, y0 and every parameter. dropout is 0 everywhere.
"""
import math

import torch

from _common import T, write

ACT = {"tanh": torch.tanh, "relu": torch.relu}
ACT_OUT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}


def make_params(I, H, O, layers, D, bias, cell=False):
    """An ordered dict name -> leaf tensor, in the module's registration order."""
    stdv = 1.0 / math.sqrt(H)
    params = {}
    for layer in range(1 if cell else layers):
        layer_in = I if layer == 0 else D * O
        for d in range(1 if cell else D):
            sfx = "" if cell else f"_l{layer}" + ("_reverse" if d == 1 else "")
            shapes = [(f"weight_ih{sfx}", (H, layer_in)), (f"weight_hy{sfx}", (H, O))]
            if bias:
                shapes += [(f"bias_ih{sfx}", (H,)), (f"bias_hy{sfx}", (H,))]
            shapes.append((f"weight_o{sfx}", (O, H)))
            if bias:
                shapes.append((f"bias_o{sfx}", (O,)))
            for n, s in shapes:
                params[n] = torch.empty(*s).uniform_(-stdv, stdv).requires_grad_(True)
    return params


def step(x, y, p, sfx, act, act_out):
    pre = x @ p["weight_ih" + sfx].T + y @ p["weight_hy" + sfx].T
    if ("bias_ih" + sfx) in p:
        pre = pre + p["bias_ih" + sfx] + p["bias_hy" + sfx]
    h = ACT[act](pre)
    z = h @ p["weight_o" + sfx].T
    if ("bias_o" + sfx) in p:
        z = z + p["bias_o" + sfx]
    return ACT_OUT[act_out](z), h


def jordan(x, y0, p, layers, D, act, act_out):
    """x [L, N, I] time-major, y0 [D*layers, N, O]; returns output [L, N, D*O], yN [D*layers, N, O]."""
    L = x.shape[0]
    finals = []
    for layer in range(layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
            y = y0[layer * D + d]
            ys = [None] * L
            for t in (range(L - 1, -1, -1) if d == 1 else range(L)):
                y, _ = step(x[t], y, p, sfx, act, act_out)
                ys[t] = y
            outs.append(torch.stack(ys, 0))
            finals.append(y)
        x = torch.cat(outs, 2)
    return x, torch.stack(finals, 0)


def finish(case, params, inputs, outputs):
    upstream = {k: torch.randn(v.shape) for k, v in outputs.items()}
    loss = sum((outputs[k] * upstream[k]).sum() for k in outputs)
    loss.backward()
    grads = {k: v.grad for k, v in inputs.items()}
    for k, v in params.items():
        grads[k] = v.grad if v.grad is not None else torch.zeros_like(v)
    case.update({
        "stateDict": {k: T(v) for k, v in params.items()},
        "inputs": {k: T(v) for k, v in inputs.items()},
        "outputs": {k: T(v) for k, v in outputs.items()},
        "upstream": {k: T(v) for k, v in upstream.items()},
        "grads": {k: T(v) for k, v in grads.items()},
    })
    return case


def make_case(name, I, H, O=None, layers=1, bias=True, bf=False, bi=False, act="tanh",
              act_out="tanh", seq=4, batch=2, state=False, seed=0):
    torch.manual_seed(seed)
    O = H if O is None else O
    D = 2 if bi else 1
    options = {"inputSize": I, "hiddenSize": H, "outputSize": O, "numLayers": layers, "bias": bias,
               "batchFirst": bf, "bidirectional": bi, "nonlinearity": act, "outputNonlinearity": act_out}
    params = make_params(I, H, O, layers, D, bias)
    if batch is None:
        x = torch.randn(seq, I)
        sshape = (D * layers,)
    else:
        x = torch.randn(batch, seq, I) if bf else torch.randn(seq, batch, I)
        sshape = (D * layers, batch)
    x.requires_grad_(True)
    inputs = {"input": x}
    if state:
        inputs["y0"] = torch.randn(*sshape, O).requires_grad_(True)

    # To time-major [L, N, I] (unbatched: N = 1), run, and back to the caller's layout.
    xt = x.unsqueeze(1) if batch is None else (x.transpose(0, 1) if bf else x)
    y0 = inputs["y0"] if state else torch.zeros(*sshape, O)
    if batch is None:
        y0 = y0.unsqueeze(1)
    out, yN = jordan(xt, y0, params, layers, D, act, act_out)
    if batch is None:
        out, yN = out.squeeze(1), yN.squeeze(1)
    elif bf:
        out = out.transpose(0, 1)
    case = {"name": name, "module": "JordanRNN", "options": options}
    return finish(case, params, inputs, {"output": out, "yN": yN})


def make_cell_case(name, I, H, O=None, bias=True, act="tanh", act_out="tanh", batch=2, state=False, seed=0):
    torch.manual_seed(seed)
    O = H if O is None else O
    options = {"inputSize": I, "hiddenSize": H, "outputSize": O, "bias": bias,
               "nonlinearity": act, "outputNonlinearity": act_out}
    params = make_params(I, H, O, 1, 1, bias, cell=True)
    lead = () if batch is None else (batch,)
    x = torch.randn(*lead, I).requires_grad_(True)
    inputs = {"input": x}
    if state:
        inputs["y0"] = torch.randn(*lead, O).requires_grad_(True)
    y_prev = inputs["y0"] if state else torch.zeros(*lead, O)
    y, h = step(x, y_prev, params, "", act, act_out)
    case = {"name": name, "module": "JordanRNNCell", "options": options}
    return finish(case, params, inputs, {"y": y, "h": h})


GRID = [
    ("l1",                        dict(I=3, H=4, seq=5, batch=2)),
    ("l1_state",                  dict(I=2, H=3, seq=4, batch=3, state=True)),
    ("l1_out2_state",             dict(I=3, H=5, O=2, seq=4, batch=2, state=True)),
    ("l1_nobias_bf",              dict(I=3, H=3, bias=False, bf=True, seq=6, batch=2)),
    ("l1_relu_sigmoid_state",     dict(I=4, H=4, act="relu", act_out="sigmoid", seq=5, batch=2, state=True)),
    ("l1_identity_out3",          dict(I=3, H=4, O=3, act_out="identity", seq=4, batch=2)),
    ("l1_relu_relu",              dict(I=3, H=5, act="relu", act_out="relu", seq=4, batch=3)),
    ("l1_bi_bf_state",            dict(I=4, H=5, bi=True, bf=True, seq=3, batch=2, state=True)),
    ("l2",                        dict(I=3, H=4, layers=2, seq=4, batch=2)),
    ("l2_bf_nobias_out3",         dict(I=3, H=4, O=3, layers=2, bf=True, bias=False, seq=4, batch=2)),
    ("l2_bi_state",               dict(I=2, H=4, layers=2, bi=True, state=True, seq=5, batch=3)),
    ("l2_bi_out2_sigmoid",        dict(I=3, H=4, O=2, layers=2, bi=True, act_out="sigmoid", seq=4, batch=2)),
    ("l2_bi_bf_nobias_relu_state", dict(I=3, H=3, layers=2, bi=True, bf=True, bias=False, act="relu", state=True, seq=3, batch=2)),
    ("l2_bi_identity_out5_state", dict(I=2, H=3, O=5, layers=2, bi=True, act_out="identity", state=True, seq=4, batch=2)),
    ("unbatched_l1",              dict(I=3, H=4, batch=None, seq=5)),
    ("unbatched_l2_bi_state",     dict(I=2, H=3, O=4, layers=2, bi=True, batch=None, state=True, seq=4)),
    ("unbatched_bf_nobias_state", dict(I=4, H=5, bf=True, bias=False, batch=None, state=True, seq=3)),
    ("seq1_l2_state",             dict(I=3, H=4, layers=2, seq=1, batch=2, state=True)),
    ("long30",                    dict(I=4, H=8, seq=30, batch=2)),
    ("long30_l2_bi_out4_state",   dict(I=3, H=6, O=4, layers=2, bi=True, seq=30, batch=2, state=True)),
]

CELL_GRID = [
    ("cell_batched",               dict(I=3, H=4, batch=2)),
    ("cell_batched_state_out2",    dict(I=4, H=3, O=2, batch=3, state=True)),
    ("cell_nobias_relu_state",     dict(I=2, H=5, bias=False, act="relu", batch=2, state=True)),
    ("cell_sigmoid_state",         dict(I=3, H=4, act_out="sigmoid", batch=2, state=True)),
    ("cell_unbatched",             dict(I=3, H=3, batch=None)),
    ("cell_unbatched_identity_state", dict(I=5, H=4, O=3, act_out="identity", batch=None, state=True)),
]


def main():
    cases = []
    seed = 3000
    for name, kw in GRID:
        seed += 1
        cases.append(make_case(f"jordan_{name}", seed=seed, **kw))
    for name, kw in CELL_GRID:
        seed += 1
        cases.append(make_cell_case(f"jordan_{name}", seed=seed, **kw))
    write("jordan", cases)


if __name__ == "__main__":
    main()
