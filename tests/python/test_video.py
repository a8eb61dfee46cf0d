import hashlib
import json
import subprocess
import threading

import cv2
import numpy as np
import pytest

import dfd
from conftest import read_safetensors

G1 = {
    "004": "videos/ffpp_c23_icpr2020dfdc/004.mp4",
    "yhffcuhhjy": "videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4",
    "id16_0012": "videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4",
}


@pytest.mark.parametrize("name", sorted(G1))
def test_g1_sample_equals_selimsef_video_reader(shared, name):
    golden, meta = read_safetensors(shared / "golden/g1_video" / f"{name}.safetensors")
    reader = dfd.VideoReader(str(shared / "data" / G1[name]))
    info = reader.info()
    assert info.frame_count == golden["frame_count"][0]
    assert (info.height, info.width, 3) == tuple(golden["frame_shape"])
    indices = dfd.VideoReader.sample_indices(info.frame_count, 32)
    assert indices == golden["indices"].tolist()

    frames = reader.sample(32)
    assert frames.shape == (32, info.height, info.width, 3) and frames.dtype == np.uint8
    np.testing.assert_allclose(frames.reshape(32, -1, 3).mean(axis=1), golden["mean_rgb"], atol=0.5)
    # Stronger than the bound: every frame is byte-identical to the reference's.
    hashes = [hashlib.sha256(f.tobytes()).hexdigest() for f in frames]
    assert hashes == json.loads(meta["frame_rgb_sha256"])
    for png, position in zip(json.loads(meta["pngs"]), json.loads(meta["png_positions"])):
        expected = cv2.cvtColor(cv2.imread(str(shared / "golden/g1_video" / png)), cv2.COLOR_BGR2RGB)
        assert np.abs(frames[position].astype(int) - expected).mean() <= 1.0


def test_read_returns_requested_frames_in_order(shared):
    reader = dfd.VideoReader(str(shared / "data" / G1["004"]))
    frames = reader.read([0, 10])
    assert frames.shape == (2, 720, 1280, 3)
    both = reader.read([10, 0, 10])
    np.testing.assert_array_equal(both[0], frames[1])
    np.testing.assert_array_equal(both[1], frames[0])
    np.testing.assert_array_equal(both[2], frames[1])
    assert reader.read([]).shape == (0, 720, 1280, 3)
    stats = reader.last_read_stats()
    assert stats.frames_converted == 0


def test_info_and_resize(shared):
    reader = dfd.VideoReader(str(shared / "data" / G1["yhffcuhhjy"]), output_width=360)
    info = reader.info()
    assert (info.width, info.height) == (360, 640)
    assert info.codec == "h264" and info.has_audio and info.rotation == 0
    assert info.fps == pytest.approx(30.0246, rel=1e-4)
    assert info.to_dict()["frame_count"] == 301
    assert reader.sample(2).shape == (2, 640, 360, 3)
    assert "301 frames" in repr(reader)


def test_decoding_releases_the_gil(shared):
    """Another Python thread keeps running while a reader decodes."""
    reader = dfd.VideoReader(str(shared / "data/videos/dfdc_train_sample_aaronchong888/abofeumbvv.mp4"))
    started = threading.Event()
    result = {}

    def decode():
        started.set()
        result["frames"] = reader.read(list(range(0, 300, 3)))

    worker = threading.Thread(target=decode)
    worker.start()
    started.wait()
    ticks = 0
    while worker.is_alive():
        ticks += 1
    worker.join()
    assert result["frames"].shape[0] == 100
    assert ticks > 1000  # with the GIL held for the whole decode this loop could not run


def test_sample_indices_matches_numpy():
    for count in (1, 2, 7, 300, 301, 309, 1000):
        for n in (1, 2, 3, 16, 32, 50):
            expected = np.linspace(0, count - 1, n, endpoint=True, dtype=int).tolist()
            assert dfd.VideoReader.sample_indices(count, n) == expected, (count, n)


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


# Two pictures woven into each frame: top field white, bottom field black (the worst combing).
WOVEN_FIELDS = ("nullsrc=size=64x48:rate=50:duration=1,format=yuv420p,"
                "geq=lum='if(mod(N\\,2)\\,16\\,235)':cb=128:cr=128,tinterlace=interleave_top")


def test_deinterlace_reads_the_top_field(tmp_path, cli):
    woven = tmp_path / "woven.mpg"
    _ffmpeg("-f", "lavfi", "-i", WOVEN_FIELDS, "-c:v", "mpeg2video", "-q:v", "1", "-flags", "+ilme+ildct", woven)
    reader = dfd.VideoReader(woven)
    assert reader.info().interlaced and reader.info().to_dict()["interlaced"]
    frames = reader.sample(3)
    assert frames[:, 10].min() > 240 and frames[:, 11].max() < 15  # rows alternate
    assert reader.last_read_stats().frames_deinterlaced == 0
    one_field = dfd.VideoReader(woven, deinterlace=True)
    frames = one_field.sample(3)
    assert frames.shape == (3, 48, 64, 3) and frames.min() > 240  # the top field, stretched
    assert one_field.last_read_stats().frames_deinterlaced == 3

    info = json.loads(subprocess.run([str(cli), "info", str(woven)], check=True, capture_output=True, text=True).stdout)
    assert info["video"]["interlaced"] is True
    subprocess.run([str(cli), "frames", str(woven), "-n", "1", "--deinterlace", "-o", str(tmp_path / "png")], check=True)
    png = cv2.imread(str(next((tmp_path / "png").glob("frame_*.png"))))
    assert png.shape == (48, 64, 3) and png.min() > 240


def test_default_reads_an_interlaced_real_video_one_field(shared, tmp_path):
    """A real FF++ video made interlaced (as a TV recording is): woven, its combed edges read as
    blending and push p(fake) up; read one field a frame (the default preset), it reads as the
    progressive original does."""
    source = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    progressive, interlaced = tmp_path / "progressive.mp4", tmp_path / "interlaced.mp4"
    _ffmpeg("-i", source, "-t", "4", "-an", "-c:v", "libx264", "-crf", "18", "-preset", "veryfast", progressive)
    _ffmpeg("-i", source, "-t", "4", "-an", "-vf", "tinterlace=interleave_top", "-flags", "+ilme+ildct",
            "-c:v", "libx264", "-crf", "18", "-preset", "veryfast", interlaced)
    detector = dfd.Detector()
    p_progressive = detector.scan(progressive).p_fake
    p_one_field = detector.scan(interlaced).p_fake
    p_woven = dfd.Detector(faces__video__deinterlace=False).scan(interlaced).p_fake
    assert abs(p_one_field - p_progressive) < abs(p_woven - p_progressive)
    assert p_one_field < p_woven - 0.05


def _hlg(source, out, *args):
    """`source` as a phone records HDR: HLG transfer, BT.2020 colours, 10-bit HEVC."""
    _ffmpeg("-i", source, *args, "-an", "-vf",
            "zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=arib-std-b67:m=bt2020nc:p=bt2020:r=tv,format=yuv420p10le",
            "-c:v", "libx265", "-preset", "veryfast", "-x265-params",
            "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc", out)


def test_hdr_to_sdr_restores_the_colours(tmp_path, cli):
    patch = tmp_path / "patch.png"  # skin-coloured, RGB 200, 150, 120
    cv2.imwrite(str(patch), np.full((48, 64, 3), (120, 150, 200), np.uint8))
    hlg = tmp_path / "hlg.mp4"
    _ffmpeg("-loop", "1", "-t", "1", "-i", patch, "-vf",
            "zscale=tin=bt709:min=bt709:pin=bt709:rin=full:t=arib-std-b67:m=bt2020nc:p=bt2020:r=tv,format=yuv420p10le",
            "-c:v", "libx265", "-x265-params", "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
            hlg)
    reader = dfd.VideoReader(hlg)
    assert reader.info().hdr and reader.info().to_dict()["hdr"]
    grey = reader.sample(2).reshape(-1, 3).mean(0)
    assert 200 - grey[0] > 60  # read as SDR: far too dark
    converted = dfd.VideoReader(hlg, hdr_to_sdr=True)
    colour = converted.sample(2).reshape(-1, 3).mean(0)
    np.testing.assert_allclose(colour, [200, 150, 120], atol=12)
    assert converted.last_read_stats().frames_hdr_to_sdr == 2

    info = json.loads(subprocess.run([str(cli), "info", str(hlg)], check=True, capture_output=True, text=True).stdout)
    assert info["video"]["hdr"] is True
    subprocess.run([str(cli), "frames", str(hlg), "-n", "1", "--hdr-to-sdr", "-o", str(tmp_path / "png")], check=True)
    png = cv2.imread(str(next((tmp_path / "png").glob("frame_*.png"))))
    np.testing.assert_allclose(png.reshape(-1, 3).mean(0), [120, 150, 200], atol=12)  # BGR


def test_stated_colors_reads_bt709_as_made(tmp_path, cli):
    patch = tmp_path / "patch.png"  # skin-coloured, RGB 200, 150, 120
    cv2.imwrite(str(patch), np.full((48, 64, 3), (120, 150, 200), np.uint8))
    bt709 = tmp_path / "bt709.mp4"  # as an HD camera records: BT.709 matrix, stated
    _ffmpeg("-loop", "1", "-t", "1", "-i", patch, "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv444p",
            "-c:v", "libx264", "-qp", "0", "-colorspace", "bt709", "-color_range", "tv", bt709)
    info = dfd.VideoReader(bt709).info()
    assert (info.color_matrix, info.color_range) == ("bt709", "tv")
    assert info.to_dict()["color_matrix"] == "bt709"
    as_opencv = dfd.VideoReader(bt709).sample(2).reshape(-1, 3).mean(0)
    assert 200 - as_opencv[0] >= 4  # BT.601's coefficients on BT.709's numbers: R 194
    stated = dfd.VideoReader(bt709, stated_colors=True).sample(2).reshape(-1, 3).mean(0)
    np.testing.assert_allclose(stated, [200, 150, 120], atol=1.5)

    described = json.loads(subprocess.run([str(cli), "info", str(bt709)], check=True, capture_output=True, text=True).stdout)
    assert (described["video"]["color_matrix"], described["video"]["color_range"]) == ("bt709", "tv")
    subprocess.run([str(cli), "frames", str(bt709), "-n", "1", "--stated-colors", "-o", str(tmp_path / "png")], check=True)
    png = cv2.imread(str(next((tmp_path / "png").glob("frame_*.png"))))
    np.testing.assert_allclose(png.reshape(-1, 3).mean(0), [120, 150, 200], atol=1.5)  # BGR


def test_default_reads_an_hdr_real_video_in_sdr_colours(shared, tmp_path):
    """A real FF++ video as a phone's HDR recording: read as SDR its grey faces read fake; the
    default preset converts the colours first and reads it near the SDR original."""
    source = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    sdr, hdr = tmp_path / "sdr.mp4", tmp_path / "hdr.mp4"
    _ffmpeg("-i", source, "-t", "4", "-an", "-c:v", "libx264", "-crf", "18", "-preset", "veryfast", sdr)
    _hlg(source, hdr, "-t", "4")
    p_sdr = dfd.Detector().scan(sdr).p_fake
    p_converted = dfd.Detector().scan(hdr).p_fake
    p_as_decoded = dfd.Detector(faces__video__hdr_to_sdr=False).scan(hdr).p_fake
    assert abs(p_converted - p_sdr) < abs(p_as_decoded - p_sdr)
    assert p_converted < p_as_decoded - 0.1
