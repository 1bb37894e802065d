#!/usr/bin/python3
"""PyTorch peers of the matrix-multiply benchmark at its shapes, fp32, no_grad, 2 threads, median of --runs after
--warmup: torch.nn.functional.linear (y = x W^T + b, what the benchmarked kernel computes) and the bare sgemm
x @ W^T (no bias, the stricter peer), and the products of the gradients a training step computes, dX = dY @ W and
dW = dY^T @ X (what torch's autograd runs for linear's backward). Prints one JSON line:
{"blas": <blas_report>, "linear": {"ROWSxINxOUT": {"median_ms": ...}, ...}, "sgemm": {...}, "dX": {...}, "dW": {...}}."""
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
input_gradient = {}
weight_gradient = {}
with torch.no_grad():
    for shape in args.shapes.split(","):
        rows, inner, out = (int(n) for n in shape.split("x"))
        x = torch.rand(rows, inner) * 2 - 1
        w = torch.rand(out, inner) * 2 - 1
        b = torch.rand(out) * 2 - 1
        results[shape] = {"median_ms": median_ms(lambda: torch.nn.functional.linear(x, w, b), args.runs, args.warmup)}
        sgemm[shape] = {"median_ms": median_ms(lambda: x @ w.t(), args.runs, args.warmup)}
        dy = torch.rand(rows, out) * 2 - 1
        input_gradient[shape] = {"median_ms": median_ms(lambda: dy @ w, args.runs, args.warmup)}
        weight_gradient[shape] = {"median_ms": median_ms(lambda: dy.t() @ x, args.runs, args.warmup)}
print(json.dumps({"blas": blas, "linear": results, "sgemm": sgemm, "dX": input_gradient, "dW": weight_gradient}))
