import numpy as np
import pytest
import torch

import dfd
from conftest import read_safetensors
from dfd import convert


@pytest.fixture(scope="module")
def meso_weights(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "MesoInception4_realA_fakeC.safetensors"
    convert.convert(shared / "weights/fakeavceleb_meso_dashlab/MesoInception4_realA_fakeC.pt", out, "mesoinception4")
    return out


def test_classifier_equals_fakeavceleb(shared, meso_weights):
    inputs, _ = read_safetensors(shared / "golden/g7_real_weights/inputs_fakeavceleb_224.safetensors")
    golden, _ = read_safetensors(shared / "golden/g7_real_weights/fakeavceleb_MesoInception4_realA_fakeC.safetensors")
    classifier = dfd.Classifier(f"mesoinception4:{meso_weights}@fakeavceleb_meso")
    assert classifier.preset == "fakeavceleb_meso" and classifier.input_size == 224 and classifier.arch == "mesoinception4"
    images = inputs["images_u8"]
    from_list = classifier.predict(list(images))
    np.testing.assert_allclose(from_list, golden["softmax"][:, 1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(classifier.predict(images), from_list, rtol=1e-6)
    # A preprocessed batch, as numpy or torch (FakeAVCeleb's own normalisation).
    x = (images.astype(np.float32) / 255 - [0.4489, 0.3352, 0.3106]) / [0.2380, 0.1965, 0.1962]
    x = x.transpose(0, 3, 1, 2).astype(np.float32)
    np.testing.assert_allclose(classifier.predict(x), from_list, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(classifier.predict(torch.from_numpy(x)), from_list, rtol=1e-4, atol=1e-6)
    classifier.fake_index = 0
    np.testing.assert_allclose(classifier.predict(images[:2]), golden["softmax"][:2, 0], rtol=1e-4, atol=1e-6)


def test_model_listing_and_errors(meso_weights):
    assert {"resnet18", "resnext50_32x4d", "meso4", "mesoinception4"} <= set(dfd.list_models())
    assert "fakeavceleb_meso" in dfd.list_presets()
    with pytest.raises(dfd.ModelError):
        dfd.Classifier("mesoinception4")
    with pytest.raises(dfd.ModelError):
        dfd.Classifier(f"meso4:{meso_weights}")
    with pytest.raises(ValueError):
        dfd.Classifier(f"mesoinception4:{meso_weights}@no_such_preset")


def test_embed_is_the_pooled_feature_map_and_aasists_last_hidden(shared, converted, tmp_path):
    """Classifier.embed: a ResNet-18's embedding equals torchvision's avgpool output (fc removed) with
    the same weights and input; AASIST-L's is the 160-d last hidden vector of the original (golden g12)."""
    import torchvision

    from dfd import safetensors_io

    torch.manual_seed(0)
    model = dfd.Model("resnet18", num_outputs=1)
    weights = {k: np.asarray(v) for k, v in model.state_dict().items()}
    safetensors_io.save(tmp_path / "r18.safetensors", weights, {})
    clf = dfd.Classifier(f"resnet18:{tmp_path / 'r18.safetensors'}@dfdc_kernel_resnext", batch_size=3)
    assert dfd.model_info("resnet18").embedding == "features"
    reference = torchvision.models.resnet18(num_classes=1)
    reference.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
    reference.fc = torch.nn.Identity()
    reference.eval()
    crops = [np.random.default_rng(k).integers(0, 255, (90 + 10 * k, 80, 3), dtype=np.uint8) for k in range(5)]
    # The preset's input: corner-padded to 224, ImageNet statistics.
    x = np.stack([np.asarray(dfd.resize_and_pad(c, 224, "corner"), np.float32) / 255 for c in crops])
    x = ((x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).astype(np.float32).transpose(0, 3, 1, 2)
    with torch.no_grad():
        expected = reference(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    got = clf.embed(crops)
    assert got.shape == (5, 512) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert clf.embed([]).shape == (0, 0)

    golden, _ = read_safetensors(shared / "golden/g12_aasist/real_spk1_01.safetensors")
    aasist = dfd.Classifier(f"aasist_l:{converted['aasist_l']}")
    e = aasist.embed(golden["waveform"][None, :])
    assert e.shape == (1, 160)
    np.testing.assert_allclose(e, golden["AASIST_L.last_hidden"], rtol=1e-4, atol=1e-5)


def test_bf16_precision_is_torch_autocast(tmp_path):
    """precision="bf16" computes the forward pass as torch.autocast("cpu", torch.bfloat16) does (a
    torchvision ResNet-18 with the same weights), not as float32 does; "auto" picks bf16 only where
    the CPU has native bfloat16; audio models stay float32."""
    import torchvision

    from dfd import safetensors_io

    torch.manual_seed(0)
    reference = torchvision.models.resnet18(num_classes=1).eval().to(memory_format=torch.channels_last)
    x = torch.randn(6, 3, 112, 112).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():  # logits of about ±2, so p(fake) is neither stuck at 0.5 nor saturated
        logits = reference(x)[:, 0]
        reference.fc.weight.mul_(2 / logits.std())
        reference.fc.bias.sub_(reference(x)[:, 0].mean())
    weights = {k: v.numpy() for k, v in reference.state_dict().items()}
    safetensors_io.save(tmp_path / "r18.safetensors", weights, {})
    spec = f"resnet18:{tmp_path / 'r18.safetensors'}@dfdc_kernel_resnext"
    fp32, bf16 = dfd.Classifier(spec), dfd.Classifier(spec, precision="bf16")
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert dfd.Classifier(spec, precision="auto").precision == ("bf16" if dfd.cpu_has_native_bf16() else "fp32")
    with torch.no_grad():
        expected32 = torch.sigmoid(reference(x)[:, 0]).numpy()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            expected16 = torch.sigmoid(reference(x)[:, 0].float()).numpy()
    got32, got16 = fp32.predict(x.numpy()), bf16.predict(x.numpy())
    np.testing.assert_allclose(got32, expected32, atol=1e-5)
    np.testing.assert_allclose(got16, expected16, atol=2e-3)
    assert np.abs(got16 - got32).max() > 10 * np.abs(got16 - expected16).max()  # bfloat16's, not float32's
    aasist = dfd.Classifier("aasist_l:aasist-l.safetensors", precision="bf16")
    assert aasist.precision == "fp32"
    with pytest.raises(ValueError, match="fp32, bf16, auto"):
        dfd.Classifier(spec, precision="fp16")
