"""Golden data for basic modules, losses and activations: nn.Linear, nn.Embedding,
nn.CrossEntropyLoss, nn.MSELoss, nn.BCEWithLogitsLoss, nn.ReLU, nn.LeakyReLU,
nn.Sigmoid, nn.Tanh and functional softmax / log_softmax (dim=-1).

Run from the repository root:
    /usr/bin/python3 tools/golden/nn.py
which writes test/golden/nn.json.

Module cases (Linear, Embedding, activations): forward output, a random upstream
tensor of the output's shape, and gradients of (output*upstream).sum().
Loss cases: for a scalar result (reduction mean/sum) "upstream" is null and the
gradients are those of the loss itself; for reduction "none" the gradients are of
(output*upstream).sum().
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from _common import T, TI, write


def module_case(name, module, options, m, x, seed_up, state_dict=True, int_input=False):
    if not int_input:
        x = x.clone().requires_grad_(True)
    y = m(x)
    torch.manual_seed(seed_up)
    up = torch.randn(y.shape)
    (y * up).sum().backward()
    case = {"name": name, "module": module, "options": options}
    params = dict(m.named_parameters()) if isinstance(m, nn.Module) else {}
    if state_dict:
        case["stateDict"] = {k: T(v) for k, v in m.state_dict().items()}
    case["input"] = TI(x) if int_input else T(x)
    case["output"] = T(y)
    case["upstream"] = T(up)
    grads = {}
    if not int_input:
        grads["input"] = x.grad
    for k, p in params.items():
        grads[k] = p.grad if p.grad is not None else torch.zeros_like(p)
    case["grads"] = {k: T(v) for k, v in grads.items()}
    return case


def linear_cases():
    out = []
    specs = [
        ("linear_2d_bias", 4, 3, True, (2, 4)),
        ("linear_2d_nobias", 3, 5, False, (3, 3)),
        ("linear_3d_bias", 5, 2, True, (2, 3, 5)),
        ("linear_3d_nobias", 2, 4, False, (3, 2, 2)),
        ("linear_1d_bias", 3, 4, True, (3,)),
    ]
    for i, (name, fin, fout, bias, shape) in enumerate(specs):
        torch.manual_seed(5000 + i)
        m = nn.Linear(fin, fout, bias=bias)
        x = torch.randn(shape)
        out.append(module_case(name, "Linear", {"inFeatures": fin, "outFeatures": fout, "bias": bias},
                               m, x, 5100 + i))
    return out


def embedding_cases():
    out = []
    idx = torch.tensor([[1, 4, 2], [4, 0, 1]], dtype=torch.int64)  # repeated indices 1 and 4
    specs = [
        ("embedding_basic", 6, 3, None, idx),
        ("embedding_padding_idx", 6, 3, 4, idx),           # padding index appears in the input
        ("embedding_padding_idx_0", 5, 4, 0, torch.tensor([[0, 2, 3], [3, 0, 0]])),
    ]
    for i, (name, n, d, pad, ix) in enumerate(specs):
        torch.manual_seed(5200 + i)
        m = nn.Embedding(n, d, padding_idx=pad)
        opts = {"numEmbeddings": n, "embeddingDim": d}
        if pad is not None:
            opts["paddingIdx"] = pad
        out.append(module_case(name, "Embedding", opts, m, ix, 5300 + i, int_input=True))
    return out


def loss_case(name, module, options, fn, x, target, seed_up, int_target=False):
    x = x.clone().requires_grad_(True)
    y = fn(x, target)
    if y.dim() == 0:
        up = None
        y.backward()
    else:
        torch.manual_seed(seed_up)
        up = torch.randn(y.shape)
        (y * up).sum().backward()
    return {"name": name, "module": module, "options": options, "input": T(x),
            "target": TI(target) if int_target else T(target), "output": T(y),
            "upstream": None if up is None else T(up), "grads": {"input": T(x.grad)}}


def loss_cases():
    out = []
    s = 6000
    # CrossEntropyLoss, 2-D logits
    for red in ["mean", "sum", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(4, 5)
        t = torch.tensor([1, 0, 4, 2])
        out.append(loss_case(f"ce_2d_{red}", "CrossEntropyLoss", {"reduction": red},
                             nn.CrossEntropyLoss(reduction=red), x, t, s + 500, int_target=True))
    # default ignore_index -100 appearing in the targets
    for red in ["mean", "sum", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(5, 3)
        t = torch.tensor([2, -100, 0, 1, -100])
        out.append(loss_case(f"ce_2d_default_ignore_{red}", "CrossEntropyLoss", {"reduction": red},
                             nn.CrossEntropyLoss(reduction=red), x, t, s + 500, int_target=True))
    # custom ignore index that appears in the targets
    for red in ["mean", "sum", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(5, 4)
        t = torch.tensor([3, 1, 1, 0, 2])
        out.append(loss_case(f"ce_2d_ignore1_{red}", "CrossEntropyLoss", {"reduction": red, "ignoreIndex": 1},
                             nn.CrossEntropyLoss(reduction=red, ignore_index=1), x, t, s + 500, int_target=True))
    # [N, C, d1] logits with [N, d1] targets
    for red in ["mean", "sum", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(2, 4, 3)
        t = torch.tensor([[0, 3, 1], [2, 2, 0]])
        out.append(loss_case(f"ce_3d_{red}", "CrossEntropyLoss", {"reduction": red},
                             nn.CrossEntropyLoss(reduction=red), x, t, s + 500, int_target=True))
    for red in ["mean", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(3, 4, 2)
        t = torch.tensor([[0, 2], [2, 3], [1, 2]])
        out.append(loss_case(f"ce_3d_ignore2_{red}", "CrossEntropyLoss", {"reduction": red, "ignoreIndex": 2},
                             nn.CrossEntropyLoss(reduction=red, ignore_index=2), x, t, s + 500, int_target=True))
    # MSELoss
    for red in ["mean", "sum", "none"]:
        s += 1
        torch.manual_seed(s)
        x = torch.randn(3, 4)
        t = torch.randn(3, 4)
        out.append(loss_case(f"mse_{red}", "MSELoss", {"reduction": red}, nn.MSELoss(reduction=red), x, t, s + 500))
    # BCEWithLogitsLoss
    for red in ["mean", "sum", "none"]:
        for pw in [False, True]:
            s += 1
            torch.manual_seed(s)
            x = torch.randn(3, 4) * 2
            t = torch.rand(3, 4)
            t[0] = torch.tensor([0.0, 1.0, 1.0, 0.0])  # some hard labels
            opts = {"reduction": red}
            if pw:
                pwt = torch.rand(4) * 3
                opts["posWeight"] = T(pwt)
                m = nn.BCEWithLogitsLoss(reduction=red, pos_weight=pwt)
            else:
                m = nn.BCEWithLogitsLoss(reduction=red)
            out.append(loss_case(f"bce_logits_{red}{'_posweight' if pw else ''}", "BCEWithLogitsLoss",
                                 opts, m, x, t, s + 500))
    return out


def activation_cases():
    out = []
    specs = [
        ("relu", "ReLU", {}, nn.ReLU()),
        ("leaky_relu_default", "LeakyReLU", {}, nn.LeakyReLU()),
        ("leaky_relu_0_2", "LeakyReLU", {"negativeSlope": 0.2}, nn.LeakyReLU(0.2)),
        ("sigmoid", "Sigmoid", {}, nn.Sigmoid()),
        ("tanh", "Tanh", {}, nn.Tanh()),
        ("softmax_last", "softmax", {"dim": -1}, lambda x: F.softmax(x, dim=-1)),
        ("log_softmax_last", "logSoftmax", {"dim": -1}, lambda x: F.log_softmax(x, dim=-1)),
    ]
    for i, (name, module, opts, m) in enumerate(specs):
        torch.manual_seed(7000 + i)
        x = torch.randn(2, 3, 4) * 2
        x[0, 0, 0] = 0.0  # exact zero: pins down the derivative convention at 0
        out.append(module_case(name, module, opts, m, x, 7100 + i, state_dict=False))
    # softmax on a large-magnitude input (numerical stability)
    torch.manual_seed(7050)
    x = torch.randn(3, 5) * 30
    out.append(module_case("softmax_large", "softmax", {"dim": -1}, lambda v: F.softmax(v, dim=-1), x, 7150, state_dict=False))
    out.append(module_case("log_softmax_large", "logSoftmax", {"dim": -1}, lambda v: F.log_softmax(v, dim=-1), x, 7151, state_dict=False))
    return out


def main():
    cases = linear_cases() + embedding_cases() + loss_cases() + activation_cases()
    write("nn", cases)


if __name__ == "__main__":
    main()
