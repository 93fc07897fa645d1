"""Golden data for packed (variable-length) input to nn.RNN, nn.LSTM and nn.GRU.

Run from the repository root:
    /usr/bin/python3 tools/golden/packed.py
which writes test/golden/packed.json.

Each case pads a batch of random sequences of the given lengths, packs it with
pack_padded_sequence (enforce_sorted as given), runs the module, unpacks the output
with pad_packed_sequence, and records the padded output, the output lengths, hN (and
cN), and the gradients of
    loss = (padded_output*up.output).sum() + (hN*up.hN).sum() [+ (cN*up.cN).sum()]
with respect to the padded input, the given initial states and every parameter.
Also records the PackedSequence fields (data, batch_sizes, sorted/unsorted indices)
for the packed input.
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from _common import T, TI, write


def make_case(name, module, lengths, I=3, H=4, layers=1, bi=False, bf=False, proj=0,
              nonlin="tanh", state=False, enforce_sorted=False, seed=0, bias=True):
    torch.manual_seed(seed)
    D = 2 if bi else 1
    kw = dict(input_size=I, hidden_size=H, num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias)
    options = {"inputSize": I, "hiddenSize": H, "numLayers": layers, "bias": bias, "batchFirst": bf, "bidirectional": bi}
    if module == "LSTM":
        m = nn.LSTM(proj_size=proj, **kw)
        options["projSize"] = proj
    elif module == "GRU":
        m = nn.GRU(**kw)
    else:
        m = nn.RNN(nonlinearity=nonlin, **kw)
        options["nonlinearity"] = nonlin
    Hout = proj if proj > 0 else H
    B, Tmax = len(lengths), max(lengths)
    x = torch.randn(B, Tmax, I) if bf else torch.randn(Tmax, B, I)
    # Padding holds garbage on purpose: it must never reach any output or state.
    x.requires_grad_(True)
    inputs = {"input": x}
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=enforce_sorted)
    if state:
        inputs["h0"] = torch.randn(D * layers, B, Hout).requires_grad_(True)
        if module == "LSTM":
            inputs["c0"] = torch.randn(D * layers, B, H).requires_grad_(True)
    if module == "LSTM":
        out, (hN, cN) = m(packed, (inputs["h0"], inputs["c0"])) if state else m(packed)
    else:
        out, hN = m(packed, inputs["h0"]) if state else m(packed)
    padded, out_lengths = pad_packed_sequence(out, batch_first=bf)
    outputs = {"output": padded, "hN": hN}
    if module == "LSTM":
        outputs["cN"] = cN
    upstream = {k: torch.randn(v.shape) for k, v in outputs.items()}
    loss = sum((outputs[k] * upstream[k]).sum() for k in outputs)
    loss.backward()
    params = dict(m.named_parameters())
    grads = {k: v.grad for k, v in inputs.items()}
    for k, p in params.items():
        grads[k] = p.grad if p.grad is not None else torch.zeros_like(p)
    return {
        "name": name,
        "module": module,
        "options": options,
        "lengths": list(lengths),
        "enforceSorted": enforce_sorted,
        "packed": {
            "data": T(packed.data),
            "batchSizes": TI(packed.batch_sizes),
            "sortedIndices": TI(packed.sorted_indices) if packed.sorted_indices is not None else None,
            "unsortedIndices": TI(packed.unsorted_indices) if packed.unsorted_indices is not None else None,
        },
        "stateDict": {k: T(v) for k, v in m.state_dict().items()},
        "inputs": {k: T(v) for k, v in inputs.items()},
        "outputs": {k: T(v) for k, v in outputs.items()},
        "outputLengths": TI(out_lengths),
        "upstream": {k: T(v) for k, v in upstream.items()},
        "grads": {k: T(v) for k, v in grads.items()},
    }


def main():
    cases = []
    seed = 5000
    grid = [
        ("sorted", dict(lengths=[5, 3, 2], enforce_sorted=True)),
        ("unsorted_state", dict(lengths=[2, 5, 1, 3], state=True)),
        ("bi_l2_unsorted", dict(lengths=[3, 6, 4], bi=True, layers=2)),
        ("bi_bf_state", dict(lengths=[4, 2, 4, 1], bi=True, bf=True, state=True)),
        ("l2_bf_sorted_state", dict(lengths=[6, 6, 3], layers=2, bf=True, state=True, enforce_sorted=True)),
        ("bi_l2_nobias", dict(lengths=[1, 4, 2], bi=True, layers=2, bias=False)),
        ("equal_lengths", dict(lengths=[3, 3], bi=True)),
    ]
    for prefix, module, nonlin in [("lstm", "LSTM", "tanh"), ("gru", "GRU", "tanh"), ("rnn_tanh", "RNN", "tanh"), ("rnn_relu", "RNN", "relu")]:
        for suffix, kw in grid:
            seed += 1
            cases.append(make_case(f"{prefix}_{suffix}", module, nonlin=nonlin, seed=seed, **kw))
    for suffix, kw in [("proj_bi_l2_state", dict(lengths=[3, 5, 2], bi=True, layers=2, state=True, proj=2)),
                       ("proj_bf", dict(lengths=[2, 4], bf=True, proj=3, H=5))]:
        seed += 1
        cases.append(make_case(f"lstm_{suffix}", "LSTM", seed=seed, **kw))
    write("packed", cases)


if __name__ == "__main__":
    main()
