"""dfd.Detector from Python: scan, Verdict, scan_many as a DataFrame."""

import pytest

import dfd
from dfd import convert


@pytest.fixture(scope="module")
def detector(shared, tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    convert.convert(shared / "weights/mesonet_dariusaf/MesoInception_DF.h5", models / "meso.safetensors",
                    "mesoinception4_keras")
    convert.convert(shared / "weights/mtcnn_facenet-pytorch", models / "mtcnn.safetensors", "mtcnn")
    return dfd.Detector(models=[f"mesoinception4_keras:{models / 'meso.safetensors'}"], preset="mesonet",
                        face_weights=str(models / "mtcnn.safetensors"), frames=4)


def test_scan_and_verdict(shared, detector):
    v = detector.scan(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"))
    assert v.status == "ok" and 0 <= v.p_fake <= 1 and v.is_fake == (v.p_fake >= 0.5)
    assert "004.mp4" in repr(v) and ("FAKE" in repr(v) or "real" in repr(v))
    d = v.to_dict()
    assert d["faces"] and d["identities"] and len(d["model_scores"]) == 1
    assert d["timings"]["total_ms"] > 0
    bad = detector.scan(str(shared / "nothing_here.mp4"))
    assert bad.status == "io_error" and "nothing_here.mp4" in bad.error


def test_scan_many_is_a_dataframe_in_order(shared, detector, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    video = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    frame = sorted((shared / "data/images/dfdc_frames_icpr2020dfdc/fake").glob("*"))[0]
    df = detector.scan_many([video, broken, frame], workers=2, progress=False)
    assert list(df["path"]) == [str(video), str(broken), str(frame)]
    assert list(df["status"])[:2] == ["ok", "decode_error"] and df["status"][2] in ("ok", "no_face")
    assert df.loc[0, "faces"] > 0 and df.loc[1, "error"]
