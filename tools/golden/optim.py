"""Golden data for the optimizers torch.optim.SGD, Adam, AdamW and RMSprop.

Run from the repository root:
    /usr/bin/python3 tools/golden/optim.py
which writes test/golden/optim.json.

Each case has two parameters (shapes [3,4] and [4]) with initial values, the
options passed explicitly (camelCase; anything not listed is PyTorch's default),
and 5 steps. For each step: the gradients assigned to p.grad before
optimizer.step(), and the parameter values after the step.
"""
import torch

from _common import T, write

CTORS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
         "RMSprop": torch.optim.RMSprop}
KEYMAP = {"weightDecay": "weight_decay"}


def make_case(name, opt, options, seed, scales=(1.0, 0.1, 5.0, 0.01, 2.0)):
    torch.manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(3, 4)), torch.nn.Parameter(torch.randn(4))]
    init = [T(p) for p in params]
    kw = {}
    for k, v in options.items():
        kw[KEYMAP.get(k, k)] = tuple(v) if k == "betas" else v
    o = CTORS[opt](params, **kw)
    steps = []
    for s in scales:
        grads = [torch.randn(p.shape) * s for p in params]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        o.step()
        steps.append({"grads": [T(g) for g in grads], "params": [T(p) for p in params]})
    return {"name": name, "optimizer": opt, "options": options, "params": init, "steps": steps}


CASES = [
    ("sgd_plain", "SGD", {"lr": 0.1}),
    ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("sgd_momentum_dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("sgd_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_weight_decay", "SGD", {"lr": 0.1, "weightDecay": 0.01}),
    ("sgd_momentum_nesterov_wd", "SGD", {"lr": 0.03, "momentum": 0.8, "dampening": 0, "nesterov": True, "weightDecay": 0.05}),
    ("sgd_momentum_dampening_wd", "SGD", {"lr": 0.2, "momentum": 0.5, "dampening": 0.1, "weightDecay": 0.1}),
    ("adam_defaults", "Adam", {}),
    ("adam_lr", "Adam", {"lr": 0.01}),
    ("adam_custom", "Adam", {"lr": 0.05, "betas": [0.8, 0.9], "eps": 1e-6}),
    ("adam_weight_decay", "Adam", {"lr": 0.01, "weightDecay": 0.1}),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("adam_amsgrad_wd_custom", "Adam", {"lr": 0.02, "betas": [0.5, 0.7], "eps": 1e-4, "weightDecay": 0.05, "amsgrad": True}),
    ("adamw_defaults", "AdamW", {}),
    ("adamw_lr", "AdamW", {"lr": 0.01}),
    ("adamw_custom", "AdamW", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.01, "weightDecay": 0.2, "amsgrad": True}),
    ("adamw_no_wd", "AdamW", {"lr": 0.01, "weightDecay": 0}),
    ("rmsprop_defaults", "RMSprop", {}),
    ("rmsprop_lr_alpha", "RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": 1e-6}),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}),
    ("rmsprop_weight_decay", "RMSprop", {"lr": 0.01, "weightDecay": 0.1}),
    ("rmsprop_centered_momentum_wd", "RMSprop", {"lr": 0.005, "alpha": 0.95, "eps": 1e-7, "weightDecay": 0.05, "momentum": 0.5, "centered": True}),
]


def main():
    cases = []
    for i, (name, opt, options) in enumerate(CASES):
        cases.append(make_case(name, opt, options, seed=3000 + i))
    write("optim", cases)


if __name__ == "__main__":
    main()
