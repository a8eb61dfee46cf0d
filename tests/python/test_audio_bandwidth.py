"""How high a clip's sound reaches (dfd.audio_bandwidth_hz), and the default preset's narrowband
gate: a phone line's 4 kHz, where AASIST-L calls real speech fake, is refused as narrowband_audio;
wideband speech, through the codecs voice travels in, is scored."""

import glob
import subprocess

import numpy as np
import pytest

import dfd

REAL = "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav"
CODECS = {  # what voice travels in: (suffix, ffmpeg arguments)
    "telephone": (".wav", ["-ar", "8000", "-c:a", "pcm_mulaw"]),
    "mp3 24k": (".mp3", ["-c:a", "libmp3lame", "-b:a", "24k"]),  # LAME low-passes a 16 kHz voice at 5.8 kHz
    "mp3 32k": (".mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    "aac 32k": (".m4a", ["-c:a", "aac", "-b:a", "32k"]),
    "opus 12k": (".ogg", ["-c:a", "libopus", "-b:a", "12k"]),
}


def _encode(src, dst, args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-ac", "1", *args, str(dst)], check=True)
    return dst


def _decode(path):
    """Mono at 16 kHz, as the Detector decodes for AASIST-L."""
    return dfd.AudioReader(str(path), sample_rate=16000).read()


def test_tones_noise_gain_and_bad_input():
    t = np.arange(32_000) / 16_000
    phone = (0.3 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    assert 3000 <= dfd.audio_bandwidth_hz(phone, 16_000) <= 3200
    assert dfd.audio_bandwidth_hz(50 * phone, 16_000) == dfd.audio_bandwidth_hz(phone, 16_000)
    noise = np.random.default_rng(0).standard_normal(32_000).astype(np.float32)
    assert dfd.audio_bandwidth_hz(noise, 16_000) == 8000
    assert dfd.audio_bandwidth_hz(np.zeros(16_000, np.float32), 16_000) == 0
    with pytest.raises(dfd.InvalidArgument, match="at least 512 samples"):
        dfd.audio_bandwidth_hz(np.zeros(100, np.float32), 16_000)


def test_dev_clips_are_wideband_through_codecs_and_narrowband_through_a_phone(shared, tmp_path):
    """Every dev clip, as decoded and through low-bitrate voice codecs, passes the default's 5 kHz;
    through an 8 kHz telephone channel none does."""
    gate = dfd.DetectorParams("default").to_dict()["audio"]["windows"]["min_bandwidth_hz"]
    assert gate == 5000
    clips = sorted(glob.glob(str(shared / "data/audio/*/*/*")))
    assert len(clips) >= 20
    for clip in clips:
        assert dfd.audio_bandwidth_hz(_decode(clip), 16_000) >= 7000, clip  # as decoded: the whole band
    for name, (suffix, args) in CODECS.items():
        for k, clip in enumerate(clips[::4]):
            bandwidth = dfd.audio_bandwidth_hz(_decode(_encode(clip, tmp_path / f"{k}{suffix}", args)), 16_000)
            if name == "telephone":
                assert bandwidth <= 4600, (name, clip, bandwidth)
            else:
                assert bandwidth >= 5500, (name, clip, bandwidth)


def test_the_default_refuses_a_phone_line_instead_of_calling_it_fake(shared, tmp_path):
    phone = _encode(shared / REAL, tmp_path / "call.wav", CODECS["telephone"][1])
    default = dfd.Detector()
    v = default.scan(str(phone))
    assert v.status == "narrowband_audio" and np.isnan(v.p_fake) and "narrowband" in v.error and "call.wav" in v.error
    wideband = default.scan(str(shared / REAL))
    assert wideband.status == "ok"
    ungated = dfd.Detector(audio__windows__min_bandwidth_hz=0).scan(str(phone))
    assert ungated.status == "ok"
    assert ungated.p_fake > wideband.p_fake + 0.2  # why the gate: the same real voice reads far more fake
    with pytest.raises(dfd.UnusableAudioError) as refused:
        dfd.check_audio_usable(_decode(phone), 16_000, min_bandwidth_hz=5000, path="call.wav")
    assert refused.value.reason == "narrowband"
    # In a video the faces decide, and the audio status says why the sound was not scored.
    video = tmp_path / "video_call.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"),
                    "-i", str(phone), "-map", "0:v", "-map", "1:a", "-t", "3", "-c:v", "copy", "-c:a", "aac",
                    str(video)], check=True)
    w = default.scan(str(video))
    assert w.status == "ok" and w.audio_status == "narrowband" and w.audio_p_fake is None and w.to_dict()["faces"]
