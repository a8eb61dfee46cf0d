"""Temporal models end to end: clips from face tracks, a TSM trained by dfd.train on clips made from
photos, the Detector scoring each identity by its clips beside the per-frame model, Grad-CAM per
frame."""

import json

import cv2
import numpy as np
import pytest

import dfd
from conftest import default_face_model, read_safetensors

LFW = ["AJ_Cook_0001", "Aaron_Eckhart_0001", "AJ_Lamas_0001", "Aaron_Peirsol_0001", "Aaron_Guiel_0001",
       "Aaron_Patterson_0001", "Aaron_Pena_0001", "Aaron_Sorkin_0001"]
# The TSM starts from the default preset's per-frame model (a mobilenet_v1, which tsm_mobilenet_v1 wraps).
DEFAULT_SPEC, DEFAULT_FACES = default_face_model()
SEGMENTS = 4


@pytest.fixture(scope="module")
def video(shared):
    return str(shared / "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4")


@pytest.fixture(scope="module")
def trained(shared, tmp_path_factory):
    """A tsm_mobilenet_v1 of 4 frames started from the shipped per-frame model and trained one tiny
    epoch on clips made from 8 photos (its learning rate ~0: its weights stay the start's)."""
    root = tmp_path_factory.mktemp("temporal")
    rows = [(str(shared / f"data/real_faces/lfw/{name}.jpg"), 0, name[:-5]) for name in LFW]
    dfd.prepare(rows, root / "faces", size=96, progress=False)
    history = dfd.train(root / "faces", root / "run", arch="tsm_mobilenet_v1", init=str(DEFAULT_FACES), input_size=64,
                        segments=SEGMENTS, batch_size=2, epoch_size=4, epochs=1, lr=1e-12, val_fraction=0.5,
                        mean=[0, 0, 0], std=[1 / 255] * 3, seed=3, progress=False)
    return history.attrs["best_weights"]


def test_clips_follow_a_track_and_are_cut_alike(video):
    extractor = dfd.FaceExtractor(dfd.Mtcnn(dfd.find_model_file("mtcnn-facenet.safetensors")), frames=8, size=96)
    clips = extractor.extract_clips(video, length=6, stride=2, per_track=2)
    assert clips, "a face in every frame of this video"
    frame_count = dfd.VideoReader(video).info().frame_count
    for c in clips:
        idx = c.plan.frame_indices
        assert len(idx) == 6 and c.images.shape == (6, 96, 96, 3)
        assert all(0 <= f < frame_count for f in idx)
        assert c.plan.padded == 0 and np.all(np.diff(idx) == 2)
        assert not np.array_equal(c.images[0], c.images[-1])  # frames of a moving video, not one repeated
    # The same clips from their parts: the extraction's tracks, the plans, the frames read by index.
    found = extractor.extract(video)
    plans = dfd.plan_clips(found, frame_count, length=6, stride=2, per_track=2)
    assert [p.frame_indices for p in plans] == [c.plan.frame_indices for c in clips]
    assert {p.track_id for p in plans} == {t.id for t in found.tracks}


def test_a_trained_clip_model_says_how_it_is_fed(trained):
    tensors, meta = read_safetensors(trained)
    assert json.loads(meta["dfd.model"]) == {"segments": SEGMENTS, "shift_div": 8}
    assert json.loads(meta["dfd.preset"])["input"] == "clip"
    clf = dfd.Classifier(f"tsm_mobilenet_v1:{trained}")
    assert clf.input == "clip" and clf.model.info.segments == SEGMENTS and clf.frame_stride == 1
    # Started from the 2D checkpoint, renamed: base_model.conv_pw_3.net.weight is conv_pw_3.weight,
    # new_fc its fc.
    start, _ = read_safetensors(DEFAULT_FACES)
    np.testing.assert_allclose(tensors["base_model.conv_pw_3.net.weight"], start["conv_pw_3.weight"], atol=1e-6)
    np.testing.assert_allclose(tensors["new_fc.weight"], start["fc.weight"], atol=1e-6)
    # Clips as lists, as one uint8 array and as a preprocessed batch: one answer.
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 255, (3, SEGMENTS, 64, 64, 3), dtype=np.uint8)
    p = clf.predict([list(c) for c in clips])
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(clf.predict(clips), p, atol=1e-6)
    x = (clips.astype(np.float32)).transpose(0, 1, 4, 2, 3).copy()  # mean 0, std 1/255: the pixels
    np.testing.assert_allclose(clf.predict(x), p, atol=1e-5)
    with pytest.raises(dfd.InvalidArgument, match="frames"):
        clf.predict([list(clips[0][:2])])
    # Grad-CAM per frame of each clip, in the crops' pixels.
    maps = dfd.GradCAM(clf)(list(clips[:2]), target="fake")
    assert maps.shape == (2 * SEGMENTS, 64, 64)
    assert np.all((maps >= 0) & (maps <= 1))
    peaks = maps.reshape(2 * SEGMENTS, -1).max(1)
    # Each frame scaled to its own peak; one whose evidence for the target is all negative is all 0.
    assert np.all((peaks == 0) | (peaks > 0.99))
    # One logit: evidence against "fake" is evidence for "real", so every frame shows one or the other
    # (which one, on noise, depends on the weights the clip model started from).
    real = dfd.GradCAM(clf)(list(clips[:2]), target="real")
    assert np.all(np.maximum(peaks, real.reshape(2 * SEGMENTS, -1).max(1)) > 0.99)
    shown = [m for m in np.concatenate([maps, real]) if m.max() > 0.99]
    assert not np.allclose(shown[0], shown[1])  # each frame its own map


def test_detector_scores_each_identity_by_its_clips_beside_the_frames(shared, trained, video):
    face_model = DEFAULT_SPEC
    detector = dfd.Detector(preset="default", models=[face_model, f"tsm_mobilenet_v1:{trained}"], frames=8,
                            **{"clips.per_track": 2})
    v = detector.scan(video)
    assert v.status == "ok"
    d = v.to_dict()
    assert d["clips"] and len(v.clip_model_scores) == 1
    by_track = {}
    for c in d["clips"]:
        assert len(c["frame_indices"]) == SEGMENTS and c["padded"] == 0
        assert np.all(np.diff(c["frame_indices"]) == 1)
        assert c["p_fake"] == pytest.approx(c["model_scores"][0])
        by_track.setdefault(c["track_id"], []).append(c["p_fake"])
    faces_by_track = {}
    for f in d["faces"]:
        faces_by_track.setdefault(f["track_id"], []).append(f["p_fake"])
    # Per identity: the mean of its faces and the mean of its clips, joined as the equal-weight mean.
    for ident in d["identities"]:
        assert ident["clips"] == len(by_track[ident["track_id"]]) <= 2
        assert ident["face_p_fake"] == pytest.approx(np.mean(faces_by_track[ident["track_id"]]), abs=1e-5)
        assert ident["clip_p_fake"] == pytest.approx(np.mean(by_track[ident["track_id"]]), abs=1e-5)
        assert ident["p_fake"] == pytest.approx((ident["face_p_fake"] + ident["clip_p_fake"]) / 2, abs=1e-5)
    all_faces = np.mean([f["p_fake"] for f in d["faces"]])
    all_clips = np.mean([c["p_fake"] for c in d["clips"]])
    assert v.video_p_fake == pytest.approx((all_faces + all_clips) / 2, abs=1e-5)

    # Explained: the most decisive clip, a map per frame, and the face regions its maps rest on.
    explained = dfd.Detector(preset="default", models=[face_model, f"tsm_mobilenet_v1:{trained}"], frames=8,
                             **{"explain.enabled": True, "explain.clips": 1}).scan(video).to_dict(images=True)
    (e,) = explained["clip_explanations"]
    chosen = explained["clips"][e["clip"]]
    side = [c["p_fake"] for c in explained["clips"]]
    assert chosen["p_fake"] == (max(side) if e["target"] == "fake" else min(side))
    assert len(e["crops"]) == len(e["heatmaps"]) == SEGMENTS
    assert all(h.shape == c.shape[:2] and 0 <= h.min() and h.max() <= 1 for c, h in zip(e["crops"], e["heatmaps"]))
    assert e["regions"] and abs(sum(r["share"] for r in e["regions"]) - 1) < 1e-3 and e["summary"].startswith("judged")
    # dfd.show: the faces' two rows, then a row per explained clip with a heatmap per frame.
    import matplotlib

    matplotlib.use("Agg")
    fig = dfd.show(explained)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 2 * len(explained["explanations"]) + SEGMENTS
    assert drawn[-SEGMENTS].get_title().startswith(f"clip, p {chosen['p_fake']:.2f}, why {e['target']}")

    # An image: its one face repeated, marked padded.
    image = shared / "data/images/dfdc_facecrops_aaronchong888/real/abarnvbtwb-000-00.png"
    vi = detector.scan(str(image)).to_dict()
    assert vi["status"] == "ok"
    assert all(c["frame_indices"] == [0] * SEGMENTS and c["padded"] == SEGMENTS - 1 for c in vi["clips"])

    # A clip model scores the tracks a face model finds: alone it is refused, by name.
    with pytest.raises(dfd.InvalidArgument, match="face model"):
        dfd.Detector(preset="default", models=[f"tsm_mobilenet_v1:{trained}"])


def test_prepare_clips_and_train_on_them(shared, tmp_path):
    videos = [(str(shared / "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"), 0, "id16"),
              (str(shared / "data/videos/celebdf_v2_tonihantschmann/real/id29_0000.mp4"), 0, "id29")]
    summary = dfd.prepare(videos, tmp_path / "clips", size=96, frames=8, clips=3, clip_stride=2, clips_per_track=2,
                          progress=False)
    assert summary["prepared"] == 2 and summary["faces"] >= 2 * 3
    ds = dfd.FaceDataset(tmp_path / "clips")
    rows = [ds[i] for i in range(len(ds))]
    clips = {}
    for r in rows:
        clips.setdefault((r["source"], r["clip"]), []).append(r)
    for frames in clips.values():
        assert len(frames) == 3
        assert [f["frame"] for f in frames] == [frames[0]["frame"] + 2 * t for t in range(3)]
        assert len({f["region"] for f in frames}) == 1  # one region per clip
        assert all(f["landmarks"] is not None and f["landmarks"].shape == (68, 2) for f in frames)
    # segments 0: the clips' length. The held-out half validates on real clips and their blends.
    history = dfd.train(ds, tmp_path / "run", arch="tsm_mobilenet_v1", init=str(DEFAULT_FACES), input_size=64,
                        batch_size=2, epoch_size=4, epochs=1, val_fraction=0.5, mean=[0, 0, 0], std=[1 / 255] * 3,
                        seed=1, progress=False)
    assert history["val_faces"].iloc[0] > 0
    clf = dfd.Classifier("tsm_mobilenet_v1:" + history.attrs["best_weights"])
    assert clf.model.info.segments == 3
    with pytest.raises(dfd.InvalidArgument, match="clips of 3 frames"):
        dfd.train(ds, tmp_path / "run4", arch="tsm_mobilenet_v1", segments=4, epochs=1, progress=False)


def test_the_commands_prepare_clips_train_and_scan(cli, shared, tmp_path):
    import subprocess

    def run(*args):
        return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)

    labels = tmp_path / "labels.csv"
    labels.write_text("path,label,group\nreal/id16_0012.mp4,0,id16\nreal/id29_0000.mp4,0,id29\n")
    root = shared / "data/videos/celebdf_v2_tonihantschmann"
    out = run("prepare", labels, "--root", root, "-o", tmp_path / "clips", "--size", "96", "-n", "8", "--clips", "2",
              "--clip-stride", "3", "--clips-per-track", "1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["prepared"] == 2
    assert (tmp_path / "clips/index.csv").read_text().splitlines()[0].endswith(",landmarks,clip")
    bad = run("prepare", labels, "--root", root, "-o", tmp_path / "a", "--clips", "2", "--audio")
    assert bad.returncode == 2 and "--clips" in bad.stderr
    train = run("train", tmp_path / "clips", "-o", tmp_path / "run", "--arch", "tsm_mobilenet_v1", "--init", DEFAULT_FACES,
                "--size", "64", "--epochs", "1", "--epoch-size", "2", "--batch-size", "2", "--set", "val_fraction=0.5")
    assert train.returncode == 0, train.stderr
    model = json.loads(train.stdout.splitlines()[-1])["model"]
    assert model.startswith("tsm_mobilenet_v1:")
    scan = run("scan", root / "real/id16_0012.mp4", "--model", DEFAULT_SPEC, "--model", model,
               "--frames", "8", "--set", "clips.per_track=1", "--jsonl", tmp_path / "v.jsonl")
    assert scan.returncode == 0, scan.stderr
    verdict = json.loads((tmp_path / "v.jsonl").read_text().splitlines()[0])
    assert verdict["clips"] and all(c["frame_indices"][1] - c["frame_indices"][0] == 3 for c in verdict["clips"])

    # Explained by the command line: a picture per deciding clip, its frames' overlays side by side,
    # in dfd scan --explain's folder and on dfd report's page.
    models = ["--model", DEFAULT_SPEC, "--model", model, "--frames", "8", "--set", "clips.per_track=1",
              "--set", "explain.clips=1"]
    scan = run("scan", root / "real/id16_0012.mp4", *models, "--explain", tmp_path / "why")
    assert scan.returncode == 0, scan.stderr
    (strip,) = (tmp_path / "why").glob("id16_0012_clip*_frames*_track*.png")
    assert f"  {strip.name}: p_fake " in scan.stdout
    assert list((tmp_path / "why").glob("id16_0012_frame*_track*.png"))  # the faces' overlays as before
    picture = cv2.imread(str(strip))
    assert picture.shape[1] == 2 * picture.shape[0]  # the two square frames of a 2-frame clip
    report = run("report", root / "real/id16_0012.mp4", *models, "-o", tmp_path / "report")
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "report/scan_0001.html").read_text()
    assert "The clips the verdict rests on" in page and "clip0_heatmaps.png" in page
    assert (tmp_path / "report/scan_0001/clip0_heatmaps.png").is_file()
    # ... and on dfd serve's page: the job says how many clip pictures it has, each is a PNG.
    from test_serve import Server

    server = Server(cli, [*models[:4], *models[6:], "--root", root], tmp_path)  # Server gives --frames itself
    try:
        status, job = server.post({"path": "real/id16_0012.mp4"})
        assert status == 202, job
        done = server.wait(job["id"])
        assert done["clip_overlays"] == len(done["verdict"]["clip_explanations"]) == 1
        status, png, _ = server.request(f"/api/jobs/{job['id']}/clip_explanations/0.png")
        assert status == 200 and png.startswith(b"\x89PNG\r\n\x1a\n")
        assert server.request(f"/api/jobs/{job['id']}/clip_explanations/1.png")[0] == 404
    finally:
        assert server.stop() == 0
