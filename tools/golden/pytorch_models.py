"""Golden PyTorch checkpoints: five small models trained a few steps, saved as state dicts in both
safetensors and torch.save's zip format, with inputs, logits and gradients to check them against.

Run from the repository root:
    /usr/bin/python3 tools/golden/pytorch_models.py
which writes, under test/golden/pytorch/:
  <name>.pt, <name>.safetensors   the trained state dict of each model (keys as PyTorch names them)
  lstm_tagger_legacy.pt           the first model again, in the legacy (pre-zip) torch.save format
                                  (its storage keys are memory addresses: it differs on every run)
  lstm_tagger_nested.pt           {"model": state dict, "epoch": 3, "note": ...}: a training checkpoint
  bad_module.pt                   torch.save of a whole nn.Module object, not a state dict
  bad_os_system.pt                a dict whose pickle names os.system (never run by the test)
  views.pt                        tensors that are views: transposed, offset, expanded, shared storage
and test/golden/pytorch_models.json with, per model: its hyperparameters, an input batch, the
logits, the loss and the gradient of the loss with respect to every parameter (by state-dict key),
plus PyTorch's own load_state_dict error message for a checkpoint that does not fit, and the
values of views.pt.

The models: Embedding -> 2-layer bidirectional LSTM -> Linear (a tagger, one label per token); a
GRU tagger; a 2-layer tanh RNN over float features; a 2-layer LSTM with proj_size; and an
Embedding(padding_idx=0) -> LSTM over a packed, unsorted batch -> Linear on the final hidden state.
"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from _common import GOLDEN_DIR, T, write_safetensors

OUT = os.path.join(GOLDEN_DIR, "pytorch")


class LSTMTagger(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        return self.fc(self.lstm(self.embedding(x))[0])


class GRUTagger(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc(self.gru(self.embedding(x))[0])


class TanhRNN(nn.Module):
    def __init__(self, features, hidden, classes):
        super().__init__()
        self.rnn = nn.RNN(features, hidden, num_layers=2, nonlinearity="tanh")
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc(self.rnn(x)[0])


class ProjLSTM(nn.Module):
    def __init__(self, features, hidden, proj, classes):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, proj_size=proj)
        self.fc = nn.Linear(proj, classes)

    def forward(self, x):
        return self.fc(self.lstm(x)[0])


class PackedClassifier(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.fc(h[-1])


def padded_ids(batch, max_len, vocab, lengths):
    x = torch.randint(1, vocab, (batch, max_len))
    for i, n in enumerate(lengths):
        x[i, n:] = 0
    return x


def build(name):
    """(model, hyperparameters, make a batch: () -> (inputs, targets))."""
    if name == "lstm_tagger":
        hp = {"vocab": 11, "emb": 5, "hidden": 4, "classes": 3}
        model = LSTMTagger(**hp)
        return model, hp, lambda: ((torch.randint(0, 11, (3, 6)),), torch.randint(0, 3, (3, 6)))
    if name == "gru_tagger":
        hp = {"vocab": 9, "emb": 4, "hidden": 5, "classes": 4}
        model = GRUTagger(**hp)
        return model, hp, lambda: ((torch.randint(0, 9, (2, 7)),), torch.randint(0, 4, (2, 7)))
    if name == "rnn_tanh":
        hp = {"features": 3, "hidden": 5, "classes": 2}
        model = TanhRNN(**hp)
        return model, hp, lambda: ((torch.randn(6, 2, 3),), torch.randint(0, 2, (6, 2)))
    if name == "lstm_proj":
        hp = {"features": 4, "hidden": 6, "proj": 3, "classes": 2}
        model = ProjLSTM(**hp)
        return model, hp, lambda: ((torch.randn(5, 3, 4),), torch.randint(0, 2, (5, 3)))
    if name == "packed_lstm":
        hp = {"vocab": 10, "emb": 4, "hidden": 5, "classes": 2}
        model = PackedClassifier(**hp)

        def batch():
            lengths = torch.tensor([3, 6, 1, 4])
            return (padded_ids(4, 6, 10, lengths.tolist()), lengths), torch.randint(0, 2, (4,))
        return model, hp, batch
    raise ValueError(name)


def loss_of(logits, targets):
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def inputs_json(inputs):
    out = []
    for t in inputs:
        if t.dtype == torch.int64:
            out.append({"shape": list(t.shape), "data": t.flatten().tolist(), "dtype": "int32"})
        else:
            out.append(T(t))
    return out


def save_both(name, model):
    sd = model.state_dict()
    torch.save(sd, os.path.join(OUT, name + ".pt"))
    write_safetensors(os.path.join(OUT, name + ".safetensors"), {k: v.contiguous() for k, v in sd.items()}, {"format": "pt"})


def make_case(name, seed):
    torch.manual_seed(seed)
    model, hp, batch = build(name)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(3):  # a few steps, so the saved weights are not the initial ones
        inputs, targets = batch()
        opt.zero_grad()
        loss_of(model(*inputs), targets).backward()
        opt.step()
    save_both(name, model)
    inputs, targets = batch()
    model.zero_grad()
    logits = model(*inputs)
    loss = loss_of(logits, targets)
    loss.backward()
    return model, {
        "name": name,
        "hp": hp,
        "inputs": inputs_json(inputs),
        "targets": {"shape": list(targets.shape), "data": targets.flatten().tolist(), "dtype": "int32"},
        "logits": T(logits),
        "loss": float(loss),
        "grads": {k: T(p.grad) for k, p in model.named_parameters()},
        "keys": list(model.state_dict().keys()),
    }


class RunsACommand:
    """A pickle that would call os.system("...") when unpickled by Python; the reader must refuse it."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    models = {}
    for seed, name in enumerate(["lstm_tagger", "gru_tagger", "rnn_tanh", "lstm_proj", "packed_lstm"]):
        model, case = make_case(name, seed)
        models[name] = model
        cases.append(case)

    tagger = models["lstm_tagger"]
    torch.save(tagger.state_dict(), os.path.join(OUT, "lstm_tagger_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save({"model": tagger.state_dict(), "epoch": 3, "note": "best"}, os.path.join(OUT, "lstm_tagger_nested.pt"))

    torch.manual_seed(9)
    torch.save(nn.Linear(2, 2), os.path.join(OUT, "bad_module.pt"))
    torch.save({"weight": torch.zeros(2), "payload": RunsACommand()}, os.path.join(OUT, "bad_os_system.pt"))

    # Views: what torch.save keeps of a view is its storage, offset, size and stride.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {
        "transposed": base.t(),
        "offset": base[1:3, 2:5],
        "strided": base[::2, ::3],
        "expanded": torch.tensor([1.5, -2.0]).expand(3, 2),
        "base": base,
        "float64": torch.linspace(-1, 1, 5, dtype=torch.float64),
        "int64": torch.tensor([[0, -7], [2**31 - 1, -(2**31)]]),
        "bool": torch.tensor([True, False, True]),
        "half": torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16),
        "scalar": torch.tensor(3.25),
    }
    torch.save(views, os.path.join(OUT, "views.pt"))
    views_json = {}
    for k, v in views.items():
        if v.dtype in (torch.int64, torch.bool):
            views_json[k] = {"shape": list(v.shape), "data": [int(x) for x in v.flatten().tolist()], "dtype": "int32"}
        else:
            views_json[k] = T(v.float() if v.dtype == torch.float16 else v)
        views_json[k]["torch_dtype"] = str(v.dtype).replace("torch.", "")

    # PyTorch's message for a checkpoint that does not fit: missing, unexpected and mismatched keys.
    wrong = {k: v for k, v in tagger.state_dict().items() if k != "fc.bias"}
    wrong["lstm.weight_ih_l0"] = torch.zeros(16, 3)
    wrong["extra.weight"] = torch.zeros(1)
    try:
        tagger.load_state_dict(wrong)
        raise AssertionError("load_state_dict accepted a wrong state dict")
    except RuntimeError as e:
        load_error = str(e)
    try:
        tagger.load_state_dict({k: v for k, v in wrong.items() if k != "extra.weight"}, strict=False)
        raise AssertionError("load_state_dict accepted a size mismatch with strict=False")
    except RuntimeError as e:
        load_error_nonstrict = str(e)

    doc = {
        "meta": {"torch_version": torch.__version__, "script": "tools/golden/pytorch_models.py"},
        "cases": cases,
        "views": views_json,
        "load_error": {"message": load_error, "nonstrict_message": load_error_nonstrict},
    }
    path = os.path.join(GOLDEN_DIR, "pytorch_models.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    sizes = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and {len(os.listdir(OUT))} files in {OUT} ({sizes} bytes)")


if __name__ == "__main__":
    main()
