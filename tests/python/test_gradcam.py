"""dfd.GradCAM from Python: g8 parity through the Classifier, targets, overlay, flat memory."""

import resource

import cv2
import numpy as np
import pytest

import dfd
from conftest import read_safetensors
from dfd import convert


@pytest.fixture(scope="module")
def meso(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "MesoInception4_realA_fakeC.safetensors"
    convert.convert(shared / "weights/fakeavceleb_meso_dashlab/MesoInception4_realA_fakeC.pt", out, "mesoinception4")
    return dfd.Classifier(f"mesoinception4:{out}@fakeavceleb_meso")


@pytest.fixture(scope="module")
def crops(shared):
    golden, _ = read_safetensors(shared / "golden/g8_gradcam/mesoinception4_fakeavceleb.safetensors")
    inputs, _ = read_safetensors(shared / "golden/g7_real_weights/inputs_fakeavceleb_224.safetensors")
    return inputs["images_u8"][golden["g7_image_indices"]]


def test_g8_mesoinception4_through_the_classifier(shared, meso, crops):
    golden, _ = read_safetensors(shared / "golden/g8_gradcam/mesoinception4_fakeavceleb.safetensors")
    for layer in ("conv2", "maxpooling2"):
        cam = dfd.GradCAM(meso, layers=[layer])
        maps = cam(crops, target=1)
        assert maps.shape == (4, 224, 224) and maps.dtype == np.float32
        np.testing.assert_allclose(maps, golden[f"GradCAM/{layer}/target1/grayscale_cam"], atol=1e-4)
        # "fake" is the preset's fake column (1 for fakeavceleb_meso), "real" the other one.
        np.testing.assert_array_equal(cam(crops, target="fake"), maps)
        np.testing.assert_array_equal(cam(crops, target="real"), cam(crops, target=0))


def test_single_logit_real_side_is_the_negated_logit(shared, tmp_path):
    weights = tmp_path / "MesoInception_DF.safetensors"
    convert.convert(shared / "weights/mesonet_dariusaf/MesoInception_DF.h5", weights, "mesoinception4_keras")
    classifier = dfd.Classifier(f"mesoinception4_keras:{weights}@mesonet")  # the logit means REAL
    model = dfd.Model.load("mesoinception4_keras", str(weights))
    image = cv2.cvtColor(cv2.imread(str(shared / "data/images/mesonet_test_images/fake/df00204.jpg")), cv2.COLOR_BGR2RGB)
    image = cv2.resize(image, (256, 256), interpolation=cv2.INTER_NEAREST_EXACT)
    cam = dfd.GradCAM(classifier, layers=["block3"])
    real = cam([image], target="real")
    fake = cam([image], target="fake")
    # The real side of MesoNet is its logit: the plain class-0 map of the bare model.
    x = (image.astype(np.float32) / 255).transpose(2, 0, 1)[None].copy()
    np.testing.assert_allclose(real, dfd.GradCAM(model, layers=["block3"])(x, target=0), atol=1e-6)
    assert not np.allclose(real, fake)  # the negated logit is a different explanation, not a copy


def test_maps_come_back_in_the_crops_pixels(meso, crops):
    cam = dfd.GradCAM(meso, method="layercam")
    tall = cv2.resize(crops[0], (150, 300))
    maps = cam([tall, crops[1]])  # sizes differ: a list
    assert [m.shape for m in maps] == [(300, 150), (224, 224)]
    assert all(0.0 <= m.min() and m.max() <= 1.0 for m in maps)
    with pytest.raises(ValueError, match="no endpoint 'layer9'"):
        dfd.GradCAM(meso, layers=["layer9"])
    with pytest.raises(ValueError, match="unknown CAM method"):
        dfd.GradCAM(meso, method="scorecam")
    with pytest.raises(ValueError, match="fake/real targets need"):
        dfd.GradCAM(meso.model)(np.zeros((1, 3, 224, 224), np.float32), target="fake")


def test_overlay_equals_show_cam_on_image(crops):
    rng = np.random.default_rng(0)
    mask = rng.random((224, 224), dtype=np.float32)
    # pytorch-grad-cam's show_cam_on_image(img / 255, mask, use_rgb=True), restated.
    heat = cv2.cvtColor(cv2.applyColorMap(np.uint8(255 * mask), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    blended = 0.5 * (np.float32(heat) / 255) + 0.5 * (crops[0] / np.float32(255))
    expected = np.uint8(255 * (blended / np.max(blended)))
    ours = dfd.overlay(crops[0], mask)
    assert ours.shape == (224, 224, 3) and ours.dtype == np.uint8
    assert int(np.abs(ours.astype(int) - expected).max()) <= 1


def test_memory_stays_flat_over_thousands_of_calls():
    # A small input on one thread keeps 2000 calls quick (on this 2-vCPU machine tiny 2-thread
    # calls mostly wait for the other vCPU); what is measured is what each call leaves behind.
    threads = dfd.num_threads()
    dfd.set_num_threads(1)
    try:
        cam = dfd.GradCAM(dfd.Model("resnet18"), layers=["layer3", "layer4"], method="gradcam++")
        x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
        for _ in range(50):
            cam(x, target=0)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(2000):
            cam(x, target=0)
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    finally:
        dfd.set_num_threads(threads)
    assert grown_kib < 16 * 1024, f"peak RSS grew {grown_kib} KiB over 2000 calls"


def test_torchscript_feature_map_gives_the_zoo_models_map(tmp_path):
    """A scripted model returning (logits, feature_map) explains like the same network in the zoo."""
    import torch
    import torchvision

    from dfd import safetensors_io

    class WithFeatureMap(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torchvision.models.resnet18()

        def forward(self, x):
            b = self.body
            x = b.layer4(b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x))))))))
            return b.fc(torch.flatten(b.avgpool(x), 1)), x

    torch.manual_seed(5)
    net = WithFeatureMap().eval()
    scripted = tmp_path / "resnet18_fmap.pt"
    torch.jit.save(torch.jit.script(net), str(scripted))
    weights = tmp_path / "resnet18.safetensors"
    safetensors_io.save(weights, {k: v.numpy() for k, v in net.body.state_dict().items()}, {"arch": "resnet18"})
    x = np.random.default_rng(2).standard_normal((2, 3, 128, 128)).astype(np.float32)
    ours_script = dfd.GradCAM(dfd.Model.load_torchscript(str(scripted)), method="gradcam++")(x, target=3)
    ours_zoo = dfd.GradCAM(dfd.Model.load("resnet18", str(weights)), layers=["layer4"], method="gradcam++")(x, target=3)
    assert ours_script.shape == (2, 128, 128)
    np.testing.assert_allclose(ours_script, ours_zoo, atol=1e-4)
