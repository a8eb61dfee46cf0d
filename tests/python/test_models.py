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
