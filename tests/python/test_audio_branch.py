"""The Detector's raw-waveform audio branch: AASIST-L over windows of a clip, tied to the reference's
outputs (golden g12), and the statuses for audio no model can judge."""

import subprocess

import numpy as np
import pytest

import dfd

from conftest import default_face_model, read_safetensors

REAL_CLIP = "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav"
VIDEO = "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"  # H.264 + AAC
FACES, _ = default_face_model()  # the default preset's face model spec


def _write_wav(path, samples, rate=16000):
    """A float32 WAV, written by ffmpeg from raw samples (decoded back bit for bit)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                    "-c:a", "pcm_f32le", str(path)], input=np.asarray(samples, np.float32).tobytes(), check=True)
    return path


@pytest.fixture(scope="module")
def audio_detector(converted):
    return dfd.Detector(dfd.DetectorParams("default", models=[f"aasist_l:{converted['aasist_l']}"]))


def test_windows_equal_the_reference_on_a_clip(shared, audio_detector):
    """A 8.9 s clip: windows at 0 and 64 600 and a tail ending at the clip's end; the first window is
    the reference's model input (its first 64 600 samples), so its p(fake) is the golden's softmax
    column 0 (spoof) — decoding at 16 kHz, the window and the orientation checked in one."""
    golden, meta = read_safetensors(shared / "golden/g12_aasist/real_spk1_01.safetensors")
    n = int(meta["decoded_num_samples"])
    v = audio_detector.scan(str(shared / REAL_CLIP))
    assert v.status == "ok" and v.audio_status == "ok", v.error
    assert v.video_p_fake is None and len(v.audio_model_scores) == 1
    windows = v.audio_windows
    assert [round(w["start"] * 16000) for w in windows] == [0, 64600, n - 64600]
    assert windows[-1]["end"] == pytest.approx(n / 16000)
    assert not any(w["padded"] for w in windows)
    assert windows[0]["p_fake"] == pytest.approx(float(golden["AASIST_L.softmax"][0, 0]), abs=1e-4)
    assert v.audio_window_aggregation == "mean"
    assert v.audio_model_scores[0] == pytest.approx(np.mean([w["p_fake"] for w in windows]), abs=1e-6)
    assert v.p_fake == pytest.approx(v.audio_model_scores[0], abs=1e-6)
    assert v.to_dict()["audio_windows"][0]["p_fake"] == pytest.approx(windows[0]["p_fake"], abs=1e-6)


def test_short_clip_is_one_padded_window_as_the_reference_pads(shared, audio_detector, tmp_path):
    """1.25 s: one window filled by repetition (data_utils.pad), equal to the golden made that way."""
    golden, _ = read_safetensors(shared / "golden/g12_aasist/real_spk1_01_first20000_tiled.safetensors")
    clip = _write_wav(tmp_path / "short.wav", golden["waveform"][:20000])
    v = audio_detector.scan(str(clip))
    assert v.status == "ok", v.error
    assert len(v.audio_windows) == 1 and v.audio_windows[0]["padded"]
    assert v.audio_windows[0]["end"] == pytest.approx(20000 / 16000)
    assert v.p_fake == pytest.approx(float(golden["AASIST_L.softmax"][0, 0]), abs=1e-4)


def test_window_aggregation_and_hop(shared, converted):
    """max and median over the same windows; half-overlapping windows score more of them."""
    path = str(shared / REAL_CLIP)
    spec = [f"aasist_l:{converted['aasist_l']}"]
    mean = dfd.Detector(dfd.DetectorParams("default", models=spec)).scan(path)
    top = dfd.Detector(dfd.DetectorParams("default", models=spec, audio__windows__aggregation="max")).scan(path)
    assert top.audio_window_aggregation == "max"
    assert top.p_fake == pytest.approx(max(w["p_fake"] for w in mean.audio_windows), abs=1e-6)
    half = dfd.Detector(dfd.DetectorParams("default", models=spec, audio__windows__hop=0.5)).scan(path)
    assert len(half.audio_windows) > len(mean.audio_windows)
    with pytest.raises(dfd.InvalidArgument, match="audio.windows.hop"):
        dfd.Detector(dfd.DetectorParams("default", models=spec, audio__windows__hop=0))
    # A spectrogram model and a waveform model in one audio branch: one clip score each, combined.
    meso = f"meso4:{converted['audio_meso']}@fakeavceleb_audio"
    mixed = dfd.Detector(dfd.DetectorParams("default", models=[meso] + spec)).scan(path)
    assert mixed.status == "ok" and len(mixed.audio_model_scores) == 2
    assert len(mixed.audio_windows) == len(mean.audio_windows) and len(mixed.audio_windows[0]["model_scores"]) == 1
    assert mixed.audio_model_scores[1] == pytest.approx(mean.audio_model_scores[0], abs=1e-6)
    assert mixed.p_fake == pytest.approx(np.mean(mixed.audio_model_scores), abs=1e-6)
    with pytest.raises(dfd.InvalidArgument, match="waveform models' weights"):  # they combine each window
        dfd.Detector(dfd.DetectorParams("default", models=[meso] + spec, model_weights=[1, 0]))


def test_bad_audio_gets_a_status_naming_the_file(audio_detector, converted, tmp_path):
    """A 0.1 s clip, pure silence, clipped noise, and a file without sound: typed statuses, never a
    silent 0.5; clipped noise is noise to the default preset (noisy_audio), and with the speech
    gate off it is audio like any other and gets a real score."""
    rng = np.random.default_rng(0)
    tiny = _write_wav(tmp_path / "tiny.wav", 0.1 * rng.standard_normal(1600))
    v = audio_detector.scan(str(tiny))
    assert v.status == "audio_too_short" and str(tiny) in v.error and "0.100 s" in v.error
    assert np.isnan(v.p_fake) and v.audio_windows == []
    silent = _write_wav(tmp_path / "silent.wav", np.zeros(48000))
    v = audio_detector.scan(str(silent))
    assert v.status == "silent_audio" and str(silent) in v.error and "silent" in v.error
    clipped = _write_wav(tmp_path / "clipped.wav", np.clip(5 * rng.standard_normal(48000), -1, 1))
    v = audio_detector.scan(str(clipped))
    assert v.status == "noisy_audio" and str(clipped) in v.error and "noisy" in v.error and np.isnan(v.p_fake)
    ungated = dfd.Detector(dfd.DetectorParams("default", models=[f"aasist_l:{converted['aasist_l']}"],
                                              audio__windows__min_speech_snr_db=-100))
    v = ungated.scan(str(clipped))
    assert v.status == "ok" and 0 <= v.p_fake <= 1 and len(v.audio_windows) == 1
    with pytest.raises(dfd.UnusableAudioError) as info:
        dfd.check_audio_usable(np.zeros(16000, np.float32), 16000, path="z.wav")
    assert info.value.reason == "silent" and info.value.subject == "z.wav"
    assert isinstance(info.value, dfd.DecodeError)


def test_video_without_sound_and_silent_video(shared, converted, audio_detector, tmp_path):
    """Audio alone on a video without an audio stream: no_audio_stream. With the face models too,
    the faces decide and audio_status says why the audio did not."""
    mute = tmp_path / "mute.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / VIDEO), "-t", "2", "-an", "-c:v", "copy",
                    str(mute)], check=True)
    v = audio_detector.scan(str(mute))
    assert v.status == "no_audio_stream" and str(mute) in v.error
    both = dfd.Detector(dfd.DetectorParams("default", models=[FACES,
                                                              f"aasist_l:{converted['aasist_l']}"]))
    v = both.scan(str(mute))
    assert v.status == "ok" and v.audio_status == "no_audio_stream" and v.audio_p_fake is None
    assert v.video_p_fake is not None and v.p_fake == pytest.approx(v.video_p_fake)
    hushed = tmp_path / "hushed.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / VIDEO), "-t", "2", "-c:v", "copy",
                    "-af", "volume=0", "-c:a", "aac", str(hushed)], check=True)
    v = both.scan(str(hushed))
    assert v.status == "ok" and v.audio_status == "silent" and v.audio_p_fake is None


def test_video_with_sound_scores_both_branches(shared, converted):
    models = [FACES, f"aasist_l:{converted['aasist_l']}"]
    v = dfd.Detector(dfd.DetectorParams("default", models=models)).scan(str(shared / VIDEO))
    assert v.status == "ok" and v.audio_status == "ok", v.error
    assert v.video_p_fake is not None and v.audio_p_fake is not None
    # The default preset's rule, video: the faces decide, the sound is scored and reported beside.
    assert v.p_fake == v.video_p_fake and not v.audio_fused
    assert v.to_dict()["audio_fused"] is False and v.to_dict()["audio_p_fake"] == pytest.approx(v.audio_p_fake)
    top = dfd.Detector(dfd.DetectorParams("default", models=models, audio__fusion__rule="max")).scan(str(shared / VIDEO))
    assert top.p_fake == pytest.approx(max(top.video_p_fake, top.audio_p_fake), abs=1e-6) and top.audio_fused
    logit = dfd.Detector(dfd.DetectorParams("default", models=models, audio__fusion__rule="logit"))
    w = logit.scan(str(shared / VIDEO))
    assert w.p_fake == pytest.approx(dfd.LateFusion()(w.video_p_fake, w.audio_p_fake), abs=1e-6) and w.audio_fused
    assert dfd.LateFusion(rule="max")(0.9, 0.2) == pytest.approx(0.9)
    assert dfd.LateFusion(rule="video")(0.3, 0.9) == pytest.approx(0.3) and repr(dfd.LateFusion(rule="video")) == "LateFusion(rule='video')"
    assert len(v.audio_windows) >= 2 and v.audio_windows[-1]["end"] == pytest.approx(10.0, abs=0.1)


def test_default_judges_a_real_video_by_its_faces_not_its_noise(shared, tmp_path):
    """Why the default reports the sound instead of fusing it: AASIST-L calls room noise fake (and
    music, and noisy real speech: docs/models.md). A real video over brown noise keeps its faces'
    verdict — the default refuses the noise as noisy; ungated, it is scored fake and only reported;
    fused by max, it would have made the video fake. A video with sound and no face is no_face,
    not judged by its sound; an audio file is."""
    real = shared / "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"
    noisy = tmp_path / "real_over_noise.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(real), "-f", "lavfi", "-i",
                    "anoisesrc=c=brown:a=0.05:r=16000:seed=1", "-map", "0:v", "-map", "1:a", "-t", "4",
                    "-c:v", "libx264", "-c:a", "aac", str(noisy)], check=True)
    default = dfd.Detector()
    v = default.scan(str(noisy))
    assert v.status == "ok" and v.audio_status == "noisy" and v.to_dict()["faces"], v.error
    assert v.audio_p_fake is None and v.p_fake == v.video_p_fake
    ungated = dfd.Detector(audio__windows__min_speech_snr_db=-100).scan(str(noisy))
    assert ungated.audio_p_fake > 0.9 and not ungated.audio_fused  # the noise reads fake, and is only reported
    assert ungated.p_fake == v.p_fake
    fused = dfd.Detector(audio__fusion__rule="max", audio__windows__min_speech_snr_db=-100).scan(str(noisy))
    assert fused.p_fake == pytest.approx(fused.audio_p_fake) and fused.is_fake and fused.audio_fused
    faceless = tmp_path / "faceless.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=gray:s=320x240:r=25", "-i",
                    str(shared / REAL_CLIP), "-map", "0:v", "-map", "1:a", "-t", "3", "-c:v", "libx264", "-c:a", "aac",
                    str(faceless)], check=True)
    w = default.scan(str(faceless))
    assert w.status == "no_face" and w.p_fake == 0.5 and w.audio_status == "ok" and w.audio_p_fake is not None
    assert not w.audio_fused
    alone = default.scan(str(shared / REAL_CLIP))
    assert alone.status == "ok" and alone.p_fake == alone.audio_p_fake and alone.audio_fused


def test_an_audio_file_with_cover_art_is_judged_by_its_sound(shared, tmp_path):
    """An MP3 or M4A's cover picture is an attached picture, not a video: the file is an audio file,
    judged by its sound — not by a face on its cover, with the voice only reported."""
    default = dfd.Detector()
    bare = default.scan(str(shared / REAL_CLIP))
    for suffix, codec in ((".mp3", "libmp3lame"), (".m4a", "aac")):
        with_cover = tmp_path / f"with_cover{suffix}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / REAL_CLIP), "-i",
                        str(shared / "data/images/mesonet_test_images/real/real00240.jpg"), "-map", "0:a", "-map", "1",
                        "-c:a", codec, "-c:v", "mjpeg", "-disposition:v", "attached_pic", str(with_cover)], check=True)
        v = default.scan(str(with_cover))
        assert v.status == "ok" and v.audio_fused and not v.to_dict()["faces"], (suffix, v.error)
        assert v.p_fake == v.audio_p_fake and v.video_p_fake is None
        assert v.p_fake == pytest.approx(bare.p_fake, abs=0.1)  # re-encoded, the same voice


def test_classifier_reads_aasist_as_its_reference_does(shared, converted):
    """The aasist preset: 16 kHz windows of 64 600 samples, p(fake) = softmax column 0 (spoof)."""
    c = dfd.Classifier(f"aasist_l:{converted['aasist_l']}")
    assert c.preset == "aasist" and c.input == "waveform" and c.sample_rate == 16000 and c.input_size == 64600
    assert c.fake_index == 0
    golden, _ = read_safetensors(shared / "golden/g12_aasist/trump_fake_0ghm5Cqpfwk.safetensors")
    p = c.predict(golden["waveform"][None])
    assert p[0] == pytest.approx(float(golden["AASIST_L.softmax"][0, 0]), abs=1e-4)
    with pytest.raises(dfd.InvalidArgument, match="takes a waveform"):
        dfd.Classifier(f"aasist_l:{converted['aasist_l']}@ffdv_audio")


def test_explain_draws_where_in_the_clip_the_fake_is(cli, shared, tmp_path):
    """`dfd explain clip.wav -o DIR` with no model flags: the default preset's AASIST-L, its windows'
    p(fake) in the JSON line and as a strip under the spectrogram, coloured green (real) to red."""
    clip = shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_04.wav"
    out = subprocess.run([str(cli), "explain", str(clip), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    line = json.loads(out.stdout)
    audio = line["audio"]
    assert line["status"] == "ok" and audio["status"] == "ok" and len(audio["windows"]) == 3
    assert audio["p_fake"] == pytest.approx(np.mean([w["p_fake"] for w in audio["windows"]]), abs=1e-5)
    import cv2

    strip = cv2.imread(str(tmp_path / "out" / audio["strip"]))[:, :, ::-1]
    params_height = 160 + 4 + 28 + 4
    assert strip.shape[0] == params_height and strip.shape[1] >= 400
    # The strip's first column is the first window's colour.
    first = dfd.audio_strip(np.zeros((4, 4), np.float32) - 1, 1.0, [{"start": 0, "end": 1, "p_fake": audio["windows"][0]["p_fake"]}])
    assert np.abs(strip[170, 1].astype(int) - first[170, 1].astype(int)).max() <= 1
    # A file with no sound is no error for the faces; too short audio is its own status.
    tiny = _write_wav(tmp_path / "tiny.wav", np.full(800, 0.1, np.float32))
    bad = subprocess.run([str(cli), "explain", str(tiny), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert bad.returncode == 1 and json.loads(bad.stdout)["status"] == "too_short"


def test_embeddings_of_both_branches_equal_the_classifiers_own(shared):
    """DetectorParams.embeddings: a photo's face embedding is the face model's Classifier.embed of the
    crop the Detector scored; a clip's audio embedding the mean of AASIST-L's over its windows."""
    params = dfd.DetectorParams("default", embeddings=True, explain=True)
    face_spec, audio_spec = params.models
    detector = dfd.Detector(params)
    photo = detector.scan(str(shared / "data/real_faces/lfw/AJ_Cook_0001.jpg"))
    assert photo.status == "ok" and len(photo.to_dict()["faces"]) == 1 and photo.audio_embedding is None
    crop = photo.to_dict(images=True)["explanations"][0]["crop"]
    expected = dfd.Classifier(face_spec).embed([crop])[0]
    assert photo.video_embedding.shape == expected.shape == (1024,)
    np.testing.assert_allclose(photo.video_embedding, expected, rtol=1e-4, atol=1e-5)

    clip = detector.scan(str(shared / REAL_CLIP))
    assert clip.status == "ok" and clip.video_embedding is None
    aasist = dfd.Classifier(audio_spec)
    y = dfd.AudioReader(str(shared / REAL_CLIP), sample_rate=16000).read()
    # The default preset's AASIST levels the clip first (Classifier.loudness_lufs), as a user would.
    loudness = dfd.integrated_loudness(y, 16000)
    assert aasist.loudness_lufs == -26 and clip.audio_loudness_lufs == pytest.approx(loudness, abs=1e-9)
    y = (y * 10 ** ((aasist.loudness_lufs - loudness) / 20)).astype(np.float32)
    windows = dfd.audio_windows(len(y), aasist.input_size)
    expected = aasist.embed(dfd.audio_window_batch(y, windows, aasist.input_size)).mean(axis=0)
    assert clip.audio_embedding.shape == (160,)
    np.testing.assert_allclose(clip.audio_embedding, expected, rtol=1e-4, atol=1e-5)
    assert clip.to_dict()["audio_embedding"] == pytest.approx(clip.audio_embedding.tolist(), rel=1e-6)
    off = dfd.Detector(dfd.DetectorParams("default")).scan(str(shared / REAL_CLIP))
    assert off.audio_embedding is None and "audio_embedding" not in off.to_dict()
