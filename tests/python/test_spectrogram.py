"""dfd.AudioSpectrogram against librosa 0.11 (golden g9)."""

import numpy as np
import pytest

import dfd
from conftest import read_safetensors

CLIPS = ["fake_spk1_01", "real_spk1_01", "0ghm5Cqpfwk", "6xxGIDfe5BU"]


@pytest.mark.parametrize("clip", CLIPS)
def test_g9_log_mel_and_ffdv_image(shared, clip):
    golden, _ = read_safetensors(shared / f"golden/g9_audio/{clip}.safetensors")
    for n_mels in (128, 80):
        spec = dfd.AudioSpectrogram(n_mels=n_mels, ref="max")
        power = spec.mel_power(golden["waveform"], 22050)
        expected = golden[f"mel{n_mels}_power"]
        floor = 1e-10 * expected.max()
        assert np.max(np.abs(power - expected) / np.maximum(np.abs(expected), floor)) <= 1e-4
        db = spec.compute(golden["waveform"], 22050)
        assert db.shape == expected.shape and db.dtype == np.float32
        np.testing.assert_allclose(db, golden[f"mel{n_mels}_db"], atol=1e-3, rtol=0)
    image = dfd.AudioSpectrogram.image(golden["mel128_db"])
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[:, :, 0], golden["ffdv_image_u8"])


def test_filters_and_db_helpers(shared):
    golden, _ = read_safetensors(shared / "golden/g9_audio/mel_filters.safetensors")
    np.testing.assert_array_equal(dfd.mel_filters(22050, 2048, 128), golden["mel_filters_128"])
    np.testing.assert_array_equal(dfd.mel_filters(22050, n_mels=80), golden["mel_filters_80"])
    power = np.array([[1.0, 0.1], [1e-12, 100.0]], np.float32)
    np.testing.assert_allclose(dfd.power_to_db(power), [[0, -10], [-60, 20]], atol=1e-5)  # top_db 80 clips -100
    np.testing.assert_allclose(dfd.power_to_db(power, ref="max", top_db=None), [[-20, -30], [-120, 0]], atol=1e-5)


def test_from_file_decodes_at_the_sample_rate(shared):
    path = shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav"
    spec = dfd.AudioSpectrogram(n_mels=80, sample_rate=16000)
    db = spec.from_file(str(path))
    wave = dfd.AudioReader(str(path), sample_rate=16000).read()
    np.testing.assert_array_equal(db, spec.compute(wave, 16000))
    assert db.shape == (80, 1 + len(wave) // 512)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="pad_mode"):
        dfd.AudioSpectrogram(pad_mode="wrap")
    with pytest.raises(ValueError, match="ref"):
        dfd.AudioSpectrogram(ref=2.0)
    with pytest.raises(ValueError, match="empty"):
        dfd.AudioSpectrogram().compute(np.zeros(0, np.float32), 22050)
    with pytest.raises(ValueError, match="1-D"):
        dfd.AudioSpectrogram().compute(np.zeros((2, 100), np.float32), 22050)
