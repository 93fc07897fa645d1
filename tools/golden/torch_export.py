"""seqtorch -> PyTorch, end to end: writes test/golden/torch_export.json.

For each case it trains a tiny model with the seqtorch CLI on a fixture CSV, exports it with
`seqtorch export --format pytorch`, and checks that
  - the exported model.py's tokenizer gives seqtorch's token ids (whitespace and char tokenizers;
    the word tokenizer cannot be reproduced in Python, so its ids come from seqtorch),
  - PyTorch's logits from the export equal seqtorch's (max abs diff recorded),
  - `torchrun --nproc_per_node 2 train_ddp.py` (gloo, CPU) lowers the loss over the whole file,
  - seqtorch loads what train_ddp.py wrote and gives PyTorch's logits for it (the round trip).

    /usr/bin/python3 tools/golden/torch_export.py     (needs node, npm install, torch and torchrun)
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, GOLDEN_DIR  # noqa: E402

CLI = ["node", "--import", "tsx", os.path.join(ROOT, "src/cli/main.ts")]
TOL = 1e-5
TEXTS = ["A wonderful film, the acting was superb", "terrible service!!", "", "zzz qqq unknown words",
         "The best meal I have had in years", "Dull, slow and far too long... (avoid)",
         "«Ünïcödé» CAFÉ\u00a0déjà-vu 👍 ¡Olé!"]
CASES = [
    {"name": "lstm_bidirectional_last_whitespace", "data": "en-reviews.csv",
     "train": ["--tokenizer", "whitespace", "--cell", "lstm", "--pooling", "last", "--no-lowercase"]},
    {"name": "gru_2layer_mean_char", "data": "en-reviews.csv",
     "train": ["--tokenizer", "char", "--cell", "gru", "--layers", "2", "--pooling", "mean", "--no-bidirectional", "--max-len", "30"]},
    {"name": "lstm_regression_mean_whitespace", "data": "regression", "regression": True,
     "train": ["--task", "regression", "--tokenizer", "whitespace", "--cell", "lstm", "--pooling", "mean", "--no-bidirectional"]},
    {"name": "rnn_word_zh_ids", "data": "zh-reviews.csv", "texts": ["服务态度很差，非常失望", "非常好吃", ""],
     "train": ["--tokenizer", "word", "--locale", "zh", "--cell", "rnn", "--dropout", "0.1"]},
]


def run(cmd, stdin=None):
    r = subprocess.run(cmd, cwd=ROOT, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def seqtorch_logits(checkpoint, texts):
    out = run(["node", "--import", "tsx", os.path.join(ROOT, "tools/golden/seqtorch_logits.mjs")],
              json.dumps({"checkpoint": checkpoint, "texts": texts}))
    return json.loads(out)


def import_model(directory):
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(directory))}", os.path.join(directory, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def torch_logits(module, directory, ids):
    net, _ = module.load(directory)
    tokens, lengths = module.batch(ids)
    with torch.no_grad():
        return net(tokens, lengths)


def max_diff(a, b):
    return float((torch.tensor(a, dtype=torch.float64) - b.double()).abs().max())


def full_loss(module, directory, data_jsonl):
    """Mean loss of the model in `directory` over every row of data.jsonl (eval mode, one batch)."""
    net, _ = module.load(directory)
    with open(data_jsonl) as f:
        rows = [json.loads(line) for line in f]
    tokens, lengths = module.batch([r["ids"] for r in rows])
    with torch.no_grad():
        out = net(tokens, lengths)
    if net.config["task"] == "regression":
        return float(torch.nn.functional.mse_loss(out, torch.tensor([[float(r["label"])] for r in rows])))
    return float(torch.nn.functional.cross_entropy(out, torch.tensor([net.config["labels"].index(r["label"]) for r in rows])))


def regression_csv(path):
    """The review texts with a number to predict: the count of words with more than four letters."""
    import csv
    with open(os.path.join(ROOT, "test/fixtures/en-reviews.csv"), newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for t in texts:
            w.writerow([t, sum(len(x.strip(",.!")) > 4 for x in t.split()) / 2])
    return path


def run_case(case, work):
    ck, ex, trained = (os.path.join(work, case["name"], d) for d in ("checkpoint", "export", "ddp"))
    os.makedirs(os.path.join(work, case["name"]))
    if case.get("regression"):
        data = regression_csv(os.path.join(work, case["name"], "targets.csv"))
    else:
        data = os.path.join(ROOT, "test/fixtures", case["data"])
    texts = case.get("texts", TEXTS)
    run(CLI + ["train", "--data", data, "--epochs", "3", "--batch-size", "4", "--val-fraction", "0.25",
               "--embedding-dim", "8", "--hidden-size", "12", "--seed", "1", "--checkpoint", ck, "--quiet"] + case["train"])
    run(CLI + ["export", "--checkpoint", ck, "--format", "pytorch", "--out", ex, "--data", data])
    module = import_model(ex)
    net, tok = module.load(ex)
    theirs = seqtorch_logits(ck, texts)
    if tok.kind == "word":
        ids_match = None  # Intl.Segmenter: model.py refuses, and the ids come from seqtorch
    else:
        ids_match = [tok.encode(t) for t in texts] == theirs["ids"]
    diff = max_diff(theirs["logits"], torch_logits(module, ex, theirs["ids"]))

    log = os.path.join(work, case["name"], "ddp.jsonl")
    data_jsonl = os.path.join(ex, "data.jsonl")
    before = full_loss(module, ex, data_jsonl)
    # data.jsonl holds seqtorch's ids, so the word tokenizer trains too; the CSV itself is used for the others.
    ddp_data = data_jsonl if tok.kind == "word" else data
    # --redirects 1 --tee 1: torchrun of torch 1.13 on Python 3.11 fails with its defaults (it cannot
    # parse "0"); redirecting stdout to a log and teeing it to the console works everywhere.
    run(["torchrun", "--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1", os.path.join(ex, "train_ddp.py"), "--data", ddp_data,
         "--out", trained, "--epochs", "15", "--batch-size", "4", "--lr", "0.01", "--log", log])
    with open(log) as f:
        lines = [json.loads(line) for line in f]
    steps = [r["loss"] for r in lines if "loss" in r]
    in_sync = [r["replicasInSync"] for r in lines if "replicasInSync" in r] == [True]
    after = full_loss(module, trained, data_jsonl)
    back = seqtorch_logits(trained, texts)
    round_trip = max_diff(back["logits"], torch_logits(module, trained, back["ids"]))
    first, last = sum(steps[:4]) / 4, sum(steps[-4:]) / 4

    with open(os.path.join(ex, "model.py")) as f:
        source = f.read()
    result = {
        "name": case["name"], "task": net.config["task"], "cell": net.config["model"]["cell"], "pooling": net.config["model"]["pooling"],
        "bidirectional": net.config["model"]["bidirectional"], "numLayers": net.config["model"]["numLayers"],
        "tokenizer": tok.kind, "keys": sorted(net.state_dict()), "files": sorted(os.listdir(ex)),
        "texts": texts, "idsMatch": ids_match, "logitsMaxAbsDiff": diff, "logitsMatch": diff < TOL,
        "ddp": {"nproc": 2, "backend": "gloo", "steps": len(steps), "stepLosses": [round(x, 6) for x in steps],
                "firstStepsMean": first, "lastStepsMean": last, "fullLossBefore": before, "fullLossAfter": after,
                "lossDecreased": after < before and last < first, "replicasInSync": in_sync},
        "roundTrip": {"maxAbsDiff": round_trip, "match": round_trip < TOL},
        "modelPySha": __import__("hashlib").sha256(source.encode()).hexdigest(),
    }
    print(f"{case['name']}: ids {ids_match}, logits diff {diff:.2e}, DDP loss {before:.4f} -> {after:.4f} "
          f"({len(steps)} steps), round trip diff {round_trip:.2e}")
    return result


def main():
    work = tempfile.mkdtemp(prefix="seqtorch-torch-export-")
    try:
        cases = [run_case(c, work) for c in CASES]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc = {"meta": {"torch_version": torch.__version__, "script": "tools/golden/torch_export.py", "tolerance": TOL}, "cases": cases}
    path = os.path.join(GOLDEN_DIR, "torch_export.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
