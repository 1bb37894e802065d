"""Shared helpers for the golden-file scripts and the PyTorch twins: a hand-written safetensors writer and reader
(no safetensors package).

Format: an 8-byte little-endian u64 header length, then a JSON header (keys sorted, __metadata__ when given, padded
with spaces to a multiple of 8 bytes), then the raw little-endian tensor data in the order of the sorted keys.
"""

import json
import struct

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("float64"): "F64", np.dtype("int64"): "I64", np.dtype("float16"): "F16"}


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: torch.Tensor or numpy array} (and string metadata) to path; returns the number of bytes written.
    A torch bfloat16 tensor is written as BF16 (its bits, as numpy has no bfloat16)."""
    header = {"__metadata__": dict(metadata)} if metadata else {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        value = tensors[name]
        tag = None
        if hasattr(value, "detach") and str(value.dtype) == "torch.bfloat16":
            import torch
            value, tag = value.detach().cpu().contiguous().view(torch.int16), "BF16"
        array = value.detach().cpu().contiguous().numpy() if hasattr(value, "detach") else np.asarray(value)
        if tag is None and array.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {array.dtype}")
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": tag or _DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in blobs:
            f.write(data)
    return 8 + len(encoded) + offset


def read_safetensors(path):
    """Reads path into {name: torch.Tensor} in header order (F32, F16, BF16, I32, I64; __metadata__ skipped)."""
    import torch

    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32, "I64": torch.int64}
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    data = blob[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        raw = bytearray(data[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors
