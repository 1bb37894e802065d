#!/usr/bin/python3
"""The CLI checks' comparison of a run with its PyTorch twin, with numpy only (no torch start-up per call):

    twin-check.py OURS.safetensors TORCH.safetensors

Tensor `output` of both must have one shape and agree within 1e-4 relative (1e-5 absolute near zero, as the twin
tests); prints the largest difference and exits 0, or says how they differ and exits 1.
"""
import json
import struct
import sys

import numpy as np


def output(path):
    """Tensor `output` (F32) of a safetensors file, as float64."""
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
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    compare(sys.argv[1], sys.argv[2])
