#!/usr/bin/python3
"""Writes the safetensors fixture that SafeTensorsPythonFixtureTest reads, and the values it must read back.

Run with Debian's PyTorch (/usr/bin/python3; no `safetensors` package needed):

    /usr/bin/python3 scripts/goldens/make_safetensors_fixture.py [--out ROOT]   (scripts/update-goldens runs it)

The file is assembled by hand from the format's definition (8-byte little-endian header length, JSON header,
little-endian row-major data), with tensor bytes taken from PyTorch, so the Java reader is checked against an
independent writer. The JSON header lists tensors sorted by name while the data section is laid out in another
order (largest element size first, as the reference writer does), so a reader that assumes the two orders agree
fails. Expected values are what PyTorch itself gives when widening each tensor to float32 (as hex bit patterns, so
NaN, infinities and -0.0 compare exactly) or int64.
"""
import argparse
import json
import math
import pathlib
import struct

import torch

REPO = pathlib.Path(__file__).resolve().parents[2]
RELATIVE = pathlib.Path("model") / "src" / "test" / "resources" / "weights"
inf, nan = math.inf, math.nan

TENSORS = {
    # F32: normal, negative zero, a float32 subnormal, near the float32 maximum.
    "embed.weight": torch.tensor([[1.0, -2.5, 3.14159265], [-0.0, 1e-40, 3.0e38]], dtype=torch.float32),
    "scalar": torch.tensor(7.5, dtype=torch.float32),
    "empty": torch.zeros(0, 3, dtype=torch.float32),
    # F16: zeros, the largest finite value, the smallest normal, the smallest and another subnormal,
    # infinities, NaN, and values that round.
    "half": torch.tensor([0.0, -0.0, 1.0, -2.0, 65504.0, 6.103515625e-05, 5.960464477539063e-08,
                          3.0517578125e-05, inf, -inf, nan, 0.1, 1000.5], dtype=torch.float16),
    # BF16: same exponent range as float32, so float32 subnormals survive (coarsely).
    "brain": torch.tensor([[1.0, -0.0, inf, nan, 3.14159265],
                           [1e-40, 9.2e-41, 3.0e38, -1e-3, 65504.0]], dtype=torch.bfloat16),
    # I64 token ids, including the int32 extremes the Java reader must accept.
    "token_ids": torch.tensor([0, 1, 99, 2147483647, -2147483648, -5], dtype=torch.int64),
}

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def little_endian_bytes(tensor):
    tensor = tensor.contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().astype("<i2").tobytes()
    numpy_type = {torch.float32: "<f4", torch.float16: "<f2", torch.int64: "<i8"}[tensor.dtype]
    return tensor.numpy().astype(numpy_type).tobytes()


def main():
    parser = argparse.ArgumentParser(description="Writes the safetensors reader's PyTorch fixture under ROOT (default: the repository).")
    parser.add_argument("--out", default=str(REPO))
    OUT = pathlib.Path(parser.parse_args().out) / RELATIVE
    data_order = sorted(TENSORS, key=lambda name: (-TENSORS[name].element_size(), name))
    header = {"__metadata__": {"format": "pt", "writer": "scripts/goldens/make_safetensors_fixture.py"}}
    chunks = []
    offset = 0
    offsets = {}
    for name in data_order:
        data = little_endian_bytes(TENSORS[name])
        offsets[name] = [offset, offset + len(data)]
        chunks.append(data)
        offset += len(data)
    for name in sorted(TENSORS):
        tensor = TENSORS[name]
        header[name] = {"dtype": DTYPE_NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": offsets[name]}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "python-fixture.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(header_bytes)))
        out.write(header_bytes)
        for chunk in chunks:
            out.write(chunk)

    lines = ["# name dtype shape values (float32 bits in hex for float dtypes, decimal for ints), header order"]
    for name in sorted(TENSORS):
        tensor = TENSORS[name]
        shape = ",".join(str(d) for d in tensor.shape) or "-"
        if tensor.dtype.is_floating_point:
            values = [format(v & 0xFFFFFFFF, "08x")
                      for v in tensor.to(torch.float32).reshape(-1).view(torch.int32).tolist()]
        else:
            values = [str(v) for v in tensor.reshape(-1).tolist()]
        lines.append(" ".join([name, DTYPE_NAMES[tensor.dtype], shape] + values))
    (OUT / "python-fixture.expected.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
