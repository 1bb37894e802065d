#!/usr/bin/python3
"""PyTorch peer for the sliding-window attention benchmark: dense masked attention (the common way to do SWA in
PyTorch 1.13, which has no sliding-window kernel) at the same shape, fp32, on this machine's CPU threads.
Prints one JSON line: {"peer": ..., "median_ms": ..., "runs": ..., "threads": ...}."""
import argparse
import json
import math
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--seq-len", type=int, default=4096)
parser.add_argument("--window", type=int, default=256)
parser.add_argument("--heads", type=int, default=8)
parser.add_argument("--head-dim", type=int, default=64)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--warmup", type=int, default=2)
args = parser.parse_args()

torch.manual_seed(7)
L, W, H, D = args.seq_len, args.window, args.heads, args.head_dim
q, k, v = (torch.rand(1, H, L, D) * 2 - 1 for _ in range(3))
i = torch.arange(L)[:, None]
j = torch.arange(L)[None, :]
mask = (j <= i) & (j > i - W)  # Hugging Face's sliding window: W keys including the query


def attention():
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(D)
    scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(-1) @ v


with torch.no_grad():
    for _ in range(args.warmup):
        attention()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        attention()
        times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"peer": "pytorch %s dense masked attention" % torch.__version__, "median_ms": statistics.median(times), "runs": args.runs,
                  "threads": torch.get_num_threads()}))
