#!/usr/bin/python3
"""The PyTorch twins of Attention Lab's architectures, written from the architecture descriptions (not from the
Java code), for cross-framework checks.

    /usr/bin/python3 scripts/torch_models.py CONFIG.yaml --weights W.safetensors --input IN.safetensors --output OUT.safetensors
        runs the twin of CONFIG with the given weights and input (as `scripts/run --save-weights/--input` use them)
        and writes tensor `output`.
    /usr/bin/python3 scripts/torch_models.py CONFIG.yaml --fixture OUT.safetensors --batch 2 --seq-len 11 --seed 1
        draws weights and an input, runs the twin and writes all three (weights by name, `input`, `output`) into
        one file: the tests load the weights and input into the Java model and compare outputs.

The config is resolved by the Java side, exactly as a run resolves it (`extends`, defaults, per-layer overrides):
the twin reads `scripts/run describe CONFIG --resolved` (a JSON object of every key's value and every layer's
spec), so it never guesses a default. Only the settings come from Java; the math here is written from the
architectures' descriptions: Edifice's models and the project's README for the generic twin, and Hugging Face's
published `modeling_cohere2.py` / `modeling_mistral.py` for the Cohere2 and Mistral twins (scripts/hf_twins.py),
which keep Hugging Face's module tree and parameter names (`model.layers.0.self_attn.q_proj.weight`) and load our
safetensors through the name table the resolved config carries (`hugging_face_names`, from the Java class
`weights.HuggingFaceNames`, the one place that table is written).

`--twin auto` (the default) runs a Hugging Face twin when the resolved config is exactly that model's layout and
the generic twin otherwise; `--twin cohere2|mistral` insists on one (exit 2 with the first difference when the
config is not its layout). Runs are deterministic (float32, CPU). Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "goldens"))
sys.path.insert(0, HERE)
from _fixtures import read_safetensors, write_safetensors  # noqa: E402

RESOLVED_FORMAT = "attention-lab resolved config 1"


class UsageError(Exception):
    """A mistake in what the user gave: one line on stderr, exit 2."""


# ---------------------------------------------------------------- config


def resolve(config, overrides):
    """The Java side's resolution of CONFIG (with --set overrides), as the dict `describe --resolved` prints."""
    command = [os.path.join(HERE, "run"), "describe", config, "--resolved"]
    for override in overrides:
        command += ["--set", override]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise UsageError(lines[-1].removeprefix("error: ") if lines else f"scripts/run describe {config} --resolved failed (exit {result.returncode})")
    resolved = json.loads(result.stdout)
    if resolved.get("format") != RESOLVED_FORMAT:
        raise UsageError(f"scripts/run describe --resolved printed format {resolved.get('format')!r}, this twin reads {RESOLVED_FORMAT!r}")
    return resolved


class Config:
    """A resolved config: model-level settings by key name, the input, one dict per layer, the language-model head."""

    def __init__(self, resolved):
        s = resolved["settings"]
        self.settings = s
        self.arch = s["architecture"]
        self.hidden = s["hidden_size"]
        self.output = s["output"]
        self.act = s["hidden_act"]
        self.norm = s["norm"]
        self.eps = float(s["layer_norm_eps"])
        self.norm_bias = s["norm_bias"]
        self.norm_position = s["norm_position"]
        self.sinusoidal_variant = s["sinusoidal_variant"]
        self.input = resolved["input"]
        self.layers = resolved["layers"]
        self.lm_head = resolved["lm_head"]
        self.names = resolved["hugging_face_names"]
        self.lstm_hidden = s.get("lstm_hidden_size")
        self.lstm_layers = s.get("lstm_layers")
        self.mlp_sizes = s.get("mlp_sizes")
        self.num_labels = s.get("num_labels")
        self.train = s.get("train")

    @property
    def token_input(self):
        return self.input["kind"] == "token_ids"

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


def mask_mod(causal, window, globals_, L):
    """The layer's mask as a FlexAttention mask_mod (b, h, q_idx, kv_idx) -> visible, on index tensors. window: None
    (full), W, or a list of one W per attention head (multi-scale local attention)."""
    is_global = torch.zeros(L, dtype=torch.bool)
    for g in globals_:
        if g < L:
            is_global[g] = True
    sizes = None if window is None else torch.tensor(window if isinstance(window, list) else [window])

    def visible(b, h, q_idx, kv_idx):
        if sizes is None:
            band = torch.ones_like(q_idx - kv_idx, dtype=torch.bool)
        else:
            w = sizes[h if len(sizes) > 1 else torch.zeros_like(h)]
            if causal:
                band = (kv_idx <= q_idx) & (q_idx - kv_idx < w)  # Hugging Face's sliding-window rule: W keys including the query
            else:
                band = (q_idx - kv_idx).abs() <= w // 2  # Longformer: w/2 on each side
        seen = band | is_global[q_idx] | is_global[kv_idx]
        if causal:
            seen = seen & (kv_idx <= q_idx)  # a global token at g sees the keys up to g and is seen from g on (configs/README.md)
        return seen
    return visible


def visible(L, H, causal, window, globals_):
    """[H, L, L]: the mask_mod evaluated at every (head, query, key), as FlexAttention's create_mask does."""
    h = torch.arange(H)[:, None, None]
    i = torch.arange(L)[None, :, None]
    j = torch.arange(L)[None, None, :]
    return mask_mod(causal, window, globals_, L)(0, h, i, j)


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


class LayerNorm(nn.Module):
    """torch.nn.LayerNorm, with or without its bias (PyTorch 1.13's LayerNorm always has one)."""

    def __init__(self, d, eps, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


def norm(cfg, d):
    if cfg.norm == "none":
        return nn.Identity()
    return RMSNorm(d, cfg.eps) if cfg.norm == "rmsnorm" else LayerNorm(d, cfg.eps, cfg.norm_bias)


class Attention(nn.Module):
    def __init__(self, width, layer):
        super().__init__()
        self.layer = layer
        h, kv, d, bias = layer["num_attention_heads"], layer["num_key_value_heads"], layer["head_dim"], layer["attention_bias"]
        self.q_proj = nn.Linear(width, h * d, bias=bias)
        self.k_proj = nn.Linear(width, kv * d, bias=bias)
        self.v_proj = nn.Linear(width, kv * d, bias=bias)
        self.o_proj = nn.Linear(h * d, width, bias=bias)

    def forward(self, x):
        B, L, _ = x.shape
        layer = self.layer
        q = self.q_proj(x).view(B, L, layer["num_attention_heads"], layer["head_dim"])
        k = self.k_proj(x).view(B, L, layer["num_key_value_heads"], layer["head_dim"])
        v = self.v_proj(x).view(B, L, layer["num_key_value_heads"], layer["head_dim"])
        return self.o_proj(attend(layer, q, k, v).reshape(B, L, -1))


def attend(layer, q, k, v):
    """Dense masked attention of one resolved layer: q [B, L, H, D], k/v [B, L, KV, D] -> [B, L, H, D]."""
    B, L, H, D = q.shape
    if layer["qk_norm"]:
        q = F.layer_norm(q, (D,), eps=layer["qk_norm_eps"])
        k = F.layer_norm(k, (D,), eps=layer["qk_norm_eps"])
    pe = layer["position_embedding"]
    if pe == "rope":
        theta, pairing = float(layer["rope"]["theta"]), layer["rope"]["pairing"]
        q, k = rope(q, theta, pairing), rope(k, theta, pairing)
    group = H // k.shape[2]
    k = k.repeat_interleave(group, dim=2)
    v = v.repeat_interleave(group, dim=2)
    scores = torch.einsum("blhd,bmhd->bhlm", q, k) / math.sqrt(D)
    distance = (torch.arange(L)[:, None] - torch.arange(L)[None, :]).abs().float()
    if pe == "alibi":
        slopes = torch.tensor(alibi_slopes(H, layer["alibi_slopes"]), dtype=torch.float32)
        scores = scores - slopes[None, :, None, None] * distance[None, None]
    elif pe == "ape":
        scores = scores + ((1 - distance / L) * layer["ape_scale"])[None, None]
    mask = visible(L, H, layer["causal"], layer["sliding_window"], layer["global_tokens"])
    scores = scores.masked_fill(~mask[None], float("-inf"))
    probabilities = scores.softmax(-1)
    if ATTENTION_DROPOUT.active is not None:
        probabilities = probabilities * ATTENTION_DROPOUT.factors(layer["index"], B, H, L)
    return torch.einsum("bhlm,bmhd->blhd", probabilities, v)


# ---------------------------------------------------------------- attention dropout (scripts/run train's masks)

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
ATTENTION_DROPOUT_STREAMS = 1 << 16  # AttentionCore.ATTENTION_DROPOUT_STREAMS: the layer's mask stream is this + its index
DROPOUT_STEP_STRIDE = 0x632BE5AB  # Activations.DROPOUT_STEP_STRIDE
DROPOUT_OFF = 1 << 24  # AttentionMasks.DROPOUT_OFF


def mul32(h, c):
    """h * c modulo 2^32 for h a tensor (or int) in [0, 2^32) and c a 32-bit constant, in int64 without overflow."""
    return (h * (c & 0xFFFF) + (((h * (c >> 16)) & 0xFFFF) << 16)) & MASK32


def mix32(h):
    """murmur3's 32-bit finaliser (Activations.mix32) on values in [0, 2^32)."""
    h = h ^ (h >> 16)
    h = mul32(h, 0x85EBCA6B)
    h = h ^ (h >> 13)
    h = mul32(h, 0xC2B2AE35)
    return h ^ (h >> 16)


def dropout_hash(key, index):
    """Activations.dropoutHash: mix32(index * 0x9E3779B9 + key) modulo 2^32."""
    return mix32((mul32(index, 0x9E3779B9) + key) & MASK32)


class AttentionDropout:
    """The masks scripts/run train draws for attention dropout (tornado-kernels' AttentionMasks, "Attention dropout"),
    reproduced in integer arithmetic: the seed of a layer's mask is TrainingTasks.dropoutSeed of its stream in the
    micro-batch, plus the update count times DROPOUT_STEP_STRIDE; probability (b, h, i, j) is kept iff the top 24 bits
    of dropout_hash(dropout_hash(mix32(seed ^ 0x5BD1E995), (b H + h) L + i), j) are below round((1 - p) 2^24), and a
    kept one is multiplied by 2^24 / that threshold (in float32). `active` is None outside training (evaluation)."""

    def __init__(self):
        self.active = None

    def start(self, p, run_seed, micro_batch, update_count):
        self.active = None if p == 0 else (p, run_seed, micro_batch, update_count)

    def stop(self):
        self.active = None

    @staticmethod
    def stream_seed(run_seed, micro_batch, stream):
        """TrainingTasks.dropoutSeed: Java's long arithmetic modulo 2^64, the result an int (here modulo 2^32)."""
        run_seed = run_seed - (1 << 32) if run_seed >= 1 << 31 else run_seed  # an int, sign-extended to a long
        mixed = ((run_seed * 0x9E3779B97F4A7C15) ^ (micro_batch * 0xBF58476D1CE4E5B9) ^ (stream * 0x94D049BB133111EB)) & MASK64
        mixed ^= mixed >> 31
        return (mixed ^ (mixed >> 32)) & MASK32

    def factors(self, layer_index, B, H, L):
        p, run_seed, micro_batch, update_count = self.active
        seed = (self.stream_seed(run_seed, micro_batch, ATTENTION_DROPOUT_STREAMS + layer_index) + update_count * DROPOUT_STEP_STRIDE) & MASK32
        threshold = max(1, math.floor((1.0 - p) * DROPOUT_OFF + 0.5))  # Java's Math.round
        key = mix32(seed ^ 0x5BD1E995)
        rows = dropout_hash(key, torch.arange(B * H * L, dtype=torch.int64))
        bits = dropout_hash(rows[:, None], torch.arange(L, dtype=torch.int64)[None, :]) >> 8
        kept_scale = torch.tensor(float(DROPOUT_OFF), dtype=torch.float32) / torch.tensor(float(threshold), dtype=torch.float32)
        return torch.where(bits < threshold, kept_scale, torch.zeros((), dtype=torch.float32)).reshape(B, H, L, L)


ATTENTION_DROPOUT = AttentionDropout()


class FeedForward(nn.Module):
    """mlp: down(act(up(x))); swiglu and geglu: down(act(gate(x)) * up(x)), the gate's activation being hidden_act."""

    def __init__(self, width, ffn):
        super().__init__()
        inner, bias = ffn["intermediate_size"], ffn["bias"]
        self.gated = ffn["type"] != "mlp"
        if self.gated:
            self.gate_proj = nn.Linear(width, inner, bias=bias)
        self.up_proj = nn.Linear(width, inner, bias=bias)
        self.down_proj = nn.Linear(inner, width, bias=bias)
        self.act = activation(ffn["hidden_act"])

    def forward(self, x):
        if self.gated:
            return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))
        return self.down_proj(self.act(self.up_proj(x)))


class Block(nn.Module):
    """A transformer block: pre-norm, post-norm or Cohere2's parallel block; FFN optional."""

    def __init__(self, cfg, width, layer):
        super().__init__()
        self.cfg, self.layer = cfg, layer
        self.attn_norm = norm(cfg, width)
        self.attn = Attention(width, layer)
        ffn = layer["ffn"]
        if ffn is not None:
            if layer["norm_position"] != "parallel":
                self.ffn_norm = norm(cfg, width)
            self.ffn = FeedForward(width, ffn)
        self.has_ffn = ffn is not None

    def forward(self, x):
        if self.layer["sinusoidal_input"] is not None:
            x = x + sinusoidal(x.shape[1], x.shape[2], self.layer["sinusoidal_input"])
        position = self.layer["norm_position"]
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


def add_score(model, cfg, width):
    """num_labels' head `score` on `model`: a Linear with bias after the model's (pooled) output, as Hugging Face's
    ForSequenceClassification models have (there without bias): class logits or regression outputs."""
    if cfg.num_labels is not None:
        model.score = nn.Linear(width, cfg.num_labels)


def scored(model, x):
    return model.score(x) if hasattr(model, "score") else x


class TransformerStack(nn.Module):
    """rnope_swa, rnope_swa_hybrid and multihead_sliding_window: features (projected when Edifice's model says so) or
    token ids (embed_tokens), the blocks, a final norm unless post-norm, then pooling or lm_head's logits."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        if cfg.token_input:
            self.embed_tokens = nn.Embedding(cfg.input["vocab_size"], cfg.hidden)
            self.project = False
        else:
            embed_dim = cfg.input["embed_dim"]
            self.project = cfg.arch == "multihead_sliding_window" or embed_dim != cfg.hidden
            if self.project:
                self.input_proj = nn.Linear(embed_dim, cfg.hidden)
        self.layers = nn.ModuleList([Block(cfg, cfg.hidden, layer) for layer in cfg.layers])
        self.final = cfg.norm_position != "post" and cfg.norm != "none"
        if self.final:
            self.final_norm = norm(cfg, cfg.hidden)
        head = cfg.lm_head
        if head is not None and not head["tie_word_embeddings"]:
            self.lm_head = nn.Linear(cfg.hidden, head["vocab_size"], bias=False)
        add_score(self, cfg, cfg.hidden)

    def forward(self, x):
        if self.cfg.token_input:
            x = self.embed_tokens(x)
        elif self.project:
            x = self.input_proj(x)
        if self.cfg.input["sinusoidal"] is not None:
            x = x + sinusoidal(x.shape[1], x.shape[2], self.cfg.input["sinusoidal"])
        for layer in self.layers:
            x = layer(x)
        if self.final:
            x = self.final_norm(x)
        head = self.cfg.lm_head
        if head is None:
            return scored(self, pool(self.cfg, x))
        weight = self.embed_tokens.weight if head["tie_word_embeddings"] else self.lm_head.weight
        return F.linear(x, weight) * head["logit_scale"]


class HybridLstmAttention(nn.Module):
    """Edifice's hybrid: LSTM over all steps -> causal attention, residual + norm -> (MLP) -> pooled."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(cfg.input["embed_dim"], cfg.lstm_hidden, num_layers=cfg.lstm_layers, batch_first=True)
        self.layers = nn.ModuleList([Block(cfg, cfg.lstm_hidden, layer) for layer in cfg.layers])
        if cfg.arch == "hybrid_lstm_attention_mlp":
            sizes = [cfg.lstm_hidden] + list(cfg.mlp_sizes)
            self.mlp = nn.ModuleList([nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
        else:
            self.mlp = None
        add_score(self, cfg, cfg.mlp_sizes[-1] if self.mlp is not None else cfg.lstm_hidden)

    def forward(self, x):
        x, _ = self.lstm(x)
        for layer in self.layers:
            x = layer(x)
        x = pool(self.cfg, x)
        if self.mlp is not None:
            act = activation(self.cfg.act)
            for dense in self.mlp:
                x = act(dense(x))
        return scored(self, x)


class Ape(nn.Module):
    """The APE notebook: token ids -> embedded QKV (no projections) -> attention with the APE bias."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.input["vocab_size"], 3 * cfg.hidden)
        add_score(self, cfg, cfg.hidden)

    def forward(self, ids):
        cfg = self.cfg
        layer = cfg.layers[0]
        B, L = ids.shape
        q, k, v = torch.chunk(self.embedding(ids), 3, dim=-1)
        shape = (B, L, layer["num_attention_heads"], layer["head_dim"])
        out = attend(layer, q.reshape(shape), k.reshape(shape), v.reshape(shape))
        return scored(self, pool(cfg, out.reshape(B, L, cfg.hidden)))


def build_generic(cfg):
    if cfg.arch in ("rnope_swa", "rnope_swa_hybrid", "multihead_sliding_window"):
        return TransformerStack(cfg)
    if cfg.arch in ("hybrid_lstm_attention", "hybrid_lstm_attention_mlp"):
        return HybridLstmAttention(cfg)
    if cfg.arch == "ape":
        return Ape(cfg)
    raise UsageError(f"no twin for architecture {cfg.arch}")

# ---------------------------------------------------------------- twins


class GenericTwin:
    """Parameters under our names, as scripts/run --save-weights writes them."""

    name = "generic"

    def __init__(self, cfg):
        self.model = build_generic(cfg).eval()

    @staticmethod
    def fixture_std(p):
        """Spread-out values so that every term of the forward pass matters, norms included (models of 1-4 layers)."""
        return 0.5 if p.dim() > 1 else 0.2

    def state_dict(self):
        return self.model.state_dict()

    def load(self, weights):
        self.model.load_state_dict(weights)


def choose_twin(kind, cfg, resolved):
    import hf_twins
    if kind == "generic":
        return GenericTwin(cfg)
    if kind == "auto":
        for family in hf_twins.FAMILIES:
            if hf_twins.difference(family, resolved) is None:
                return hf_twins.HuggingFaceTwin(family, resolved)
        return GenericTwin(cfg)
    problem = hf_twins.difference(kind, resolved)
    if problem is not None:
        raise UsageError(f"the config is not {kind}'s layout: {problem}")
    return hf_twins.HuggingFaceTwin(kind, resolved)

# ---------------------------------------------------------------- training

IGNORED = -1  # Batch.IGNORED: a position whose target does not count
TRAINING_FIXTURE_FORMAT = "attention-lab training twin 1"


class Training:
    """The resolved train: block and the twin's training on it, as scripts/run train trains (configs/README.md,
    "Training"), written from PyTorch's own pieces: the task's loss (next-token cross-entropy with ignored targets,
    cross-entropy of the last position with output: last, or the mean squared error over the counted positions for
    delayed_recall), autograd, torch.optim.AdamW with weight decay on tensors of 2 or more dimensions only (nanoGPT's
    two groups), the schedule as LambdaLR(lambda k: factor(k + 1)) stepped after every update (linear warm-up over
    warmup_steps, then half a cosine down to min_learning_rate at the last step, or constant), clip_grad_norm_ on the
    global norm, and grad_accumulation micro-batches whose gradients each update averages.

    Attention dropout is modelled (AttentionDropout: scripts/run train's masks, from the run's seed, the micro-batch
    and the update count, in integer arithmetic). Hidden dropout is not: a config whose dropout is above 0 is refused
    (--set dropout=0)."""

    def __init__(self, cfg, source):
        t = cfg.train
        if t is None:
            raise UsageError(f"{source} has no train: block, which the twin's training needs (configs/README.md, \"Training\")")
        rates = [cfg.settings.get("dropout") or 0.0] + [layer.get("dropout") or 0.0 for layer in cfg.layers]
        if max(rates) > 0:
            raise UsageError(f"{source}: dropout {max(rates)}: the twin trains without dropout (the Java side's masks come from its own"
                             " counter-based generator, which PyTorch's RNG cannot reproduce); pass --set dropout=0")
        self.t = t
        self.k = t["grad_accumulation"]
        self.attention_dropout = cfg.settings.get("attention_dropout") or 0.0
        seed = t["data_seed"] & MASK64
        self.dropout_seed = (seed ^ (seed >> 32)) & MASK32  # Trainer.dropoutSeed
        if t["task"] == "delayed_recall":
            self.objective = "regression"
        else:
            self.objective = "last" if cfg.output == "last" else "next"

    def factor(self, step):
        """The learning-rate multiplier of update `step` (1, 2, ...): AdamW.prepareStep's schedule."""
        t = self.t
        warmup = t["warmup_steps"]
        cosine = t["lr_schedule"] == "cosine"
        decay_steps = t["steps"] if cosine else warmup
        min_ratio = t["min_learning_rate"] / t["learning_rate"] if cosine else 1.0
        if step <= warmup:
            return step / warmup
        if decay_steps > warmup:
            progress = min(1.0, (step - warmup) / (decay_steps - warmup))
            return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        return 1.0

    def optimizer(self, model):
        t = self.t
        parameters = list(model.parameters())
        groups = [{"params": [p for p in parameters if p.dim() >= 2], "weight_decay": t["weight_decay"]},
                  {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0}]
        optimizer = torch.optim.AdamW(groups, lr=t["learning_rate"], betas=tuple(t["betas"]), eps=t["adam_epsilon"])
        return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: self.factor(k + 1))

    def loss(self, output, batch):
        """(mean loss, counted positions, correct predictions or None) of one micro-batch."""
        if self.objective == "regression":
            counted = batch["counted"].float()
            squares = ((output - batch["target"]) ** 2).sum(-1)
            n = counted.sum()
            return (squares * counted).sum() / (n * output.shape[-1]), int(n), None
        targets = batch["target"][:, -1] if self.objective == "last" else batch["target"].reshape(-1)
        logits = output.reshape(-1, output.shape[-1])
        loss = F.cross_entropy(logits, targets, ignore_index=IGNORED)
        counts = targets != IGNORED
        return loss, int(counts.sum()), int(((logits.argmax(-1) == targets) & counts).sum())

    def forward(self, model, batch, micro_batch, update_count):
        """The model's output on `batch` in training: attention dropout with the masks of that micro-batch and update."""
        ATTENTION_DROPOUT.start(self.attention_dropout, self.dropout_seed, micro_batch, update_count)
        try:
            return model(batch["input"])
        finally:
            ATTENTION_DROPOUT.stop()

    def step(self, model, optimizer, scheduler, micro_batches, update_count):
        """Update `update_count` + 1 on `micro_batches`: (mean loss, accuracy, learning rate, gradient norm before clipping)."""
        optimizer.zero_grad(set_to_none=True)
        losses, counted, correct = [], 0, 0
        for m, batch in enumerate(micro_batches):
            loss, n, right = self.loss(self.forward(model, batch, m, update_count), batch)
            (loss / self.k).backward()
            losses.append(loss.item())
            counted += n
            correct = None if right is None else correct + right
        parameters = [p for p in model.parameters() if p.grad is not None]
        clip = self.t["grad_clip"]
        norm = torch.nn.utils.clip_grad_norm_(parameters, clip if clip > 0 else float("inf"))
        learning_rate = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        return sum(losses) / len(losses), (None if correct is None else correct / counted), learning_rate, float(norm)


def java_batches(args, steps, overrides=()):
    """The batches scripts/run train draws for the first `steps` steps (scripts/run batches), as tensors."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "batches.safetensors")
        command = [os.path.join(HERE, "run"), "batches", args.config, "--steps", str(steps), "--out", path]
        for override in list(args.set) + list(overrides):
            command += ["--set", override]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise UsageError(lines[-1].removeprefix("error: ") if lines else f"scripts/run batches failed (exit {result.returncode})")
        tensors = read_safetensors(path)
    tensors["input"] = tensors["input"].long() if tensors["input"].dtype == torch.int32 else tensors["input"]
    if tensors["target"].dtype == torch.int32:
        tensors["target"] = tensors["target"].long()
    return tensors


def micro_batch(batches, index):
    return {name: tensor[index] for name, tensor in batches.items()}


def our_name(twin, name):
    """A parameter's name as scripts/run writes it (a Hugging Face twin's names go through the name table)."""
    return twin.names.to_ours(name) if hasattr(twin, "names") else name


def draw_training_weights(twin, seed):
    """Weights for a training fixture: matrices at 1/sqrt(fan-in) (activations of order 1 at any width, so that the
    losses of 20 steps are not dominated by saturated softmaxes), vectors at 0.1, norm weights around 1."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in twin.model.named_parameters():
            std = p.shape[1] ** -0.5 if p.dim() > 1 else 0.1
            p.copy_(torch.randn_like(p) * std + (1.0 if name.endswith("norm.weight") else 0.0))


def training_fixture(twin, cfg, args):
    """Weights, the batches of `steps` steps from the Java task generator, the loss and every parameter's gradient on
    the first micro-batch, and the loss, learning rate and gradient norm of each AdamW step from those weights."""
    training = Training(cfg, args.config)
    steps = training.t["steps"]
    model = twin.model
    draw_training_weights(twin, args.seed)
    tensors = {name: p.detach().clone() for name, p in twin.state_dict().items()}
    batches = java_batches(args, steps)
    for name, tensor in batches.items():
        tensors["batches." + name] = tensor.int() if tensor.dtype == torch.int64 else tensor

    model.zero_grad(set_to_none=True)
    first = micro_batch(batches, 0)
    loss, _, _ = training.loss(training.forward(model, first, 0, 0), first)
    loss.backward()
    tensors["loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        tensors["gradients." + our_name(twin, name)] = p.grad.detach().clone()

    optimizer, scheduler = training.optimizer(model)
    history = {"loss": [], "learning_rate": [], "grad_norm": []}
    for step in range(steps):
        micro = [micro_batch(batches, step * training.k + m) for m in range(training.k)]
        loss, _, learning_rate, norm = training.step(model, optimizer, scheduler, micro, step)
        for key, value in (("loss", loss), ("learning_rate", learning_rate), ("grad_norm", norm)):
            history[key].append(value)
    for key, values in history.items():
        tensors["steps." + key] = torch.tensor(values, dtype=torch.float32)
    write_safetensors(args.train_fixture, tensors, {"format": TRAINING_FIXTURE_FORMAT, "steps": str(steps)})


def training_run(twin, cfg, args):
    """Trains the twin on the batches scripts/run train draws (from --weights, e.g. the Java run's initial weights
    written by scripts/run CONFIG --save-weights, or from draw_training_weights), logging as log.jsonl does, then
    evaluates at the eval_lengths on fresh batches (another data seed: never a training batch)."""
    import json as json_lib
    import time
    training = Training(cfg, args.config)
    steps = args.steps or training.t["steps"]
    model = twin.model
    if args.weights:
        twin.load({k: v.float() for k, v in read_safetensors(args.weights).items()})
    else:
        draw_training_weights(twin, args.seed)
    batches = java_batches(args, steps)
    optimizer, scheduler = training.optimizer(model)
    os.makedirs(args.train_run, exist_ok=True)
    start = time.perf_counter()
    interval = training.t["log_interval"]
    with open(os.path.join(args.train_run, "log.jsonl"), "w") as log:
        for step in range(1, steps + 1):
            micro = [micro_batch(batches, (step - 1) * training.k + m) for m in range(training.k)]
            loss, accuracy, learning_rate, norm = training.step(model, optimizer, scheduler, micro, step - 1)
            if step % interval == 0 or step == steps:
                line = {"step": step, "loss": loss, "accuracy": accuracy, "lr": learning_rate, "grad_norm": norm,
                        "elapsed_s": time.perf_counter() - start}
                log.write(json_lib.dumps(line) + "\n")
                log.flush()
                print(json_lib.dumps(line), file=sys.stderr)
        model.eval()
        for length in training.t["eval_lengths"]:
            batch = max(1, min(training.t["batch_size"], 8192 // length))
            count = max(1, training.t["eval_batches"] * training.t["batch_size"] // batch)
            fresh = java_batches(args, count, [f"train.seq_len={length}", f"train.batch_size={batch}", "train.grad_accumulation=1",
                                                f"train.data_seed={training.t['data_seed'] + 1_000_003}"])
            total, counted, correct = 0.0, 0, 0
            with torch.no_grad():
                for i in range(count):
                    b = micro_batch(fresh, i)
                    loss, n, right = training.loss(model(b["input"]), b)
                    total += loss.item() * n
                    counted += n
                    correct = None if right is None else correct + right
            line = {"step": steps, "eval_length": length, "eval_loss": total / counted, "eval_accuracy": None if correct is None else correct / counted}
            log.write(json_lib.dumps(line) + "\n")
            print(json_lib.dumps(line), file=sys.stderr)
    write_safetensors(os.path.join(args.train_run, "weights.safetensors"), {n: p.detach() for n, p in twin.state_dict().items()})

# ---------------------------------------------------------------- main


def draw_fixture(twin, cfg, args):
    torch.manual_seed(args.seed)
    with torch.no_grad():
        for name, p in twin.model.named_parameters():
            p.copy_(torch.randn_like(p) * twin.fixture_std(p) + (1.0 if name.endswith("norm.weight") else 0.0))
    if cfg.token_input:
        x = torch.randint(0, cfg.input["vocab_size"], (args.batch, args.seq_len), dtype=torch.int64)
    else:
        x = torch.randn(args.batch, args.seq_len, cfg.input["embed_dim"])
    with torch.no_grad():
        y = twin.model(x)
    tensors = {name: p.detach().clone() for name, p in twin.state_dict().items()}
    tensors["input"] = x
    tensors["output"] = y
    write_safetensors(args.fixture, tensors)


def run(twin, cfg, args):
    weights = read_safetensors(args.weights)
    twin.load({k: v.float() for k, v in weights.items()})
    inputs = read_safetensors(args.input)
    if "input" not in inputs:
        raise UsageError(f"{args.input}: no tensor named 'input'")
    x = inputs["input"]
    x = x.long() if cfg.token_input else x.float()
    with torch.no_grad():
        write_safetensors(args.output, {"output": twin.model(x)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a top-level key, as scripts/run --set")
    parser.add_argument("--twin", choices=["auto", "generic", "cohere2", "mistral"], default="auto")
    parser.add_argument("--weights")
    parser.add_argument("--input")
    parser.add_argument("--output")
    parser.add_argument("--fixture")
    parser.add_argument("--train-fixture", metavar="OUT", help="a training fixture of CONFIG's train: block (weights, batches, gradients, losses)")
    parser.add_argument("--train-run", metavar="DIR", help="train the twin on the batches scripts/run train draws; log.jsonl and weights into DIR")
    parser.add_argument("--steps", type=int, help="--train-run: steps (default train.steps)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the fixtures' determinism)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        torch.set_num_threads(args.threads)
        if not (args.fixture or args.train_fixture or args.train_run) and not (args.weights and args.input and args.output):
            missing = [option for option, value in (("--weights W", args.weights), ("--input IN", args.input), ("--output OUT", args.output)) if not value]
            raise UsageError("missing " + ", ".join(missing) + ": the twin runs CONFIG on the weights and input of a run (scripts/run CONFIG"
                             " --save-weights W --save-input IN writes them), or draws its own with --fixture FILE")
        resolved = resolve(args.config, args.set)
        cfg = Config(resolved)
        twin = choose_twin(args.twin, cfg, resolved)
        if args.train_fixture:
            training_fixture(twin, cfg, args)
        elif args.train_run:
            training_run(twin, cfg, args)
        elif args.fixture:
            draw_fixture(twin, cfg, args)
        else:
            run(twin, cfg, args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except (OSError, KeyError, RuntimeError, ValueError) as e:
        print(f"error: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
