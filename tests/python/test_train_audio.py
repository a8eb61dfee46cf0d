"""Training audio models: dfd prepare --audio (each file's sound once, at one rate), dfd train on it —
the FFDV baseline's ResNet-18 on the log-mel image and AASIST fine-tuned on waveform windows — and the
trained files scoring in the Detector's audio branch with no preset."""

import json
import subprocess

import numpy as np
import pytest

import dfd

AUDIO = "data/audio/zozturk_chatterbox_tr"


def _write_wav(path, samples, rate=16000):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                    "-c:a", "pcm_f32le", str(path)], input=np.asarray(samples, np.float32).tobytes(), check=True)
    return path


def _rows(shared, n=3):
    """n real and n fake clips of one speaker; each clip its own group."""
    return [(str(shared / AUDIO / kind / f"{kind}_spk1_{k:02d}.wav"), int(kind == "fake"), f"{kind}{k}")
            for kind in ("real", "fake") for k in range(1, n + 1)]


def test_prepare_audio_keeps_each_files_sound_and_records_failures(shared, tmp_path):
    rows = _rows(shared, 2)
    rows.append((str(_write_wav(tmp_path / "silent.wav", np.zeros(32000))), 0, "silent"))
    rows.append((str(tmp_path / "missing.wav"), 1, "missing"))
    mute = tmp_path / "mute.mp4"  # a video without sound: no_audio, as a photo without a face is no_face
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1",
                    "-pix_fmt", "yuv420p", str(mute)], check=True)
    rows.append((str(mute), 1, "mute"))
    rows.append((str(shared / "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"), 1, "video"))  # a video's sound
    summary = dfd.prepare(rows, tmp_path / "clips", audio=True, sample_rate=16000, progress=False)
    assert {k: summary[k] for k in ("files", "done_before", "prepared", "failed", "clips")} == \
        {"files": 8, "done_before": 0, "prepared": 7, "failed": 1, "clips": 5}
    ledger = {row.split(",")[0]: row for row in (tmp_path / "clips/sources.csv").read_text().splitlines()}
    assert ledger["path"] == "path,label,group,status,seconds,clips,error"
    assert ",no_audio," in ledger[rows[4][0]] and "silent" in ledger[rows[4][0]]
    assert ",no_audio," in ledger[str(mute)] and "no audio stream" in ledger[str(mute)]
    assert ",error," in ledger[rows[5][0]] and "missing.wav" in ledger[rows[5][0]]
    clips = dfd.AudioDataset(tmp_path / "clips")
    assert dfd.is_audio_dataset(tmp_path / "clips") and len(clips) == 5
    assert clips[0]["sample_rate"] == 16000 and clips[0]["label"] == 0 and clips[0]["group"] == "real1"
    # The stored samples are what the Detector decodes: AudioReader at the same rate.
    expected = dfd.AudioReader(rows[0][0], sample_rate=16000).read()
    np.testing.assert_array_equal(clips.waveform(0), expected)
    assert clips[0]["samples"] == len(expected)
    again = dfd.prepare(rows, tmp_path / "clips", audio=True, sample_rate=16000, progress=False)
    assert again["done_before"] == 8 and again["prepared"] == 0 and again["clips"] == 5
    video = clips[4]
    sound = dfd.AudioReader(rows[7][0], sample_rate=16000).read()
    assert video["source"] == rows[7][0] and video["label"] == 1
    assert video["samples"] == len(sound) and video["seconds"] == pytest.approx(len(sound) / 16000)
    np.testing.assert_array_equal(clips.waveform(4), sound)
    with pytest.raises(dfd.InvalidArgument, match="prepared with"):
        dfd.prepare(rows, tmp_path / "clips", audio=True, sample_rate=22050, progress=False)


def test_audio_augmentations_are_seeded():
    rng = np.random.default_rng(1)
    clip = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    a = dfd.augment_waveform(clip, seed=4, noise_p=1.0, snr_db_min=20, snr_db_max=20, gain_db=0)
    np.testing.assert_array_equal(a, dfd.augment_waveform(clip, seed=4, noise_p=1.0, snr_db_min=20, snr_db_max=20, gain_db=0))
    snr = 10 * np.log10(np.mean(clip.astype(np.float64) ** 2) / np.mean((a - clip).astype(np.float64) ** 2))
    assert snr == pytest.approx(20, abs=0.5)
    louder = dfd.augment_waveform(clip, seed=4, noise_p=0.0, gain_db=6)
    ratio = np.abs(louder).max() / np.abs(clip).max()
    assert 10 ** (-6 / 20) - 1e-6 <= ratio <= 10 ** (6 / 20) + 1e-6
    db = rng.uniform(-80, 0, (128, 200)).astype(np.float32)
    masked = dfd.mask_spectrogram(db, seed=9, time_mask_p=1, freq_mask_p=1, time_mask_max=0.1, freq_mask_max=0.1)
    changed = masked != db
    assert (masked[changed] == db.min()).all()
    cols, rows = np.nonzero(changed.all(axis=0))[0], np.nonzero(changed.all(axis=1))[0]
    assert len(cols) <= 20 and len(rows) <= 12  # at most 10 % of the frames and of the mel bands
    np.testing.assert_array_equal(masked, dfd.mask_spectrogram(db, seed=9, time_mask_p=1, freq_mask_p=1))


def test_ffdv_resnet18_trains_on_log_mel_images_and_scores_in_the_detector(shared, tmp_path):
    rows = _rows(shared, 3)
    dfd.prepare(rows, tmp_path / "clips", audio=True, sample_rate=22050, progress=False)
    params = dfd.TrainParams(arch="resnet18", input_size=64, batch_size=4, epoch_size=8, val_fraction=0.34, seed=1)
    params.mix.real, params.mix.self_blended, params.mix.fake = 0.5, 0.0, 0.5
    history = dfd.train(tmp_path / "clips", tmp_path / "run", params, epochs=2, progress=False)
    assert list(history["epoch"]) == [1, 2]
    # Validation is whole clips of held-out groups, both classes: one score per clip.
    assert (history["val_faces"] == history["val_videos"]).all() and history["val_auc"].notna().all()
    best = history.attrs["best_weights"]
    clf = dfd.Classifier("resnet18:" + best)
    assert clf.preset == "dfd_trained" and clf.input_size == 64 and clf.input == "spectrogram"
    # The Detector routes it to its audio branch and feeds it the image training saw.
    v = dfd.Detector(dfd.DetectorParams("default", models=["resnet18:" + best])).scan(rows[0][0])
    assert v.status == "ok" and v.video_p_fake is None and len(v.audio_model_scores) == 1
    spectrogram = dfd.AudioSpectrogram(ref="max")
    image = dfd.AudioSpectrogram.image(spectrogram.from_file(rows[0][0]), 64)
    assert v.audio_model_scores[0] == pytest.approx(clf.predict([image])[0], abs=1e-5)
    # bfloat16 training is for face and clip models: asked for here, it says so.
    params.precision = "bf16"
    with pytest.raises(dfd.InvalidArgument, match="bf16 trains face and clip models"):
        dfd.train(tmp_path / "clips", tmp_path / "run_bf16", params, epochs=1, progress=False)


def test_aasist_fine_tunes_from_its_published_verdicts(shared, converted, tmp_path):
    rows = _rows(shared, 2)
    dfd.prepare(rows, tmp_path / "clips", audio=True, progress=False)
    # freeze_bn_stats: AASIST's BatchNorms keep their statistics (a batch of 2 windows' would replace
    # them); with a vanishing learning rate the trained file must then score as the published one.
    params = dfd.TrainParams(arch="aasist_l", init=str(converted["aasist_l"]), batch_size=2, epoch_size=2, lr=1e-12,
                             freeze_bn_stats=True, val_fraction=0.5, seed=3, out_dir=str(tmp_path / "run"))
    params.mix.real, params.mix.self_blended, params.mix.fake = 0.5, 0.0, 0.5
    trainer = dfd.Trainer(tmp_path / "clips", params)
    # The two-class head became one logit z_spoof - z_bonafide: before a step, sigmoid of it is the
    # published model's p(fake).
    clips = dfd.AudioDataset(tmp_path / "clips")
    window = dfd.audio_window_batch(clips.waveform(0), dfd.audio_windows(clips[0]["samples"], 64600), 64600)
    trainer.model.eval()
    logit = np.asarray(trainer.model.forward(window)).reshape(-1)
    published = dfd.Classifier(f"aasist_l:{converted['aasist_l']}").predict(window)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), published, atol=1e-5)
    result = trainer.run()
    epoch = result["history"][0]
    # Validation scores every window of the held-out clips (hop 1), then each clip by their mean.
    counts = [len(dfd.audio_windows(clips[i]["samples"], 64600)) for i in range(len(clips))]
    pairs = {counts[i] + counts[j] for i in range(len(counts)) for j in range(i + 1, len(counts))}
    assert epoch["val_videos"] == 2 and epoch["val_faces"] in pairs and np.isfinite(epoch["val_loss"])
    clf = dfd.Classifier("aasist_l:" + result["best_weights"])
    assert clf.input == "waveform" and clf.sample_rate == 16000 and clf.input_size == 64600
    np.testing.assert_allclose(clf.predict(window), published, atol=1e-4)
    v = dfd.Detector(dfd.DetectorParams("default", models=["aasist_l:" + result["best_weights"]])).scan(rows[0][0])
    assert v.status == "ok" and len(v.audio_windows) == len(dfd.audio_windows(clips[0]["samples"], 64600))


def test_loudness_lufs_levels_training_and_validation_and_travels_in_the_preset(shared, converted, tmp_path):
    """The same clips 12 dB quieter: with loudness_lufs the model sees the same windows (validation
    equal), as decoded it does not; the saved preset carries the level, so the Detector levels too."""
    rows = _rows(shared, 2)
    quiet = []
    for path, label, group in rows:
        y = dfd.AudioReader(path, sample_rate=16000).read()
        quiet.append((str(_write_wav(tmp_path / f"quiet_{group}.wav", y * 10 ** (-12 / 20))), label, group))
    for name, r in (("clips", rows), ("quiet", quiet)):
        dfd.prepare(r, tmp_path / name, audio=True, progress=False)

    def validation(data, loudness):
        params = dfd.TrainParams(arch="aasist_l", init=str(converted["aasist_l"]), batch_size=2, epoch_size=2,
                                 lr=1e-12, freeze_bn_stats=True, val_fraction=0.5, seed=3, loudness_lufs=loudness,
                                 out_dir=str(tmp_path / f"run_{data}_{loudness}"))
        params.mix.real, params.mix.self_blended, params.mix.fake = 0.5, 0.0, 0.5
        result = dfd.Trainer(tmp_path / data, params).run()
        return result["history"][0]["val_loss"], result["best_weights"]

    levelled, weights = validation("clips", -26.0)
    assert validation("quiet", -26.0)[0] == pytest.approx(levelled, abs=1e-4)
    assert abs(validation("quiet", None)[0] - validation("clips", None)[0]) > 1e-3
    clf = dfd.Classifier("aasist_l:" + weights)
    assert clf.loudness_lufs == -26
    detector = dfd.Detector(dfd.DetectorParams("default", models=["aasist_l:" + weights]))
    loud, soft = detector.scan(rows[0][0]), detector.scan(quiet[0][0])
    assert loud.p_fake == pytest.approx(soft.p_fake, abs=2e-4) and loud.audio_loudness_lufs is not None

    # Only a waveform model has a loudness, and only one a clip can be brought to.
    dfd.prepare(rows, tmp_path / "clips22k", audio=True, sample_rate=22050, progress=False)
    def params(**settings):
        p = dfd.default_train_params("audio")
        for k, v in settings.items():
            p[k] = v
        return p

    with pytest.raises(dfd.InvalidArgument, match="waveform"):
        dfd.Trainer(tmp_path / "clips22k", params(arch="resnet18", input_size=64, loudness_lufs=-26.0, out_dir=str(tmp_path / "x")))
    with pytest.raises(dfd.InvalidArgument, match="loudness_lufs"):
        dfd.Trainer(tmp_path / "clips", params(arch="aasist_l", loudness_lufs=-80.0, out_dir=str(tmp_path / "y")))


def test_dfd_prepare_audio_and_train_commands(cli, shared, tmp_path):
    def run(*args):
        return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)

    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\n" + "".join(f"{path},{label}\n" for path, label, _ in _rows(shared, 2)))
    out = run("prepare", labels, "--audio", "--sample-rate", "22050", "-o", tmp_path / "clips", "-j", "2")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["clips"] == 4
    faces_flag = run("prepare", labels, "--audio", "--detector", "haar", "-o", tmp_path / "c2")
    assert faces_flag.returncode == 2 and "no faces" in faces_flag.stderr
    rate_flag = run("prepare", labels, "--sample-rate", "16000", "-o", tmp_path / "c3")
    assert rate_flag.returncode == 2 and "--audio only" in rate_flag.stderr
    train = ["train", tmp_path / "clips", "-o", tmp_path / "run", "--arch", "resnet18", "--size", "64",
             "--epoch-size", "4", "--batch-size", "2", "--set", "val_fraction=0.5"]
    shown = run(*train, "--print-params")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["mix.self_blended"] == 0 and json.loads(shown.stdout)["mix.fake"] == 0.5
    first = run(*train, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1])["model"].startswith("resnet18:")
    # A waveform model needs its own rate; self-blending needs faces.
    wrong_rate = run("train", tmp_path / "clips", "-o", tmp_path / "r2", "--arch", "aasist_l")
    assert wrong_rate.returncode == 2 and "22050 Hz" in wrong_rate.stderr and "--sample-rate 16000" in wrong_rate.stderr
    blended = run(*train, "--mix", "0.5,0.5,0")
    assert blended.returncode == 2 and "self-blending" in blended.stderr
