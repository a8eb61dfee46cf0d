"""Shared fixtures: where ../shared is, a reader for its safetensors goldens, the built CLI."""

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def shared_dir() -> Path:
    path = Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared"))
    if not path.is_dir():
        # Fail, never skip: a run without the shared data proves nothing.
        pytest.fail(f"shared test data not found at {path} (data, weights, golden); set DFD_SHARED_DIR",
                    pytrace=False)
    return path


def read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A golden file as (tensors, metadata). Small and independent of the library under test."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    buf = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(buf[begin:end], dtype=_DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, meta


def default_face_model() -> tuple[str, Path]:
    """The `default` preset's face model as shipped: its spec (ARCH:FILE) and the file's path. Tests
    that need "the default face model" take it from here, so the next model swap changes one place."""
    import dfd

    spec = dfd.DetectorParams("default").models[0]
    return spec, Path(dfd.find_model_file(spec.split(":", 1)[1]))


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `dfd` tool from the CMake build that scripts/setup.sh made."""
    exe = Path(os.environ.get("DFD_BUILD_DIR", REPO / "_build")) / "dfd"
    if not exe.is_file():
        pytest.fail(f"the dfd command-line tool is not built at {exe}: run scripts/setup.sh", pytrace=False)
    return exe


@pytest.fixture(scope="session")
def converted(shared, tmp_path_factory) -> dict[str, Path]:
    """The published weights the pipeline tests use, converted once per session:
    meso (Keras MesoInception4 DF), meso4 (Keras Meso4 DF), mtcnn, audio_meso (FakeAVCeleb's
    Meso4 realA_fakeB, an audio model), aasist_l (clovaai/aasist AASIST-L, a waveform model)."""
    from dfd import convert

    out = tmp_path_factory.mktemp("converted")
    jobs = {
        "meso": ("weights/mesonet_dariusaf/MesoInception_DF.h5", "mesoinception4_keras"),
        "meso4": ("weights/mesonet_dariusaf/Meso4_DF.h5", "meso4_keras"),
        "mtcnn": ("weights/mtcnn_facenet-pytorch", "mtcnn"),
        "audio_meso": ("weights/fakeavceleb_meso_dashlab/Meso4_realA_fakeB.pt", "meso4"),
        "aasist_l": ("weights/aasist_clovaai/AASIST-L.pth", "aasist_l"),
    }
    paths = {}
    for name, (source, arch) in jobs.items():
        paths[name] = out / f"{name}.safetensors"
        convert.convert(shared / source, paths[name], arch)
    return paths


@pytest.fixture(scope="session", autouse=True)
def runtime():
    """The runtime the dfd command configures (every core; libdfd changes nothing on its own)."""
    import dfd

    dfd.configure_runtime()
