"""Bad input: a typed error naming the file and the cause, catchable the Python way."""

import shutil
import subprocess

import cv2
import numpy as np
import pytest

import dfd


def check(exc_info, path, cause):
    message = str(exc_info.value)
    assert str(path) in message and cause in message, message
    assert exc_info.value.subject.startswith(str(path)) or str(path) in exc_info.value.subject
    assert isinstance(exc_info.value, dfd.Error)


def test_error_hierarchy():
    assert issubclass(dfd.IoError, OSError) and issubclass(dfd.IoError, dfd.Error)
    assert issubclass(dfd.DecodeError, OSError) and issubclass(dfd.DecodeError, dfd.Error)
    assert issubclass(dfd.InvalidArgument, ValueError) and issubclass(dfd.InvalidArgument, dfd.Error)
    assert issubclass(dfd.ModelError, dfd.Error)


def test_missing_file(tmp_path):
    path = tmp_path / "missing.mp4"
    with pytest.raises(dfd.IoError) as e:
        dfd.VideoReader(str(path))
    check(e, path, "no such file")
    assert e.value.kind == "io"
    with pytest.raises(OSError):
        dfd.AudioReader(str(path))


def test_zero_byte_text_and_png_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(dfd.DecodeError) as e:
        dfd.VideoReader(str(empty))
    check(e, empty, "empty")

    text = tmp_path / "text.mp4"
    text.write_text("definitely not a video\n" * 20)
    with pytest.raises(dfd.DecodeError) as e:
        dfd.VideoReader(str(text))
    check(e, text, "not a readable media file")

    png = tmp_path / "image.mp4"
    ok, buf = cv2.imencode(".png", np.full((20, 30, 3), 77, np.uint8))
    png.write_bytes(buf.tobytes())
    with pytest.raises(dfd.DecodeError) as e:
        dfd.VideoReader(str(png))
    check(e, png, "still image")


def test_truncated_mp4(shared, tmp_path):
    source = shared / "data/videos/dfdc_train_sample_aaronchong888/abofeumbvv.mp4"
    half = tmp_path / "half.mp4"
    data = source.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(dfd.DecodeError) as e:
        dfd.VideoReader(str(half))
    check(e, half, "moov atom not found")


def test_wrong_stream_kind(shared, tmp_path):
    mp3 = shared / "data/audio/resemblyzer_trump/real/4glfwiMXgwQ.mp3"
    with pytest.raises(dfd.DecodeError) as e:
        dfd.VideoReader(str(mp3))
    check(e, mp3, "no video stream")

    silent = tmp_path / "silent.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "libx264", str(silent)], check=True)
    with pytest.raises(dfd.DecodeError) as e:
        dfd.AudioReader(str(silent))
    check(e, silent, "no audio stream")


def test_bad_arguments(shared):
    path = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    reader = dfd.VideoReader(str(path))
    with pytest.raises(ValueError) as e:
        reader.read([0, 309])
    check(e, path, "out of range")
    with pytest.raises(dfd.InvalidArgument) as e:
        reader.sample(0)
    check(e, path, "must be >= 1")
    with pytest.raises(ValueError):
        dfd.AudioReader(str(path), sample_rate=0)
    # Still usable afterwards.
    assert reader.read([308]).shape[0] == 1
