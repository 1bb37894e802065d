#!/usr/bin/python3
"""Reads a safetensors file with PyTorch alone (no `safetensors` package) and prints every tensor, one per line:

    <name> <dtype> <shape, comma-separated or -> <values>

float values as the hex bits of their float32 widening, integers in decimal, in header order. Used by
SafeTensorsPythonReadbackTest to check that files written by the Java side read in PyTorch; exits with status 3
when PyTorch is not available.

    /usr/bin/python3 scripts/goldens/read_safetensors.py model.safetensors
"""
import json
import struct
import sys

try:
    import torch
except ImportError:
    sys.exit(3)

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
          "I64": torch.int64}


def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    data = blob[8 + header_length:]
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        raw = bytearray(data[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensor = flat.reshape(entry["shape"])
        shape = ",".join(str(d) for d in tensor.shape) or "-"
        if dtype.is_floating_point:
            values = [format(v & 0xFFFFFFFF, "08x")
                      for v in tensor.to(torch.float32).reshape(-1).view(torch.int32).tolist()]
        else:
            values = [str(v) for v in tensor.reshape(-1).tolist()]
        print(" ".join([name, entry["dtype"], shape] + values))


if __name__ == "__main__":
    main(sys.argv[1])
