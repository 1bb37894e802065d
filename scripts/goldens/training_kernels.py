#!/usr/bin/python3
"""PyTorch autograd goldens for the training kernels of tornado-kernels: the backward of every op, the losses and
AdamW steps.

Run with the Debian PyTorch (1.13): /usr/bin/python3 scripts/goldens/training_kernels.py
Writes tornado-kernels/src/test/resources/goldens/training_kernels.safetensors; deterministic (fixed seed, one
thread, float32), so a second run reproduces the file byte for byte. Read by TrainingGoldensTest.
Every gradient is torch.autograd's for the loss sum(upstream * output) with the stored upstream gradient. Scalars
and integer ids/targets are stored as F32 tensors (exact for the small integers used).
"""

import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixtures import write_safetensors  # noqa: E402
from ops import rope_interleaved, rope_neox, scalar  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RELATIVE_OUTPUT = os.path.join("tornado-kernels", "src", "test", "resources", "goldens", "training_kernels.safetensors")


def gradients(function, inputs, upstream):
    """The gradients of sum(upstream * function(*inputs)) with respect to every input."""
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    (function(*leaves) * upstream).sum().backward()
    return [leaf.grad for leaf in leaves]


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def main():
    parser = argparse.ArgumentParser(description="Writes the training-kernel goldens under ROOT (default: the repository).")
    parser.add_argument("--out", default=REPO)
    output = os.path.normpath(os.path.join(parser.parse_args().out, RELATIVE_OUTPUT))
    torch.manual_seed(20241129)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    t = {}

    # LayerNorm with and without bias (rows 2 and 4: mean 100 / spread 0.03 and a constant row), RMSNorm, QK-LayerNorm.
    x = torch.randn(7, 33) * 3.0
    x[2] = x[2] * 0.01 + 100.0
    x[4] = 0.25
    weight, bias, dy = torch.randn(33), torch.randn(33), torch.randn(7, 33)
    t.update({"layer_norm.input": x, "layer_norm.weight": weight, "layer_norm.bias": bias, "layer_norm.eps": scalar(1e-5), "layer_norm.upstream": dy})
    dx, dw, db = gradients(lambda a, w, b: F.layer_norm(a, (33,), w, b, eps=1e-5), [x, weight, bias], dy)
    t.update({"layer_norm.dx": dx, "layer_norm.dweight": dw, "layer_norm.dbias": db})
    dx, dw = gradients(lambda a, w: F.layer_norm(a, (33,), w, None, eps=1e-5), [x, weight], dy)
    t.update({"layer_norm.no_bias.dx": dx, "layer_norm.no_bias.dweight": dw})

    x, weight, dy = torch.randn(6, 20) * 2.0, torch.randn(20), torch.randn(6, 20)
    t.update({"rms_norm.input": x, "rms_norm.weight": weight, "rms_norm.eps": scalar(1e-6), "rms_norm.upstream": dy})
    dx, dw = gradients(lambda a, w: rms_norm(a, w, 1e-6), [x, weight], dy)
    t.update({"rms_norm.dx": dx, "rms_norm.dweight": dw})

    x, dy = torch.randn(2, 3, 2, 8) * 2.0 + 1.0, torch.randn(2, 3, 2, 8)
    t.update({"qk_layer_norm.input": x, "qk_layer_norm.eps": scalar(1e-6), "qk_layer_norm.upstream": dy})
    (t["qk_layer_norm.dx"],) = gradients(lambda a: F.layer_norm(a, (8,), eps=1e-6), [x], dy)

    # Element-wise activations, the gated units, softmax.
    x = torch.cat((torch.linspace(-8.0, 8.0, 257), torch.randn(255) * 3.0))
    dy = torch.randn(x.shape[0])
    t.update({"activations.input": x, "activations.upstream": dy})
    (t["activations.gelu_erf.dx"],) = gradients(F.gelu, [x], dy)
    (t["activations.gelu_tanh.dx"],) = gradients(lambda a: F.gelu(a, approximate="tanh"), [x], dy)
    (t["activations.silu.dx"],) = gradients(F.silu, [x], dy)
    (t["activations.relu.dx"],) = gradients(F.relu, [x], dy)

    gate, up, dy = torch.randn(97) * 3.0, torch.randn(97) * 2.0, torch.randn(97)
    t.update({"gated.gate": gate, "gated.up": up, "gated.upstream": dy})
    t["gated.swiglu.dgate"], t["gated.swiglu.dup"] = gradients(lambda g, u: F.silu(g) * u, [gate, up], dy)
    t["gated.geglu.dgate"], t["gated.geglu.dup"] = gradients(lambda g, u: F.gelu(g) * u, [gate, up], dy)

    x, dy = torch.randn(9, 37) * 5.0, torch.randn(9, 37)
    x[3] = torch.randn(37) * 1e3
    t.update({"softmax.input": x, "softmax.upstream": dy})
    (t["softmax.dx"],) = gradients(lambda a: torch.softmax(a, dim=-1), [x], dy)

    # RoPE in both pairings (the rotations of ops.py).
    x, dy = torch.randn(2, 5, 3, 8), torch.randn(2, 5, 3, 8)
    t.update({"rope.input": x, "rope.upstream": dy, "rope.theta": scalar(10000.0), "rope.position_offset": scalar(3)})
    (t["rope.neox.dx"],) = gradients(lambda a: rope_neox(a, 10000.0, 3), [x], dy)
    (t["rope.gptj.dx"],) = gradients(lambda a: rope_interleaved(a, 10000.0, 3), [x], dy)

    # Embedding and embedded QKV (repeated ids), pooling.
    ids = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3], dtype=torch.int64)
    table, dy = torch.randn(11, 6), torch.randn(16, 6)
    t.update({"embedding.ids": ids.float(), "embedding.table": table, "embedding.upstream": dy})
    (t["embedding.dtable"],) = gradients(lambda w: F.embedding(ids, w), [table], dy)
    table = torch.randn(11, 3 * 4)
    dq, dk, dv = torch.randn(16, 4), torch.randn(16, 4), torch.randn(16, 4)
    t.update({"embedded_qkv.table": table, "embedded_qkv.dq": dq, "embedded_qkv.dk": dk, "embedded_qkv.dv": dv})
    leaf = table.clone().requires_grad_(True)
    q, k, v = torch.chunk(F.embedding(ids, leaf), 3, dim=-1)
    ((q * dq).sum() + (k * dk).sum() + (v * dv).sum()).backward()
    t["embedded_qkv.dtable"] = leaf.grad

    x, dy = torch.randn(3, 7, 5), torch.randn(3, 5)
    t.update({"pooling.input": x, "pooling.upstream": dy})
    (t["pooling.last.dx"],) = gradients(lambda a: a[:, -1, :], [x], dy)
    (t["pooling.mean.dx"],) = gradients(lambda a: a.mean(dim=1), [x], dy)

    # LSTM through time, with an initial state and gradients of the final state.
    lstm = torch.nn.LSTM(input_size=11, hidden_size=9, num_layers=1, batch_first=True)
    x, h0, c0 = torch.randn(3, 17, 11), torch.randn(1, 3, 9) * 0.5, torch.randn(1, 3, 9) * 0.5
    dy, dh, dc = torch.randn(3, 17, 9), torch.randn(1, 3, 9), torch.randn(1, 3, 9)
    for parameter in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        t[f"lstm.{parameter}"] = getattr(lstm, parameter).detach().clone()
    t.update({"lstm.input": x, "lstm.h0": h0, "lstm.c0": c0, "lstm.upstream": dy, "lstm.upstream_h_n": dh, "lstm.upstream_c_n": dc})
    leaves = [a.clone().requires_grad_(True) for a in (x, h0, c0)]
    out, (h_n, c_n) = lstm(leaves[0], (leaves[1], leaves[2]))
    ((out * dy).sum() + (h_n * dh).sum() + (c_n * dc).sum()).backward()
    t.update({"lstm.dx": leaves[0].grad, "lstm.dh0": leaves[1].grad, "lstm.dc0": leaves[2].grad})
    for parameter in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        t[f"lstm.d{parameter}"] = getattr(lstm, parameter).grad.clone()

    # Losses: next-token cross-entropy with ignored positions, classification, mean squared error.
    logits = torch.randn(18, 37) * 4.0
    targets = torch.randint(0, 37, (18,))
    targets[[2, 5, 11, 17]] = -100
    leaf = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(leaf, targets, ignore_index=-100)
    loss.backward()
    counted = targets != -100
    t.update({"cross_entropy.logits": logits, "cross_entropy.targets": targets.float(), "cross_entropy.loss": loss.detach().reshape(1),
              "cross_entropy.dlogits": leaf.grad,
              "cross_entropy.correct": ((logits.argmax(-1) == targets) & counted).sum().float().reshape(1)})
    logits, targets = torch.randn(5, 7) * 2.0, torch.tensor([0, 6, 3, 3, 1])
    leaf = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(leaf, targets)
    loss.backward()
    t.update({"classification.logits": logits, "classification.targets": targets.float(), "classification.loss": loss.detach().reshape(1),
              "classification.dlogits": leaf.grad, "classification.correct": (logits.argmax(-1) == targets).sum().float().reshape(1)})
    prediction, target = torch.randn(4, 6), torch.randn(4, 6)
    leaf = prediction.clone().requires_grad_(True)
    loss = F.mse_loss(leaf, target)
    loss.backward()
    t.update({"mse.prediction": prediction, "mse.target": target, "mse.loss": loss.detach().reshape(1), "mse.dprediction": leaf.grad})

    # AdamW: 5 steps, two parameter groups (weight decay 0.1 and 0), global-norm clipping that engages, gradients
    # averaged over 2 micro-batches (scale 0.5), linear warm-up over 2 updates then cosine to 0.1 of the rate at 5.
    lr, warmup, total, min_ratio, max_norm, steps = 1e-2, 2, 5, 0.1, 1.0, 5
    decayed, plain = torch.randn(40, 3).requires_grad_(True), torch.randn(7).requires_grad_(True)
    t.update({"adamw.decayed.initial": decayed.detach().clone(), "adamw.plain.initial": plain.detach().clone()})
    optimizer = torch.optim.AdamW([{"params": [decayed], "weight_decay": 0.1}, {"params": [plain], "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def factor(update):
        if update <= warmup:
            return update / warmup
        progress = min(1.0, (update - warmup) / (total - warmup))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: factor(k + 1))
    for step in range(steps):
        optimizer.zero_grad()
        for micro in range(2):
            gd, gp = torch.randn(40, 3) * 0.5, torch.randn(7) * 0.5
            t[f"adamw.step{step}.micro{micro}.decayed"], t[f"adamw.step{step}.micro{micro}.plain"] = gd, gp
            ((decayed * gd).sum() * 0.5 + (plain * gp).sum() * 0.5).backward()
        norm = torch.nn.utils.clip_grad_norm_([decayed, plain], max_norm)
        t[f"adamw.step{step}.norm"] = norm.detach().reshape(1)
        t[f"adamw.step{step}.learning_rate"] = scalar(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        t[f"adamw.step{step}.decayed"], t[f"adamw.step{step}.plain"] = decayed.detach().clone(), plain.detach().clone()
    for name, parameter in (("decayed", decayed), ("plain", plain)):
        t[f"adamw.{name}.exp_avg"] = optimizer.state[parameter]["exp_avg"].clone()
        t[f"adamw.{name}.exp_avg_sq"] = optimizer.state[parameter]["exp_avg_sq"].clone()
    t.update({"adamw.learning_rate": scalar(lr), "adamw.max_grad_norm": scalar(max_norm), "adamw.warmup_steps": scalar(warmup),
              "adamw.total_steps": scalar(total), "adamw.min_learning_rate_ratio": scalar(min_ratio), "adamw.weight_decay": scalar(0.1)})

    os.makedirs(os.path.dirname(output), exist_ok=True)
    size = write_safetensors(output, t)
    print(f"wrote {os.path.normpath(output)}: {len(t)} tensors, {size} bytes")


if __name__ == "__main__":
    main()
