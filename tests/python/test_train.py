"""Training data from Python: self-blended fakes from a real photo and its 68 landmarks."""

import cv2
import numpy as np

import dfd


def test_self_blend_on_a_real_photo(shared):
    photo = cv2.cvtColor(cv2.imread(str(shared / "data/real_faces/lfw/Aaron_Eckhart_0001.jpg")), cv2.COLOR_BGR2RGB)
    face = dfd.HaarFaceDetector()(photo)[0]
    landmarks = dfd.FaceLandmarker()(photo, face)
    a, b = dfd.self_blend(photo, landmarks, seed=3), dfd.self_blend(photo, landmarks, seed=3)
    assert a["fake"].shape == photo.shape and a["fake"].dtype == np.uint8 and a["mask"].dtype == np.float32
    np.testing.assert_array_equal(a["fake"], b["fake"])
    np.testing.assert_array_equal(a["mask"], b["mask"])
    assert a["ratio"] in (0.25, 0.5, 0.75, 1.0) and 0.95 * a["ratio"] <= a["mask"].max() <= a["ratio"] + 1e-6
    # The mask sits on the face: its centre of mass inside the landmarks' box.
    ys, xs = np.nonzero(a["mask"] > 0.5 * a["mask"].max())
    (x1, y1), (x2, y2) = landmarks.min(0), landmarks.max(0)
    assert x1 <= xs.mean() <= x2 and y1 <= ys.mean() <= y2
    same = dfd.self_blend(photo, landmarks, seed=3, alter=False, deform=False, blend_ratios=[1.0])
    np.testing.assert_array_equal(same["fake"], photo)


def test_augment_reproducible_and_sized(shared):
    photo = cv2.cvtColor(cv2.imread(str(shared / "data/real_faces/lfw/AJ_Cook_0001.jpg")), cv2.COLOR_BGR2RGB)
    landmarks = dfd.FaceLandmarker()(photo, dfd.HaarFaceDetector()(photo)[0])
    a = dfd.augment(photo, seed=5, landmarks=landmarks, size=224)
    assert a.shape == (224, 224, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, dfd.augment(photo, seed=5, landmarks=landmarks, size=224))
    plain = dfd.augment(photo, seed=5, size=250, jpeg_p=0, noise_p=0, blur_p=0, flip_p=0, colour_p=0, gray_p=0,
                        shift_scale_rotate_p=0)
    np.testing.assert_array_equal(plain, photo)  # 250 x 250 already: nothing drawn, nothing changed


def test_dfd_augment_preview(cli, shared, tmp_path):
    import json
    import subprocess

    photo = shared / "data/real_faces/lfw/AJ_Cook_0001.jpg"
    out = subprocess.run([str(cli), "augment", str(photo), "--preview", str(tmp_path / "a"), "-n", "3", "--size", "128"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout)
    assert line["face"] == "haar" and len(line["written"]) == 3
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [f"{kind}_{i:03d}.png" for kind in ("augment", "self_blend") for i in range(3)]
    assert cv2.imread(str(tmp_path / "a/augment_000.png")).shape == (128, 128, 3)
    again = subprocess.run([str(cli), "augment", str(photo), "--preview", str(tmp_path / "b"), "-n", "3", "--size", "128"],
                           capture_output=True, text=True)
    assert again.returncode == 0
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    bad = subprocess.run([str(cli), "augment", str(tmp_path / "missing.jpg"), "--preview", str(tmp_path / "c")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "missing.jpg" in bad.stderr
