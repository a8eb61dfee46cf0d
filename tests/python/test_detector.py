"""dfd.Detector from Python: scan, Verdict, scan_many as a DataFrame, combiners, fusion, explain."""

import json
import math
import subprocess
import threading

import numpy as np
import pytest

import dfd


@pytest.fixture(scope="module")
def detector(converted):
    return dfd.Detector(models=[f"mesoinception4_keras:{converted['meso']}"], preset="mesonet",
                        face_weights=str(converted["mtcnn"]), frames=4)


def test_scan_and_verdict(shared, detector):
    v = detector.scan(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"))
    assert v.status == "ok" and 0 <= v.p_fake <= 1 and v.is_fake == (v.p_fake >= 0.5)
    assert "004.mp4" in repr(v) and ("FAKE" in repr(v) or "real" in repr(v))
    assert v.video_p_fake == v.p_fake and v.audio_p_fake is None and len(v.frame_indices) == 4
    d = v.to_dict()
    assert d["faces"] and d["identities"] and len(d["model_scores"]) == 1
    assert d["timings_ms"]["total"] >= d["timings_ms"]["decode"] + d["timings_ms"]["detect"] > 0
    # One schema: to_dict() is the JSON line dfd scan --jsonl writes, key for key.
    assert d == json.loads(v.to_json()) and d["label"] == ("fake" if v.is_fake else "real")
    assert json.loads(v.to_json())["p_fake"] == pytest.approx(v.p_fake)
    bad = detector.scan(str(shared / "nothing_here.mp4"))
    assert bad.status == "io_error" and "nothing_here.mp4" in bad.error
    assert bad.to_dict() == json.loads(bad.to_json()) and bad.to_dict()["p_fake"] is None


def test_a_video_shorter_than_the_frames_sampled_is_read_frame_by_frame(shared, detector, tmp_path):
    clip = tmp_path / "two_frames.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"),
                    "-frames:v", "2", "-an", "-c:v", "libx264", str(clip)], check=True)
    v = detector.scan(clip)  # the fixture samples 4 frames
    assert v.status == "ok" and v.frame_indices == [0, 1] and v.frames_sampled == 2
    assert 1 <= len(v.to_dict()["faces"]) <= 2  # one presenter: a face a frame, never a repeat
    extractor = dfd.FaceExtractor(dfd.HaarFaceDetector(), frames=4)
    assert extractor.frame_indices(2) == [0, 1] and extractor.frame_indices(10) == dfd.VideoReader.sample_indices(10, 4)


def test_a_long_video_gets_a_frame_every_few_seconds_in_batches_and_a_timeline(shared, converted, cli, tmp_path):
    # 004.mp4 twice: 24.7 s, 618 frames at 25 fps, small enough to scan in seconds.
    src = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    long = tmp_path / "long.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-i", str(src), "-filter_complex",
                    "[0:v]scale=640:360[a];[1:v]scale=640:360[b];[a][b]concat=n=2:v=1:a=0[v]", "-map", "[v]",
                    "-c:v", "libx264", "-preset", "ultrafast", str(long)], check=True)
    common = dict(models=[f"mesoinception4_keras:{converted['meso']}"], preset="mesonet",
                  face_weights=str(converted["mtcnn"]), frames=4)
    timed = dict(faces__seconds_per_frame=2.0, faces__max_frames=40, segment_seconds=5.0)
    v = dfd.Detector(**common, **timed, faces__batch_frames=4).scan(long)
    assert v.status == "ok"
    # ceil(24.72 / 2) = 13 samples, each the DFDC rule's frame or the keyframe nearest it within half the gap.
    exact = dfd.VideoReader.sample_indices(618, 13)
    keys = dfd.VideoReader(long).keyframe_indices()
    extractor = dfd.FaceExtractor(dfd.HaarFaceDetector(), frames=4, seconds_per_frame=2.0, max_frames=40)
    assert extractor.frames_for(618, 25.0) == 13 and extractor.frame_indices(618, 25.0) == exact
    assert v.frames_sampled == 13 and v.frame_indices == extractor.frame_indices(dfd.VideoReader(long))
    assert all(i == e or (i in keys and abs(i - e) <= 617 / 12 / 2) for i, e in zip(v.frame_indices, exact))
    assert v.frame_indices != exact  # x264 put a keyframe at 250, near the sample at 257
    # Read and searched 4 frames at a time, the file comes out as from one batch (to float rounding:
    # MTCNN's batches differ in shape).
    whole = dfd.Detector(**common, **timed, faces__batch_frames=64).scan(long)
    d, w = v.to_dict(), whole.to_dict()
    assert [(f["frame_index"], f["track_id"]) for f in d["faces"]] == [(f["frame_index"], f["track_id"]) for f in w["faces"]]
    for a, b in zip(d["faces"], w["faces"]):
        assert a["box"] == pytest.approx(b["box"], abs=0.05) and a["p_fake"] == pytest.approx(b["p_fake"], abs=1e-3)
    assert [i["faces"] for i in d["identities"]] == [i["faces"] for i in w["identities"]]
    assert v.p_fake == pytest.approx(whole.p_fake, abs=1e-3)
    faces = d["faces"]
    assert len({f["track_id"] for f in faces}) <= 2  # one presenter, tracked across the batches
    for f in faces:
        assert f["timestamp"] == pytest.approx(f["frame_index"] / 25, abs=1e-3)
    # The timeline: 5 s windows with faces, in order, each the mean (the preset's aggregation) of its faces.
    segments = v.segments
    assert segments == d["segments"] and len(segments) == 5
    assert sum(g["faces"] for g in segments) == len(faces)
    for k, g in enumerate(segments):
        assert (g["start"], g["end"]) == (5.0 * k, 5.0 * k + 5)
        inside = [f["p_fake"] for f in faces if g["start"] <= f["timestamp"] < g["end"]]
        assert g["faces"] == len(inside) and g["p_fake"] == pytest.approx(np.mean(inside), abs=1e-6)
    # Off (the struct's default): `frames` whatever the length, no timeline.
    plain = dfd.Detector(**common).scan(long)
    assert plain.frames_sampled == 4 and plain.segments == [] and plain.to_dict()["segments"] == []
    # The command line names the most fake stretch.
    out = subprocess.run([str(cli), "scan", str(long), "--preset", "mesonet", "--model", f"mesoinception4_keras:{converted['meso']}",
                          "--weights", str(converted["mtcnn"]), "-n", "4", "--set", "faces.seconds_per_frame=2",
                          "--set", "segment_seconds=5"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    most = max(segments, key=lambda g: g["p_fake"])
    assert f"most fake 0:{int(most['start']):02d}–0:{int(most['end']):02d} ({most['p_fake']:.4f}" in out.stdout
    assert "5 segments" in out.stdout


def test_the_default_leaves_out_a_background_mtcnn_is_unsure_of_beside_a_sure_face(shared):
    # A real Celeb-DF interview: MTCNN finds a patch of the dark background beside the presenter
    # (0.89-0.96) in most frames; the face model reads it as fake.
    video = shared / "data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"
    p = dfd.DetectorParams("default")
    assert p.faces.unsure_track_score == pytest.approx(0.97) and p.faces.sure_track_score == pytest.approx(0.99)
    # The default looks at a long video more densely, a 10 s clip as the DFDC rule does.
    sampling = dfd.FaceExtractor(dfd.HaarFaceDetector(), frames=p.faces.frames, seconds_per_frame=p.faces.seconds_per_frame,
                                 max_frames=p.faces.max_frames)
    assert sampling.frames_for(300, 30.0) == 16 and sampling.frames_for(1848, 30.0) == 62 and sampling.frames_for(108000, 30.0) == 128
    kept = dfd.Detector().scan(video).to_dict()
    everyone = dfd.Detector(faces__unsure_track_score=0).scan(video).to_dict()
    tracks = {}
    for f in everyone["faces"]:
        tracks.setdefault(f["track_id"], []).append(f["detector_score"])
    means = sorted(np.mean(s) for s in tracks.values())
    background, presenter = means
    assert len(tracks) == 2 and background < p.faces.unsure_track_score and presenter >= p.faces.sure_track_score
    assert len(kept["identities"]) == 1 and len(kept["faces"]) == len(tracks[max(tracks, key=lambda t: np.mean(tracks[t]))])
    assert all(f["detector_score"] >= 0.99 for f in kept["faces"])
    assert kept["p_fake"] < everyone["p_fake"]  # the non-face crops read fake


def test_scan_many_is_a_dataframe_in_order(shared, detector, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    frame = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    finished = []
    df = detector.scan_many([video, broken, frame], workers=2, progress=False, on_verdict=finished.append)
    assert list(df["path"]) == [str(video), str(broken), str(frame)]
    assert list(df["status"])[:2] == ["ok", "decode_error"] and df["status"][2] in ("ok", "no_face")
    assert df.loc[0, "faces"] > 0 and df.loc[1, "error"]
    assert sorted(v.path for v in finished) == sorted(df["path"])
    assert df.loc[0, "p_fake"] == pytest.approx(detector.scan(str(video)).p_fake, abs=0)


def test_scan_many_reraises_the_callers_error(shared, detector):
    video = str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")

    def fail(verdict):
        raise RuntimeError("my log is full")

    with pytest.raises(RuntimeError, match="my log is full"):
        detector.scan_many([video, video], progress=False, on_verdict=fail)


def test_scan_releases_the_gil(shared, detector):
    """Another Python thread keeps running while a scan is in C++ (what Dask/Ray workers need)."""
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=count)
    t.start()
    before = len(ticks)
    detector.scan(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"))
    during = len(ticks) - before
    done.set()
    t.join()
    assert during > 10


def test_python_combiner_and_logit_ensemble(shared, converted):
    models = [f"mesoinception4_keras:{converted['meso']}", f"meso4_keras:{converted['meso4']}"]
    video = str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")
    calls = []

    def most_suspicious(scores):
        calls.append(list(scores))
        return max(scores)

    det = dfd.Detector(models=models, preset="mesonet", face_weights=str(converted["mtcnn"]), frames=2,
                       combiner=most_suspicious)
    v = det.scan(video).to_dict()
    assert v["status"] == "ok" and len(calls) == len(v["faces"])
    for face in v["faces"]:
        assert face["p_fake"] == max(face["model_scores"])
    logits = dfd.Detector(models=models, preset="mesonet", face_weights=str(converted["mtcnn"]), frames=2,
                          weights=[3, 1], combine="logits").scan(video).to_dict()
    for face in logits["faces"]:
        a, b = face["model_scores"]
        z = (3 * math.log(a / (1 - a)) + math.log(b / (1 - b))) / 4
        assert face["p_fake"] == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-5)
    broken = dfd.Detector(models=models, preset="mesonet", face_weights=str(converted["mtcnn"]), frames=2,
                          combiner=lambda s: 1 / 0).scan(video)
    assert broken.status == "error" and "division by zero" in broken.error
    with pytest.raises(ValueError, match="combine"):
        dfd.Detector(models=models, preset="mesonet", face_weights=str(converted["mtcnn"]), combine="votes")


def test_audio_branch_and_late_fusion(shared, converted):
    video = str(shared / "data/videos/dfdc_icpr2020dfdc/widuwuoiur.mp4")
    det = dfd.Detector(models=[f"mesoinception4_keras:{converted['meso']}",
                               f"meso4:{converted['audio_meso']}@fakeavceleb_audio"],
                       preset="mesonet", face_weights=str(converted["mtcnn"]), frames=2,
                       fusion=dfd.LateFusion(video=1.0, audio=0.25, bias=0.1))
    v = det.scan(video)
    assert v.status == "ok" and v.video_p_fake is not None and v.audio_p_fake is not None
    assert v.p_fake == pytest.approx(dfd.LateFusion(1.0, 0.25, 0.1)(v.video_p_fake, v.audio_p_fake))
    wav = det.scan(str(shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav"))
    assert wav.status == "ok" and wav.video_p_fake is None and wav.p_fake == wav.audio_p_fake
    assert "ffdv_audio" in dfd.list_detector_presets()


def test_fit_late_fusion_equals_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 60)
    video = np.clip(0.5 + 0.25 * (labels - 0.5) + rng.normal(0, 0.2, 60), 0.01, 0.99).astype(np.float32)
    audio = np.clip(0.5 + 0.6 * (labels - 0.5) + rng.normal(0, 0.2, 60), 0.01, 0.99).astype(np.float32)
    for c in (0.1, 1.0, 10.0):
        ours = dfd.fit_late_fusion(video.tolist(), audio.tolist(), labels.tolist(), c=c)
        v, a = video.astype(np.float64), audio.astype(np.float64)  # the logits in double, as libdfd takes them
        x = np.stack([np.log(v / (1 - v)), np.log(a / (1 - a))], axis=1)
        ref = LogisticRegression(C=c, solver="newton-cg", tol=1e-8, max_iter=10000).fit(x, labels)
        assert [ours.video, ours.audio] == pytest.approx(ref.coef_[0].tolist(), abs=1e-7)
        assert ours.bias == pytest.approx(ref.intercept_[0], abs=1e-7)
    with pytest.raises(ValueError):
        dfd.fit_late_fusion([0.2, 0.3], [0.4, 0.5], [1, 1])


def test_explain_and_show(shared, converted):
    import matplotlib

    matplotlib.use("Agg")
    det = dfd.Detector(models=[f"mesoinception4_keras:{converted['meso']}"], preset="mesonet",
                       face_weights=str(converted["mtcnn"]), frames=4, explain=True, explain_faces=3)
    v = det.scan(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4"))
    assert v.to_dict() == json.loads(v.to_json())  # the JSON schema, images left out
    d = v.to_dict(images=True)
    assert 1 <= len(d["explanations"]) <= 3
    e = d["explanations"][0]
    assert e["crop"].shape == (256, 256, 3) and e["heatmap"].shape == (256, 256)
    assert e["heatmap"].dtype == np.float32 and 0 <= e["heatmap"].min() and e["heatmap"].max() <= 1
    assert e["target"] == ("fake" if v.is_fake else "real") and e["regions"]
    fig = dfd.show(v)
    assert len(fig.axes) == 2 * len(d["explanations"])
    assert "p(fake)" in fig._suptitle.get_text()
    plain = dfd.Detector(models=[f"mesoinception4_keras:{converted['meso']}"], preset="mesonet",
                         face_weights=str(converted["mtcnn"]), frames=2)
    with pytest.raises(ValueError, match="explain=True"):
        dfd.show(plain.scan(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4")))


def test_scan_many_streams_to_csv_and_resumes(shared, detector, tmp_path):
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    missing = tmp_path / "gone.mp4"
    log = tmp_path / "scores.csv"
    first = detector.scan_many([video, missing], progress=False, csv_path=log)
    assert len(log.read_text().splitlines()) == 3
    # A rerun with one more file scans only that one; the others come back from the CSV, typed.
    image = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    scanned = []
    again = detector.scan_many([video, missing, image], progress=False, csv_path=log, on_verdict=scanned.append)
    assert [v.path for v in scanned] == [str(image)]
    assert list(again["path"]) == [str(video), str(missing), str(image)]
    assert again.loc[0, "p_fake"] == pytest.approx(first.loc[0, "p_fake"], rel=1e-6)
    assert again["faces"].dtype.kind == "i" and again.loc[1, "status"] == "io_error"
    assert bool(again.loc[0, "is_fake"]) == bool(first.loc[0, "is_fake"])
    assert len(log.read_text().splitlines()) == 4
    # A killed run's half row: not taken as done, and the next row starts on a line of its own.
    with log.open("a") as f:
        f.write(f"{missing.with_name('other.mp4')},0.3")
    after = detector.scan_many([missing.with_name("other.mp4")], progress=False, csv_path=log)
    assert after.loc[0, "status"] == "io_error"
    import csv as csvlib
    rows = list(csvlib.DictReader(log.open()))
    assert rows[-1]["status"] == "io_error" and rows[-1]["path"].endswith("other.mp4")
    by_path = {r["path"]: r for r in rows}
    assert by_path[str(video)]["rotation"] == "0" and by_path[str(missing)]["rotation"] == ""  # a failed file has none
    assert first.loc[0, "rotation"] == 0 and first["audio_status"].dtype == object

    # A CSV from before audio_status and rotation: rewritten in today's layout, its rows kept, resumed.
    old = tmp_path / "old.csv"
    earlier_columns = "path,status,p_fake,label,video_p_fake,audio_p_fake,faces,identities,error,total_ms,truth".split(",")
    written = dict(zip(earlier_columns, [str(video), "ok", "0.25", "real", "0.25", "", "3", "1", "", "12.5", ""]))
    old.write_text(",".join(earlier_columns) + "\n" + ",".join(written.values()) + "\n")
    scanned = []
    resumed = detector.scan_many([video, missing], progress=False, csv_path=old, on_verdict=scanned.append)
    assert [v.path for v in scanned] == [str(missing)]
    assert resumed.loc[0, "p_fake"] == pytest.approx(0.25) and resumed.loc[0, "faces"] == 3
    assert resumed.loc[0, "rotation"] == 0 and resumed.loc[0, "audio_status"] == ""
    rows = list(csvlib.DictReader(old.open()))
    assert list(rows[0]) == dfd.verdict_csv_header() and len(rows) == 2
    # Every field the earlier row held comes back unchanged under its column; the new ones are empty.
    assert {c: rows[0][c] for c in earlier_columns} == written and rows[0]["audio_status"] == rows[0]["rotation"] == ""
    assert rows[1]["status"] == "io_error"


def test_detector_params_mirror_the_cpp_struct_and_reach_each_stage(shared, converted):
    video = str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")
    # Defaults come from C++: the preset's values, nested as the struct is.
    p = dfd.DetectorParams("mesonet")
    assert p.face_detector == "mtcnn" and p.mtcnn.thresholds == [0.7, 0.8, 0.8] and p.mtcnn.downscale == 0.5
    assert p.faces.frames == 32 and p.aggregation == "mean" and p.audio.spectrogram.ref_max is True
    assert set(p.to_dict()) == set(dir(p)) and len(dfd.DetectorParams.names()) == len(set(dfd.DetectorParams.names()))
    p.models = [f"mesoinception4_keras:{converted['meso']}"]
    p.mtcnn.weights = converted["mtcnn"]  # any os.PathLike
    p.faces.frames = 2
    with pytest.raises(dfd.InvalidArgument, match="faces.framez: no such setting"):
        p.faces.framez = 3
    with pytest.raises(dfd.InvalidArgument, match="valid: mean, median, max, confident"):
        p.aggregation = "vote"
    by_params = dfd.Detector(p)
    runs_with = p.copy()
    runs_with.model_weights = [1.0]  # the Detector fills in the equal weights
    assert by_params.params == runs_with
    by_names = dfd.Detector(models=p.models, preset="mesonet", face_weights=str(converted["mtcnn"]), faces__frames=2)
    a, b = by_params.scan(video), by_names.scan(video)
    assert a.status == "ok" and a.to_dict()["faces"] == b.to_dict()["faces"] and a.p_fake == b.p_fake
    # A stage's own setting reaches it through the Detector: MTCNN's thresholds (selimsef's
    # preprocessing uses 0.85/0.95/0.95); at 1.0 nothing passes, so no face is found.
    strict = p.copy()
    strict.mtcnn.thresholds = (0.85, 0.95, 0.95)
    s = dfd.Detector(strict).scan(video)
    assert s.status == "ok" and {f["detector_score"] > 0.95 for f in s.to_dict()["faces"]} == {True}
    none = p.copy()
    none.set(**{"mtcnn.thresholds": [1.0, 1.0, 1.0]})
    assert dfd.Detector(none).scan(video).status == "no_face"


def test_classifier_precision_reaches_the_face_models(shared):
    """classifier.precision: fp32 in every preset (thresholds are calibrated in it); bf16 set on the
    Detector scores the same faces in bfloat16 — close to fp32's p(fake), not equal to it."""
    video = str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")
    assert {dfd.DetectorParams(name).classifier.precision for name in dfd.list_detector_presets()} == {"fp32"}
    fp32 = dfd.Detector(frames=4).scan(video).to_dict()
    bf16 = dfd.Detector(frames=4, classifier__precision="bf16").scan(video).to_dict()
    assert fp32["status"] == bf16["status"] == "ok"
    assert [f["box"] for f in fp32["faces"]] == [f["box"] for f in bf16["faces"]]  # MTCNN stays fp32
    apart = [abs(a["p_fake"] - b["p_fake"]) for a, b in zip(fp32["faces"], bf16["faces"])]
    assert 0 < max(apart) < 0.15
