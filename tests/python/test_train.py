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
