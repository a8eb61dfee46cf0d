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
