"""A seqtorch text model rebuilt with torch.nn.

This directory was written by `seqtorch export --format pytorch`. It holds
    model.safetensors  the weights, under the keys of `TextClassifier().state_dict()` below
    config.json        the architecture, task and labels (seqtorch's own checkpoint config)
    vocab.json         the vocabulary (token -> id by position) and the tokenizer's settings
    model.py           this file: the modules, a safetensors reader/writer and the tokenizers
    train_ddp.py       continues training with DistributedDataParallel under torchrun

    import model
    net, tok = model.load("export-dir")
    tokens, lengths = model.batch([tok.encode("a wonderful film")])
    logits = net(tokens, lengths)

The forward pass is seqtorch's: embedding -> dropout -> packed RNN/LSTM/GRU (batch_first) ->
pooling ("last": the last layer's final hidden state, both directions concatenated; "mean": the
mean output over the real steps) -> dropout -> Linear. Needs only torch (no safetensors package).
"""
import json
import os
import struct
import unicodedata

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# seqtorch's --cell -> the torch.nn layer and its extra options.
RECURRENT = {
    "rnn": (nn.RNN, {"nonlinearity": "tanh"}),
    "rnn-relu": (nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, {}),
    "gru": (nn.GRU, {}),
}


class SequenceEncoder(nn.Module):
    """[N, L] token ids and their lengths -> [N, D * hidden_size] features."""

    def __init__(self, vocabSize, embeddingDim, hiddenSize, cell, numLayers, bidirectional, dropout, pooling, paddingIdx):
        super().__init__()
        if cell not in RECURRENT:
            raise ValueError(f"cell {cell!r} has no torch.nn layer (known: {', '.join(RECURRENT)})")
        layer, extra = RECURRENT[cell]
        self.pooling = pooling
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocabSize, embeddingDim, padding_idx=paddingIdx)
        self.rnn = layer(embeddingDim, hiddenSize, num_layers=numLayers, batch_first=True,
                         bidirectional=bidirectional, dropout=dropout if numLayers > 1 else 0.0, **extra)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens, lengths):
        emb = self.dropout(self.embedding(tokens))
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # LSTM: (h_n, c_n)
        if self.pooling == "last":
            return torch.cat([h_n[-2], h_n[-1]], 1) if self.bidirectional else h_n[-1]
        padded, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        return padded.sum(1) / lengths.to(padded.device, padded.dtype).unsqueeze(1)


class TextClassifier(nn.Module):
    """Class scores [N, numClasses], for nn.CrossEntropyLoss."""

    def __init__(self, numClasses, **encoder):
        super().__init__()
        self.encoder = SequenceEncoder(**encoder)
        self.head = nn.Linear(self.encoder.rnn.hidden_size * (2 if encoder["bidirectional"] else 1), numClasses)

    def forward(self, tokens, lengths):
        return self.head(self.encoder.dropout(self.encoder(tokens, lengths)))


class SequenceRegressor(TextClassifier):
    """numOutputs real values [N, numOutputs], for nn.MSELoss."""

    def __init__(self, numOutputs=1, **encoder):
        super().__init__(numOutputs, **encoder)


def build(config):
    """The untrained module that config.json describes."""
    options = dict(config["model"])
    if config["task"] == "classification":
        return TextClassifier(**options)
    return SequenceRegressor(**options)


# --- safetensors, read and written with json + struct (no safetensors package needed) ---

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """{name: tensor} and the __metadata__ of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if end == start:
            tensors[name] = torch.empty(info["shape"], dtype=dtype)
        else:  # little-endian on disk, as on every platform torch runs on
            tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=dtype).reshape(info["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} as safetensors, atomically (a temporary file renamed over path)."""
    names = {v: k for k, v in DTYPES.items()}
    header, chunks, offset = {"__metadata__": metadata or {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(chunks))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- tokenizers: text -> ids as seqtorch makes them ---

# JavaScript's \s (the WhiteSpace and LineTerminator code points), which seqtorch splits on.
JS_SPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200B)}


def _is_punct(ch):
    return unicodedata.category(ch).startswith("P")  # \p{P}


def _split_space(text):
    out, cur = [], []
    for ch in text:
        if ch in JS_SPACE:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _joins_previous(ch):
    """True for code points that can extend or join a grapheme cluster (marks, joiners, emoji
    modifiers and tags, regional indicators, Hangul jamo, prepended and spacing marks)."""
    c = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf", "Cs") or 0x1F1E6 <= c <= 0x1F1FF
            or 0x1F3FB <= c <= 0x1F3FF or 0xE0020 <= c <= 0xE007F or 0x1100 <= c <= 0x11FF
            or 0xA960 <= c <= 0xA97F or 0xD7B0 <= c <= 0xD7FF or c in (0x0E33, 0x0EB3))


def graphemes(text):
    """Extended grapheme clusters. With the `regex` package installed this is its \\X; without it,
    text in which no code point can join its neighbour is split by code point ("\\r\\n" kept
    together), and any other text is refused rather than split differently from seqtorch."""
    try:
        import regex
        return regex.findall(r"\X", text)
    except ImportError:
        pass
    bad = next((ch for ch in text if _joins_previous(ch)), None)
    if bad is not None:
        raise ValueError(f"U+{ord(bad):04X} can join its neighbour into one character; install the `regex` "
                         "package for exact grapheme clusters, or pass token ids from seqtorch (export --data)")
    out = []
    for ch in text:
        if ch == "\n" and out and out[-1] == "\r":
            out[-1] = "\r\n"
        else:
            out.append(ch)
    return out


class Tokenizer:
    """seqtorch's tokenizer from vocab.json's "tokenizer" settings, with its vocabulary."""

    def __init__(self, vocab):
        self.settings = vocab["tokenizer"]
        self.kind = self.settings["kind"]
        self.max_len = vocab.get("maxLen")
        self.ids = {t: i for i, t in enumerate(vocab["tokens"])}
        self.unk = vocab["specials"]["<unk>"]

    def tokenize(self, text):
        s = self.settings
        if self.kind == "whitespace":
            out = []
            for token in _split_space(text):
                if not s["keepPunctuation"]:
                    start, end = 0, len(token)
                    while start < end and _is_punct(token[start]):
                        start += 1
                    while end > start and _is_punct(token[end - 1]):
                        end -= 1
                    token = token[start:end]
                if token:
                    out.append(token.lower() if s["lowercase"] else token)
            return out
        if self.kind == "char":
            chars = graphemes(text.lower() if s["lowercase"] else text)
            return chars if s["keepWhitespace"] else [c for c in chars if not all(ch in JS_SPACE for ch in c)]
        # NOTE: the word tokenizer is Intl.Segmenter (ICU's word break rules and dictionaries);
        # Python has no equivalent, so its ids come from seqtorch: `seqtorch export --data FILE`.
        raise NotImplementedError(f"the {self.kind!r} tokenizer (Intl.Segmenter) cannot be reproduced in Python; "
                                  "pass token ids from `seqtorch export --data FILE` (data.jsonl)")

    def encode(self, text):
        ids = [self.ids.get(t, self.unk) for t in self.tokenize(text)]
        return ids[:self.max_len] if self.max_len else ids


def batch(seqs, padding_idx=0):
    """Pads lists of ids into int64 tokens [N, L] and lengths [N]; an empty text reads one padding
    token, as in seqtorch (a packed sequence needs every length >= 1)."""
    longest = max([1] + [len(s) for s in seqs])
    tokens = torch.full((len(seqs), longest), padding_idx, dtype=torch.int64)
    for i, s in enumerate(seqs):
        tokens[i, :len(s)] = torch.tensor(s, dtype=torch.int64)
    return tokens, torch.tensor([max(1, len(s)) for s in seqs], dtype=torch.int64)


def load(directory):
    """The trained module (in eval mode) and its tokenizer, from an export directory."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(directory, "vocab.json")) as f:
        vocab = json.load(f)
    net = build(config)
    weights, _ = read_safetensors(os.path.join(directory, "model.safetensors"))
    net.load_state_dict(weights)
    net.config = config
    return net.eval(), Tokenizer(vocab)
