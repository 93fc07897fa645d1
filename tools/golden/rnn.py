"""Golden data for the recurrent layer modules nn.RNN, nn.LSTM and nn.GRU.

Run from the repository root:
    /usr/bin/python3 tools/golden/rnn.py
which writes test/golden/rnn.json.

Each case records the module options, the full state dict (PyTorch key names and
order, default init under torch.manual_seed), the inputs (input, optional h0/c0),
the forward outputs (output, hN, cN), random upstream tensors of the same shapes,
and the gradients of
    loss = (output*up.output).sum() + (hN*up.hN).sum() [+ (cN*up.cN).sum()]
with respect to the input, the given initial states and every parameter.
dropout is 0 everywhere.
"""
import torch
import torch.nn as nn

from _common import T, write


def make_case(name, module, I, H, layers=1, bias=True, bf=False, bi=False, proj=0,
              nonlin="tanh", seq=4, batch=2, state=False, seed=0):
    torch.manual_seed(seed)
    D = 2 if bi else 1
    kw = dict(input_size=I, hidden_size=H, num_layers=layers, bias=bias,
              batch_first=bf, bidirectional=bi, dropout=0.0)
    options = {"inputSize": I, "hiddenSize": H, "numLayers": layers, "bias": bias,
               "batchFirst": bf, "bidirectional": bi}
    if module == "LSTM":
        m = nn.LSTM(proj_size=proj, **kw)
        options["projSize"] = proj
    elif module == "GRU":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=nonlin, **kw)
        options["nonlinearity"] = nonlin
    Hout = proj if (module == "LSTM" and proj > 0) else H

    if batch is None:
        x = torch.randn(seq, I)
        sshape = (D * layers,)
    else:
        x = torch.randn(batch, seq, I) if bf else torch.randn(seq, batch, I)
        sshape = (D * layers, batch)
    x.requires_grad_(True)
    inputs = {"input": x}
    if state:
        h0 = torch.randn(*sshape, Hout).requires_grad_(True)
        inputs["h0"] = h0
        if module == "LSTM":
            c0 = torch.randn(*sshape, H).requires_grad_(True)
            inputs["c0"] = c0

    if module == "LSTM":
        if state:
            out, (hN, cN) = m(x, (inputs["h0"], inputs["c0"]))
        else:
            out, (hN, cN) = m(x)
        outputs = {"output": out, "hN": hN, "cN": cN}
    else:
        out, hN = m(x, inputs["h0"]) if state else m(x)
        outputs = {"output": out, "hN": hN}

    upstream = {k: torch.randn(v.shape) for k, v in outputs.items()}
    loss = sum((outputs[k] * upstream[k]).sum() for k in outputs)
    loss.backward()

    sd = m.state_dict()
    params = dict(m.named_parameters())
    assert list(sd.keys()) == list(params.keys())
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


# (suffix, kwargs) grid shared by all module kinds; sizes vary per entry.
GRID = [
    ("l1",                 dict(layers=1, I=3, H=4, seq=5, batch=2)),
    ("l1_state",           dict(layers=1, I=2, H=3, seq=4, batch=3, state=True)),
    ("l1_bi_bf_state",     dict(layers=1, bi=True, bf=True, I=4, H=5, seq=3, batch=2, state=True)),
    ("l1_nobias_bf",       dict(layers=1, bias=False, bf=True, I=3, H=3, seq=6, batch=2)),
    ("l2_bf_nobias",       dict(layers=2, bf=True, bias=False, I=3, H=4, seq=4, batch=2)),
    ("l2_bi_state",        dict(layers=2, bi=True, state=True, I=2, H=4, seq=5, batch=3)),
    ("l2_bi_nobias",       dict(layers=2, bi=True, bias=False, I=5, H=3, seq=3, batch=2)),
    ("l2_bf_state",        dict(layers=2, bf=True, state=True, I=4, H=6, seq=7, batch=1)),
    ("l3_state",           dict(layers=3, state=True, I=3, H=5, seq=4, batch=2)),
    ("l3_bi_bf_nobias_state", dict(layers=3, bi=True, bf=True, bias=False, state=True, I=2, H=3, seq=3, batch=3)),
    ("l3_bi",              dict(layers=3, bi=True, I=4, H=4, seq=5, batch=2)),
    ("unbatched_l1",       dict(layers=1, batch=None, I=3, H=4, seq=5)),
    ("unbatched_l2_bi_state", dict(layers=2, bi=True, batch=None, state=True, I=2, H=3, seq=4)),
    ("unbatched_bf_nobias_state", dict(layers=1, bf=True, bias=False, batch=None, state=True, I=4, H=5, seq=3)),
    ("seq1_l2_state",      dict(layers=2, seq=1, batch=2, state=True, I=3, H=4)),
    ("batch1_bi_bf",       dict(layers=1, bi=True, bf=True, seq=6, batch=1, I=3, H=3)),
]

KINDS = [("lstm", "LSTM", "tanh"), ("gru", "GRU", "tanh"), ("rnn_tanh", "RNN", "tanh"), ("rnn_relu", "RNN", "relu")]


def main():
    cases = []
    seed = 1000
    for prefix, module, nonlin in KINDS:
        for suffix, kw in GRID:
            seed += 1
            cases.append(make_case(f"{prefix}_{suffix}", module, nonlin=nonlin, seed=seed, **kw))

    proj = [
        ("lstm_proj_l1_bf",            dict(layers=1, bf=True, I=3, H=5, proj=2, seq=4, batch=2)),
        ("lstm_proj_l1_bi_state",      dict(layers=1, bi=True, state=True, I=4, H=4, proj=3, seq=5, batch=2)),
        ("lstm_proj_l2_bf_state",      dict(layers=2, bf=True, state=True, I=2, H=6, proj=3, seq=4, batch=3)),
        ("lstm_proj_l2_bi",            dict(layers=2, bi=True, I=3, H=5, proj=2, seq=3, batch=2)),
        ("lstm_proj_l2_bi_bf_nobias_state", dict(layers=2, bi=True, bf=True, bias=False, state=True, I=3, H=4, proj=2, seq=5, batch=2)),
        ("lstm_proj_unbatched_l1_state", dict(layers=1, batch=None, state=True, I=3, H=4, proj=2, seq=4)),
        ("lstm_proj_unbatched_l2_bi",  dict(layers=2, bi=True, batch=None, I=2, H=5, proj=3, seq=3)),
    ]
    for name, kw in proj:
        seed += 1
        cases.append(make_case(name, "LSTM", seed=seed, **kw))

    long = [
        ("lstm_long60", "LSTM", dict()),
        ("gru_long60", "GRU", dict()),
        ("rnn_tanh_long60", "RNN", dict(nonlin="tanh")),
        ("rnn_relu_long60", "RNN", dict(nonlin="relu")),
    ]
    for name, module, kw in long:
        seed += 1
        cases.append(make_case(name, module, I=4, H=8, layers=1, seq=60, batch=2, seed=seed, **kw))
    seed += 1
    cases.append(make_case("lstm_long40_l2_bi_state", "LSTM", I=4, H=8, layers=2, bi=True, seq=40,
                           batch=2, state=True, seed=seed))

    write("rnn", cases)


if __name__ == "__main__":
    main()
