"""Shared helpers for the golden-file scripts: a hand-written safetensors writer (no safetensors package).

Format: an 8-byte little-endian u64 header length, then a JSON header (keys sorted, no __metadata__, padded with
spaces to a multiple of 8 bytes), then the raw little-endian tensor data in the order of the sorted keys.
"""

import json
import struct

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def write_safetensors(path, tensors):
    """Writes {name: torch.Tensor or numpy array} to path; returns the number of bytes written."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        value = tensors[name]
        array = value.detach().cpu().contiguous().numpy() if hasattr(value, "detach") else np.asarray(value)
        if array.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {array.dtype}")
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
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
