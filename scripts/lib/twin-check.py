#!/usr/bin/python3
"""The CLI checks' helpers for the PyTorch comparison, with numpy only (no torch start-up per call):

    scripts/run describe CONFIG --resolved | twin-check.py input IN.safetensors   # a seeded input as --input reads it
    twin-check.py compare OURS.safetensors TORCH.safetensors                       # tensor output within 1e-4 relative

`compare` prints the largest difference and exits 0, or says how they differ and exits 1.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "goldens"))
from _fixtures import write_safetensors  # noqa: E402

BATCH, SEQ = 2, 12


def make_input(path):
    kind = json.load(sys.stdin)["input"]
    random = np.random.default_rng(7)
    if kind["kind"] == "token_ids":
        x = random.integers(0, kind["vocab_size"], size=(BATCH, SEQ), dtype=np.int64)
    else:
        x = random.standard_normal((BATCH, SEQ, kind["embed_dim"])).astype(np.float32)
    write_safetensors(path, {"input": x})


def output(path):
    """Tensor `output` (F32) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    entry = json.loads(blob[8:8 + length])["output"]
    if entry["dtype"] != "F32":
        sys.exit(f"{path}: output is {entry['dtype']}, not F32")
    begin, end = entry["data_offsets"]
    return np.frombuffer(blob[8 + length + begin:8 + length + end], dtype="<f4").astype(np.float64).reshape(entry["shape"])


def compare(ours_path, torch_path):
    ours, theirs = output(ours_path), output(torch_path)
    if ours.shape != theirs.shape:
        sys.exit(f"shape {list(ours.shape)}, PyTorch {list(theirs.shape)}")
    difference = np.abs(ours - theirs)
    excess = (difference - 1e-4 * np.abs(theirs) - 1e-5).max()
    if not np.isfinite(excess) or excess > 0:
        sys.exit(f"beyond 1e-4 relative by {excess:.2e}")
    print(f"largest difference {difference.max():.2e}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["input"] and len(sys.argv) == 3:
        make_input(sys.argv[2])
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
