#!/usr/bin/python3
"""PyTorch peer for scripts/run train's throughput: the PyTorch twin (scripts/torch_models.py, built from the config as
the Java side resolves it) of a token model with output: logits, trained with next-token cross-entropy,
clip_grad_norm_ and torch.optim.AdamW on random token sequences, fp32, on all CPU cores. Dropout is not modelled (the
twins have none). Prints one JSON line: {"tokens_per_s": ..., "median_step_ms": ..., "blas": <blas_report>} (the BLAS
and its measured sgemm, as every peer here reports them).
  /usr/bin/python3 scripts/peers/torch_train_step.py configs/train/rnope-swa-text.yaml --batch 8 --seq-len 256"""
import argparse
import json
import os
import statistics
import sys
import time

from blas_report import report  # first: it sets the OpenMP environment before torch loads
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch_models  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--seq-len", type=int, default=256)
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--warmup", type=int, default=2)
args = parser.parse_args()
blas = report()
torch.set_num_threads(os.cpu_count())  # every core: the peer at its best on this machine
torch.use_deterministic_algorithms(False)

cfg = torch_models.Config(torch_models.resolve(args.config, []))
if not cfg.token_input or cfg.lm_head is None:
    sys.exit(f"error: {args.config}: the peer trains token models with output: logits")
vocab = cfg.lm_head["vocab_size"]

torch.manual_seed(3)
model = torch_models.build_generic(cfg).train()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
times = []
for step in range(args.warmup + args.steps):
    ids = torch.randint(0, vocab, (args.batch, args.seq_len + 1))
    start = time.perf_counter()
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step >= args.warmup:
        times.append(time.perf_counter() - start)
median = statistics.median(times)
print(json.dumps({"tokens_per_s": args.batch * args.seq_len / median, "median_step_ms": 1000 * median, "steps": args.steps,
                  "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas}))
