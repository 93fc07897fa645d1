"""Golden data for nn.BatchNorm1d: (N, C) and (N, C, L) inputs, affine on/off,
track_running_stats on/off, momentum 0.1 / 0.3 / None.

Run from the repository root:
    /usr/bin/python3 tools/golden/batchnorm.py
which writes test/golden/batchnorm.json.

Each case starts from "stateDict" (weight and bias random when affine; running
statistics random when tracked, loaded before the first batch) and runs three
training-mode batches, then one eval-mode batch. For each step it records the
input, the output, a random upstream tensor, the gradients of (out*upstream).sum()
with respect to the input and the parameters (grads zeroed before each step), and
the buffers after the step.
"""
import torch
import torch.nn as nn

from _common import T, TI, write


def step(m, x, seed_up, train):
    m.train(train)
    m.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    y = m(x)
    torch.manual_seed(seed_up)
    up = torch.randn(y.shape)
    (y * up).sum().backward()
    grads = {"input": T(x.grad)}
    for k, p in m.named_parameters():
        grads[k] = T(p.grad)
    buffers = {k: (TI(b) if k == "num_batches_tracked" else T(b)) for k, b in m.named_buffers()}
    return {"input": T(x), "output": T(y), "upstream": T(up), "grads": grads, "buffers": buffers}


def case(name, shape, affine, track, momentum, seed, eps=1e-5):
    C = shape[1]
    torch.manual_seed(seed)
    m = nn.BatchNorm1d(C, eps=eps, momentum=momentum, affine=affine, track_running_stats=track)
    with torch.no_grad():
        if affine:
            m.weight.copy_(torch.randn(C) * 0.5 + 1)
            m.bias.copy_(torch.randn(C) * 0.5)
        if track:
            m.running_mean.copy_(torch.randn(C) * 0.3)
            m.running_var.copy_(torch.rand(C) + 0.5)
    state = {k: (TI(v) if k == "num_batches_tracked" else T(v)) for k, v in m.state_dict().items()}
    steps = []
    for i in range(4):
        # per-channel offsets and scales, so the statistics are far from (0, 1)
        x = torch.randn(shape) * (torch.rand(C) * 2 + 0.5).view(1, C, *([1] * (len(shape) - 2))) \
            + (torch.randn(C) * 2).view(1, C, *([1] * (len(shape) - 2)))
        steps.append(step(m, x, seed + 100 + i, train=i < 3))
    options = {"numFeatures": C, "eps": eps, "momentum": momentum, "affine": affine, "trackRunningStats": track}
    return {"name": name, "module": "BatchNorm1d", "options": options, "stateDict": state,
            "train": steps[:3], "eval": steps[3]}


def main():
    cases = []
    seed = 9000
    for shape, sname in [((4, 3), "nc"), ((3, 4, 5), "ncl")]:
        for affine in [True, False]:
            for momentum, mname in [(0.1, "m0_1"), (0.3, "m0_3"), (None, "mnone")]:
                seed += 1
                cases.append(case(f"{sname}_{'affine' if affine else 'noaffine'}_{mname}", shape, affine, True, momentum, seed))
            seed += 1
            cases.append(case(f"{sname}_{'affine' if affine else 'noaffine'}_untracked", shape, affine, False, 0.1, seed))
    # two values per channel (unbiased factor n/(n-1) = 2), and a single sample with L > 1
    cases.append(case("nc_two_rows_eps1e-3", (2, 5), True, True, 0.1, 9101, eps=1e-3))
    cases.append(case("ncl_one_sample", (1, 3, 4), True, True, None, 9102))
    write("batchnorm", cases)


if __name__ == "__main__":
    main()
