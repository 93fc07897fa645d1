"""Continues training an exported seqtorch model with DistributedDataParallel.

    torchrun --nproc_per_node 2 train_ddp.py --data train.csv --out DIR          # CPU (gloo)
    torchrun --nproc_per_node 4 train_ddp.py --data train.csv --out DIR --backend nccl   # one GPU per process

--data is a CSV, TSV or JSONL file with the columns of the original training (--text-col,
--label-col), or the data.jsonl of `seqtorch export --data` (token ids already made by seqtorch:
needed for the word tokenizer). Each process reads its share through a DistributedSampler; the
gradients are averaged across processes. Rank 0 writes DIR: model.safetensors (the same keys),
config.json and vocab.json, a checkpoint that `seqtorch predict --checkpoint DIR` loads.
"""
import argparse
import csv
import json
import os
import shutil
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model  # noqa: E402  (model.py beside this file)


def read_rows(path, text_col, label_col):
    """(text, label) pairs, or (ids, label) pairs from seqtorch's data.jsonl."""
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return [(r["ids"], r["label"]) if "ids" in r else (r[text_col], r[label_col]) for r in rows]
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t" if path.endswith(".tsv") else ",")
        return [(r[text_col], r[label_col]) for r in reader]


def encode(rows, tok, config):
    examples = []
    for x, label in rows:
        ids = x if isinstance(x, list) else tok.encode(x)
        if config["task"] == "classification":
            if str(label) not in config["labels"]:
                raise SystemExit(f"label {label!r} is not one of the model's labels {config['labels']}")
            target = config["labels"].index(str(label))
        else:
            target = [float(label)]
        examples.append((ids, target))
    return examples


def collate(items):
    tokens, lengths = model.batch([ids for ids, _ in items])
    targets = [t for _, t in items]
    dtype = torch.int64 if isinstance(targets[0], int) else torch.float32
    return tokens, lengths, torch.tensor(targets, dtype=dtype)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--export", default=HERE, help="the export directory (default: this script's)")
    p.add_argument("--data", required=True)
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--out", required=True, help="directory for the trained checkpoint")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    p.add_argument("--log", help="rank 0 appends one JSON line per step here")
    a = p.parse_args()

    dist.init_process_group(a.backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if a.backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.manual_seed(a.seed)

    net, tok = model.load(a.export)
    config = net.config
    examples = encode(read_rows(a.data, a.text_col, a.label_col), tok, config)
    sampler = DistributedSampler(examples, num_replicas=world, rank=rank, shuffle=True, seed=a.seed)
    loader = DataLoader(examples, batch_size=a.batch_size, sampler=sampler, collate_fn=collate)
    ddp = DistributedDataParallel(net.to(device).train(), device_ids=[device.index] if device.type == "cuda" else None)
    loss_fn = torch.nn.CrossEntropyLoss() if config["task"] == "classification" else torch.nn.MSELoss()
    opt = torch.optim.Adam(ddp.parameters(), lr=a.lr)

    step, done = 0, False
    for epoch in range(a.epochs):
        sampler.set_epoch(epoch)
        for tokens, lengths, target in loader:
            opt.zero_grad()
            loss = loss_fn(ddp(tokens.to(device), lengths), target.to(device))
            loss.backward()  # DDP averages the gradients across processes here
            opt.step()
            step += 1
            mean = loss.detach().clone()
            dist.all_reduce(mean)
            mean = mean.item() / world
            if rank == 0:
                print(f"epoch {epoch + 1} step {step} loss {mean:.6f}", flush=True)
                if a.log:
                    with open(a.log, "a") as f:
                        f.write(json.dumps({"epoch": epoch + 1, "step": step, "loss": mean}) + "\n")
            if a.max_steps and step >= a.max_steps:
                done = True
                break
        if done:
            break

    # DDP keeps every replica's weights equal (same start, averaged gradients): check before saving one.
    flat = torch.cat([v.detach().float().flatten() for v in ddp.module.state_dict().values()])
    low, high = flat.clone(), flat.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    in_sync = bool(torch.equal(low, high))
    if rank == 0:
        print(f"replicas in sync: {in_sync}", flush=True)
        if a.log:
            with open(a.log, "a") as f:
                f.write(json.dumps({"replicasInSync": in_sync}) + "\n")
        os.makedirs(a.out, exist_ok=True)
        state = {k: v.detach().cpu().float() for k, v in ddp.module.state_dict().items()}
        model.write_safetensors(os.path.join(a.out, "model.safetensors"), state, {"format": "pt"})
        for name in ("config.json", "vocab.json"):
            if os.path.abspath(os.path.join(a.export, name)) != os.path.abspath(os.path.join(a.out, name)):
                shutil.copyfile(os.path.join(a.export, name), os.path.join(a.out, name))
        print(f"wrote {a.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
