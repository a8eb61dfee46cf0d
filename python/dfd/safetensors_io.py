"""Reading and writing safetensors from Python, through libdfd's one C++ implementation
(dfd/safetensors.hpp): the same checks as every C++ load (ranges tile the buffer, shapes fit in
int64, dtypes known), no second parser to keep in step. Debian ships no `safetensors` package.
"""

from __future__ import annotations

import os

import numpy as np

from ._dfd import load_safetensors, save_safetensors


def save(path: str | os.PathLike, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """Writes `tensors` (little-endian, C-contiguous copies are made as needed) and string metadata."""
    arrays = {}
    for name, value in tensors.items():
        array = np.asarray(value, order="C")  # C-contiguous, and a 0-d value stays 0-d
        arrays[name] = array.astype(array.dtype.newbyteorder("<"), copy=False)
    save_safetensors(path, arrays, dict(metadata or {}))


def load(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors, metadata) of a safetensors file; every array is a copy (BF16 widened to float32)."""
    return load_safetensors(path)
