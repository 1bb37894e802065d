#!/usr/bin/python3
"""PyTorch peers of the matrix-multiply benchmark at its shapes, fp32, no_grad, 2 threads, median of --runs after
--warmup: torch.nn.functional.linear (y = x W^T + b, what the benchmarked kernel computes) and the bare sgemm
x @ W^T (no bias, the stricter peer). Prints one JSON line:
{"blas": <blas_report>, "linear": {"ROWSxINxOUT": {"median_ms": ...}, ...}, "sgemm": {...}}."""
import argparse
import json

from blas_report import median_ms, report  # first: it sets the OpenMP environment before torch loads
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--shapes", default="1024x256x768", help="comma-separated ROWSxINxOUT")
parser.add_argument("--runs", type=int, default=20)
parser.add_argument("--warmup", type=int, default=3)
args = parser.parse_args()

blas = report()
torch.manual_seed(7)
results = {}
sgemm = {}
with torch.no_grad():
    for shape in args.shapes.split(","):
        rows, inner, out = (int(n) for n in shape.split("x"))
        x = torch.rand(rows, inner) * 2 - 1
        w = torch.rand(out, inner) * 2 - 1
        b = torch.rand(out) * 2 - 1
        results[shape] = {"median_ms": median_ms(lambda: torch.nn.functional.linear(x, w, b), args.runs, args.warmup)}
        sgemm[shape] = {"median_ms": median_ms(lambda: x @ w.t(), args.runs, args.warmup)}
print(json.dumps({"blas": blas, "linear": results, "sgemm": sgemm}))
