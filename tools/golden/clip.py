"""Golden data for torch.nn.utils.clip_grad_norm_ and clip_grad_value_.

Run from the repository root:
    /usr/bin/python3 tools/golden/clip.py
which writes test/golden/clip.json.

clipGradNorm_ cases: maxNorm, normType (a number or the string "inf"), the three
gradient tensors before clipping, the returned total norm, and the gradients after.
clipGradValue_ cases: clipValue, gradients before and after.
"""
import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from _common import T, _num, write

SHAPES = [(3, 4), (4,), (2, 3)]


def make_params(seed, scale):
    torch.manual_seed(seed)
    ps = []
    for s in SHAPES:
        p = torch.nn.Parameter(torch.zeros(s))
        p.grad = torch.randn(s) * scale
        ps.append(p)
    return ps


def norm_case(name, max_norm, norm_type, seed, scale=1.0):
    ps = make_params(seed, scale)
    before = [T(p.grad) for p in ps]
    nt = float("inf") if norm_type == "inf" else norm_type
    total = clip_grad_norm_(ps, max_norm, norm_type=nt)
    return {"name": name, "fn": "clipGradNorm_", "maxNorm": max_norm, "normType": norm_type,
            "grads": before, "total": _num(total), "after": [T(p.grad) for p in ps]}


def value_case(name, clip_value, seed, scale=1.0):
    ps = make_params(seed, scale)
    before = [T(p.grad) for p in ps]
    clip_grad_value_(ps, clip_value)
    return {"name": name, "fn": "clipGradValue_", "clipValue": clip_value,
            "grads": before, "after": [T(p.grad) for p in ps]}


def main():
    cases = [
        norm_case("norm2_active", 1.0, 2, 4001),
        norm_case("norm2_inactive", 100.0, 2, 4002),
        norm_case("norm2_active_large", 0.5, 2.0, 4003, scale=10.0),
        norm_case("norm1_active", 2.0, 1, 4004),
        norm_case("norm1_inactive", 1000.0, 1, 4005),
        norm_case("norm3_active", 1.0, 3, 4006),
        norm_case("norm_inf_active", 0.5, "inf", 4007),
        norm_case("norm_inf_inactive", 50.0, "inf", 4008),
        value_case("value_0_5", 0.5, 4009),
        value_case("value_inactive", 100.0, 4010),
        value_case("value_1_scaled", 1.0, 4011, scale=3.0),
    ]
    write("clip", cases)


if __name__ == "__main__":
    main()
