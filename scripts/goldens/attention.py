#!/usr/bin/python3
"""PyTorch goldens for the attention kernels of tornado-kernels.

Writes tornado-kernels/src/test/resources/goldens/attention.safetensors: for each case, the inputs q, k, v
([batch, seq, heads, head_dim], k/v with the kv heads) and the output of dense masked attention computed by
torch in float32. Masks are built densely from their definitions (the sliding window as Hugging Face builds
it: kv_idx <= q_idx and kv_idx > q_idx - W). The case parameters are listed in CASES below and repeated in
AttentionGoldensTest.java.

Deterministic: fixed seeds, one thread, float32 on the CPU; the file is written by hand in the safetensors
format (8-byte little-endian header length, JSON header with sorted keys and no metadata, raw little-endian
data in header order), so running this twice gives the same bytes.

Run: /usr/bin/python3 scripts/goldens/attention.py [--out ROOT]   (default ROOT: the repository; scripts/update-goldens runs it)
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixtures import write_safetensors  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RELATIVE_OUTPUT = os.path.join("tornado-kernels", "src", "test", "resources", "goldens", "attention.safetensors")


def alibi_slopes(n):
    """The ALiBi paper's rule: 2^(-8h/c) for c = 2^floor(log2 n) heads, then the odd-h slopes of 2c heads."""
    def power_of_two_slopes(count):
        return [2.0 ** (-8.0 * h / count) for h in range(1, count + 1)]
    c = 2 ** int(math.floor(math.log2(n)))
    if c == n:
        return power_of_two_slopes(n)
    return power_of_two_slopes(c) + power_of_two_slopes(2 * c)[0::2][: n - c]


def hf_sliding_window_mask(seq_len, window):
    q_idx = torch.arange(seq_len)[:, None]
    kv_idx = torch.arange(seq_len)[None, :]
    return (kv_idx <= q_idx) & (kv_idx > q_idx - window)


def causal_mask(seq_len):
    q_idx = torch.arange(seq_len)[:, None]
    kv_idx = torch.arange(seq_len)[None, :]
    return kv_idx <= q_idx


def full_mask(seq_len):
    return torch.ones(seq_len, seq_len, dtype=torch.bool)


def longformer_mask(seq_len, window, global_tokens):
    """Bidirectional local window w (w // 2 keys each side) plus global tokens that see and are seen by all."""
    q_idx = torch.arange(seq_len)[:, None]
    kv_idx = torch.arange(seq_len)[None, :]
    is_global = torch.zeros(seq_len, dtype=torch.bool)
    is_global[list(global_tokens)] = True
    return ((q_idx - kv_idx).abs() <= window // 2) | is_global[:, None] | is_global[None, :]


def distance(seq_len):
    seq = torch.arange(seq_len)
    return (seq[None, :] - seq[:, None]).abs().to(torch.float32)


def alibi_bias(seq_len, slopes):
    return -torch.tensor(slopes, dtype=torch.float32)[:, None, None] * distance(seq_len)[None, :, :]


def ape_bias(seq_len, scale):
    """The notebook's attention_positional_encoding."""
    seq = torch.arange(seq_len)
    position = seq[None, :] - seq[:, None]
    ape = 1 - abs(position) / seq_len
    return ape * scale


def dense_attention(q, k, v, mask, bias, scale):
    heads, kv_heads = q.shape[2], k.shape[2]
    k = k.repeat_interleave(heads // kv_heads, dim=2)
    v = v.repeat_interleave(heads // kv_heads, dim=2)
    qh, kh, vh = (t.permute(0, 2, 1, 3) for t in (q, k, v))
    scores = torch.matmul(qh, kh.transpose(-1, -2)) * scale
    if bias is not None:
        scores = scores + bias
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), vh).permute(0, 2, 1, 3).contiguous()


# name: (batch, seq, heads, kv_heads, head_dim, mask builder, bias builder)
CASES = {
    "causal_swa_w3": (2, 9, 2, 2, 5, lambda L: hf_sliding_window_mask(L, 3), None),
    "full": (1, 7, 3, 3, 4, full_mask, None),
    "local_w5": (1, 11, 2, 2, 6, lambda L: longformer_mask(L, 5, []), None),
    "local_w4_global_0_7": (2, 11, 2, 1, 3, lambda L: longformer_mask(L, 4, [0, 7]), None),
    "alibi_causal_h6": (1, 8, 6, 6, 4, causal_mask, lambda L: alibi_bias(L, alibi_slopes(6))),
    "alibi_swa_w4_h12": (1, 10, 12, 4, 2, lambda L: hf_sliding_window_mask(L, 4), lambda L: alibi_bias(L, alibi_slopes(12))),
    "ape_full_s0.1": (2, 6, 2, 2, 4, full_mask, lambda L: ape_bias(L, 0.1)),
    "gqa_causal_swa_w4": (2, 10, 4, 2, 3, lambda L: hf_sliding_window_mask(L, 4), None),
}


def build_tensors():
    torch.set_num_threads(1)
    tensors = {}
    for index, (name, (batch, seq, heads, kv_heads, head_dim, mask, bias)) in enumerate(CASES.items()):
        generator = torch.Generator().manual_seed(1000 + index)
        q = torch.randn(batch, seq, heads, head_dim, generator=generator, dtype=torch.float32)
        k = torch.randn(batch, seq, kv_heads, head_dim, generator=generator, dtype=torch.float32)
        v = torch.randn(batch, seq, kv_heads, head_dim, generator=generator, dtype=torch.float32)
        out = dense_attention(q, k, v, mask(seq), None if bias is None else bias(seq), 1.0 / math.sqrt(head_dim))
        tensors[name + ".q"] = q
        tensors[name + ".k"] = k
        tensors[name + ".v"] = v
        tensors[name + ".out"] = out
    tensors["alibi.slopes_h6"] = torch.tensor(alibi_slopes(6), dtype=torch.float32)
    tensors["alibi.slopes_h12"] = torch.tensor(alibi_slopes(12), dtype=torch.float32)
    tensors["ape_notebook.bias"] = ape_bias(5, 0.1).to(torch.float32)
    return tensors


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Writes the attention goldens under ROOT (default: the repository).")
    parser.add_argument("--out", default=REPO)
    target = os.path.normpath(os.path.join(parser.parse_args().out, RELATIVE_OUTPUT))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    write_safetensors(target, build_tensors())
    print("wrote", target)
