"""The dfd command-line tool: info, frames, exit codes."""

import json
import subprocess

import cv2
import pytest
import torch

import dfd


def run(cli, *args):
    return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)


def test_info_prints_json(cli, shared):
    path = shared / "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"
    out = run(cli, "info", path)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["video"]["frame_count"] == 301 and info["video"]["width"] == 720
    assert info["audio"]["codec"] == "aac"

    mp3 = run(cli, "info", shared / "data/audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3")
    assert mp3.returncode == 0 and json.loads(mp3.stdout)["video"] is None


def test_frames_writes_pngs(cli, shared, tmp_path):
    path = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    out = run(cli, "frames", path, "-n", 4, "-o", tmp_path)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["frame_000000.png", "frame_000102.png", "frame_000205.png", "frame_000308.png"]
    assert cv2.imread(str(tmp_path / names[0])).shape == (720, 1280, 3)
    out = run(cli, "frames", path, "--indices", "5,7", "--width", 320, "-o", tmp_path / "two")
    assert out.returncode == 0, out.stderr
    assert cv2.imread(str(tmp_path / "two/frame_000007.png")).shape == (180, 320, 3)


def test_exit_codes(cli, tmp_path):
    missing = tmp_path / "nope.mp4"
    out = run(cli, "info", missing)
    assert out.returncode == 1 and str(missing) in out.stderr and "no such file" in out.stderr
    assert run(cli, "frames").returncode == 2
    assert run(cli, "--help").returncode == 0


def test_faces_writes_crops_and_json(cli, shared, tmp_path):
    path = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    out = run(cli, "faces", path, "-o", tmp_path, "-n", 4, "--size", 160, "--min-score", 0.8)
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "faces.json").read_text())
    assert doc["frames_sampled"] == 4 and doc["detector"] == "haar"
    assert len(doc["crops"]) >= 3 and doc["tracks"][0]["crops"]
    first = doc["crops"][0]
    assert cv2.imread(str(tmp_path / first["file"])).shape == (160, 160, 3)
    assert len(first["box"]) == 4 and first["frame_index"] == 0
    bad = run(cli, "faces", path, "-o", tmp_path, "--detector", "nope")
    assert bad.returncode == 2


def test_classify_prints_one_json_line_per_input(cli, shared, tmp_path):
    from dfd import convert
    weights = tmp_path / "MesoInception_DF.safetensors"
    convert.convert(shared / "weights/mesonet_dariusaf/MesoInception_DF.h5", weights, "mesoinception4_keras")
    real = shared / "data/images/mesonet_test_images/real/real00240.jpg"
    fake = shared / "data/images/mesonet_test_images/fake/df00204.jpg"
    out = run(cli, "classify", real, fake, "--model", f"mesoinception4_keras:{weights}", "--no-face")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["ok", "ok"]
    # MesoNet's own test images: its DF model calls the real one real and the fake one fake.
    assert lines[0]["p_fake"] < 0.5 < lines[1]["p_fake"]
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    out = run(cli, "classify", video, tmp_path / "missing.png", "--model", f"mesoinception4_keras:{weights}")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and lines[0]["status"] == "ok" and len(lines[0]["faces"]) >= 20
    assert lines[1]["status"] == "error" and "no such file" in lines[1]["error"]
    # A device this build lacks is a usage error, said before any input is read.
    if not torch.cuda.is_available():
        out = run(cli, "classify", real, "--model", f"mesoinception4_keras:{weights}", "--no-face", "--device", "cuda")
        assert out.returncode == 2 and "no CUDA" in out.stderr


def test_spectrogram_writes_the_ffdv_image(cli, shared, tmp_path):
    from conftest import read_safetensors

    clip = shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav"
    out = run(cli, "spectrogram", clip, "-o", tmp_path / "spec.png")
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    assert (line["n_mels"], line["frames"]) == (128, 329)
    image = cv2.imread(str(tmp_path / "spec.png"), cv2.IMREAD_UNCHANGED)
    golden, _ = read_safetensors(shared / "golden/g9_audio/fake_spk1_01.safetensors")
    assert image.shape == (256, 256, 3)
    assert int(abs(image[:, :, 0].astype(int) - golden["ffdv_image_u8"]).max()) <= 1
    bad = run(cli, "spectrogram", tmp_path / "spec.png", "-o", tmp_path / "x.png")  # an image has no audio
    assert bad.returncode == 1 and "spec.png" in bad.stderr


@pytest.fixture(scope="module")
def meso_and_mtcnn(converted):
    """MesoNet's Keras MesoInception4 (DF) and facenet-pytorch's MTCNN (converted once per session)."""
    return converted["meso"], converted["mtcnn"]


def test_explain_writes_overlays_and_region_shares(cli, shared, tmp_path, meso_and_mtcnn):
    meso, mtcnn = meso_and_mtcnn
    frame = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    out = run(cli, "explain", frame, "--model", f"mesoinception4_keras:{meso}", "--detector", "mtcnn",
              "--weights", mtcnn, "-o", tmp_path / "out", "--method", "gradcam++")
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    assert line["status"] == "ok" and line["faces"]
    face = line["faces"][0]
    overlay = cv2.imread(str(tmp_path / "out" / face["overlay"]))
    assert overlay.shape == (256, 256, 3)
    shares = [r["share"] for r in face["regions"]]
    assert abs(sum(shares) - 1) < 1e-3 and shares == sorted(shares, reverse=True)
    assert face["summary"].startswith("judged fake mostly on the ")
    assert cv2.imread(str(tmp_path / "out" / line["frame_overlay"])).shape == cv2.imread(str(frame)).shape
    bad = run(cli, "explain", frame, "--model", f"mesoinception4_keras:{meso}", "-o", tmp_path / "o2",
              "--method", "scorecam")
    assert bad.returncode == 2 and "unknown CAM method" in bad.stderr


def test_scan_writes_verdicts_streams_and_resumes(cli, shared, tmp_path, meso_and_mtcnn):
    meso, mtcnn = meso_and_mtcnn
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    missing = tmp_path / "gone.mp4"
    csv, jsonl = tmp_path / "scores.csv", tmp_path / "verdicts.jsonl"
    args = ["--preset", "mesonet", "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn, "-n", 4,
            "--csv", csv, "--jsonl", jsonl]
    out = run(cli, "scan", video, missing, *args)
    assert out.returncode == 1  # one file failed; the other was still scanned
    rows = csv.read_text().splitlines()
    # The one verdict CSV (dfd/verdict_csv.hpp), as eval and scan_many write it too.
    assert rows[0] == ("path,status,p_fake,label,video_p_fake,audio_p_fake,audio_status,faces,identities,rotation,error,"
                       "total_ms,truth")
    assert rows[0].split(",") == dfd.verdict_csv_header()
    # Rows are written as files finish (two in flight by default), so in any order.
    by_path = {r.split(",")[0]: r for r in rows[1:]}
    assert len(rows) == 3 and ",ok," in by_path[str(video)]
    assert "io_error" in by_path[str(missing)] and "no such file" in by_path[str(missing)]
    verdicts = {v["path"]: v for v in map(json.loads, jsonl.read_text().splitlines())}
    verdict = verdicts[str(video)]
    assert verdict["status"] == "ok" and verdict["faces"] and 0 <= verdict["p_fake"] <= 1
    assert verdict["label"] in ("fake", "real") and verdict["video_p_fake"] == verdict["p_fake"]
    assert verdict["audio_p_fake"] is None and len(verdict["frame_indices"]) == 4
    assert set(verdict["timings_ms"]) == {"decode", "detect", "classify", "audio", "explain", "total"}
    # A rerun skips what the CSV already holds: nothing is scanned twice, nothing is lost.
    again = run(cli, "scan", video, missing, *args)
    assert again.stdout == "" and csv.read_text().splitlines() == rows
    # A run killed mid-row: the half row is cut off, that file scanned again on a line of its own.
    image = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    with csv.open("a") as f:
        f.write(f"{image},0.12")
    third = run(cli, "scan", video, missing, image, *args)
    assert str(image) in third.stdout and str(video) not in third.stdout
    lines = csv.read_text().splitlines()
    assert lines[:3] == rows and len(lines) == 4 and lines[3].startswith(f"{image},") and lines[3] != f"{image},0.12"
    # A failed file has no score: an empty field, never a 0 read as "confidently real".
    assert by_path[str(missing)].split(",")[2] == ""


def test_eval_reports_metrics_of_the_scores_it_writes(cli, shared, tmp_path, meso_and_mtcnn):
    import csv as csvlib

    import sklearn.metrics as skm

    meso, mtcnn = meso_and_mtcnn
    faces = shared / "data/images/dfdc_faces224_ishreyansh"
    rows = [(f"{kind}/{p.name}", 1 if kind == "fake" else 0)
            for kind in ("fake", "real") for p in sorted((faces / kind).glob("*.jpg"))[:4]]
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label,note\n" + "".join(f'{p},{y},"a, quoted note"\n' for p, y in rows))
    scores, report, submission = tmp_path / "scores.csv", tmp_path / "metrics.json", tmp_path / "sub.csv"
    out = run(cli, "eval", "--labels", labels, "--root", faces, "--preset", "mesonet",
              "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn, "--csv", scores, "--json", report,
              "--ffdv-submission", submission, "--roc", tmp_path / "roc.png", "--jsonl", tmp_path / "v.jsonl")
    assert out.returncode == 0, out.stderr
    image = cv2.imread(str(tmp_path / "roc.png"))
    assert image.shape == (640, 640, 3)
    # The curves are drawn in colour; the page is otherwise white and grey.
    b, g, r = image[..., 0].astype(int), image[..., 1].astype(int), image[..., 2].astype(int)
    assert ((abs(b - r) > 60) | (abs(g - r) > 60)).sum() > 200
    assert len((tmp_path / "v.jsonl").read_text().splitlines()) == 8
    metrics = json.loads(report.read_text())
    assert metrics == json.loads(out.stdout) and metrics["files"] == 8
    table = list(csvlib.DictReader(scores.open()))
    scored = [r for r in table if r["status"] in ("ok", "no_face")]
    y = [int(r["truth"]) for r in scored]
    p = [float(r["p_fake"]) for r in scored]
    assert metrics["video"]["n"] == len(scored)
    assert abs(metrics["video"]["auc"] - skm.roc_auc_score(y, p)) < 1e-12  # the CSV keeps float32 precision
    assert abs(metrics["video"]["log_loss_dfdc"] - skm.log_loss(y, p, eps=1e-15)) < 1e-6
    assert submission.read_text().startswith("video_name,score\n")
    # A rerun resumes from the CSV as dfd scan does: nothing scanned again, the same video metrics.
    again = run(cli, "eval", "--labels", labels, "--root", faces, "--preset", "mesonet",
                "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn, "--csv", scores)
    assert again.returncode == 0, again.stderr
    resumed = json.loads(again.stdout)
    assert resumed["resumed"] == 8 and "frame-level" in resumed["resumed_note"]
    assert resumed["video"] == metrics["video"]
    assert list(csvlib.DictReader(scores.open())) == table
    # Without a CSV to resume from, a rerun starts afresh: the JSONL is rewritten, not appended to.
    fresh = run(cli, "eval", "--labels", labels, "--root", faces, "--preset", "mesonet",
                "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn, "--jsonl", tmp_path / "v.jsonl")
    assert fresh.returncode == 0, fresh.stderr
    assert len((tmp_path / "v.jsonl").read_text().splitlines()) == 8
    bad = tmp_path / "bad.csv"
    bad.write_text("file,target\nx.mp4,1\n")
    out = run(cli, "eval", "--labels", bad, "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn)
    assert out.returncode == 1 and "neither path,label" in out.stderr


def test_every_command_has_help(cli):
    top = run(cli, "--help")
    assert top.returncode == 0 and "Exit codes" in top.stdout
    for command in ("info", "frames", "faces", "classify", "spectrogram", "explain", "scan", "eval", "report"):
        out = run(cli, command, "--help")
        assert out.returncode == 0 and "Usage" in out.stdout and "--help" in out.stdout, command


def test_scan_explain_writes_overlays_of_the_deciding_faces(cli, shared, tmp_path, meso_and_mtcnn):
    meso, mtcnn = meso_and_mtcnn
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4"
    out = run(cli, "scan", video, "--preset", "mesonet", "--model", f"mesoinception4_keras:{meso}", "--weights", mtcnn,
              "-n", 4, "--explain", tmp_path / "why", "--jsonl", tmp_path / "v.jsonl")
    assert out.returncode == 0, out.stderr
    verdict = json.loads((tmp_path / "v.jsonl").read_text())
    written = sorted((tmp_path / "why").glob("*.png"))
    assert verdict["explanations"] and len(written) == len(verdict["explanations"]) <= 4
    assert all(cv2.imread(str(p)).shape == (256, 256, 3) for p in written)
    assert all(e["summary"].startswith("judged ") for e in verdict["explanations"])


def test_report_pages_escape_file_names(cli, shared, tmp_path, meso_and_mtcnn):
    import shutil

    meso, mtcnn = meso_and_mtcnn
    # A name that would be markup if written raw into a page.
    hostile = tmp_path / "<script>alert('x')<%2Fscript>&\"q\".mp4"
    shutil.copy(shared / "data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4", hostile)
    missing = tmp_path / "<img src=x onerror=alert(1)>.mp4"
    out = run(cli, "report", hostile, missing, "--preset", "mesonet", "--model", f"mesoinception4_keras:{meso}",
              "--weights", mtcnn, "-n", 4, "-o", tmp_path / "report")
    assert out.returncode == 0, out.stderr
    pages = [tmp_path / "report" / name for name in ("index.html", "scan_0001.html", "scan_0002.html")]
    for page in pages:
        text = page.read_text()
        assert "<script" not in text and "<img src=x" not in text, page
        assert "Content-Security-Policy" in text
    first = pages[1].read_text()
    assert "&lt;script&gt;alert(&#39;x&#39;)" in first and "&amp;&quot;q&quot;.mp4" in first
    assert "share of the heatmap" in first and ("FAKE" in first or "real" in first)
    images = sorted((tmp_path / "report" / "scan_0001").glob("*.png"))
    assert images and all(cv2.imread(str(p)) is not None for p in images)
    for name in [p.name for p in images]:
        assert f'src="scan_0001/{name}"' in first
    assert "io_error" in pages[2].read_text()


def test_settings_by_name_and_print_params(cli, tmp_path):
    # Every effective setting, as JSON: the preset, the flags, then --set; Python's DetectorParams
    # builds the same from the same names.
    out = run(cli, "scan", "--preset", "dfdc_kernel", "--model", "x:y", "-n", 8, "--set", "mtcnn.thresholds=0.85,0.95,0.95",
              "--set", "faces.frames=16", "--set", "aggregation=confident", "--read-timeout", 9, "--print-params")
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed["faces"]["frames"] == 16 and printed["mtcnn"]["thresholds"] == [0.85, 0.95, 0.95]
    assert printed["face_detector"] == "blazeface" and printed["aggregation"] == "confident"
    assert printed["faces"]["video"]["timeout_seconds"] == 9 and printed["audio"]["reader"]["timeout_seconds"] == 9
    same = dfd.DetectorParams("dfdc_kernel", models=["x:y"], **{"mtcnn.thresholds": [0.85, 0.95, 0.95]}, faces__frames=16,
                              aggregation="confident", read_timeout_seconds=9)
    assert same.to_dict() == printed
    # A wrong name or value: exit 2, the valid ones listed.
    out = run(cli, "scan", "--model", "x:y", "--set", "faces.frame=3", "--print-params")
    assert out.returncode == 2 and "faces.frame: no such setting" in out.stderr and "faces.frames" in out.stderr
    out = run(cli, "scan", "--model", "x:y", "--aggregation", "vote", "--print-params")
    assert out.returncode == 2 and "mean, median, max, confident" in out.stderr
    out = run(cli, "scan", "--model", "x:y", "--set", "mtcnn.thresholds=0.9")
    assert out.returncode == 2 and "3 values" in out.stderr
    out = run(cli, "faces", tmp_path / "none.mp4", "-o", tmp_path, "--detector", "dlib")
    assert out.returncode == 2 and "blazeface, haar, mtcnn" in out.stderr


def test_scan_takes_a_directory(cli, shared, tmp_path):
    """`dfd scan DIR`: a DFDC-style folder (videos beside metadata.json) scanned file by file, its
    subfolders too, hidden ones and files that are not media left out; a folder with no media
    fails loudly rather than passing as an empty run."""
    folder = tmp_path / "test_videos"
    (folder / "day2").mkdir(parents=True)
    (folder / ".thumbnails").mkdir()
    image = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    audio = shared / "data/audio/resemblyzer_trump/real/4glfwiMXgwQ.mp3"
    (folder / f"b{image.suffix.upper()}").write_bytes(image.read_bytes())
    (folder / "day2" / "a.mp3").write_bytes(audio.read_bytes())
    (folder / "metadata.json").write_text("{}")
    (folder / ".thumbnails" / "b.png").write_bytes(image.read_bytes())
    expected = [str(folder / f"b{image.suffix.upper()}"), str(folder / "day2" / "a.mp3")]
    assert dfd.list_media_files(folder) == sorted(expected)
    assert dfd.list_media_files(folder, recursive=False) == [expected[0]]
    assert dfd.has_media_extension("x.MP4") and not dfd.has_media_extension("metadata.json")

    csv, submission = tmp_path / "scores.csv", tmp_path / "submission.csv"
    out = run(cli, "scan", folder, "--csv", csv, "--dfdc-submission", submission)
    assert out.returncode == 0, out.stderr
    rows = {r.split(",")[0]: r.split(",") for r in csv.read_text().splitlines()[1:]}
    assert sorted(rows) == sorted(expected) and {r[1] for r in rows.values()} == {"ok"}
    # The competition's file, straight from a folder: one row per input by base name, in input order.
    assert submission.read_text().splitlines() == [
        "filename,label", f"b{image.suffix.upper()},{rows[expected[0]][2]}", f"a.mp3,{rows[expected[1]][2]}"]

    # A file that cannot be scanned still has its row, with the prior, and is named on stderr.
    (folder / "broken.mp4").write_bytes(b"not a video")
    out = run(cli, "scan", folder, "--ffdv-submission", tmp_path / "ffdv.csv", "--no-face-prior", "0.4")
    assert out.returncode == 1 and "broken.mp4" in out.stderr and "prior 0.4" in out.stderr
    ffdv = (tmp_path / "ffdv.csv").read_text().splitlines()
    scores = dict(row.split(",") for row in ffdv[1:])
    assert ffdv[0] == "video_name,score" and len(ffdv) == 4 and float(scores["broken.mp4"]) == pytest.approx(0.4)
    # Two inputs of one base name would be two rows a scorer cannot tell apart: refused up front.
    (folder / "day2" / "broken.mp4").write_bytes(b"")
    clash = run(cli, "scan", folder, "--dfdc-submission", tmp_path / "clash.csv")
    assert clash.returncode == 2 and "base name" in clash.stderr and not (tmp_path / "clash.csv").exists()

    (tmp_path / "empty").mkdir()
    empty = run(cli, "scan", tmp_path / "empty", expected[0])
    assert empty.returncode == 1 and "holds no media file" in empty.stderr and str(tmp_path / "empty") in empty.stderr
    assert f"{tmp_path / 'empty'}\tio_error" in empty.stdout and f"{expected[0]}\t" in empty.stdout
    with pytest.raises(dfd.IoError, match="no such directory"):
        dfd.list_media_files(tmp_path / "missing")
