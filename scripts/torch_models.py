#!/usr/bin/python3
"""The PyTorch twins of Attention Lab's architectures, written from the architecture descriptions (not from the
Java code), for cross-framework checks.

    /usr/bin/python3 scripts/torch_models.py CONFIG.yaml --weights W.safetensors --input IN.safetensors --output OUT.safetensors
        runs the twin of CONFIG with the given weights and input (both as `scripts/run --save-weights/--input`
        use them) and writes tensor `output`.
    /usr/bin/python3 scripts/torch_models.py CONFIG.yaml --fixture OUT.safetensors --batch 2 --seq-len 11 --seed 1
        draws weights and an input, runs the twin and writes all three (weights by name, `input`, `output`) into
        one file: the tests load the weights and input into the Java model and compare outputs.

The twin reads the config's fields with Attention Lab's documented defaults for the few fields it needs; the
fixture configs spell every field out, so no default is taken on trust. Runs are deterministic (float32, CPU).
Needs Debian's python3-torch, python3-numpy and python3-yaml.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens"))
from _fixtures import read_safetensors, write_safetensors  # noqa: E402

# ---------------------------------------------------------------- config


class Config:
    """The fields of an Attention Lab YAML config, with the documented defaults for the few the twins read."""

    def __init__(self, path):
        with open(path) as f:
            self.raw = yaml.safe_load(f)
        c = self.raw
        self.arch = c["architecture"]
        self.embed_dim = c.get("embed_dim")
        self.heads = c.get("num_attention_heads", 4 if self.arch != "ape" else 1)
        self.kv_heads = c.get("num_key_value_heads", self.heads)
        if self.arch in ("multihead_sliding_window", "hybrid_lstm_attention", "hybrid_lstm_attention_mlp"):
            self.head_dim = c.get("head_dim", 64)
            self.hidden = c.get("hidden_size", self.heads * self.head_dim)
        else:
            self.hidden = c.get("hidden_size", 256)
            self.head_dim = c.get("head_dim", self.hidden // self.heads)
        self.layers = c.get("num_hidden_layers", 1)
        default_intermediate = {"multihead_sliding_window": 256, "hybrid_lstm_attention": 0, "hybrid_lstm_attention_mlp": 0, "ape": 0}
        self.intermediate = c.get("intermediate_size", default_intermediate.get(self.arch, 4 * self.hidden))
        self.window = c.get("sliding_window")
        self.eps = float(c.get("layer_norm_eps", 1e-5))
        self.act = c.get("hidden_act", "gelu")
        self.norm = c.get("norm", "none" if self.arch == "ape" else "layernorm")
        post_norm = self.arch in ("multihead_sliding_window", "hybrid_lstm_attention", "hybrid_lstm_attention_mlp")
        self.norm_position = c.get("norm_position", "post" if post_norm else "pre")
        default_pe = {"multihead_sliding_window": "sinusoidal", "rnope_swa_hybrid": "rope", "ape": "ape"}.get(self.arch, "none")
        self.pe = c.get("position_embedding", default_pe)
        self.sinusoidal_variant = c.get("sinusoidal_variant", "standard")
        self.rope_theta = float(c.get("rope_theta", 10000.0))
        self.rope_pairing = c.get("rope_pairing", "neox")
        self.alibi_slopes = c.get("alibi_slopes", "reference")
        self.ape_scale = float(c.get("ape_scale", 0.1))
        self.qk_norm = bool(c.get("qk_norm", False))
        self.causal = bool(c.get("causal", self.arch != "ape"))
        self.global_tokens = list(c.get("global_tokens", []))
        self.output = c.get("output", "all" if self.arch in ("ape", "rnope_swa_hybrid") else "last")
        self.lstm_hidden = c.get("lstm_hidden_size", 256)
        self.lstm_layers = c.get("lstm_layers", 1)
        self.mlp_sizes = c.get("mlp_sizes", [256, 256])
        self.vocab = c.get("vocab_size")
        self.layer_types = c.get("layer_types")
        if self.layer_types is None:
            pattern = c.get("sliding_window_pattern")
            if pattern:
                self.layer_types = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(self.layers)]
            else:
                default = "sliding_attention" if self.window else "full_attention"
                self.layer_types = [default] * self.layers
        self.per_layer = [dict() for _ in range(self.layers)]
        for key, override in (c.get("layers") or {}).items():
            for i in self._indices(key):
                self.per_layer[i].update(override)

    def _indices(self, key):
        if key == "all":
            return range(self.layers)
        if isinstance(key, int):
            return [key]
        lo, hi = str(key).split("-")
        return range(int(lo), int(hi) + 1)

    def layer(self, i):
        """(layer type, window or None, position embedding, qk_norm) of layer i."""
        o = self.per_layer[i]
        kind = o.get("layer_type", self.layer_types[i])
        window = o.get("sliding_window", self.window) if kind == "sliding_attention" else None
        # Sinusoidal encoding at model level is added once to the input; layers inherit no encoding from it.
        inherited = "none" if self.pe == "sinusoidal" else self.pe
        if self.arch == "rnope_swa_hybrid" and kind == "full_attention":
            inherited = "none"  # "Rope to Nope": full-attention layers have no positional encoding
        pe = o.get("position_embedding", inherited)
        return kind, window, pe, bool(o.get("qk_norm", self.qk_norm))

# ---------------------------------------------------------------- building blocks


def alibi_slopes(n, variant):
    if variant == "edifice":
        return [2 ** (-8 * (h + 1) / n) for h in range(n)]

    def power_of_two(m):
        return [2 ** (-8 * (h + 1) / m) for h in range(m)]
    if math.log2(n).is_integer():
        return power_of_two(n)
    c = 2 ** math.floor(math.log2(n))
    return power_of_two(c) + power_of_two(2 * c)[0::2][: n - c]


def visible(L, causal, window, globals_):
    i = torch.arange(L)[:, None]
    j = torch.arange(L)[None, :]
    if window is None:
        mask = (j <= i) if causal else torch.ones(L, L, dtype=torch.bool)
    elif causal:
        mask = (j <= i) & (j > i - window)  # Hugging Face's sliding-window rule: W keys including the query
    else:
        mask = (j - i).abs() <= window // 2  # Longformer: w/2 on each side
    for g in globals_:
        if g < L:
            mask[g, :] = True
            mask[:, g] = True
    return mask


def rope(x, theta, pairing):
    """x: [B, L, H, D]; rotary embedding at positions 0..L-1."""
    B, L, H, D = x.shape
    inv = theta ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    angles = torch.arange(L, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = angles.cos().float()[None, :, None, :], angles.sin().float()[None, :, None, :]
    if pairing == "neox":
        a, b = x[..., : D // 2], x[..., D // 2:]
        return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, b * cos + a * sin], dim=-1).reshape(B, L, H, D)


def sinusoidal(L, d, variant):
    pos = torch.arange(L, dtype=torch.float64)[:, None]
    k = torch.arange(d, dtype=torch.float64)[None, :]
    if variant == "edifice":
        return torch.sin(pos / (1 + 0.01 * k)).float()
    pair = torch.floor(k / 2)
    angle = pos / torch.pow(10000.0, 2 * pair / d)
    return torch.where(k % 2 == 0, torch.sin(angle), torch.cos(angle)).float()


def activation(name):
    return {"gelu": lambda x: F.gelu(x), "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
            "silu": F.silu, "relu": F.relu}[name]


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def norm(cfg, d):
    if cfg.norm == "none":
        return nn.Identity()
    return RMSNorm(d, cfg.eps) if cfg.norm == "rmsnorm" else nn.LayerNorm(d, eps=cfg.eps)


class Attention(nn.Module):
    def __init__(self, cfg, width, kind, window, pe, qk_norm):
        super().__init__()
        self.cfg, self.kind, self.window, self.pe, self.qk_norm = cfg, kind, window, pe, qk_norm
        h, kv, d = cfg.heads, cfg.kv_heads, cfg.head_dim
        self.q_proj = nn.Linear(width, h * d)
        self.k_proj = nn.Linear(width, kv * d)
        self.v_proj = nn.Linear(width, kv * d)
        self.o_proj = nn.Linear(h * d, width)

    def forward(self, x):
        B, L, _ = x.shape
        cfg = self.cfg
        q = self.q_proj(x).view(B, L, cfg.heads, cfg.head_dim)
        k = self.k_proj(x).view(B, L, cfg.kv_heads, cfg.head_dim)
        v = self.v_proj(x).view(B, L, cfg.kv_heads, cfg.head_dim)
        return self.o_proj(attend(cfg, q, k, v, self.window, self.pe, self.qk_norm).reshape(B, L, -1))


def attend(cfg, q, k, v, window, pe, qk_norm):
    """Dense masked attention: q [B, L, H, D], k/v [B, L, KV, D] -> [B, L, H, D]."""
    B, L, H, D = q.shape
    if qk_norm:
        q = F.layer_norm(q, (D,), eps=cfg.eps)
        k = F.layer_norm(k, (D,), eps=cfg.eps)
    if pe == "rope":
        q, k = rope(q, cfg.rope_theta, cfg.rope_pairing), rope(k, cfg.rope_theta, cfg.rope_pairing)
    group = H // k.shape[2]
    k = k.repeat_interleave(group, dim=2)
    v = v.repeat_interleave(group, dim=2)
    scores = torch.einsum("blhd,bmhd->bhlm", q, k) / math.sqrt(D)
    distance = (torch.arange(L)[:, None] - torch.arange(L)[None, :]).abs().float()
    if pe == "alibi":
        slopes = torch.tensor(alibi_slopes(H, cfg.alibi_slopes), dtype=torch.float32)
        scores = scores - slopes[None, :, None, None] * distance[None, None]
    elif pe == "ape":
        scores = scores + ((1 - distance / L) * cfg.ape_scale)[None, None]
    mask = visible(L, cfg.causal, window, cfg.global_tokens)
    scores = scores.masked_fill(~mask[None, None], float("-inf"))
    return torch.einsum("bhlm,bmhd->blhd", scores.softmax(-1), v)


class FeedForward(nn.Module):
    def __init__(self, cfg, width, inner):
        super().__init__()
        self.up_proj = nn.Linear(width, inner)
        self.down_proj = nn.Linear(inner, width)
        self.act = activation(cfg.act)

    def forward(self, x):
        return self.down_proj(self.act(self.up_proj(x)))


class Block(nn.Module):
    """A transformer block: pre-norm, post-norm or Cohere2's parallel block; FFN optional."""

    def __init__(self, cfg, width, i, ffn=True):
        super().__init__()
        kind, window, pe, qk_norm = cfg.layer(i)
        self.cfg, self.pe = cfg, pe
        self.attn_norm = norm(cfg, width)
        self.attn = Attention(cfg, width, kind, window, pe, qk_norm)
        if ffn:
            if cfg.norm_position != "parallel":
                self.ffn_norm = norm(cfg, width)
            self.ffn = FeedForward(cfg, width, cfg.intermediate)
        self.has_ffn = ffn

    def forward(self, x):
        if self.pe == "sinusoidal":
            x = x + sinusoidal(x.shape[1], x.shape[2], self.cfg.sinusoidal_variant)
        position = self.cfg.norm_position
        if position == "parallel":
            h = self.attn_norm(x)
            return x + self.attn(h) + (self.ffn(h) if self.has_ffn else 0)
        if position == "post":
            x = self.attn_norm(x + self.attn(x))
            return self.ffn_norm(x + self.ffn(x)) if self.has_ffn else x
        x = x + self.attn(self.attn_norm(x))
        return x + self.ffn(self.ffn_norm(x)) if self.has_ffn else x


def pool(cfg, x):
    if cfg.output == "last":
        return x[:, -1, :]
    if cfg.output == "mean":
        return x.mean(dim=1)
    return x


class TransformerStack(nn.Module):
    """rnope_swa, rnope_swa_hybrid and multihead_sliding_window."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        project = cfg.arch == "multihead_sliding_window" or cfg.embed_dim != cfg.hidden
        if project:
            self.input_proj = nn.Linear(cfg.embed_dim, cfg.hidden)
        self.project = project
        self.layers = nn.ModuleList([Block(cfg, cfg.hidden, i) for i in range(cfg.layers)])
        self.final = cfg.norm_position != "post" and cfg.norm != "none"
        if self.final:
            self.final_norm = norm(cfg, cfg.hidden)

    def forward(self, x):
        if self.project:
            x = self.input_proj(x)
        if self.cfg.pe == "sinusoidal":
            x = x + sinusoidal(x.shape[1], x.shape[2], self.cfg.sinusoidal_variant)
        for layer in self.layers:
            x = layer(x)
        if self.final:
            x = self.final_norm(x)
        return pool(self.cfg, x)


class HybridLstmAttention(nn.Module):
    """Edifice's hybrid: LSTM over all steps -> causal attention, residual + norm -> (MLP) -> pooled."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(cfg.embed_dim, cfg.lstm_hidden, num_layers=cfg.lstm_layers, batch_first=True)
        self.layers = nn.ModuleList([Block(cfg, cfg.lstm_hidden, i, ffn=cfg.intermediate > 0) for i in range(cfg.layers)])
        if cfg.arch == "hybrid_lstm_attention_mlp":
            sizes = [cfg.lstm_hidden] + list(cfg.mlp_sizes)
            self.mlp = nn.ModuleList([nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
        else:
            self.mlp = None

    def forward(self, x):
        x, _ = self.lstm(x)
        for layer in self.layers:
            x = layer(x)
        x = pool(self.cfg, x)
        if self.mlp is not None:
            act = activation(self.cfg.act)
            for dense in self.mlp:
                x = act(dense(x))
        return x


class Ape(nn.Module):
    """The APE notebook: token ids -> embedded QKV (no projections) -> attention with the APE bias."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab, 3 * cfg.hidden)

    def forward(self, ids):
        cfg = self.cfg
        B, L = ids.shape
        q, k, v = torch.chunk(self.embedding(ids), 3, dim=-1)
        shape = (B, L, cfg.heads, cfg.hidden // cfg.heads)
        kind, window, pe, qk_norm = cfg.layer(0)
        out = attend(cfg, q.reshape(shape), k.reshape(shape), v.reshape(shape), window, pe, qk_norm)
        return pool(cfg, out.reshape(B, L, cfg.hidden))


def build(cfg):
    if cfg.arch in ("rnope_swa", "rnope_swa_hybrid", "multihead_sliding_window"):
        return TransformerStack(cfg)
    if cfg.arch in ("hybrid_lstm_attention", "hybrid_lstm_attention_mlp"):
        return HybridLstmAttention(cfg)
    if cfg.arch == "ape":
        return Ape(cfg)
    sys.exit(f"error: unknown architecture {cfg.arch}")

# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--weights")
    parser.add_argument("--input")
    parser.add_argument("--output")
    parser.add_argument("--fixture")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cfg = Config(args.config)
    model = build(cfg).eval()
    if args.fixture:
        torch.manual_seed(args.seed)
        with torch.no_grad():
            for name, p in model.named_parameters():
                # spread-out values so that every term of the forward pass matters, norms included
                p.copy_(torch.randn_like(p) * (0.5 if p.dim() > 1 else 0.2) + (1.0 if name.endswith("norm.weight") else 0.0))
        if cfg.arch == "ape":
            x = torch.randint(0, cfg.vocab, (args.batch, args.seq_len), dtype=torch.int64)
        else:
            x = torch.randn(args.batch, args.seq_len, cfg.embed_dim)
        with torch.no_grad():
            y = model(x)
        tensors = {name: p.detach().clone() for name, p in model.state_dict().items()}
        tensors["input"] = x
        tensors["output"] = y
        write_safetensors(args.fixture, tensors)
        return
    weights = read_safetensors(args.weights)
    model.load_state_dict({k: v.float() for k, v in weights.items()})
    x = read_safetensors(args.input)["input"]
    x = x.long() if cfg.arch == "ape" else x.float()
    with torch.no_grad():
        write_safetensors(args.output, {"output": model(x)})


if __name__ == "__main__":
    main()
