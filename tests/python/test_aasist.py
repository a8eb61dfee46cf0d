"""AASIST and AASIST-L (clovaai/aasist) equal the original's outputs on the golden clips (g12)."""

import numpy as np
import pytest

import dfd
from dfd import convert

from conftest import read_safetensors

CASES = ["real_spk1_01", "fake_spk1_01", "trump_real_4glfwiMXgwQ", "trump_fake_0ghm5Cqpfwk",
         "real_spk1_01_first20000_tiled", "synthetic_randn_seed0"]
VARIANTS = {"aasist": ("AASIST.pth", "AASIST."), "aasist_l": ("AASIST-L.pth", "AASIST_L.")}


def _relative(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


@pytest.fixture(scope="module")
def aasist_models(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("aasist")
    models = {}
    for arch, (pth, _) in VARIANTS.items():
        path = out / f"{arch}.safetensors"
        convert.convert(shared / "weights/aasist_clovaai" / pth, path, arch)
        models[arch] = dfd.Model.load(arch, str(path))
    return models


@pytest.mark.parametrize("arch", sorted(VARIANTS))
@pytest.mark.parametrize("case", CASES)
def test_aasist_equals_reference(shared, aasist_models, arch, case):
    """Logits, the 160-d embedding and the encoder's map, as models/AASIST.py computes them on the
    exact model input the golden stores (tolerance 1e-4 relative on the logits, golden README)."""
    golden, _ = read_safetensors(shared / f"golden/g12_aasist/{case}.safetensors")
    prefix = VARIANTS[arch][1]
    x = np.ascontiguousarray(golden["waveform"][None])
    logits, maps = aasist_models[arch].forward(x, ["encoder", "last_hidden"])
    assert logits.shape == (1, 2)
    assert _relative(logits, golden[prefix + "logits"]) < 1e-4
    assert _relative(maps["last_hidden"], golden[prefix + "last_hidden"]) < 1e-4
    assert _relative(maps["encoder"], golden[prefix + "encoder_out"]) < 1e-4


def test_aasist_batch_equals_single(shared, aasist_models):
    """A batch of windows scores each as alone (the master node broadcasts over the batch)."""
    waves = [read_safetensors(shared / f"golden/g12_aasist/{c}.safetensors")[0]["waveform"] for c in CASES[:3]]
    model = aasist_models["aasist_l"]
    batched = model.forward(np.stack(waves))
    for i, w in enumerate(waves):
        assert _relative(batched[i], model.forward(w[None])[0]) < 1e-5


def test_aasist_info_and_bad_input(aasist_models):
    info = dfd.model_info("aasist_l")
    assert info.input == "waveform" and info.sample_rate == 16000 and info.input_size == 64600
    assert info.num_outputs == 2 and "last_hidden" in info.endpoints
    with pytest.raises(dfd.InvalidArgument, match=r"expected 2 dimensions, got 4"):
        aasist_models["aasist_l"].forward(np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(dfd.InvalidArgument, match=r"aasist_l cannot take an input of shape \[1, 100\]"):
        aasist_models["aasist_l"].forward(np.zeros((1, 100), np.float32))


def test_aasist_conversion_counts_tensors(shared, tmp_path):
    """A checkpoint of the other variant (or anything else) is refused by name and shape."""
    with pytest.raises(convert.ConversionError, match="not a aasist_l checkpoint"):
        convert.convert(shared / "weights/aasist_clovaai/AASIST.pth", tmp_path / "x.safetensors", "aasist_l")
    assert not (tmp_path / "x.safetensors").exists()


def test_aasist_sinc_filter_bank(shared, aasist_models):
    """The fixed filter bank, which the state_dict lacks and libdfd rebuilds: a unit impulse through
    the front end gives each filter back (reversed — they are symmetric) equal to the reference's."""
    golden, _ = read_safetensors(shared / "golden/g12_aasist/real_spk1_01.safetensors")
    bank = golden["AASIST_L.sinc_band_pass"]  # [70, 129]
    assert np.array_equal(bank, golden["AASIST.sinc_band_pass"])
    impulse = np.zeros((1, 16000), np.float32)  # long enough for the whole network to run
    impulse[0, 128] = 1
    _, maps = aasist_models["aasist_l"].forward(impulse, ["sinc"])
    response = maps["sinc"][0, :, :129][:, ::-1]
    assert response.shape == bank.shape
    # libdfd builds it in float64; the reference evaluates its sincs on float32 arguments (~4e-6).
    assert np.abs(response - bank).max() < 1e-5 * np.abs(bank).max()


def test_aasist_inference_path_equals_the_reference_ops(shared, aasist_models):
    """Inference pools by strided maxima, runs SELU and sums in place and folds bn2 into conv1; with
    autograd on (training, Grad-CAM) libdfd runs the reference's own ops. Both give the golden's
    logits, and each other's."""
    import torch

    golden, _ = read_safetensors(shared / "golden/g12_aasist/trump_real_4glfwiMXgwQ.safetensors")
    for arch, (_, prefix) in VARIANTS.items():
        model = aasist_models[arch]
        x = torch.from_numpy(golden["waveform"][None].copy())
        with torch.enable_grad():
            graph = model.forward_torch(x.requires_grad_(True))
        assert graph.requires_grad
        autograd_logits = graph.detach().numpy()
        assert _relative(autograd_logits, golden[prefix + "logits"]) < 1e-4
        assert _relative(model.forward(golden["waveform"][None]), autograd_logits) < 1e-5


def test_aasist_fine_tunes_in_a_torch_loop(shared, tmp_path):
    """AASIST-L trains as any zoo model in a notebook's own loop: parameters() for torch.optim,
    forward_torch() differentiable in train mode (dropout, batch statistics), and a few steps on
    labelled windows lower their loss (0 = spoof, 1 = bona fide, as the original labels)."""
    import torch

    path = tmp_path / "aasist_l.safetensors"
    convert.convert(shared / "weights/aasist_clovaai/AASIST-L.pth", path, "aasist_l")
    model = dfd.Model.load("aasist_l", str(path))
    waves = [read_safetensors(shared / f"golden/g12_aasist/{c}.safetensors")[0]["waveform"] for c in CASES[:4]]
    x = torch.from_numpy(np.stack(waves))
    y = torch.tensor([1, 0, 1, 0])  # real, fake, real, fake
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    torch.manual_seed(0)
    for _ in range(4):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model.forward_torch(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    model.eval()
    assert losses[-1] < losses[0]
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    with torch.no_grad():
        assert float(torch.nn.functional.cross_entropy(model.forward_torch(x), y)) < losses[0]
