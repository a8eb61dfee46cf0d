"""Loudness (dfd/loudness.hpp): BS.1770-4 integrated loudness equal to FFmpeg's ebur128 filter (the
reference), and the default preset's AASIST-L scoring a recording the same at any volume — which the
reference's as-decoded input does not."""

import re
import subprocess

import numpy as np
import pytest
from scipy.io import wavfile

import dfd

CLIPS = ["data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav",   # 16 kHz mono, quiet (-36 LUFS)
         "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_02.wav",   # 24 kHz mono
         "data/audio/resemblyzer_trump/real/4glfwiMXgwQ.mp3",         # 44.1 kHz stereo MP3
         "data/audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3"]         # loud (-13 LUFS)


def _ffmpeg_loudness(path):
    """FFmpeg's ebur128 filter's integrated loudness (it prints one decimal)."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", out)[-1])


@pytest.mark.parametrize("clip", CLIPS)
def test_integrated_loudness_equals_ffmpeg_ebur128(shared, tmp_path, clip):
    """The clip decoded to 16 kHz mono (what AASIST takes), measured by libdfd and by FFmpeg's ebur128
    on the same samples: equal within its printed precision (0.05) plus the 16 kHz filter design (0.04;
    EBU Tech 3341 allows a meter 0.1 LU)."""
    y = np.asarray(dfd.AudioReader(str(shared / clip), sample_rate=16000).read())
    wav = tmp_path / "clip.wav"
    wavfile.write(wav, 16000, y)
    ours = dfd.integrated_loudness(y, 16000)
    assert abs(ours - _ffmpeg_loudness(wav)) <= 0.1, (ours, clip)
    # At the file's own rate too (FFmpeg measures every input at 48 kHz).
    native = dfd.AudioReader(str(shared / clip), sample_rate=48000).read()
    assert abs(dfd.integrated_loudness(native, 48000) - _ffmpeg_loudness(shared / clip)) <= 0.1


def test_a_silent_or_short_clip_has_no_loudness():
    assert dfd.integrated_loudness(np.zeros(32000, np.float32), 16000) == float("-inf")
    assert dfd.integrated_loudness(np.ones(3000, np.float32), 16000) == float("-inf")  # < 400 ms
    with pytest.raises(dfd.InvalidArgument):
        dfd.integrated_loudness(np.ones(32000, np.float32), 0)


def _variants(shared, tmp_path):
    """One real clip as distributed, 12 dB quieter, 6 dB louder, and as a stereo file whose two
    channels are the clip (down-mixed as (L + R) / sqrt(2): 3 dB louder)."""
    rate, y = wavfile.read(shared / CLIPS[0])
    y = y.astype(np.float32) / 32768 if y.dtype == np.int16 else y.astype(np.float32)
    files = {"as is": (shared / CLIPS[0], 0.0)}
    for name, db in (("-12 dB", -12.0), ("+6 dB", 6.0)):
        files[name] = (tmp_path / f"{name}.wav", db)
        wavfile.write(files[name][0], rate, (y * 10 ** (db / 20)).astype(np.float32))
    files["stereo"] = (tmp_path / "stereo.wav", 20 * np.log10(np.sqrt(2)))
    wavfile.write(files["stereo"][0], rate, np.stack([y, y], axis=1))
    return files


def test_the_default_preset_scores_a_recording_the_same_at_any_volume(shared, tmp_path):
    files = _variants(shared, tmp_path)
    levelled = dfd.Detector(dfd.DetectorParams("default"))
    verdicts = {name: levelled.scan(str(path)) for name, (path, _) in files.items()}
    base = verdicts["as is"]
    assert base.status == "ok" and base.audio_status == "ok" and base.audio_loudness_lufs < -30
    for name, (path, db) in files.items():
        v = verdicts[name]
        assert v.p_fake == pytest.approx(base.p_fake, abs=2e-4), name
        assert v.audio_loudness_lufs == pytest.approx(base.audio_loudness_lufs + db, abs=0.01), name
        assert v.to_dict()["audio_loudness_lufs"] == pytest.approx(v.audio_loudness_lufs)

    # The reference's input (the aasist preset: as decoded) follows the volume.
    spec = dfd.DetectorParams("default").models[1].split("@")[0]
    as_decoded = dfd.Detector(dfd.DetectorParams("default", models=[spec]))
    raw = {name: as_decoded.scan(str(path)) for name, (path, _) in files.items()}
    assert raw["as is"].audio_loudness_lufs is None and "audio_loudness_lufs" not in raw["as is"].to_dict()
    scores = {name: v.p_fake for name, v in raw.items()}
    assert max(scores.values()) - min(scores.values()) > 0.1, scores
    assert scores["as is"] < scores["stereo"] < scores["+6 dB"], scores


def test_audio_too_quiet_to_measure_is_silent_not_scored(tmp_path):
    """A click in silence passes the peak check (-40 dBFS) but no 400 ms reaches -70 LUFS: the
    levelled model refuses it as silent (it has no level to bring up); the as-decoded one scores it."""
    y = np.zeros(3 * 16000, np.float32)
    y[16000] = 0.01
    path = tmp_path / "click.wav"
    wavfile.write(path, 16000, y)
    v = dfd.Detector(dfd.DetectorParams("default")).scan(str(path))
    assert v.status == "silent_audio" and "-70 LUFS" in v.error and str(path) in v.error
    spec = dfd.DetectorParams("default").models[1].split("@")[0]
    assert dfd.Detector(dfd.DetectorParams("default", models=[spec])).scan(str(path)).status == "ok"


def test_the_classifier_states_its_level():
    assert dfd.Classifier("aasist_l:aasist-l.safetensors@aasist_normalized").loudness_lufs == -26
    assert dfd.Classifier("aasist_l:aasist-l.safetensors").loudness_lufs is None
    assert "aasist_normalized" in dfd.list_presets()
