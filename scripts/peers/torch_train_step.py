#!/usr/bin/python3
"""PyTorch peer for scripts/run train's throughput: the PyTorch twin (scripts/torch_models.py, built from the config as
the Java side resolves it) of a token model with output: logits, trained with next-token cross-entropy,
clip_grad_norm_ and torch.optim.AdamW on random token sequences, fp32, on all CPU cores. Dropout is not modelled (the
twins have none). A step trains on the sequences of one of scripts/run train's steps: the config's train.batch_size x
train.grad_accumulation sequences of train.seq_len tokens (--set overrides as scripts/run takes them; --batch and
--seq-len replace them). Prints one JSON line: {"tokens_per_s": ..., "median_step_ms": ..., "blas": <blas_report>, ...}
(the BLAS and its measured sgemm, as every peer here reports them).
  /usr/bin/python3 scripts/peers/torch_train_step.py configs/train/rnope-swa-text.yaml [--set train.seq_len=128]"""
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
parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a config override, as scripts/run takes it")
parser.add_argument("--batch", type=int, help="sequences per step (default: the config's train.batch_size x train.grad_accumulation)")
parser.add_argument("--seq-len", type=int, help="tokens per sequence (default: the config's train.seq_len)")
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--warmup", type=int, default=2)
args = parser.parse_args()
blas = report()
torch.set_num_threads(os.cpu_count())  # every core: the peer at its best on this machine
torch.use_deterministic_algorithms(False)

try:
    cfg = torch_models.Config(torch_models.resolve(args.config, args.set))
except torch_models.UsageError as e:
    sys.exit(f"error: {e}")
if not cfg.token_input or cfg.lm_head is None:
    sys.exit(f"error: {args.config}: the peer trains token models with output: logits")
train = cfg.train or {}
batch = args.batch or train.get("batch_size", 8) * train.get("grad_accumulation", 1)
seq_len = args.seq_len or train.get("seq_len", 256)
vocab = cfg.lm_head["vocab_size"]

torch.manual_seed(3)
model = torch_models.build_generic(cfg).train()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
times = []
for step in range(args.warmup + args.steps):
    ids = torch.randint(0, vocab, (batch, seq_len + 1))
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
print(json.dumps({"tokens_per_s": batch * seq_len / median, "median_step_ms": 1000 * median, "warmup": args.warmup, "steps": args.steps,
                  "batch": batch, "seq_len": seq_len, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas,
                  "model": "the config's PyTorch twin (scripts/torch_models.py), train mode without dropout, cross-entropy, "
                           "clip_grad_norm_ 1.0, torch.optim.AdamW"}))
