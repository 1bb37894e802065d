#!/usr/bin/python3
"""PyTorch peers for the sliding-window attention benchmark, at the same shape, fp32, 2 threads:
  dense   - dense masked attention (the common way to do SWA in PyTorch 1.13, which has no sliding-window kernel);
  banded  - Longformer-style banded chunks: each block of W queries against its 2W keys, then masked.
Prints one JSON line: {"peers": {"dense": {"median_ms": ...}, "banded": {...}}, "blas": <blas_report>}.
Both peers are checked to agree with each other before they are timed."""
import argparse
import json
import math
import statistics
import time

from blas_report import report  # first: it sets the OpenMP environment before torch loads
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
dense_mask = (j <= i) & (j > i - W)  # Hugging Face's sliding window: W keys including the query


def dense():
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(D)
    return scores.masked_fill(~dense_mask, float("-inf")).softmax(-1) @ v


def banded():
    """Query block b (W rows) sees keys [bW - W, bW + W): the two key blocks that hold every visible key."""
    assert L % W == 0, "banded peer needs L divisible by W"
    n = L // W
    pad = torch.zeros(1, H, W, D)
    kp, vp = torch.cat([pad, k], dim=2), torch.cat([pad, v], dim=2)
    kb = torch.cat([kp[:, :, :-W].reshape(1, H, n, W, D), kp[:, :, W:].reshape(1, H, n, W, D)], dim=3)
    vb = torch.cat([vp[:, :, :-W].reshape(1, H, n, W, D), vp[:, :, W:].reshape(1, H, n, W, D)], dim=3)
    qb = q.reshape(1, H, n, W, D)
    scores = (qb @ kb.transpose(-1, -2)) / math.sqrt(D)
    row = torch.arange(W)[:, None] + W  # query position inside the 2W key window
    col = torch.arange(2 * W)[None, :]
    mask = (col <= row) & (col > row - W)
    first = torch.zeros(n, 1, 1, dtype=torch.bool)
    first[0] = True
    mask = mask[None] & ~(first & (col < W)[None])  # block 0 has no keys before position 0
    scores = scores.masked_fill(~mask[None, None], float("-inf"))
    return (scores.softmax(-1) @ vb).reshape(1, H, L, D)


def timed(fn):
    for _ in range(args.warmup):
        fn()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(times), "runs": args.runs}


blas = report()  # also sets the peer's 2 threads
with torch.no_grad():
    assert torch.allclose(dense(), banded(), atol=1e-5), "the two peers disagree"
    result = {"peers": {"dense": timed(dense), "banded": timed(banded)}, "blas": blas}
print(json.dumps(result))
