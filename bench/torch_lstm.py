"""PyTorch side of `npm run bench`: times nn.LSTM forward and forward+backward on one thread.

Usage: /usr/bin/python3 bench/torch_lstm.py INPUT HIDDEN T N REPS
Prints one JSON line: {"torch_version", "threads", "forward_ms", "forward_backward_ms", "openblas_coretype"}.
"""
import json
import os
import sys
import time

import torch


def median_ms(fn, reps):
    fn()
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    I, H, T, N, reps = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H)
    x = torch.randn(T, N, I)
    up = torch.randn(T, N, H)

    def forward():
        with torch.no_grad():
            lstm(x)

    def forward_backward():
        lstm.zero_grad(set_to_none=True)
        xg = x.clone().requires_grad_(True)
        out, _ = lstm(xg)
        (out * up).sum().backward()

    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "forward_ms": median_ms(forward, reps),
        "forward_backward_ms": median_ms(forward_backward, reps),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
    }))


if __name__ == "__main__":
    main()
