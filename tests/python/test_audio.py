import json

import numpy as np
import pytest

import dfd
from conftest import read_safetensors

G9 = {
    "fake_spk1_01": "audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav",
    "real_spk1_01": "audio/zozturk_chatterbox_tr/real/real_spk1_01.wav",
    "0ghm5Cqpfwk": "audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3",
    "6xxGIDfe5BU": "audio/resemblyzer_trump/fake/6xxGIDfe5BU.mp3",
}


@pytest.mark.parametrize("name", sorted(G9))
def test_g9_waveform_equals_ffmpeg_cli(shared, name):
    golden, meta = read_safetensors(shared / "golden/g9_audio" / f"{name}.safetensors")
    stats = json.loads(meta["stats"])
    reader = dfd.AudioReader(str(shared / "data" / G9[name]))
    assert reader.sample_rate == 22050
    wave = reader.read()
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert wave.shape[0] == stats["full_num_samples"]
    expected = golden["waveform"]
    # Measured: 0 (same FFmpeg, same swresample defaults); the bound leaves float noise only.
    assert np.abs(wave[: expected.shape[0]] - expected).max() <= 1e-6
    assert float(wave.astype(np.float64).sum()) == pytest.approx(stats["waveform_sum_full_f64"], rel=1e-6)


def test_rate_and_info(shared):
    reader = dfd.AudioReader(str(shared / "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav"),
                             sample_rate=16000)
    info = reader.info()
    assert info.sample_rate == 16000 and info.codec == "pcm_s16le" and info.channels == 1
    wave = reader.read()
    assert wave.shape[0] == pytest.approx(info.duration * 16000, abs=2)
    assert info.to_dict()["codec"] == "pcm_s16le"
