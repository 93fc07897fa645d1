"""Golden data for torch.optim.LBFGS.

Run from the repository root:
    /usr/bin/python3 tools/golden/lbfgs.py
which writes test/golden/lbfgs.json.

Rosenbrock cases (float64): one parameter x of shape [2], f(x) = (1 - x0)^2 + 100 (x1 - x0^2)^2,
options passed explicitly (camelCase; anything not listed is PyTorch's default), several calls to
step(closure); after each: the loss step returned, x, and state's func_evals and n_iter.

The LSTM case (float32): nn.LSTM(1, 8) then nn.Linear(8, 1) at every time step, MSE
against the next value of sine waves (like PyTorch's time_sequence_prediction example), with
strong_wolfe; the initial state dict, the data, and after each step the loss and the state dict.
"""
import torch

from _common import T, write


def T64(t):
    """A float64 tensor at full precision (repr round-trips every double), where T keeps 9 digits."""
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().flatten().tolist()]}

KEYMAP = {"maxIter": "max_iter", "maxEval": "max_eval", "toleranceGrad": "tolerance_grad",
          "toleranceChange": "tolerance_change", "historySize": "history_size", "lineSearchFn": "line_search_fn"}


def rosenbrock(x):
    """The loss, with x.grad set from the closed-form gradient (in this order of operations, so
    that the test can evaluate the same doubles and compare the optimizer alone)."""
    x0, x1 = x.tolist()
    a, b = 1 - x0, x1 - x0 * x0
    x.grad = torch.tensor([-2 * a - 400 * x0 * b, 200 * b], dtype=torch.float64)
    return torch.tensor(a * a + 100 * (b * b), dtype=torch.float64)


def rosen_case(name, start, options, steps):
    x = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], **{KEYMAP.get(k, k): v for k, v in options.items()})

    def closure():
        return rosenbrock(x)

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        st = opt.state[x]
        out.append({"loss": float(loss), "x": T64(x), "funcEvals": st["func_evals"], "nIter": st["n_iter"]})
    return {"name": name, "kind": "rosenbrock", "start": start, "options": options, "steps": out}


def lstm_case(name, options, steps):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(1, 8)
    head = torch.nn.Linear(8, 1)
    t = torch.arange(12, dtype=torch.float32)
    phase = torch.tensor([0.0, 0.7, 1.9])
    wave = torch.sin(t[:, None] * 0.5 + phase[None, :])  # [12, 3]
    inp, target = wave[:-1, :, None], wave[1:, :, None]  # [11, 3, 1]
    params = list(lstm.parameters()) + list(head.parameters())
    names = [f"lstm.{k}" for k, _ in lstm.named_parameters()] + [f"head.{k}" for k, _ in head.named_parameters()]
    weights = lambda: {n: T(p) for n, p in zip(names, params)}
    init = weights()
    opt = torch.optim.LBFGS(params, **{KEYMAP.get(k, k): v for k, v in options.items()})

    def closure():
        opt.zero_grad()
        out, _ = lstm(inp)
        loss = torch.nn.functional.mse_loss(head(out), target)
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        st = opt.state[params[0]]
        out.append({"loss": float(loss), "weights": weights(), "funcEvals": st["func_evals"], "nIter": st["n_iter"]})
    return {"name": name, "kind": "lstm", "options": options, "weights": init, "input": T(inp), "target": T(target), "steps": out}


CASES = [
    rosen_case("rosenbrock_default_lr", [-1.5, 2.0], {"lr": 0.01}, 5),
    rosen_case("rosenbrock_default", [0.5, 0.5], {}, 4),
    rosen_case("rosenbrock_strong_wolfe", [-1.5, 2.0], {"lineSearchFn": "strong_wolfe"}, 5),
    rosen_case("rosenbrock_strong_wolfe_history", [-1.2, 1.0], {"lineSearchFn": "strong_wolfe", "historySize": 3, "maxIter": 7}, 6),
    rosen_case("rosenbrock_options", [-1.5, 2.0], {"lr": 0.5, "lineSearchFn": "strong_wolfe", "maxIter": 5, "maxEval": 6, "toleranceChange": 1e-6}, 5),
    lstm_case("lstm_strong_wolfe", {"lr": 0.8, "lineSearchFn": "strong_wolfe", "maxIter": 6}, 3),
]

if __name__ == "__main__":
    write("lbfgs", CASES)
