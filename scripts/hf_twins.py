#!/usr/bin/python3
"""Hugging Face's Cohere2, Mistral and Llama decoders as PyTorch twins, written from transformers' published
`models/cohere2/modeling_cohere2.py`, `models/mistral/modeling_mistral.py` and `models/llama/modeling_llama.py` (and
/work/shared/REFERENCES.md, "HF Cohere2 in detail"), not from Attention Lab's Java code. Module trees and parameter names are Hugging Face's
(`model.embed_tokens`, `model.layers.{i}.self_attn.q_proj`, `model.layers.{i}.mlp.gate_proj`,
`model.layers.{i}.input_layernorm`, `model.norm`, `lm_head`); our safetensors names are mapped to and from them with
the table the resolved config carries (`hugging_face_names`, written once, in the Java class
`weights.HuggingFaceNames`).

What the two models compute (inference, no cache, positions 0..L-1):
- Cohere2ForCausalLM: token embeddings; per layer one LayerNorm without bias (`input_layernorm`), then the parallel
  block `x + attn(h) + mlp(h)`; attention with GQA (`repeat_kv`), scale head_dim^-0.5, RoPE with interleaved pairs
  (`repeat_interleave` of the frequencies, `rotate_half` on even/odd dimensions) on sliding layers only and a causal
  sliding mask (key j visible to query i iff i - W < j <= i) there, plain causal attention without RoPE on full layers;
  MLP `down(act(gate(x)) * up(x))` without biases; final LayerNorm `model.norm`; `lm_head` without bias, tied to the
  embeddings when `tie_word_embeddings`; logits times `logit_scale`.
- MistralForCausalLM: token embeddings; pre-norm layers `x + attn(rmsnorm(x))`, `x + mlp(rmsnorm(x))`
  (`input_layernorm`, `post_attention_layernorm`); attention without biases, GQA, RoPE with half-split pairs
  (`cat(freqs, freqs)`, `rotate_half` on the two halves) on every layer and the sliding window on every layer (none
  when `sliding_window` is null); the same gated MLP; final RMSNorm; untied `lm_head` unless `tie_word_embeddings`.
- LlamaForCausalLM: Mistral's layers without a window, with biases on q/k/v/o_proj when `attention_bias` and on the
  MLP's projections when `mlp_bias`.

Checkpoint directories (`config.json` and `model.safetensors`, as transformers' `save_pretrained` lays them out) are
read and written here on their own terms: `pretrained_config` applies the defaults of transformers' configuration
classes (`configuration_cohere2.py`, `configuration_mistral.py`, `configuration_llama.py`) to the fields a config.json
gives, `from_pretrained` loads Hugging Face's tensor names strictly, `save_pretrained` writes them. Run a checkpoint:

    /usr/bin/python3 scripts/hf_twins.py CHECKPOINT_DIR --input IN.safetensors --output OUT.safetensors
        reads tensor `input` (token ids [batch, seq]) and writes the logits as tensor `output`.
"""
import argparse
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

FAMILIES = ("cohere2", "mistral")

# transformers' ACT2FN for the activations a config can name
ACT2FN = {"silu": F.silu, "gelu": F.gelu, "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu}


# ---------------------------------------------------------------- which configs are these models


def difference(family, resolved):
    """None when the resolved config is exactly `family`'s layout, else the first difference, in words."""
    s, layers = resolved["settings"], resolved["layers"]
    architecture = {"cohere2": "rnope_swa_hybrid", "mistral": "rnope_swa"}[family]
    checks = [
        (s["architecture"] == architecture, f"architecture is {s['architecture']}, not {architecture}"),
        (resolved["input"]["kind"] == "token_ids", "the input is not token ids (set vocab_size)"),
        (resolved["input"]["sinusoidal"] is None, "a sinusoidal input encoding"),
        (resolved["lm_head"] is not None, "output is not logits"),
    ]
    if family == "cohere2":
        checks += [(s["norm"] == "layernorm" and not s["norm_bias"], "the norm is not a LayerNorm without bias (norm: layernorm, norm_bias: false)")]
    else:
        checks += [(s["norm"] == "rmsnorm", "the norm is not rmsnorm"),
                   (not s["attention_bias"], "attention projections have biases (Mistral's have none)"),
                   (resolved["lm_head"] is None or resolved["lm_head"]["logit_scale"] == 1, "logits are scaled (Mistral does not scale them)")]
    windows = {str(layer["sliding_window"]) for layer in layers if layer["layer_type"] == "sliding_attention"}
    checks += [(len(windows) <= 1, f"sliding layers have different windows {sorted(windows)}"),
               (all(not isinstance(layer["sliding_window"], list) for layer in layers), "a window per attention head")]
    for layer in layers:
        i = layer["index"]
        sliding = layer["layer_type"] == "sliding_attention"
        ffn = layer["ffn"]
        position = "parallel" if family == "cohere2" else "pre"
        checks += [
            (layer["norm_position"] == position, f"layer {i}: norm_position is {layer['norm_position']}, not {position}"),
            (ffn is not None and ffn["type"] != "mlp", f"layer {i}: the feed-forward block is not gated (ffn_type swiglu or geglu)"),
            (ffn is None or not ffn["bias"], f"layer {i}: the feed-forward projections have biases (mlp_bias: false)"),
            (layer["causal"] and not layer["global_tokens"], f"layer {i}: not plain causal attention"),
            (not layer["qk_norm"] and layer["sinusoidal_input"] is None, f"layer {i}: qk_norm or a sinusoidal encoding"),
        ]
        if family == "cohere2":
            rope_ok = layer["rope"] is not None and layer["rope"]["pairing"] == "gptj" if sliding else layer["position_embedding"] == "none"
            checks += [(rope_ok, f"layer {i}: Cohere2 has interleaved RoPE (gptj) on sliding layers and none on full ones")]
        else:
            checks += [(layer["rope"] is not None and layer["rope"]["pairing"] == "neox", f"layer {i}: Mistral has half-split RoPE (neox) on every layer"),
                       (sliding == (layers[0]["layer_type"] == "sliding_attention"), f"layer {i}: Mistral's layers are all sliding or all full")]
        if layer["rope"] is not None:
            checks += [(layer["rope"]["theta"] == s["rope_theta"], f"layer {i}: its own rope_theta (Hugging Face has one)")]
    for ok, problem in checks:
        if not ok:
            return problem
    return None


def hf_config(resolved):
    """The Hugging Face config.json fields these models read, from our resolved settings."""
    s, head = resolved["settings"], resolved["lm_head"]
    windows = [layer["sliding_window"] for layer in resolved["layers"] if layer["sliding_window"] is not None]
    return {
        "vocab_size": head["vocab_size"],
        "hidden_size": s["hidden_size"],
        "intermediate_size": s["intermediate_size"],
        "num_hidden_layers": s["num_hidden_layers"],
        "num_attention_heads": s["num_attention_heads"],
        "num_key_value_heads": s["num_key_value_heads"],
        "head_dim": s["head_dim"],
        "hidden_act": s["hidden_act"],
        "layer_norm_eps": s["layer_norm_eps"],
        "rms_norm_eps": s["layer_norm_eps"],
        "rope_theta": s["rope_theta"],
        "sliding_window": windows[0] if windows else None,
        "layer_types": s["layer_types"],
        "attention_bias": s["attention_bias"],
        "tie_word_embeddings": head["tie_word_embeddings"],
        "logit_scale": head["logit_scale"],
    }


# ---------------------------------------------------------------- shared parts


def repeat_kv(hidden_states, n_rep):
    """[batch, kv_heads, seq, head_dim] -> [batch, kv_heads * n_rep, seq, head_dim], each kv head serving n_rep query heads."""
    batch, kv_heads, length, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, kv_heads, n_rep, length, head_dim)
    return hidden_states.reshape(batch, kv_heads * n_rep, length, head_dim)


def causal_mask(length, sliding_window, dtype):
    """Additive mask [1, 1, L, L]: 0 where key j is visible to query i (j <= i, and i - W < j when sliding), else the dtype's minimum."""
    i = torch.arange(length)[:, None]
    j = torch.arange(length)[None, :]
    visible = j <= i
    if sliding_window is not None:
        visible = visible & (j > i - sliding_window)
    mask = torch.zeros(length, length, dtype=dtype).masked_fill(~visible, torch.finfo(dtype).min)
    return mask[None, None]


def inverse_frequencies(config):
    dim = config["head_dim"]
    return 1.0 / (config["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def eager_attention(query, key, value, mask, n_rep, scaling):
    key, value = repeat_kv(key, n_rep), repeat_kv(value, n_rep)
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling + mask
    weights = F.softmax(weights, dim=-1, dtype=torch.float32).to(query.dtype)
    return torch.matmul(weights, value).transpose(1, 2).contiguous()


class GatedMLP(nn.Module):
    """Llama/Mistral/Cohere2's MLP: down_proj(act_fn(gate_proj(x)) * up_proj(x)); biases only in Llama's, with mlp_bias."""

    def __init__(self, config, bias=False):
        super().__init__()
        self.gate_proj = nn.Linear(config["hidden_size"], config["intermediate_size"], bias=bias)
        self.up_proj = nn.Linear(config["hidden_size"], config["intermediate_size"], bias=bias)
        self.down_proj = nn.Linear(config["intermediate_size"], config["hidden_size"], bias=bias)
        self.act_fn = ACT2FN[config["hidden_act"]]

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class Attention(nn.Module):
    """Cohere2Attention / MistralAttention: q/k/v/o projections, RoPE (where the layer has it), eager GQA attention."""

    def __init__(self, config, layer_idx, rotate_half, use_rope, sliding_window, bias):
        super().__init__()
        self.head_dim = config["head_dim"]
        self.n_rep = config["num_attention_heads"] // config["num_key_value_heads"]
        self.scaling = self.head_dim ** -0.5
        self.rotate_half, self.use_rope, self.sliding_window = rotate_half, use_rope, sliding_window
        h, kv, hidden = config["num_attention_heads"], config["num_key_value_heads"], config["hidden_size"]
        self.q_proj = nn.Linear(hidden, h * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(hidden, kv * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(hidden, kv * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(h * self.head_dim, hidden, bias=bias)

    def forward(self, hidden_states, cos, sin):
        batch, length, _ = hidden_states.shape
        shape = (batch, length, -1, self.head_dim)
        query = self.q_proj(hidden_states).view(shape).transpose(1, 2)
        key = self.k_proj(hidden_states).view(shape).transpose(1, 2)
        value = self.v_proj(hidden_states).view(shape).transpose(1, 2)
        if self.use_rope:
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
            query = query * cos + self.rotate_half(query) * sin
            key = key * cos + self.rotate_half(key) * sin
        mask = causal_mask(length, self.sliding_window, query.dtype)
        out = eager_attention(query, key, value, mask, self.n_rep, self.scaling)
        return self.o_proj(out.reshape(batch, length, -1))


# ---------------------------------------------------------------- Cohere2


class WeightOnlyNorm(nn.Module):
    """What Cohere2LayerNorm and MistralRMSNorm hold: a weight of ones and an epsilon."""

    def __init__(self, hidden_size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps


class Cohere2LayerNorm(WeightOnlyNorm):
    """A LayerNorm with a weight and no bias, in float32."""

    def forward(self, hidden_states):
        hidden_states = hidden_states.to(torch.float32)
        mean = hidden_states.mean(-1, keepdim=True)
        variance = (hidden_states - mean).pow(2).mean(-1, keepdim=True)
        hidden_states = (hidden_states - mean) * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight.to(torch.float32) * hidden_states


def cohere2_rotate_half(x):
    """Cohere's rotation: pairs are (even, odd) dimensions."""
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    return torch.stack([-x2, x1], dim=-1).flatten(-2)


class Cohere2DecoderLayer(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        sliding = config["layer_types"][layer_idx] == "sliding_attention"
        self.self_attn = Attention(config, layer_idx, cohere2_rotate_half, use_rope=sliding,
                                   sliding_window=config["sliding_window"] if sliding else None, bias=config["attention_bias"])
        self.mlp = GatedMLP(config)
        self.input_layernorm = Cohere2LayerNorm(config["hidden_size"], config["layer_norm_eps"])

    def forward(self, hidden_states, cos, sin):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        return residual + self.self_attn(hidden_states, cos, sin) + self.mlp(hidden_states)


# ---------------------------------------------------------------- Mistral


class MistralRMSNorm(WeightOnlyNorm):
    """x / sqrt(mean(x^2) + eps) * weight, in float32."""

    def forward(self, hidden_states):
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


def mistral_rotate_half(x):
    """Llama's rotation: pairs are (d, d + head_dim / 2)."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class MistralDecoderLayer(nn.Module):
    """MistralDecoderLayer, and LlamaDecoderLayer with no window and its bias switches."""

    def __init__(self, config, layer_idx, sliding_window, attention_bias=False, mlp_bias=False):
        super().__init__()
        self.self_attn = Attention(config, layer_idx, mistral_rotate_half, use_rope=True, sliding_window=sliding_window, bias=attention_bias)
        self.mlp = GatedMLP(config, bias=mlp_bias)
        self.input_layernorm = MistralRMSNorm(config["hidden_size"], config["rms_norm_eps"])
        self.post_attention_layernorm = MistralRMSNorm(config["hidden_size"], config["rms_norm_eps"])

    def forward(self, hidden_states, cos, sin):
        hidden_states = hidden_states + self.self_attn(self.input_layernorm(hidden_states), cos, sin)
        return hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))


class DecoderModel(nn.Module):
    """Cohere2Model and MistralModel: `embed_tokens`, the decoder `layers`, the final `norm`; RoPE's cos and sin at
    positions 0..L-1 computed once for every layer, the frequencies repeated pairwise (Cohere2: interleaved pairs) or
    concatenated (Llama, Mistral: half-split pairs)."""

    def __init__(self, config, layer_class, norm_class, eps, interleaved):
        super().__init__()
        self.config, self.interleaved = config, interleaved
        self.embed_tokens = nn.Embedding(config["vocab_size"], config["hidden_size"])
        self.layers = nn.ModuleList([layer_class(config, i) for i in range(config["num_hidden_layers"])])
        self.norm = norm_class(config["hidden_size"], eps)

    def forward(self, input_ids):
        hidden_states = self.embed_tokens(input_ids)
        positions = torch.arange(input_ids.shape[1], dtype=torch.float32)
        freqs = positions[:, None] * inverse_frequencies(self.config)[None, :]
        emb = (torch.repeat_interleave(freqs, 2, dim=-1) if self.interleaved else torch.cat((freqs, freqs), dim=-1))[None]
        cos, sin = emb.cos(), emb.sin()
        for layer in self.layers:
            hidden_states = layer(hidden_states, cos, sin)
        return self.norm(hidden_states)


class ForCausalLM(nn.Module):
    """Cohere2ForCausalLM and MistralForCausalLM: the decoder as `model`, `lm_head` without bias (the embeddings when
    tie_word_embeddings), the logits multiplied by logit_scale (Cohere2's; 1 for Mistral)."""

    def __init__(self, config, model, logit_scale):
        super().__init__()
        self.model = model
        self.lm_head = nn.Linear(config["hidden_size"], config["vocab_size"], bias=False)
        self.logit_scale = logit_scale
        if config["tie_word_embeddings"]:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids):
        return self.lm_head(self.model(input_ids)) * self.logit_scale


def cohere2(config):
    return ForCausalLM(config, DecoderModel(config, Cohere2DecoderLayer, Cohere2LayerNorm, config["layer_norm_eps"], interleaved=True),
                       config["logit_scale"])


def mistral(config):
    def layer(c, i):
        return MistralDecoderLayer(c, i, sliding_window=c["sliding_window"])
    return ForCausalLM(config, DecoderModel(config, layer, MistralRMSNorm, config["rms_norm_eps"], interleaved=False), 1.0)


def llama(config):
    def layer(c, i):
        return MistralDecoderLayer(c, i, sliding_window=None, attention_bias=c["attention_bias"], mlp_bias=c["mlp_bias"])
    return ForCausalLM(config, DecoderModel(config, layer, MistralRMSNorm, config["rms_norm_eps"], interleaved=False), 1.0)


BUILDERS = {"cohere2": cohere2, "mistral": mistral, "llama": llama}


# ---------------------------------------------------------------- names


class NameTable:
    """Our parameter names to Hugging Face's and back, from the resolved config's table ({i} = a layer index)."""

    def __init__(self, rows):
        self.rows = [(self._pattern(ours), self._pattern(hf), ours, hf) for ours, hf in rows]

    @staticmethod
    def _pattern(name):
        return re.compile("^" + re.escape(name).replace(re.escape("{i}"), "(0|[1-9][0-9]*)") + "$")

    def _map(self, name, forward):
        for ours_re, hf_re, ours, hf in self.rows:
            m = (ours_re if forward else hf_re).match(name)
            if m:
                target = hf if forward else ours
                return target.replace("{i}", m.group(1)) if m.groups() else target
        raise KeyError(f"{name} has no {'Hugging Face' if forward else 'Attention Lab'} counterpart in the name table")

    def to_hf(self, name):
        return self._map(name, True)

    def to_ours(self, name):
        return self._map(name, False)


class HuggingFaceTwin:
    """A Hugging Face model whose weights are exchanged under our names."""

    def __init__(self, family, resolved):
        self.name = family
        self.config = hf_config(resolved)
        self.model = BUILDERS[family](self.config).eval()
        self.names = NameTable(resolved["hugging_face_names"])
        self.tied = self.config["tie_word_embeddings"]

    @staticmethod
    def fixture_std(p):
        """Matrices at 1/sqrt(fan-in), so that 8 layers stay well conditioned in float32 (a fixed 0.5 made the float32
        outputs of 32-wide layers differ from float64 by 2e-3 relative, torch's and ours alike); vectors at 0.2."""
        return p.shape[1] ** -0.5 if p.dim() > 1 else 0.2

    def state_dict(self):
        """Our names, without lm_head.weight when it is the embeddings (as Hugging Face saves a tied model)."""
        out = {}
        for name, tensor in self.model.state_dict().items():
            if self.tied and name == "lm_head.weight":
                continue
            out[self.names.to_ours(name)] = tensor
        return out

    def load(self, weights):
        hf = {self.names.to_hf(name): tensor for name, tensor in weights.items()}
        missing, unexpected = self.model.load_state_dict(hf, strict=False)
        if self.tied:
            missing = [m for m in missing if m != "lm_head.weight"]
        if missing or unexpected:
            raise KeyError(f"the weights do not fit {self.name}: missing {missing}, unexpected {unexpected}")


# ---------------------------------------------------------------- checkpoint directories (transformers' from_pretrained and save_pretrained)

# What transformers' configuration classes assume for a field config.json leaves out (Cohere2Config, MistralConfig,
# LlamaConfig); None where the class derives the value.
CONFIG_DEFAULTS = {
    "cohere2": dict(vocab_size=256000, hidden_size=8192, intermediate_size=22528, logit_scale=0.0625, num_hidden_layers=40, num_attention_heads=64,
                    num_key_value_heads=None, head_dim=None, hidden_act="silu", layer_norm_eps=1e-5, tie_word_embeddings=True, rope_theta=10000.0,
                    rope_scaling=None, attention_bias=False, attention_dropout=0.0, sliding_window=4096, sliding_window_pattern=4, layer_types=None),
    "mistral": dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                    head_dim=None, hidden_act="silu", rms_norm_eps=1e-6, tie_word_embeddings=False, rope_theta=10000.0, sliding_window=4096,
                    attention_dropout=0.0),
    "llama": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=None,
                  head_dim=None, hidden_act="silu", rms_norm_eps=1e-6, tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None,
                  attention_bias=False, attention_dropout=0.0, mlp_bias=False),
}
CAUSAL_LM = {"cohere2": "Cohere2ForCausalLM", "mistral": "MistralForCausalLM", "llama": "LlamaForCausalLM"}
WEIGHTS_NAME, INDEX_NAME, CONFIG_NAME = "model.safetensors", "model.safetensors.index.json", "config.json"


def pretrained_config(fields):
    """(family, the config these models read) for the fields of a config.json, as the configuration class completes them."""
    family = fields.get("model_type")
    if family not in CONFIG_DEFAULTS:
        raise ValueError(f"model_type {family!r} has no twin here (cohere2, mistral, llama)")
    config = dict(CONFIG_DEFAULTS[family])
    config.update({k: v for k, v in fields.items() if k in config})
    if config.get("rope_scaling") is not None:
        raise ValueError("rope_scaling is not null: these twins compute plain RoPE only")
    if config["num_key_value_heads"] is None:
        config["num_key_value_heads"] = config["num_attention_heads"]
    if config["head_dim"] is None:
        config["head_dim"] = config["hidden_size"] // config["num_attention_heads"]
    if family == "cohere2" and config["layer_types"] is None:
        pattern = config["sliding_window_pattern"]
        config["layer_types"] = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(config["num_hidden_layers"])]
    return family, config


def read_weights(directory):
    """The tensors of model.safetensors, else of the shards model.safetensors.index.json names, by Hugging Face's names."""
    from _fixtures import read_safetensors
    single = os.path.join(directory, WEIGHTS_NAME)
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(directory, INDEX_NAME)) as f:
        weight_map = json.load(f)["weight_map"]
    tensors = {}
    for shard in sorted(set(weight_map.values())):
        tensors.update(read_safetensors(os.path.join(directory, shard)))
    return tensors


def from_pretrained(directory):
    """(family, config, model) of a checkpoint directory, every tensor loaded by name (float32); nothing missing or left over."""
    with open(os.path.join(directory, CONFIG_NAME)) as f:
        family, config = pretrained_config(json.load(f))
    model = BUILDERS[family](config).eval()
    weights = {name: tensor.float() for name, tensor in read_weights(directory).items()}
    if config["tie_word_embeddings"]:
        weights.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [m for m in missing if not (config["tie_word_embeddings"] and m == "lm_head.weight")]
    if missing or unexpected:
        raise KeyError(f"{directory}: the weights do not fit {CAUSAL_LM[family]}: missing {missing}, unexpected {unexpected}")
    return family, config, model


def save_pretrained(model, config_fields, directory, dtype):
    """config.json (the fields as given, sorted and indented as transformers writes them) and model.safetensors: Hugging
    Face's names in `dtype`, a tied lm_head.weight left out, metadata {"format": "pt"}."""
    from _fixtures import write_safetensors
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, CONFIG_NAME), "w") as f:
        f.write(json.dumps(config_fields, indent=2, sort_keys=True) + "\n")
    tied = pretrained_config(config_fields)[1]["tie_word_embeddings"]
    state = {name: tensor.detach().to(dtype) for name, tensor in model.state_dict().items() if not (tied and name == "lm_head.weight")}
    write_safetensors(os.path.join(directory, WEIGHTS_NAME), state, metadata={"format": "pt"})


def main():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens"))
    from _fixtures import read_safetensors, write_safetensors
    parser = argparse.ArgumentParser(description="Run a Hugging Face checkpoint directory (cohere2, mistral, llama) on token ids.")
    parser.add_argument("checkpoint")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    try:
        family, config, model = from_pretrained(args.checkpoint)
        ids = read_safetensors(args.input)["input"].long()
        with torch.no_grad():
            write_safetensors(args.output, {"output": model(ids)})
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        print(f"error: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
