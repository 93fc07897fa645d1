"""Golden data for the learning-rate schedulers of torch.optim.lr_scheduler.

Run from the repository root:
    /usr/bin/python3 tools/golden/schedulers.py
which writes test/golden/schedulers.json.

Each case builds an optimizer over two parameter groups (lrs 0.1 and 0.02, or "lr" for one group),
then the scheduler with the options listed (camelCase; anything not listed is PyTorch's default).
It records every group's lr (and momentum or Adam's beta1) right after construction and after each
of `steps` calls of optimizer.step() then scheduler.step() (ReduceLROnPlateau: step(metric) with the
case's metrics), plus last_epoch at the end. Values are written at full double precision.
"""
import math

import torch

from _common import write

KEYMAP = {"stepSize": "step_size", "tMax": "T_max", "etaMin": "eta_min", "maxLr": "max_lr", "totalSteps": "total_steps",
          "stepsPerEpoch": "steps_per_epoch", "pctStart": "pct_start", "annealStrategy": "anneal_strategy",
          "cycleMomentum": "cycle_momentum", "baseMomentum": "base_momentum", "maxMomentum": "max_momentum",
          "divFactor": "div_factor", "finalDivFactor": "final_div_factor", "threePhase": "three_phase",
          "thresholdMode": "threshold_mode", "minLr": "min_lr"}
LAMBDAS = {"linear_warmup": lambda e: min(1.0, (e + 1) / 5), "inverse": lambda e: 1.0 / (1 + e), "power": lambda e: 0.95 ** e}

# A validation loss that improves, stalls, improves a little, then stalls for long.
METRICS = [1.0, 0.9, 0.85, 0.85, 0.86, 0.849, 0.85, 0.85, 0.84, 0.84, 0.84, 0.84, 0.84, 0.83, 0.8, 0.8, 0.8, 0.8,
           0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.81, 0.82, 0.8, 0.8, 0.8]


def snapshot(opt):
    out = {"lr": [g["lr"] for g in opt.param_groups]}
    if "momentum" in opt.defaults:
        out["momentum"] = [g["momentum"] for g in opt.param_groups]
    if "betas" in opt.defaults:
        out["beta1"] = [g["betas"][0] for g in opt.param_groups]
    return out


def case(name, scheduler, options, optimizer="SGD", groups=2, steps=30, metrics=None):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    lrs = [0.1, 0.02][:groups]
    if optimizer == "SGD":
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=0.1, momentum=0.9)
    else:
        opt = torch.optim.Adam([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=0.1)
    kw = {KEYMAP.get(k, k): v for k, v in options.items()}
    if scheduler == "LambdaLR":
        kw = {"lr_lambda": LAMBDAS[options["lrLambda"]]}
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **kw)
    seq = [snapshot(opt)]
    for i in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
        seq.append(snapshot(opt))
    for s in seq:
        for v in s.values():
            assert all(math.isfinite(x) for x in v)
    return {"name": name, "scheduler": scheduler, "optimizer": optimizer, "groups": groups, "options": options,
            "metrics": metrics, "sequence": seq, "lastEpoch": sched.last_epoch}


CASES = [
    case("step_lr", "StepLR", {"stepSize": 5}),
    case("step_lr_gamma", "StepLR", {"stepSize": 3, "gamma": 0.5}, optimizer="Adam"),
    case("multistep_lr", "MultiStepLR", {"milestones": [4, 10, 10, 22], "gamma": 0.3}),
    case("exponential_lr", "ExponentialLR", {"gamma": 0.9}),
    case("cosine_lr", "CosineAnnealingLR", {"tMax": 10}),
    case("cosine_lr_eta_min", "CosineAnnealingLR", {"tMax": 7, "etaMin": 0.001}, steps=40),
    case("lambda_warmup", "LambdaLR", {"lrLambda": "linear_warmup"}),
    case("lambda_inverse", "LambdaLR", {"lrLambda": "inverse"}, groups=1),
    case("onecycle_sgd", "OneCycleLR", {"maxLr": 0.5, "totalSteps": 30}),
    case("onecycle_adam_linear", "OneCycleLR", {"maxLr": [0.01, 0.003], "epochs": 5, "stepsPerEpoch": 6, "annealStrategy": "linear", "pctStart": 0.25}, optimizer="Adam"),
    case("onecycle_three_phase", "OneCycleLR", {"maxLr": 1.0, "totalSteps": 31, "threePhase": True, "divFactor": 10, "finalDivFactor": 100, "baseMomentum": 0.8, "maxMomentum": 0.9}),
    case("onecycle_no_momentum", "OneCycleLR", {"maxLr": 0.2, "totalSteps": 30, "cycleMomentum": False, "pctStart": 0.5}, groups=1),
    case("plateau_defaults", "ReduceLROnPlateau", {}, metrics=METRICS),
    case("plateau_patience", "ReduceLROnPlateau", {"patience": 2, "factor": 0.5, "cooldown": 1, "minLr": [0.01, 0.0]}, metrics=METRICS),
    case("plateau_abs", "ReduceLROnPlateau", {"patience": 1, "threshold": 0.02, "thresholdMode": "abs", "minLr": 0.004}, metrics=METRICS),
    case("plateau_max", "ReduceLROnPlateau", {"mode": "max", "patience": 3, "factor": 0.2, "eps": 0.005}, metrics=[-m for m in METRICS]),
]

if __name__ == "__main__":
    write("schedulers", CASES)
