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
