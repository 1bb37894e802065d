#!/usr/bin/python3
"""Reads a safetensors file with PyTorch alone (no `safetensors` package) and prints every tensor, one per line:

    <name> <dtype> <shape, comma-separated or -> <values>

float values as the hex bits of their float32 widening, integers in decimal, in header order. Used by
SafeTensorsPythonReadbackTest to check that files written by the Java side read in PyTorch; exits with status 3
when PyTorch is not available.

    /usr/bin/python3 scripts/goldens/_read_safetensors.py model.safetensors
"""
import json
import os
import struct
import sys

try:
    import torch
except ImportError:
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fixtures import read_safetensors  # noqa: E402

NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int32: "I32", torch.int64: "I64"}


def main(path):
    for name, tensor in read_safetensors(path).items():
        dtype = tensor.dtype
        shape = ",".join(str(d) for d in tensor.shape) or "-"
        if dtype.is_floating_point:
            values = [format(v & 0xFFFFFFFF, "08x")
                      for v in tensor.to(torch.float32).reshape(-1).view(torch.int32).tolist()]
        else:
            values = [str(v) for v in tensor.reshape(-1).tolist()]
        print(" ".join([name, NAMES[dtype], shape] + values))


if __name__ == "__main__":
    main(sys.argv[1])
