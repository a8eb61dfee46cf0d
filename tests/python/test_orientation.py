"""faces.orientation auto (the default preset's): a video or photo turned on its side with no
rotation tag — a phone video after an editor stripped it, a photo without its EXIF orientation —
is turned upright before its faces are judged, and judged as its upright copy is. Before, a real
FF++ video turned by 90 or 180 degrees read fake (0.73-0.77; upright 0.36)."""

import json
import subprocess

import cv2
import numpy as np
import pytest

import dfd

VIDEO = "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"  # a real presenter, one face
IMAGE = "data/images/mesonet_test_images/real/real00240.jpg"
FFMPEG_TURN = {0: "null", 90: "transpose=1", 180: "hflip,vflip", 270: "transpose=2"}


def turned_video(shared, out_dir, degrees):
    out = out_dir / f"turned{degrees}.mp4"
    if not out.exists():
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(shared / VIDEO), "-t", "3", "-vf",
                        FFMPEG_TURN[degrees], "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", str(out)],
                       check=True)
    return out


@pytest.fixture(scope="module")
def videos(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("turned")
    return {d: turned_video(shared, out, d) for d in FFMPEG_TURN}


@pytest.fixture(scope="module")
def detector():
    return dfd.Detector()


def test_the_default_preset_turns_sideways_and_upside_down_video_upright(videos, detector):
    upright = detector.scan(videos[0])
    assert upright.status == "ok" and upright.rotation == 0
    n_upright = len(upright.to_dict()["faces"])
    assert n_upright >= 14  # one presenter in (nearly) every one of the 16 frames
    for degrees in (90, 180, 270):
        v = detector.scan(videos[degrees])
        assert v.status == "ok"
        assert v.rotation == (360 - degrees) % 360, degrees  # turned back
        assert len(v.to_dict()["faces"]) == n_upright
        # the same faces, cut from frames turned back: the same verdict within re-encoding noise
        assert abs(v.p_fake - upright.p_fake) < 0.05, (degrees, v.p_fake, upright.p_fake)
        assert v.is_fake == upright.is_fake


def test_as_decoded_judges_the_turned_frames(videos):
    """The reference pipelines' behaviour, kept by faces.orientation=as_decoded: the sideways face
    is cut as it lies (or missed), and the verdict moves."""
    as_decoded = dfd.Detector(faces__orientation="as_decoded")
    upright = as_decoded.scan(videos[0])
    turned = as_decoded.scan(videos[180])
    assert turned.rotation == 0
    assert abs(turned.p_fake - upright.p_fake) > 0.1


def test_a_turned_photo_is_turned_upright_and_boxes_are_in_the_turned_frame(shared, tmp_path, detector):
    image = cv2.imread(str(shared / IMAGE), cv2.IMREAD_COLOR)
    upright_path, sideways_path = tmp_path / "upright.png", tmp_path / "sideways.png"
    cv2.imwrite(str(upright_path), image)
    cv2.imwrite(str(sideways_path), cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE))
    upright, sideways = detector.scan(upright_path), detector.scan(sideways_path)
    assert upright.rotation == 0 and sideways.rotation == 90
    assert abs(sideways.p_fake - upright.p_fake) < 0.02
    # boxes in the pixels of the photo turned upright: the same place as the upright copy's
    box_u = np.array(upright.to_dict()["faces"][0]["box"])
    box_s = np.array(sideways.to_dict()["faces"][0]["box"])
    assert np.abs(box_u - box_s).max() < 2.0


def test_the_rotation_is_in_the_json_and_the_extractor(cli, videos, tmp_path):
    jsonl = tmp_path / "v.jsonl"
    out = subprocess.run([str(cli), "scan", str(videos[90]), "--jsonl", str(jsonl)], check=True, capture_output=True,
                         text=True).stdout
    assert json.loads(jsonl.read_text().splitlines()[0])["rotation"] == 270
    assert "turned 270°" in out  # the line a person reads says so
    mtcnn = dfd.Mtcnn(dfd.find_model_file("mtcnn-facenet.safetensors"), min_face_size=40, thresholds=(0.7, 0.8, 0.8),
                      downscale=0.5)
    found = dfd.FaceExtractor(mtcnn, frames=8, size=224, orientation="auto").extract(videos[270])
    assert found.rotation == 90 and len(found.crops) >= 7
    assert dfd.FaceExtractor(mtcnn, frames=8, size=224).extract(videos[270]).rotation == 0  # as_decoded: the default
    with pytest.raises(dfd.InvalidArgument, match="as_decoded, auto"):
        dfd.FaceExtractor(mtcnn, orientation="sideways")


def test_clips_are_cut_from_frames_turned_as_the_faces_were_found(videos):
    """A temporal model's clips (dense frames read after detection) are turned the same way."""
    mtcnn = dfd.Mtcnn(dfd.find_model_file("mtcnn-facenet.safetensors"), min_face_size=40, thresholds=(0.7, 0.8, 0.8),
                      downscale=0.5)
    auto = dfd.FaceExtractor(mtcnn, frames=8, size=112, orientation="auto")
    upright = auto.extract_clips(videos[0], length=4, per_track=1)
    turned = auto.extract_clips(videos[90], length=4, per_track=1)
    as_decoded = dfd.FaceExtractor(mtcnn, frames=8, size=112).extract_clips(videos[90], length=4, per_track=1)
    assert len(upright) == len(turned) == 1
    assert upright[0].plan.frame_indices == turned[0].plan.frame_indices
    difference = np.abs(turned[0].images.astype(float) - upright[0].images.astype(float)).mean()
    assert difference < 10  # the same face, re-encoded (measured 4.9 of 255)
    if as_decoded:  # the sideways face, when found at all, is cut as it lies
        assert np.abs(as_decoded[0].images.astype(float) - upright[0].images.astype(float)).mean() > 3 * difference
