"""PyTorch side of `npm run bench:names`: the default job (a character-level bidirectional LSTM
telling female from male first names) trained the same way as `seqtorch train`: embedding 32,
hidden 64, Adam lr 3e-3, batch 64, packed sequences, a stratified 90/10 split, one thread.

Usage: /usr/bin/python3 bench/names_torch.py FEMALE_JSON MALE_JSON EPOCHS
Prints one JSON line: {"torch_version", "epoch_seconds": [...], "val_accuracy": [...]}.
"""
import json
import random
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence


class Model(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 32, padding_idx=0)
        self.rnn = nn.LSTM(32, 64, batch_first=True, bidirectional=True)
        self.head = nn.Linear(128, 2)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)
        return self.head(torch.cat([h[-2], h[-1]], 1))


def main():
    female = json.load(open(sys.argv[1]))
    male = json.load(open(sys.argv[2]))
    epochs = int(sys.argv[3])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    texts = [n.lower() for n in female + male]
    labels = [0] * len(female) + [1] * len(male)
    val = set()
    for cls in (0, 1):
        idx = [i for i, y in enumerate(labels) if y == cls]
        rng.shuffle(idx)
        val.update(idx[: round(0.1 * len(idx))])
    train_idx = [i for i in range(len(texts)) if i not in val]
    val_idx = sorted(val)
    chars = sorted({c for i in train_idx for c in texts[i]})
    stoi = {c: k + 2 for k, c in enumerate(chars)}
    enc = [torch.tensor([stoi.get(c, 1) for c in t]) for t in texts]

    def batch(idx):
        seqs = [enc[i] for i in idx]
        return pad_sequence(seqs, batch_first=True), torch.tensor([len(s) for s in seqs]), torch.tensor([labels[i] for i in idx])

    model = Model(len(chars) + 2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    epoch_seconds, val_accuracy = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        order = train_idx[:]
        rng.shuffle(order)
        for s in range(0, len(order), 64):
            x, lengths, y = batch(order[s:s + 64])
            opt.zero_grad()
            loss_fn(model(x, lengths), y).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            x, lengths, y = batch(val_idx)
            acc = (model(x, lengths).argmax(1) == y).float().mean().item()
        epoch_seconds.append(time.perf_counter() - t0)
        val_accuracy.append(acc)
    print(json.dumps({"torch_version": torch.__version__, "epoch_seconds": epoch_seconds, "val_accuracy": val_accuracy}))


if __name__ == "__main__":
    main()
