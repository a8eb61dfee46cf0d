"""Reading and writing safetensors with numpy only (Debian ships no `safetensors` package).

The layout (shared with the C++ reader, dfd/safetensors.hpp): u64 little-endian header length,
the JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}} padded with
spaces to a multiple of 8, then the little-endian data.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_TO_NUMPY = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
             "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_FROM_NUMPY = {np.dtype(v): k for k, v in _TO_NUMPY.items()}


def save(path: str | Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """Writes `tensors` (C-contiguous little-endian copies are made as needed) and string metadata."""
    header: dict[str, object] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata keys and values must be strings")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    # Larger elements first keeps every tensor aligned to its element size.
    for name in sorted(tensors, key=lambda n: (-np.asarray(tensors[n]).dtype.itemsize, n)):
        array = np.ascontiguousarray(tensors[name])
        if array.dtype not in _FROM_NUMPY:
            raise TypeError(f"tensor {name!r}: dtype {array.dtype} has no safetensors equivalent")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _FROM_NUMPY[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors, metadata) of a safetensors file; arrays are read-only views of the file's bytes."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    buffer = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=_TO_NUMPY[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata
