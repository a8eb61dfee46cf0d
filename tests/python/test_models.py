"""The zoo from Python: real torchvision checkpoints converted and run by libdfd equal torchvision."""

import cv2
import numpy as np
import pytest
import torch
import torchvision

import dfd
from dfd import convert


def _logits_close(ours, reference, tolerance):
    scale = max(1.0, float(np.abs(reference).max()))
    assert float(np.abs(ours - reference).max()) / scale <= tolerance


@pytest.mark.parametrize("arch", ["resnet18", "efficientnet_b0"])
def test_torchvision_checkpoints_equal_torchvision(arch, tmp_path):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, arch)().eval()
    # As a training script saves it: nested, with DataParallel's "module." prefix.
    source = tmp_path / f"{arch}.pth"
    torch.save({"epoch": 1, "state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, source)
    out = tmp_path / f"{arch}.safetensors"
    convert.convert(source, out, arch)
    model = dfd.Model.load(arch, str(out))
    assert model.info.num_outputs == 1000 and model.info.arch == arch
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = reference(x).numpy()
    _logits_close(model(x), expected, 1e-4)
    _logits_close(model(x.numpy()), expected, 1e-4)
    logits, maps = model.forward(x, ["features"])
    _logits_close(logits, expected, 1e-4)
    assert maps["features"].shape[:2] == (2, 512 if arch == "resnet18" else 1280)


def _kernel_isotropic_resize(img, size):
    # The DFDC "Inference Kernel Demo": integer scaling of the long side, INTER_AREA.
    h, w = img.shape[:2]
    if w > h:
        h, w = h * size // w, size
    else:
        h, w = size, w * size // h
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def _kernel_make_square(img):
    h, w = img.shape[:2]
    size = max(h, w)
    return cv2.copyMakeBorder(img, 0, size - h, 0, size - w, cv2.BORDER_CONSTANT, value=0)


def test_dfdc_kernel_resnext_end_to_end(tmp_path):
    """The DFDC kernel's ResNeXt-50 (1-logit fc) with its preprocessing, against the kernel's pipeline."""
    torch.manual_seed(1)
    reference = torchvision.models.resnext50_32x4d()
    reference.fc = torch.nn.Linear(2048, 1)
    reference.eval()
    source = tmp_path / "resnext.pth"
    torch.save(reference.state_dict(), source)
    out = tmp_path / "resnext.safetensors"
    convert.convert(source, out, "resnext50_32x4d")
    classifier = dfd.Classifier(f"resnext50_32x4d:{out}", batch_size=2)
    assert classifier.preset == "dfdc_kernel_resnext" and classifier.input_size == 224

    rng = np.random.default_rng(3)
    crops = [rng.integers(0, 256, size=shape, dtype=np.uint8) for shape in ((300, 200, 3), (150, 260, 3), (224, 224, 3))]
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    batch = np.stack([_kernel_make_square(_kernel_isotropic_resize(c, 224)) for c in crops])
    x = torch.from_numpy(((batch / 255.0 - mean) / std).transpose(0, 3, 1, 2).astype(np.float32))
    with torch.no_grad():
        expected = torch.sigmoid(reference(x)[:, 0]).numpy()
    np.testing.assert_allclose(classifier.predict(crops), expected, atol=1e-5)
    # Test-time flip averages the crop and its mirror.
    flipped = dfd.Classifier(f"resnext50_32x4d:{out}", flip_tta=True)
    with torch.no_grad():
        mirrored = torch.sigmoid(reference(x.flip(3))[:, 0]).numpy()
    np.testing.assert_allclose(flipped.predict(crops), (expected + mirrored) / 2, atol=1e-5)


def test_converting_for_the_wrong_arch_fails_and_leaves_no_file(tmp_path):
    source = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), source)
    out = tmp_path / "resnet34.safetensors"
    with pytest.raises(convert.ConversionError, match=r"resnet18.pth: not a resnet34 checkpoint.*missing"):
        convert.convert(source, out, "resnet34")
    assert not out.exists()


def test_model_info_and_errors():
    info = dfd.model_info("tf_efficientnet_b7_dfdc")
    assert (info.input_size, info.num_outputs, info.head) == (380, 1, "fc.weight")
    assert info.endpoints[-1] == "features"
    with pytest.raises(ValueError, match="resnet9000"):
        dfd.model_info("resnet9000")
    model = dfd.Model("meso4", num_outputs=2)
    with pytest.raises(ValueError, match="4 dimensions"):
        model(np.zeros((3, 224, 224), np.float32))
    with pytest.raises(ValueError, match="no endpoint 'layer4'"):
        model.forward(np.zeros((1, 3, 224, 224), np.float32), ["layer4"])


class _WithFeatureMap(torch.nn.Module):
    """A research model as it might be scripted: logits and the map Grad-CAM should look at."""

    def __init__(self, outputs: int):
        super().__init__()
        self.body = torchvision.models.resnet18(num_classes=outputs)

    def forward(self, x):
        b = self.body
        x = b.layer4(b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x))))))))
        return b.fc(torch.flatten(b.avgpool(x), 1)), x


def test_torchscript_models_run_as_zoo_models(tmp_path):
    torch.manual_seed(2)
    reference = _WithFeatureMap(1).eval()
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(reference), str(path))
    model = dfd.Model.load_torchscript(str(path))
    assert model.info.arch == "torchscript" and model.info.endpoints == ["features"]
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        logits, fmap = reference(x)
    ours, maps = model.forward(x, ["features"])
    np.testing.assert_allclose(ours, logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(maps["features"], fmap.numpy(), atol=1e-5)

    # A traced plain classifier, through the Classifier with the preset the spec names.
    traced = tmp_path / "traced.pt"
    torch.jit.save(torch.jit.trace(reference.body, x), str(traced))
    classifier = dfd.Classifier(f"torchscript:{traced}@dfdc_kernel_resnext", batch_size=3)
    crops = np.random.default_rng(4).integers(0, 256, size=(5, 224, 224, 3), dtype=np.uint8)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    inputs = torch.from_numpy(((crops / 255.0 - mean) / std).transpose(0, 3, 1, 2).astype(np.float32))
    with torch.no_grad():
        expected = torch.sigmoid(reference.body(inputs)[:, 0]).numpy()
    np.testing.assert_allclose(classifier.predict(crops), expected, atol=1e-5)
    assert dfd.Model.load_torchscript(str(traced)).info.endpoints == []


def test_torchscript_errors_name_the_file(tmp_path):
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not torchscript")
    with pytest.raises(dfd.ModelError, match="bogus.pt: not a TorchScript file"):
        dfd.Model.load_torchscript(str(bogus))
    three = tmp_path / "three.pt"
    torch.jit.save(torch.jit.script(_WithFeatureMap(3).eval()), str(three))
    with pytest.raises(ValueError, match="needs a preset"):
        dfd.Classifier(f"torchscript:{three}")
    # One logit expected, three given: an error, never column 0 read as p(fake).
    with pytest.raises(ValueError, match="reads one logit, but the model gives 3 outputs"):
        dfd.Classifier(f"torchscript:{three}@dfdc_selimsef").predict(np.zeros((1, 3, 64, 64), np.float32))


def test_devices():
    model = dfd.Model("meso4")
    assert model.device == "cpu"
    model.to("cpu")
    for bad, why in (("cuda", "no CUDA"), ("tpu", "not a device"), ("mps", "only cpu and cuda")):
        if bad == "cuda" and torch.cuda.is_available():
            continue
        with pytest.raises(ValueError, match=why):
            model.to(bad)
