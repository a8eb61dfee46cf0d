"""The embedding fusion of the multimodal study: dfd prepare --embeddings (each file's video and
audio embeddings, as the Detector computes them), dfd train of fusion_mlp on them, and the Detector
scoring a file with both embeddings by the trained MLP (audio.fusion_model), which names the two
models it was trained on."""

import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest

import dfd
from dfd import safetensors_io

from conftest import default_face_model

VIDEOS = "data/videos/celebdf_v2_tonihantschmann"
AUDIO = "data/audio/zozturk_chatterbox_tr"
FACES, _ = default_face_model()  # the default preset's face model spec


def _mux(video, audio, out):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-i", str(audio), "-map", "0:v:0", "-map",
                    "1:a:0", "-t", "2", "-c:v", "copy", "-c:a", "aac", str(out)], check=True)
    return str(out)


@pytest.fixture(scope="module")
def pairs(shared, tmp_path_factory):
    """Audio-visual files in FakeAVCeleb's categories: a real face with a real voice is real; a
    swapped face or a cloned voice makes the file fake. Each file its own group."""
    out = tmp_path_factory.mktemp("pairs")
    rv = [shared / VIDEOS / "real/id16_0012.mp4", shared / VIDEOS / "real/id40_0003.mp4"]
    fv = [shared / VIDEOS / "fake/id16_id6_0012.mp4", shared / VIDEOS / "fake/id40_id44_0003.mp4"]
    ra = [shared / AUDIO / "real/real_spk1_01.wav", shared / AUDIO / "real/real_spk1_02.wav"]
    fa = [shared / AUDIO / "fake/fake_spk1_01.wav", shared / AUDIO / "fake/fake_spk1_02.wav"]
    combos = [(rv[0], ra[0], 0), (rv[1], ra[1], 0), (rv[0], ra[1], 0), (rv[1], ra[0], 0),
              (fv[0], ra[0], 1), (fv[1], ra[1], 1), (rv[0], fa[0], 1), (fv[1], fa[1], 1)]
    return [(_mux(v, a, out / f"pair{k}.mp4"), label, f"pair{k}") for k, (v, a, label) in enumerate(combos)]


@pytest.fixture(scope="module")
def embedded(pairs, shared, tmp_path_factory):
    """The pairs, a mute video (no_audio), an audio file (no_face) and a missing file (error),
    prepared once with the default preset's models."""
    out = tmp_path_factory.mktemp("embedded")
    mute = out / "mute.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / VIDEOS / "real/id16_0012.mp4"), "-t", "2",
                    "-an", "-c:v", "copy", str(mute)], check=True)
    extra = [(str(mute), 0, "mute"), (str(shared / AUDIO / "real/real_spk1_03.wav"), 0, "voice"),
             (str(out / "missing.mp4"), 1, "missing")]
    rows = pairs + extra
    summary = dfd.prepare(rows, out / "emb", embeddings=True, progress=False)
    return out / "emb", rows, summary


def test_prepare_embeddings_keeps_what_the_detector_computes(embedded, pairs):
    emb, rows, summary = embedded
    assert {k: summary[k] for k in ("files", "prepared", "failed", "items")} == \
        {"files": 11, "prepared": 10, "failed": 1, "items": 8}
    ledger = {line.split(",")[0]: line for line in (emb / "sources.csv").read_text().splitlines()}
    assert ledger["path"] == "path,label,group,status,frames,embeddings,error"
    assert ",no_audio," in ledger[rows[8][0]] and "no_audio_stream" in ledger[rows[8][0]]
    assert ",no_face," in ledger[rows[9][0]]
    assert ",error," in ledger[rows[10][0]] and "missing.mp4" in ledger[rows[10][0]]

    ds = dfd.EmbeddingDataset(emb)
    assert dfd.is_embedding_dataset(emb) and not dfd.is_audio_dataset(emb) and len(ds) == 8
    preset = dfd.DetectorParams("default")
    face_spec, audio_spec = preset["models"]
    assert ds.embedders["video"]["model"] == face_spec and ds.embedders["audio"]["model"] == audio_spec
    shipped = dfd.find_model_file(audio_spec.split(":")[1].split("@")[0])  # arch:weights@preset
    with open(shipped, "rb") as f:
        assert ds.embedders["audio"]["sha256"] == hashlib.sha256(f.read()).hexdigest()
    # Each item is the verdict's: the same Detector settings, embeddings on.
    detector = dfd.Detector(dfd.DetectorParams("default", embeddings=True))
    for i in (0, 6):
        item = ds[i]
        assert item["source"] == pairs[i][0] and item["label"] == pairs[i][1] and item["group"] == pairs[i][2]
        v = detector.scan(pairs[i][0])
        assert v.status == "ok" and item["video_dim"] == len(v.video_embedding) and item["audio_dim"] == 160
        np.testing.assert_allclose(ds.vector(i), np.concatenate([v.video_embedding, v.audio_embedding]), rtol=1e-5, atol=1e-6)
        assert item["video_p_fake"] == pytest.approx(v.video_p_fake, abs=1e-6)
        assert item["audio_p_fake"] == pytest.approx(v.audio_p_fake, abs=1e-6)
    again = dfd.prepare(rows, emb, embeddings=True, progress=False)
    assert again["done_before"] == 11 and again["prepared"] == 0 and again["items"] == 8  # errors too, unless retry_failed
    with pytest.raises(dfd.InvalidArgument, match="prepared with"):
        dfd.prepare(rows, emb, embeddings=True, progress=False, frames=8)
    with pytest.raises(dfd.InvalidArgument, match="face model and an audio model"):
        dfd.prepare(rows, emb.parent / "faces_only", embeddings=True, progress=False,
                    models=[FACES])


@pytest.fixture(scope="module")
def fusion(embedded, tmp_path_factory):
    emb = embedded[0]
    ds = dfd.EmbeddingDataset(emb)
    train, val = [0, 1, 2, 4, 5, 6], [3, 7]
    run = tmp_path_factory.mktemp("fusion_run")
    history = dfd.train(ds.subset(train), run, validation=ds.subset(val), epochs=3, batch_size=4, lr=1e-2, progress=False)
    return history.attrs["best_weights"], ds


def test_train_fusion_mlp_on_embeddings(fusion, embedded):
    weights, ds = fusion
    tensors, meta = safetensors_io.load(weights)
    assert meta["dfd.arch"] == "fusion_mlp" and json.loads(meta["dfd.preset"])["input"] == "embedding"
    embedders = json.loads(meta["dfd.embedders"])
    assert embedders["video"]["sha256"] == ds.embedders["video"]["sha256"] and embedders["audio"]["dim"] == 160
    d = ds[0]["video_dim"] + ds[0]["audio_dim"]
    assert tensors["fc1.weight"].shape == (128, d)
    # Standardised by the training split's statistics.
    x = np.stack([ds.vector(i) for i in (0, 1, 2, 4, 5, 6)])
    np.testing.assert_allclose(tensors["input_mean"], x.mean(0), rtol=1e-4, atol=1e-5)
    std = x.std(0, ddof=1)  # floored at a tenth of the mean: a feature constant in training cannot blow up
    np.testing.assert_allclose(tensors["input_std"], np.maximum(std, 0.1 * std.mean()), rtol=1e-3, atol=1e-5)
    clf = dfd.Classifier(f"fusion_mlp:{weights}")
    p = clf.predict(np.stack([ds.vector(i) for i in range(len(ds))]))
    assert p.shape == (8,) and np.all((p >= 0) & (p <= 1))
    # The other kinds are refused with what to do.
    with pytest.raises(dfd.InvalidArgument, match="fusion_mlp"):
        dfd.Trainer(ds, dfd.TrainParams(arch="resnet18", out_dir=str(embedded[0].parent / "r"), mix__self_blended=0))
    with pytest.raises(dfd.InvalidArgument, match="self-blending"):
        dfd.Trainer(ds, dfd.TrainParams(arch="fusion_mlp", out_dir=str(embedded[0].parent / "r")))


def test_detector_scores_files_with_both_embeddings_by_the_fusion(fusion, pairs, embedded, shared, tmp_path):
    weights, ds = fusion
    fused = dfd.Detector(dfd.DetectorParams("default", audio__fusion_model=weights, embeddings=True))
    clf = dfd.Classifier(f"fusion_mlp:{weights}")
    for path, _, _ in pairs[:2] + pairs[6:7]:
        v = fused.scan(path)
        assert v.status == "ok"
        expected = clf.predict(np.concatenate([v.video_embedding, v.audio_embedding])[None].astype(np.float32))[0]
        assert v.p_fake == pytest.approx(expected, abs=1e-6)
        assert v.is_fake == (v.p_fake >= fused.params.threshold)
    # Without embeddings asked for, they are computed for the fusion but not reported.
    quiet = dfd.Detector(dfd.DetectorParams("default", audio__fusion_model=weights))
    v = quiet.scan(pairs[0][0])
    assert v.video_embedding is None and v.audio_embedding is None and v.p_fake == pytest.approx(fused.scan(pairs[0][0]).p_fake)
    # One branch only (a video without sound): that branch decides, as before.
    mute = embedded[1][8][0]
    v = quiet.scan(mute)
    assert v.status == "ok" and v.audio_p_fake is None and v.p_fake == pytest.approx(v.video_p_fake)

    # A Detector whose audio model is another file than the one trained on: refused, naming both.
    tensors, meta = safetensors_io.load(dfd.find_model_file("aasist-l.safetensors"))
    meta = dict(meta, note="another copy")
    other = tmp_path / "aasist-other.safetensors"
    safetensors_io.save(other, tensors, meta)
    with pytest.raises(dfd.ModelError, match="trained on the embeddings of"):
        dfd.Detector(dfd.DetectorParams("default", audio__fusion_model=weights,
                                        models=[FACES, f"aasist_l:{other}"]))
    with pytest.raises(dfd.InvalidArgument, match="audio.fusion_model"):
        dfd.Detector(dfd.DetectorParams("default", models=[FACES, f"fusion_mlp:{weights}"]))
    with pytest.raises(dfd.ModelError, match="dfd.embedders"):
        dfd.Detector(dfd.DetectorParams("default", audio__fusion_model=str(other)))


def test_cli_prepare_train_scan_with_a_fusion(cli, embedded, fusion, pairs, tmp_path):
    emb = embedded[0]
    out = subprocess.run([str(cli), "train", str(emb), "-o", str(tmp_path / "run"), "--epochs", "1", "--batch-size", "4"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    done = json.loads(out.stdout.strip().splitlines()[-1])
    assert "model" not in done and done["fusion_model"].endswith("best.safetensors")
    verdicts = tmp_path / "verdicts.jsonl"
    scan = subprocess.run([str(cli), "scan", "--jsonl", str(verdicts), "--set", f"audio.fusion_model={fusion[0]}", "--",
                           pairs[0][0]], capture_output=True, text=True)
    assert scan.returncode == 0, scan.stderr
    line = json.loads(verdicts.read_text().splitlines()[-1])
    python = dfd.Detector(dfd.DetectorParams("default", audio__fusion_model=fusion[0])).scan(pairs[0][0])
    assert line["p_fake"] == pytest.approx(python.p_fake, abs=1e-6)
    refused = subprocess.run([str(cli), "prepare", str(tmp_path / "x.csv"), "-o", str(tmp_path / "d"), "--embeddings",
                              "--audio"], capture_output=True, text=True)
    assert refused.returncode == 2 and "one kind of dataset" in refused.stderr
