import hashlib
import subprocess
import sys

import numpy as np
import pytest
import torch

from dfd import convert, safetensors_io


def test_blazeface_checkpoints_convert_with_provenance(shared, tmp_path):
    for name, arch, count in (("blazeface.pth", "blazeface_front", 74), ("blazefaceback.pth", "blazeface_back", 138)):
        source = shared / "weights/blazeface_hollance" / name
        out = tmp_path / f"{arch}.safetensors"
        convert.convert(source, out, arch)
        tensors, meta = safetensors_io.load(out)
        assert len(tensors) == count
        assert meta["arch"] == arch and meta["source"] == name
        assert meta["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        # Same values as torch.load of the original (blazeface.pth is the legacy pre-1.6 format).
        original = torch.load(source, map_location="cpu")
        for key, value in original.items():
            np.testing.assert_array_equal(tensors[key], value.numpy())


def test_nested_state_dicts_and_dataparallel_prefixes(tmp_path):
    source = tmp_path / "wrapped.pt"
    torch.save({"epoch": 3, "state_dict": {"module.fc.weight": torch.ones(2, 3), "module.fc.bias": torch.zeros(2)}},
               source)
    tensors = convert.load_state_dict(source)
    assert sorted(tensors) == ["fc.bias", "fc.weight"]
    assert tensors["fc.weight"].dtype == np.float32


def test_errors_name_the_file(shared, tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(convert.ConversionError, match="notes.pth"):
        convert.convert(text, tmp_path / "x.safetensors", "blazeface_front")
    with pytest.raises(convert.ConversionError, match="74"):
        convert.convert(shared / "weights/blazeface_hollance/blazefaceback.pth", tmp_path / "y.safetensors",
                        "blazeface_front")
    with pytest.raises(convert.ConversionError, match="unknown architecture"):
        convert.convert(text, tmp_path / "z.safetensors", "resnet9000")


def test_command_line(shared, tmp_path):
    listing = subprocess.run([sys.executable, "-m", "dfd.convert", "--list"], capture_output=True, text=True)
    assert listing.returncode == 0 and "blazeface_front" in listing.stdout
    out = tmp_path / "front.safetensors"
    ok = subprocess.run([sys.executable, "-m", "dfd.convert", str(shared / "weights/blazeface_hollance/blazeface.pth"),
                         str(out), "--arch", "blazeface_front"], capture_output=True, text=True)
    assert ok.returncode == 0 and out.is_file()
    bad = subprocess.run([sys.executable, "-m", "dfd.convert", str(tmp_path / "missing.pth"), str(out),
                          "--arch", "blazeface_front"], capture_output=True, text=True)
    assert bad.returncode == 1 and "missing.pth: no such file" in bad.stderr


def test_checkpoints_that_could_run_code_are_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must not run",))

    evil = tmp_path / "evil.pt"
    torch.save({"state_dict": {"w": torch.ones(1)}, "extra": Payload()}, evil)
    with pytest.raises(convert.ConversionError, match="not allowed"):
        convert.load_state_dict(evil)


def test_fakeavceleb_checkpoints_with_plain_numbers_convert(shared, tmp_path):
    source = shared / "weights/fakeavceleb_meso_dashlab/Meso4_realA_fakeC.pt"
    tensors = convert.convert(source, tmp_path / "m.safetensors", "meso4")
    assert "conv1.weight" in tensors and "bn2.running_var" in tensors


def test_keras_h5_mapping(shared, tmp_path):
    out = tmp_path / "meso4.safetensors"
    convert.convert(shared / "weights/mesonet_dariusaf/Meso4_DF.h5", out, "meso4_keras")
    tensors, meta = safetensors_io.load(out)
    assert meta["arch"] == "meso4_keras" and meta["source"] == "Meso4_DF.h5"
    assert tensors["conv1.weight"].shape == (8, 3, 3, 3) and tensors["fc1.weight"].shape == (16, 1024)
    import h5py
    with h5py.File(shared / "weights/mesonet_dariusaf/Meso4_DF.h5", "r") as h5:
        g = h5["model_weights"] if "model_weights" in h5 else h5
        kernel = np.asarray(g["dense_3"]["dense_3"]["kernel:0"])
    # W[o, c*64 + h*8 + w] = K[(h*8 + w)*16 + c, o] (the golden README's mapping)
    o, c, h, w = 3, 5, 2, 7
    assert tensors["fc1.weight"][o, c * 64 + h * 8 + w] == kernel[(h * 8 + w) * 16 + c, o]
    with pytest.raises(convert.ConversionError, match="do not make a mesoinception4_keras"):
        convert.convert(shared / "weights/mesonet_dariusaf/Meso4_DF.h5", tmp_path / "x.safetensors",
                        "mesoinception4_keras")


def test_xception_head_from_ondyaris_naming(tmp_path):
    import dfd

    original = dfd.Model("xception")
    # ondyari's FF++ checkpoints wrap the head in Sequential(Dropout, Linear): model.last_linear.1.*
    state = {k.replace("model.last_linear.", "model.last_linear.1."): torch.from_numpy(v) if isinstance(v, np.ndarray)
             else torch.tensor(v) for k, v in original.state_dict().items()}
    source = tmp_path / "ffpp.pth"
    torch.save(state, source)
    tensors = convert.convert(source, tmp_path / "x.safetensors", "xception")
    assert "model.last_linear.weight" in tensors and not any(".last_linear.1." in k for k in tensors)
    converted = dfd.Model.load("xception", str(tmp_path / "x.safetensors"))
    x = np.random.default_rng(0).standard_normal((1, 3, 299, 299)).astype(np.float32)
    np.testing.assert_array_equal(converted(x), original(x))
