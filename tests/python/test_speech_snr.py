"""WADA-SNR (dfd.speech_snr_db) against signals of known SNR made the way its model assumes, and
the default preset's speech gate on real and noisy sound: noise and speech buried in it are
refused as noisy_audio, clean speech, real or cloned, is scored."""

import subprocess

import numpy as np
import pytest

import dfd

REAL = "data/audio/resemblyzer_trump/real/F2PiuixG0NY.mp3"


def _decode(path):
    """Mono at 16 kHz, as the Detector decodes for AASIST-L."""
    return dfd.AudioReader(str(path), sample_rate=16000).read()


def _speech_model(snr_db, n=400_000, seed=0):
    """Gamma(0.4) amplitudes with random signs (the estimator's speech model) plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    speech = rng.gamma(0.4, 1.0, n) * rng.choice([-1.0, 1.0], n)
    speech /= np.sqrt(np.mean(speech**2))
    noise = rng.standard_normal(n)
    return (0.01 * (10 ** (snr_db / 20) * speech + noise)).astype(np.float32)


@pytest.mark.parametrize("snr_db", [0, 10, 20, 30])
def test_estimates_a_known_snr(snr_db):
    assert dfd.speech_snr_db(_speech_model(snr_db, seed=snr_db + 1)) == pytest.approx(snr_db, abs=1.0)


def test_gain_free_floor_and_bad_input():
    x = _speech_model(15)
    assert dfd.speech_snr_db(100 * x) == pytest.approx(dfd.speech_snr_db(x), abs=1e-6)
    assert dfd.speech_snr_db(np.random.default_rng(3).standard_normal(160_000).astype(np.float32)) < -5  # noise alone
    assert dfd.speech_snr_db(np.sin(np.arange(160_000) * 0.1).astype(np.float32)) == -10  # a tone: below noise's G
    assert dfd.speech_snr_db(np.zeros(100, np.float32)) == -10
    with pytest.raises(dfd.InvalidArgument, match="at least one sample"):
        dfd.speech_snr_db(np.zeros(0, np.float32))


def test_real_speech_passes_and_noisy_speech_is_refused(shared):
    clean = _decode(shared / REAL)
    assert dfd.speech_snr_db(clean) > 12
    rng = np.random.default_rng(0)
    rms = np.sqrt(np.mean(clean**2))
    buried = (clean + rng.standard_normal(len(clean)).astype(np.float32) * rms / 10 ** (5 / 20)).astype(np.float32)
    assert dfd.speech_snr_db(buried) < 12
    with pytest.raises(dfd.UnusableAudioError) as info:
        dfd.check_audio_usable(buried, 16000, min_speech_snr_db=12, path="buried.wav")
    assert info.value.reason == "noisy" and info.value.subject == "buried.wav" and "WADA-SNR" in str(info.value)
    dfd.check_audio_usable(clean, 16000, min_speech_snr_db=12)  # passes


def test_every_dev_clip_passes_the_default_gate(shared):
    """The gate is for noise, not for speech: every labelled dev clip, real or cloned, stands above 12 dB."""
    clips = sorted((shared / "data/audio").glob("*/*/*"))
    assert len(clips) == 21
    low = {c.name: round(dfd.speech_snr_db(_decode(c)), 1) for c in clips}
    assert min(low.values()) > 12, low
    assert dfd.DetectorParams("default").audio.windows.min_speech_snr_db == 12


def test_default_refuses_noise_as_noisy_audio(tmp_path):
    noise = tmp_path / "fan.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anoisesrc=c=pink:a=0.1:d=5:r=16000:seed=1", str(noise)], check=True)
    v = dfd.Detector().scan(str(noise))
    assert v.status == "noisy_audio" and str(noise) in v.error and np.isnan(v.p_fake)
    assert v.to_dict()["p_fake"] is None
