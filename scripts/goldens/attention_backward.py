#!/usr/bin/python3
"""PyTorch autograd goldens for the attention backward kernels of tornado-kernels.

Writes tornado-kernels/src/test/resources/goldens/attention_backward.safetensors: for each case the inputs q, k, v
([batch, seq, heads, head_dim], k/v with the kv heads) and an output gradient dout, and what torch 1.13 autograd
computes in float32 through dense masked attention (attention.py's masks, biases and dense_attention): the output
out, the gradients dq, dk, dv, and the row log-sum-exp lse ([batch, heads, seq]) of the masked logits. The case
parameters are listed in CASES below and repeated in AttentionBackwardGoldensTest.java.

Deterministic (fixed seeds, one thread, float32 on the CPU, the hand-written safetensors writer): running this
twice gives the same bytes.

Run: /usr/bin/python3 scripts/goldens/attention_backward.py [--out ROOT]   (scripts/update-goldens runs it)
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixtures import write_safetensors  # noqa: E402
from attention import REPO, alibi_bias, alibi_slopes, ape_bias, causal_mask, dense_attention, hf_sliding_window_mask, longformer_mask  # noqa: E402

RELATIVE_OUTPUT = os.path.join("tornado-kernels", "src", "test", "resources", "goldens", "attention_backward.safetensors")


def causal_with_globals(seq_len, global_tokens, window=None):
    """A causal mask (a sliding window of W keys, or all earlier keys) plus Longformer/BigBird global tokens under
    causality (configs/README.md): a global token at g attends to every key up to g and every query from g on attends
    to it; no query sees a later key, global or not."""
    band = causal_mask(seq_len) if window is None else hf_sliding_window_mask(seq_len, window)
    is_global = torch.zeros(seq_len, dtype=torch.bool)
    is_global[list(global_tokens)] = True
    return (band | is_global[:, None] | is_global[None, :]) & causal_mask(seq_len)


def row_log_sum_exp(q, k, mask, bias, scale):
    heads, kv_heads = q.shape[2], k.shape[2]
    kh = k.repeat_interleave(heads // kv_heads, dim=2).permute(0, 2, 1, 3)
    scores = torch.matmul(q.permute(0, 2, 1, 3), kh.transpose(-1, -2)) * scale
    if bias is not None:
        scores = scores + bias
    return torch.logsumexp(scores.masked_fill(~mask, float("-inf")), dim=-1)


# name: (batch, seq, heads, kv_heads, head_dim, mask builder, bias builder)
CASES = {
    "swa_w4_gqa_alibi_h6": (2, 13, 6, 2, 5, lambda L: hf_sliding_window_mask(L, 4), lambda L: alibi_bias(L, alibi_slopes(6))),
    "local_w4_global_0_9": (1, 12, 2, 1, 4, lambda L: longformer_mask(L, 4, [0, 9]), None),
    "ape_causal_s0.3": (2, 8, 2, 2, 3, causal_mask, lambda L: ape_bias(L, 0.3)),
    "causal_global_last_mqa": (1, 10, 4, 1, 6, lambda L: causal_with_globals(L, [L - 1]), None),
    "causal_swa_w3_global_2_7_gqa": (2, 12, 4, 2, 5, lambda L: causal_with_globals(L, [2, 7], window=3), None),
}


def build_tensors():
    torch.set_num_threads(1)
    tensors = {}
    for index, (name, (batch, seq, heads, kv_heads, head_dim, mask_builder, bias_builder)) in enumerate(CASES.items()):
        generator = torch.Generator().manual_seed(2000 + index)
        q = torch.randn(batch, seq, heads, head_dim, generator=generator, dtype=torch.float32)
        k = torch.randn(batch, seq, kv_heads, head_dim, generator=generator, dtype=torch.float32)
        v = torch.randn(batch, seq, kv_heads, head_dim, generator=generator, dtype=torch.float32)
        dout = torch.randn(batch, seq, heads, head_dim, generator=generator, dtype=torch.float32)
        mask = mask_builder(seq)
        bias = None if bias_builder is None else bias_builder(seq).to(torch.float32)
        scale = 1.0 / math.sqrt(head_dim)
        leaves = [t.clone().requires_grad_(True) for t in (q, k, v)]
        out = dense_attention(*leaves, mask, bias, scale)
        out.backward(dout)
        tensors[name + ".q"] = q
        tensors[name + ".k"] = k
        tensors[name + ".v"] = v
        tensors[name + ".dout"] = dout
        tensors[name + ".out"] = out.detach()
        tensors[name + ".dq"] = leaves[0].grad
        tensors[name + ".dk"] = leaves[1].grad
        tensors[name + ".dv"] = leaves[2].grad
        tensors[name + ".lse"] = row_log_sum_exp(q, k, mask, bias, scale)
    return tensors


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Writes the attention backward goldens under ROOT (default: the repository).")
    parser.add_argument("--out", default=REPO)
    target = os.path.normpath(os.path.join(parser.parse_args().out, RELATIVE_OUTPUT))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    write_safetensors(target, build_tensors())
    print("wrote", target)
