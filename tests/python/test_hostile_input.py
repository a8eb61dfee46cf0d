"""Hostile files and names through every entry point: crafted checkpoints, FIFOs, forged media,
names that are not UTF-8 (or hold commas, quotes, line breaks, or are too long), cut CSVs. Each
ends in a typed error or status naming the file, within a bound, and outputs stay complete and
parseable."""

import collections
import csv as csvlib
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import dfd
from dfd import convert

# ---------------------------------------------------------------------------------------------
# Crafted PyTorch checkpoints: the (offset, size, stride) of each tensor comes from the pickle.


class _StorageRef:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _CraftedTensor:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...), any values."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        import torch

        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class _CheckpointPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            import torch

            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def write_checkpoint(path: Path, tensors: dict, storage: np.ndarray) -> Path:
    """A zip checkpoint as torch.save lays it out, with one float32 storage under key "0"."""
    buffer = io.BytesIO()
    _CheckpointPickler(buffer, protocol=2).dump(collections.OrderedDict(tensors))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buffer.getvalue())
        z.writestr("archive/data/0", storage.astype("<f4").tobytes())
        z.writestr("archive/version", "3\n")
    return path


STORAGE = np.arange(12, dtype=np.float32)
REF = _StorageRef("0", 12)


def test_a_crafted_checkpoint_that_is_valid_rebuilds_exactly(tmp_path):
    path = write_checkpoint(tmp_path / "ok.pt", {
        "plain": _CraftedTensor(REF, 0, (3, 4), (4, 1)),
        "transposed": _CraftedTensor(REF, 1, (2, 2), (1, 4)),
        "expanded": _CraftedTensor(REF, 11, (3,), (0,)),
        "empty": _CraftedTensor(REF, 12, (0, 5), (5, 1)),
    }, STORAGE)
    tensors = convert.load_state_dict(path)
    np.testing.assert_array_equal(tensors["plain"], STORAGE.reshape(3, 4))
    np.testing.assert_array_equal(tensors["transposed"], [[1, 5], [2, 6]])
    np.testing.assert_array_equal(tensors["expanded"], [11, 11, 11])
    assert tensors["empty"].shape == (0, 5)
    # The same as torch builds them.
    import torch

    ref = torch.arange(12, dtype=torch.float32)
    np.testing.assert_array_equal(tensors["transposed"], ref.as_strided((2, 2), (1, 4), 1).numpy())


@pytest.mark.parametrize("case, offset, size, stride, cause", [
    ("offset past the storage", 12, (4,), (1,), "reach element 15, but the storage holds 12 elements"),
    ("the 64-byte leak", 1000, (16,), (1,), "holds 12 elements"),
    ("negative offset", -4, (2,), (1,), "negative storage offset"),
    ("size too large", 0, (13,), (1,), "reach element 12"),
    ("stride too large", 0, (3, 4), (5, 1), "reach element 13"),
    ("negative stride", 11, (3,), (-1,), "negative stride"),
    ("negative size", 0, (-3,), (1,), "negative size"),
    ("dimensions disagree", 0, (2, 2), (2,), "2 sizes but 1 strides"),
    ("not integers", 0, (2.5,), (1,), "is not a tuple of 64-bit integers"),
    ("beyond int64", 2**70, (1,), (1,), "is not a tuple of 64-bit integers"),
    ("an overflowing extent", 0, (2**62, 4), (4, 1), "overflows"),
    ("an endless expand", 0, (2**40,), (0,), "more than the"),
])
def test_a_crafted_checkpoint_tensor_is_refused_naming_file_and_tensor(tmp_path, case, offset, size, stride, cause):
    path = write_checkpoint(tmp_path / "crafted.pt", {"conv.weight": _CraftedTensor(REF, offset, size, stride)},
                            STORAGE)
    with pytest.raises(convert.ConversionError) as err:
        convert.load_state_dict(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "tensor 'conv.weight'" in message and cause in message, message
    # The command line says the same and writes nothing.
    out = tmp_path / "out.safetensors"
    assert convert.main([str(path), str(out), "--arch", "meso4"]) == 1
    assert not out.exists()


def test_strided_copy_is_the_checked_rebuild():
    storage = np.arange(6, dtype=np.int64)
    np.testing.assert_array_equal(dfd.strided_copy(storage, 1, [2, 2], [2, 1]), [[1, 2], [3, 4]])
    with pytest.raises(dfd.InvalidArgument, match="tensor 'x': offset 5, size \\[2\\]"):
        dfd.strided_copy(storage, 5, [2], [1], "tensor 'x'")


# ---------------------------------------------------------------------------------------------
# Special files, forged media, paths of every kind.


class Fifo:
    """A named pipe nobody writes to. If a reader blocks on it, the guard releases it (opens and
    closes the write end, after a grace period only a blocked reader outlasts) and records it:
    `released` true means some reader blocked, so the test fails instead of hanging."""

    def __init__(self, path: Path, grace: float = 30.0):
        self.path = path
        self.released = False
        os.mkfifo(path)
        self._done = threading.Event()
        self._guard = threading.Thread(target=self._unblock, args=(grace,), daemon=True)
        self._guard.start()

    def _unblock(self, grace):
        while not self._done.wait(grace):
            try:  # fails (ENXIO) unless a reader is waiting
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
                self.released = True
            except OSError:
                pass

    def close(self):
        self._done.set()
        self._guard.join()


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def small_video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("media") / "small.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=128x96:rate=10:duration=1", "-f", "lavfi", "-i",
           "sine=frequency=300:sample_rate=16000:duration=1", "-c:v", "libx264", "-c:a", "aac", "-shortest", path)
    return path


def forged_wav(rate: int, channels: int = 1, data: int = 41) -> bytes:
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate,
            rate * channels * 2, channels * 2, 16) + b"data" + struct.pack("<I", data) + b"\x01" * data)


def test_readers_refuse_a_fifo_by_type_at_once(tmp_path):
    fifo = Fifo(tmp_path / "pipe.mp4")
    try:
        for make in (dfd.VideoReader, dfd.AudioReader, lambda p: dfd.AudioSpectrogram().from_file(p)):
            with pytest.raises(dfd.IoError) as err:
                make(fifo.path)
            assert err.value.subject == str(fifo.path) and "FIFO" in str(err.value)
        assert not fifo.released  # no reader ever waited on it
    finally:
        fifo.close()


def test_readers_bound_time_and_memory(tmp_path):
    ghz = tmp_path / "ghz.wav"
    ghz.write_bytes(forged_wav(1_000_000_000))  # 85 bytes claiming 1 GHz: refused when probed
    with pytest.raises(dfd.DecodeError, match="the audio stream states a sample rate of 1000000000 Hz"):
        dfd.AudioReader(ghz)
    clip = tmp_path / "ten.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000:duration=10", clip)
    with pytest.raises(dfd.DecodeError, match=r"longer than max_duration_seconds \(2 s\)"):
        dfd.AudioReader(clip, max_duration_seconds=2).read()
    with pytest.raises(dfd.IoError, match="did not finish within"):
        dfd.AudioReader(clip, sample_rate=16000, timeout_seconds=1e-6).read()
    assert dfd.AudioReader(clip, sample_rate=16000).read().shape == (160000,)


def test_paths_are_bytes_to_the_os_and_any_pathlike(tmp_path, small_video):
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/vid\xe9o \xff.mp4")  # surrogate escapes
    shutil.copy(small_video, os.fsencode(odd))
    for given in (Path(small_video), os.fsencode(small_video), odd, Path(odd), os.fsencode(odd)):
        reader = dfd.VideoReader(given)
        assert reader.info().path == os.fsdecode(given) and reader.sample(2).shape[0] == 2
        assert dfd.AudioReader(given).info().path == os.fsdecode(given)
        assert dfd.AudioSpectrogram().from_file(given).shape[0] == 128
    assert "\\xe9" in repr(dfd.VideoReader(odd))  # printable, never a UnicodeError
    missing = odd.replace("vid", "gone")
    with pytest.raises(dfd.IoError) as err:
        dfd.VideoReader(missing)
    assert err.value.subject == missing
    assert dfd.utf8_escaped(missing) in str(err.value) and "\\xff" in str(err.value)
    assert dfd.utf8_escaped(missing) == os.fsencode(missing).decode("utf-8", "backslashreplace")
    long_name = tmp_path / ("z" * 300 + ".mp4")
    with pytest.raises(dfd.IoError, match="too long"):
        dfd.VideoReader(long_name)
    with pytest.raises(TypeError):
        dfd.VideoReader(12)


@pytest.fixture(scope="module")
def detector(converted):
    return dfd.Detector(models=[f"mesoinception4_keras:{converted['meso']}"], preset="mesonet",
                        face_weights=converted["mtcnn"], frames=2)


def test_detector_takes_any_path_and_never_loses_a_result(tmp_path, small_video, detector):
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/clip\xe9,\"q\"\nnew.mp4")
    shutil.copy(small_video, os.fsencode(odd))
    fifo = Fifo(tmp_path / "pipe.mp4")
    try:
        v = detector.scan(Path(odd))
        assert v.path == odd and v.status in ("ok", "no_face"), v.error
        assert json.loads(v.to_json())["path"] == dfd.utf8_escaped(odd)
        assert v.to_dict()["path"] == dfd.utf8_escaped(odd)  # the JSON text; v.path is the str given
        bad = detector.scan(os.fsencode(fifo.path))
        assert bad.status == "io_error" and "FIFO" in bad.error and np.isnan(bad.p_fake)
        assert bad.to_dict()["p_fake"] is None and json.loads(bad.to_json())["p_fake"] is None

        log = tmp_path / "scores.csv"
        missing = tmp_path / "later.mp4"
        paths = [Path(odd), fifo.path, missing, small_video]
        first = detector.scan_many(paths, progress=False, csv_path=log)
        assert list(first["path"]) == [os.fsdecode(p) for p in paths]
        assert list(first["status"][1:3]) == ["io_error", "io_error"] and first["p_fake"][1:3].isna().all()
        table = list(csvlib.DictReader(log.open(newline="", encoding="utf-8")))
        assert len(table) == 4 and {r["path"] for r in table} == {dfd.utf8_escaped(p) for p in paths}
        assert {r["p_fake"] for r in table if r["status"] == "io_error"} == {""}
        import pandas as pd

        assert len(pd.read_csv(log)) == 4
        # A rerun skips every row; with retry_failed the failed ones are scanned again and replace
        # their rows (the missing file exists now), the others are not touched.
        shutil.copy(small_video, missing)
        scanned = []
        again = detector.scan_many(paths, progress=False, csv_path=log, on_verdict=scanned.append)
        assert scanned == [] and list(again["status"][1:3]) == ["io_error", "io_error"]
        retried = detector.scan_many(paths, progress=False, csv_path=log, on_verdict=scanned.append,
                                     retry_failed=True)
        assert sorted(v.path for v in scanned) == sorted([str(fifo.path), str(missing)])
        assert retried.loc[2, "status"] in ("ok", "no_face") and retried.loc[1, "status"] == "io_error"
        table = list(csvlib.DictReader(log.open(newline="", encoding="utf-8")))
        assert len(table) == 4 and len({r["path"] for r in table}) == 4
        # A kill mid-row: the partial row is cut off and that file scanned again.
        with log.open("a") as f:
            f.write(f"{tmp_path / 'half.mp4'},0.3")
        detector.scan_many([tmp_path / "half.mp4"], progress=False, csv_path=log)
        table = list(csvlib.DictReader(log.open(newline="", encoding="utf-8")))
        assert len(table) == 5 and table[-1]["status"] == "io_error" and table[-1]["p_fake"] == ""
    finally:
        fifo.close()


# ---------------------------------------------------------------------------------------------
# The command line over a bad-input corpus made here.


def run(cli, *args, timeout=120):
    return subprocess.run([os.fsencode(a) if isinstance(a, (bytes, str, Path)) else str(a) for a in (cli, *args)],
                          capture_output=True, timeout=timeout)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, small_video, shared):
    """name -> path of every kind of bad input, and a few good files under awkward names."""
    root = tmp_path_factory.mktemp("corpus")
    files = {}

    def put(name, data):
        path = root / name
        path.write_bytes(data)
        files[name] = path

    src = small_video.read_bytes()
    put("truncated.mp4", src[: len(src) // 3])
    put("zeroed.mp4", b"\0" * 8192)
    put("random.mp4", np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    import cv2

    put("picture.mp4", cv2.imencode(".png", np.full((32, 48, 3), 90, np.uint8))[1].tobytes())
    put("ghz.wav", forged_wav(1_000_000_000))
    put("channels.wav", forged_wav(8000, channels=300, data=600))
    put("empty.mp4", b"")
    # An AVI whose headers claim two billion frames: the reader finds out it holds ten.
    avi = root / "huge_count.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "mpeg4", avi)
    data = bytearray(avi.read_bytes())
    strh = data.index(b"strh")
    data[strh + 40: strh + 44] = struct.pack("<I", 2_000_000_000)
    avih = data.index(b"avih")
    data[avih + 24: avih + 28] = struct.pack("<I", 2_000_000_000)
    avi.write_bytes(bytes(data))
    files["huge_count.avi"] = avi
    for name in (b"latin1-\xe9\xff.mp4", b'comma, "quoted".mp4', b"new\nline.mp4"):
        path = Path(os.fsdecode(os.fsencode(str(root)) + b"/" + name))
        shutil.copy(small_video, os.fsencode(path))
        files[os.fsdecode(name)] = path
    files["long"] = root / ("x" * 300 + ".mp4")
    files["missing"] = root / "missing.mp4"
    files["directory"] = root / "adir.mp4"
    files["directory"].mkdir()
    fifo = Fifo(root / "pipe.mp4")
    files["fifo"] = fifo.path
    yield files
    fifo.close()
    assert not fifo.released, "a reader blocked on the corpus FIFO"


GOOD = ("latin1-\udce9\udcff.mp4", 'comma, "quoted".mp4', "new\nline.mp4")


def test_every_cli_entry_point_ends_in_a_typed_error_naming_the_file(cli, corpus):
    for name, path in corpus.items():
        shown = dfd.utf8_escaped(path)
        for command in (["info", path], ["frames", path, "-n", 2, "-o", path.parent / "frames_out"],
                        ["spectrogram", path, "-o", path.parent / "spec_out.png"]):
            out = run(cli, *command, timeout=60)  # a hang fails as subprocess.TimeoutExpired
            stderr = out.stderr.decode("utf-8")  # escaped: always valid UTF-8
            if name in GOOD or (name == "huge_count.avi" and command[0] in ("info", "spectrogram")):
                continue  # readable (the AVI's count is wrong, its frames are not all missing)
            assert out.returncode == 1, (name, command[0], stderr)
            assert stderr.startswith("dfd: error: " + shown), (name, command[0], stderr)
        info = run(cli, "info", path)
        if info.returncode == 0:
            assert json.loads(info.stdout)["path"] == shown


def test_scan_and_eval_over_the_corpus_keep_every_row(cli, corpus, converted, tmp_path):
    paths = list(corpus.values())
    model = ["--preset", "mesonet", "--model", f"mesoinception4_keras:{converted['meso']}",
             "--weights", converted["mtcnn"], "-n", 2]
    csv_path, jsonl = tmp_path / "scan.csv", tmp_path / "scan.jsonl"
    out = run(cli, "scan", *paths, *model, "--csv", csv_path, "--jsonl", jsonl, timeout=300)
    assert out.returncode == 1  # some failed; the rest were scanned
    import pandas as pd

    table = pd.read_csv(csv_path, keep_default_na=False)
    assert sorted(table["path"]) == sorted(dfd.utf8_escaped(p) for p in paths)
    failed = table[~table["status"].isin(["ok", "no_face"])]
    assert (failed["p_fake"] == "").all() and (failed["label"] == "").all() and (failed["error"] != "").all()
    assert set(table[table["status"].isin(["ok", "no_face"])]["path"]) >= {dfd.utf8_escaped(corpus[n]) for n in GOOD}
    for _, row in failed.iterrows():
        assert row["path"] in row["error"], row.to_dict()
    verdicts = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(verdicts) == len(paths)
    assert all(v["p_fake"] is None for v in verdicts if v["status"] not in ("ok", "no_face"))
    statuses = dict(zip(table["path"], table["status"]))
    assert statuses[dfd.utf8_escaped(corpus["fifo"])] == "io_error"
    assert statuses[dfd.utf8_escaped(corpus["long"])] == "io_error"
    assert statuses[dfd.utf8_escaped(corpus["ghz.wav"])] in ("decode_error", "no_video_stream")
    # A rerun scans nothing; it appends nothing.
    before = csv_path.read_bytes()
    again = run(cli, "scan", *paths, *model, "--csv", csv_path)
    assert again.stdout == b"" and csv_path.read_bytes() == before

    # eval: labels written by Python's csv module (a path holding a line break is quoted).
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        w = csvlib.writer(f)
        w.writerow(["path", "label"])
        for i, p in enumerate(paths):
            w.writerow([os.fsdecode(os.path.relpath(os.fsencode(p), os.fsencode(str(p.parent)))), i % 2])
    dfdc, ffdv, report = tmp_path / "dfdc.csv", tmp_path / "ffdv.csv", tmp_path / "metrics.json"
    out = run(cli, "eval", "--labels", labels, "--root", paths[0].parent, *model, "--dfdc-submission", dfdc,
              "--ffdv-submission", ffdv, "--json", report, "--no-face-prior", 0.4, timeout=300)
    assert out.returncode == 0, out.stderr
    for sub, header in ((dfdc, ["filename", "label"]), (ffdv, ["video_name", "score"])):
        rows = list(csvlib.reader(sub.open(newline="", encoding="utf-8")))
        assert rows[0] == header and len(rows) == 1 + len(paths)
        assert sorted(r[0] for r in rows[1:]) == sorted(dfd.utf8_escaped(p.name) for p in paths)
        assert all(0 <= float(r[1]) <= 1 for r in rows[1:])
    metrics = json.loads(report.read_text())
    assert len(metrics["failed"]) == len(failed) and "prior p_fake 0.4" in metrics["failed_note"]
    warning = out.stderr.decode()
    assert f"{len(failed)} of {len(paths)} files could not be scanned" in warning
    assert dfd.utf8_escaped(corpus["fifo"].name) in warning

    # Two inputs with one base name cannot both be in a submission: refused before scanning.
    clash = tmp_path / "clash.csv"
    clash.write_text('path,label\na/x.mp4,1\nb/x.mp4,0\n')
    out = run(cli, "eval", "--labels", clash, *model, "--dfdc-submission", tmp_path / "never.csv")
    assert out.returncode == 2 and b"'x.mp4' (a/x.mp4, b/x.mp4)" in out.stderr
    assert not (tmp_path / "never.csv").exists()


def test_the_corpus_through_the_python_readers_and_the_detector(corpus, detector, tmp_path):
    for name, path in corpus.items():
        for make in (lambda p: dfd.VideoReader(p).sample(2), lambda p: dfd.AudioReader(p).read()):
            try:
                make(path)
            except dfd.Error as e:  # never another exception type
                assert e.subject == str(path) and dfd.utf8_escaped(path) in str(e), (name, str(e))
    verdicts = []
    frame = detector.scan_many(list(corpus.values()), progress=False, on_verdict=verdicts.append,
                               csv_path=tmp_path / "corpus.csv")
    assert len(frame) == len(corpus) == len(verdicts) and list(frame["path"]) == [str(p) for p in corpus.values()]
    for v in verdicts:
        scored = v.status in ("ok", "no_face")
        assert scored or (np.isnan(v.p_fake) and dfd.utf8_escaped(v.path) in v.error), (v.path, v.status, v.error)
        assert json.loads(v.to_json())["status"] == v.status
    assert set(frame[frame["path"].isin([str(corpus[n]) for n in GOOD])]["status"]) <= {"ok", "no_face"}


def test_faces_classify_and_report_over_the_corpus(cli, corpus, converted, tmp_path):
    paths = list(corpus.values())
    model = f"mesoinception4_keras:{converted['meso']}"
    out = run(cli, "classify", *paths, "--model", model, timeout=300)
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert [line["path"] for line in lines] == [dfd.utf8_escaped(p) for p in paths]
    for line in lines:
        assert line["status"] in ("ok", "no_face") or line["path"] in line["error"], line
    report = tmp_path / "report"
    out = run(cli, "report", *paths, "--preset", "mesonet", "--model", model, "--weights", converted["mtcnn"],
              "-n", 2, "-o", report, timeout=300)
    index = (report / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr>") >= len(paths)
    assert "latin1-\\xe9\\xff.mp4" in index and "comma, &quot;quoted&quot;.mp4" in index
    for name in ("faces",):
        for path in (corpus["fifo"], corpus["latin1-\udce9\udcff.mp4"]):
            done = run(cli, name, path, "-o", tmp_path / "faces", "-n", 2, timeout=60)
            if path == corpus["fifo"]:
                assert done.returncode == 1 and b"FIFO" in done.stderr
            else:
                assert done.returncode == 0, done.stderr
                doc = json.loads((tmp_path / "faces/faces.json").read_text(encoding="utf-8"))
                assert doc["source"] == dfd.utf8_escaped(path)


def test_python_reads_safetensors_through_the_one_checked_reader(tmp_path):
    from dfd import safetensors_io

    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    forged = tmp_path / "overlap.safetensors"
    forged.write_bytes(struct.pack("<Q", len(header)) + header + bytes(12))
    with pytest.raises(dfd.ModelError, match="overlaps another tensor"):
        safetensors_io.load(forged)
    good = tmp_path / "good.safetensors"
    safetensors_io.save(good, {"w": np.arange(6, dtype=">f4").reshape(2, 3).T, "n": np.int64(7)}, {"arch": "x"})
    tensors, meta = safetensors_io.load(good)
    np.testing.assert_array_equal(tensors["w"], np.arange(6, dtype=np.float32).reshape(2, 3).T)
    assert tensors["n"] == 7 and tensors["n"].shape == () and meta == {"arch": "x"}
    fifo = Fifo(tmp_path / "weights.safetensors")
    try:
        with pytest.raises(dfd.IoError, match="FIFO"):
            safetensors_io.load(fifo.path)
    finally:
        fifo.close()
