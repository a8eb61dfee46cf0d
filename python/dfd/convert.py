"""Convert published checkpoints to libdfd's safetensors weights.

    python -m dfd.convert SOURCE OUTPUT.safetensors --arch ARCH
    python -m dfd.convert --list

SOURCE is a PyTorch checkpoint (zip or the legacy pre-1.6 format; a state_dict, possibly nested
under "state_dict"/"model"/..., with DataParallel "module." prefixes). The output holds float32
tensors named as libdfd's C++ modules name them — the reference implementation's own names — and
metadata: the architecture, the source file name and its sha256, the converter version. Nothing in
the source is executed: unpickling builds only tensors, containers and numbers (an allow-list).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np

from . import safetensors_io

CONVERTER_VERSION = "1"

# Architectures whose checkpoints this converter knows, with the tensor count of their state_dict
# (a cheap check that a file is what it says; the C++ loader checks every name and shape).
ARCHITECTURES = {
    "blazeface_front": ("hollance/BlazeFace-PyTorch blazeface.pth (MediaPipe front camera, 128x128)", 74),
    "blazeface_back": ("hollance/BlazeFace-PyTorch blazefaceback.pth (MediaPipe back camera, 256x256)", 138),
    "meso4": ("FakeAVCeleb Meso4 (models/MesoNet.py) checkpoint, e.g. Meso4_realA_fakeC.pt", 18),
    "mesoinception4": ("FakeAVCeleb MesoInception4 checkpoint, e.g. MesoInception4_realA_fakeC.pt", 35),
    # A directory holding facenet-pytorch's data/{pnet,rnet,onet}.pt; one file with pnet./rnet./onet. names.
    "mtcnn": ("facenet-pytorch data/ directory (pnet.pt, rnet.pt, onet.pt)", 50),
}
_MTCNN_PARTS = ("pnet", "rnet", "onet")

_NESTED_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")


class ConversionError(Exception):
    """The source cannot be converted; the message names the file and the cause."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _RestrictedUnpickler(pickle.Unpickler):
    """Reads any pickle opcode but builds only what a weights file needs: containers, tensors and
    their storages, numpy scalars. Anything else (a class or function a checkpoint could use to run
    code) is refused. torch 1.13's own weights_only unpickler cannot read plain floats (opcode G),
    which many training checkpoints hold (best_acc, lr), hence this one."""

    _ALLOWED = {
        ("collections", "OrderedDict"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch", "Size"),
        ("torch", "device"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED or (module == "torch" and name.endswith("Storage")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")


class _RestrictedPickleModule:
    """What torch.load expects of a pickle module, restricted."""

    __name__ = "dfd_restricted_pickle"
    Unpickler = _RestrictedUnpickler

    @staticmethod
    def load(f, **kwargs):
        return _RestrictedUnpickler(f, **kwargs).load()


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors as float32/int64 numpy arrays, unwrapped and without `module.`."""
    import torch  # Debian's python3-torch; imported here so `--list` works without it

    try:
        obj = torch.load(str(path), map_location="cpu", pickle_module=_RestrictedPickleModule)
    except Exception as e:  # noqa: BLE001 — torch raises many kinds; report the cause with the path
        raise ConversionError(f"{path}: not a PyTorch checkpoint that can be read safely: {e}") from e
    for _ in range(3):
        if isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
            nested = next((obj[k] for k in _NESTED_KEYS if k in obj and isinstance(obj[k], dict)), None)
            if nested is None:
                break
            obj = nested
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"{path}: holds no state_dict (found {type(obj).__name__})")
    tensors = {}
    for name, value in obj.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = name[len("module."):] if name.startswith("module.") else name
        array = value.detach().cpu()
        array = array.float() if array.is_floating_point() else array.long()
        tensors[name] = array.numpy()
    if not tensors:
        raise ConversionError(f"{path}: the state_dict holds no tensors")
    return tensors


def convert(source: str | Path, output: str | Path, arch: str) -> dict[str, np.ndarray]:
    """Converts `source` for architecture `arch` and writes `output`; returns the tensors."""
    source, output = Path(source), Path(output)
    if arch not in ARCHITECTURES:
        raise ConversionError(f"{arch}: unknown architecture (known: {', '.join(sorted(ARCHITECTURES))})")
    if arch == "mtcnn":
        if not source.is_dir():
            raise ConversionError(f"{source}: for mtcnn, give the directory holding pnet.pt, rnet.pt and onet.pt")
        parts = [source / f"{part}.pt" for part in _MTCNN_PARTS]
        for path in parts:
            if not path.is_file():
                raise ConversionError(f"{path}: no such file")
        tensors = {f"{part}.{name}": value for part, path in zip(_MTCNN_PARTS, parts)
                   for name, value in load_state_dict(path).items()}
        source_names = ",".join(p.name for p in parts)
        source_sha = ",".join(sha256_of(p) for p in parts)
    else:
        if not source.is_file():
            raise ConversionError(f"{source}: no such file")
        tensors = load_state_dict(source)
        source_names, source_sha = source.name, sha256_of(source)
    expected = ARCHITECTURES[arch][1]
    if expected is not None and len(tensors) != expected:
        raise ConversionError(f"{source}: {len(tensors)} tensors, but a {arch} checkpoint has {expected}")
    metadata = {
        "format": "dfd-weights",
        "arch": arch,
        "source": source_names,
        "source_sha256": source_sha,
        "converter": f"dfd.convert {CONVERTER_VERSION}",
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    safetensors_io.save(output, tensors, metadata)
    return tensors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dfd.convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", help="checkpoint to convert")
    parser.add_argument("output", nargs="?", help="the .safetensors file to write")
    parser.add_argument("--arch", help="architecture of the checkpoint (see --list)")
    parser.add_argument("--list", action="store_true", help="list the known architectures")
    args = parser.parse_args(argv)
    if args.list:
        for name, (source, _) in sorted(ARCHITECTURES.items()):
            print(f"{name:18s} {source}")
        return 0
    if not (args.source and args.output and args.arch):
        parser.error("SOURCE, OUTPUT and --arch are required")
    try:
        tensors = convert(args.source, args.output, args.arch)
    except ConversionError as e:
        print(f"dfd.convert: error: {e}", file=sys.stderr)
        return 1
    print(f"{args.output}: {len(tensors)} tensors ({args.arch}) from {args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
