"""Golden data for the tensor repr (str(tensor) with PyTorch's default print options).

Run from the repository root:
    /usr/bin/python3 tools/golden/printing.py
which writes test/golden/printing.json.

Each case gives a tensor explicitly (shape, row-major data, dtype: "float32", "float64" or
"int64"; NaN and infinities as the strings "nan", "inf", "-inf"), whether it requires grad, an
optional op applied to it ("mul2": x * 2, "tanh"), and the string PyTorch prints. The data are
the values as stored (rounded to 9 significant digits before the tensor is built), so the printed
string is exactly that of the tensor the test rebuilds. int64 stands for seqtorch's int32 index
dtype: PyTorch prints its default integer dtype without a dtype suffix.
"""
import math

import torch

from _common import write

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def enc(v):
    if isinstance(v, int):
        return v
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(f"{v:.9g}")


def dec(v):
    return float(v) if isinstance(v, str) else v


cases = []


def case(name, values, dtype="float32", requires_grad=False, op=None):
    t = torch.as_tensor(values, dtype=DTYPES[dtype])
    shape = list(t.shape)
    flat = [v if dtype == "int64" else enc(v) for v in t.flatten().tolist()]
    x = torch.tensor([dec(v) for v in flat], dtype=DTYPES[dtype]).reshape(shape)
    if requires_grad:
        x.requires_grad_(True)
    y = {"mul2": lambda a: a * 2, "tanh": torch.tanh, None: lambda a: a}[op](x)
    c = {"name": name, "shape": shape, "data": flat, "dtype": dtype, "requires_grad": requires_grad, "expected": str(y)}
    if op:
        c["op"] = op
    cases.append(c)


torch.manual_seed(0)
nan, inf = float("nan"), float("inf")

case("matrix_fixed", [[0.12345, -1.0], [3.0, 4.0]])
case("vector_fixed_widths", [0.5, -12.25, 100.125, 3.0])
case("scalar", 3.5)
case("scalar_int", 7, "int64")
case("scalar_nan", nan)
case("scalar_float64", -2.0, "float64")
case("int_mode_floats", [1.0, 2.0, -30.0])
case("int_mode_with_nonfinite", [1.0, nan, -inf, 4.0])
case("fixed_with_nonfinite", [0.5, nan, inf, -1.25])
case("ties_half_even", [0.03125, 0.15625, -2.71875, 0.40625])
case("sci_ties_half_even", [1e-5, 1.03125, 3.15625])
case("int_mode_ties", [0.5, 2.5])
case("all_zero", [0.0, 0.0])
case("negative_zero", [-0.0, 1.5])
case("only_nonfinite", [nan, inf])
case("sci_small", [1e-5, 1.0, 2.0])
case("sci_ratio", [0.001, 5.0])
case("sci_large", [1.5e9, 1.0])
case("sci_int_mode", [123456789.0, 1.0])
case("int_mode_ratio_1000", [1.0, 1000.0])
case("int_mode_ratio_over_1000", [1.0, 1001.0])
case("ints", [[1, -20], [300, 4]], "int64")
case("ints_row", list(range(-5, 40)), "int64")
case("three_d", torch.randn(2, 2, 3).tolist())
case("four_d", torch.arange(24).reshape(2, 1, 3, 4).tolist(), "int64")
case("float64_wrapping", torch.randn(3, 30, dtype=torch.float64).tolist(), "float64")
case("long_vector_wrapping", torch.randn(25).tolist())
case("requires_grad_leaf", torch.randn(2, 3).tolist(), requires_grad=True)
case("float64_requires_grad", torch.randn(2, 2, dtype=torch.float64).tolist(), "float64", requires_grad=True)
case("suffix_wraps", torch.randn(8, dtype=torch.float64).tolist(), "float64", requires_grad=True)
case("grad_fn_mul", [1.0, 2.0, 3.0], requires_grad=True, op="mul2")
case("grad_fn_tanh", [[0.5, -1.0]], requires_grad=True, op="tanh")
case("summarised_ints", torch.arange(2000).reshape(40, 50).tolist(), "int64")
case("summarised_vector", (torch.randn(1500) * 10).tolist())
case("summarised_matrix", torch.randn(40, 50).tolist())
case("summarised_3d", torch.randn(12, 10, 10).tolist())
case("summarised_sci", (torch.rand(30, 40) * torch.logspace(-6, 2, 40)).tolist())
case("not_summarised_1000", torch.randn(10, 100).tolist())
case("empty", torch.zeros(0).tolist())
case("empty_2d", torch.zeros(2, 0).tolist())
case("empty_float64", torch.zeros(0, dtype=torch.float64).tolist(), "float64")

write("printing", cases)
