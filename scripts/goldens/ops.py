#!/usr/bin/python3
"""PyTorch goldens for the non-attention kernels of tornado-kernels.

Run with the Debian PyTorch (1.13): /usr/bin/python3 scripts/goldens/ops.py
Writes tornado-kernels/src/test/resources/goldens/ops.safetensors; deterministic (fixed seed, one thread,
float32), so a second run reproduces the file byte for byte. Read by OpsGoldensTest.
Scalars (theta, eps, offsets) are stored as one-element F32 tensors next to the tensors they belong to.
"""

import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixtures import write_safetensors  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RELATIVE_OUTPUT = os.path.join("tornado-kernels", "src", "test", "resources", "goldens", "ops.safetensors")


def scalar(value):
    return torch.tensor([value], dtype=torch.float32)


def inverse_frequencies(head_dim, theta):
    # As Hugging Face's default RoPE init: 1 / theta^(arange(0, d, 2) / d), in float32.
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))


def rope_neox(x, theta, offset):
    """HF Llama's apply_rotary_pos_emb with rotate_half, x laid out [batch, seq, heads, head_dim]."""
    seq, head_dim = x.shape[1], x.shape[3]
    positions = torch.arange(offset, offset + seq, dtype=torch.int64).float()
    freqs = positions[:, None] * inverse_frequencies(head_dim, theta)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
    x1, x2 = x[..., : head_dim // 2], x[..., head_dim // 2:]
    rotated = torch.cat((-x2, x1), dim=-1)
    return x * cos + rotated * sin


def rope_interleaved(x, theta, offset):
    """HF Cohere's interleaved form: pairs (2p, 2p+1), cos/sin repeated per pair."""
    seq, head_dim = x.shape[1], x.shape[3]
    positions = torch.arange(offset, offset + seq, dtype=torch.int64).float()
    freqs = positions[:, None] * inverse_frequencies(head_dim, theta)[None, :]
    emb = torch.repeat_interleave(freqs, 2, dim=-1)
    cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
    x1, x2 = x[..., ::2], x[..., 1::2]
    rotated = torch.stack((-x2, x1), dim=-1).flatten(-2)
    return x * cos + rotated * sin


def main():
    parser = argparse.ArgumentParser(description="Writes the goldens of the non-attention kernels under ROOT (default: the repository).")
    parser.add_argument("--out", default=REPO)
    OUTPUT = os.path.normpath(os.path.join(parser.parse_args().out, RELATIVE_OUTPUT))
    torch.manual_seed(20240611)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    t = {}

    for name, shape, theta, offset in (("a", (2, 5, 3, 8), 10000.0, 3), ("b", (1, 7, 2, 16), 500000.0, 1000)):
        x = torch.randn(shape)
        t[f"rope.{name}.input"] = x
        t[f"rope.{name}.theta"] = scalar(theta)
        t[f"rope.{name}.position_offset"] = scalar(offset)
        t[f"rope.{name}.neox"] = rope_neox(x, theta, offset)
        t[f"rope.{name}.gptj"] = rope_interleaved(x, theta, offset)

    x = torch.randn(7, 33) * 3.0
    x[2] = x[2] * 0.03 + 100.0  # large mean, small spread: needs a stable variance
    x[4] = 0.25  # constant row
    weight, bias = torch.randn(33), torch.randn(33)
    t["layer_norm.input"], t["layer_norm.weight"], t["layer_norm.bias"] = x, weight, bias
    t["layer_norm.eps"] = scalar(1e-5)
    t["layer_norm.output"] = F.layer_norm(x, (33,), weight, bias, eps=1e-5)

    x = torch.randn(6, 20) * 2.0
    weight = torch.randn(20)
    t["rms_norm.input"], t["rms_norm.weight"], t["rms_norm.eps"] = x, weight, scalar(1e-6)
    t["rms_norm.output"] = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * weight

    x = torch.randn(2, 3, 2, 8) * 2.0 + 1.0
    t["qk_layer_norm.input"], t["qk_layer_norm.eps"] = x, scalar(1e-6)
    t["qk_layer_norm.output"] = F.layer_norm(x, (8,), eps=1e-6)

    x = torch.cat((torch.linspace(-8.0, 8.0, 257), torch.randn(255) * 3.0))
    t["activations.input"] = x
    t["activations.gelu_erf"] = F.gelu(x)
    t["activations.gelu_tanh"] = F.gelu(x, approximate="tanh")
    t["activations.silu"] = F.silu(x)
    t["activations.relu"] = F.relu(x)

    x = torch.randn(9, 37) * 5.0
    x[3] = torch.randn(37) * 1e4  # huge logits
    x[5] = -2.5  # constant row
    t["softmax.input"] = x
    t["softmax.output"] = torch.softmax(x, dim=-1)

    linear = torch.nn.Linear(29, 19)
    x = torch.randn(13, 29)
    with torch.no_grad():
        t["linear.input"], t["linear.weight"], t["linear.bias"] = x, linear.weight.clone(), linear.bias.clone()
        t["linear.output"] = linear(x)

    lstm = torch.nn.LSTM(input_size=11, hidden_size=9, num_layers=1, batch_first=True)
    x = torch.randn(3, 17, 11)
    h0, c0 = torch.randn(1, 3, 9) * 0.5, torch.randn(1, 3, 9) * 0.5
    with torch.no_grad():
        for parameter in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            t[f"lstm.{parameter}"] = getattr(lstm, parameter).clone()
        t["lstm.input"], t["lstm.h0"], t["lstm.c0"] = x, h0, c0
        output, (h_n, c_n) = lstm(x, (h0, c0))
        t["lstm.output"], t["lstm.h_n"], t["lstm.c_n"] = output, h_n, c_n
        output, (h_n, c_n) = lstm(x)
        t["lstm.zero_state.output"], t["lstm.zero_state.h_n"], t["lstm.zero_state.c_n"] = output, h_n, c_n

    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    size = write_safetensors(OUTPUT, t)
    print(f"wrote {os.path.normpath(OUTPUT)}: {len(t)} tensors, {size} bytes")


if __name__ == "__main__":
    main()
