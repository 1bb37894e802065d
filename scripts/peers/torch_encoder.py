#!/usr/bin/python3
"""PyTorch peer of `scripts/bench --model`: the model a PyTorch user would write for an rnope_swa config, timed at the
same sequence lengths. torch.nn.TransformerEncoder (batch_first, the config's width, heads, layers, FFN width and
activation; norm_first for pre-norm) with a final LayerNorm for pre-norm, the sliding window as a boolean band mask
(key j visible to query i iff i - W < j <= i, Hugging Face's convention; both sides for causal: false), fp32, eval
mode, no_grad, 2 threads, batch 1, the last position as output (`output: last`). `--counts L:WARMUP:RUNS,...` gives each
length its own warm-up and timed forwards (scripts/bench passes the counts it gives our forward pass, so both sides
warm up and time the same number of positions); lengths it leaves out use --warmup and --runs. Prints one JSON line:
{"blas": <blas_report>, "model": "...", "tokens_per_s": {"L": ...}, "median_ms": {"L": ...}, "runs": {"L": [warmup, runs]}} or
{"unsupported": "why"} for a config this twin cannot express (then no ratio is printed)."""
import argparse
import json
import sys

from blas_report import median_ms, report  # first: it sets the OpenMP environment before torch loads
import torch
import yaml

# The rnope_swa defaults (configs/README.md) for keys a config leaves out.
DEFAULTS = {"embed_dim": 256, "hidden_size": 256, "num_attention_heads": 4, "num_hidden_layers": 6, "sliding_window": 128,
            "intermediate_size": 1024, "hidden_act": "gelu", "norm": "layernorm", "norm_position": "pre", "position_embedding": "none",
            "output": "last", "causal": True}
SUPPORTED_KEYS = set(DEFAULTS) | {"architecture", "dropout", "attention_algorithm", "chunk_size", "seed", "device", "layer_norm_eps"}

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("--seq-lens", default="128,1024,4096")
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--warmup", type=int, default=2)
parser.add_argument("--counts", default="", help="L:WARMUP:RUNS,... per sequence length")
args = parser.parse_args()
counts = {int(length): (int(warmup), int(runs)) for length, warmup, runs in (item.split(":") for item in args.counts.split(",") if item)}


def unsupported(why):
    print(json.dumps({"unsupported": why}))
    sys.exit(0)


with open(args.config) as f:
    config = yaml.safe_load(f)
if config.get("architecture") != "rnope_swa":
    unsupported(f"architecture {config.get('architecture')!r}: this PyTorch twin models rnope_swa configs only")
extra = sorted(set(config) - SUPPORTED_KEYS)
if extra:
    unsupported(f"keys {extra} are not modelled by the nn.TransformerEncoder twin")
c = {**DEFAULTS, **config}
if c["position_embedding"] != "none" or c["norm"] != "layernorm" or c["norm_position"] not in ("pre", "post") or c["hidden_act"] not in ("gelu", "relu"):
    unsupported("only position_embedding none, layernorm, pre/post norm and gelu/relu map onto nn.TransformerEncoder")
if c["output"] != "last":
    unsupported("only output: last is modelled")

blas = report()
torch.manual_seed(0)
width, window = c["hidden_size"], c["sliding_window"]
layer = torch.nn.TransformerEncoderLayer(width, c["num_attention_heads"], dim_feedforward=c["intermediate_size"], dropout=c.get("dropout", 0.1),
                                         activation=c["hidden_act"], batch_first=True, norm_first=c["norm_position"] == "pre",
                                         layer_norm_eps=c.get("layer_norm_eps", 1e-5))
final_norm = torch.nn.LayerNorm(width) if c["norm_position"] == "pre" else None
encoder = torch.nn.TransformerEncoder(layer, c["num_hidden_layers"], norm=final_norm, enable_nested_tensor=False).eval()
embed = torch.nn.Linear(c["embed_dim"], width).eval() if c["embed_dim"] != width else torch.nn.Identity()

tokens_per_s = {}
times = {}
run_counts = {}
with torch.no_grad():
    for seq_len in (int(n) for n in args.seq_lens.split(",")):
        i = torch.arange(seq_len)[:, None]
        j = torch.arange(seq_len)[None, :]
        visible = (j > i - window) & (j <= i) if c["causal"] else (j - i).abs() < window
        mask = ~visible  # True = not allowed to attend
        x = torch.rand(1, seq_len, c["embed_dim"]) * 2 - 1
        warmup, runs = counts.get(seq_len, (args.warmup, args.runs))
        ms = median_ms(lambda: encoder(embed(x), mask=mask)[:, -1], runs, warmup)
        run_counts[str(seq_len)] = [warmup, runs]
        times[str(seq_len)] = ms
        tokens_per_s[str(seq_len)] = seq_len / ms * 1000
print(json.dumps({"blas": blas, "model": f"torch.nn.TransformerEncoder {c['num_hidden_layers']} layers, width {width}, {c['num_attention_heads']} heads, "
                  f"FFN {c['intermediate_size']} {c['hidden_act']}, {c['norm_position']}-norm, band mask W={window}",
                  "tokens_per_s": tokens_per_s, "median_ms": times, "runs": run_counts}))
