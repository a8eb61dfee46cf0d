import cv2
import numpy as np
import pytest

import dfd


def rgb(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_haar_equals_opencv(shared):
    """Haar's reference is OpenCV's own cascade call: the boxes must be the same."""
    detector = dfd.HaarFaceDetector()
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
                                    if hasattr(cv2, "data") else
                                    "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
    for png in ("004_frame0000.png", "004_frame0158.png", "yhffcuhhjy_frame0154.png", "id16_0012_frame0158.png"):
        image = rgb(shared / "golden/g1_video" / png)
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        rects, neighbours = cascade.detectMultiScale2(gray, 1.1, 5, 0, (30, 30))
        expected = sorted(((int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in rects))
        faces = detector(image)
        assert sorted(tuple(int(v) for v in f.box) for f in faces) == expected, png
        assert [f.score for f in faces] == sorted((f.score for f in faces), reverse=True)
        assert all(f.landmarks.shape == (0, 2) for f in faces)


def test_single_and_batched_calls(shared):
    detector = dfd.HaarFaceDetector()
    frame = rgb(shared / "golden/g1_video/004_frame0158.png")
    blank = np.full_like(frame, 128)
    single = detector(frame)
    assert isinstance(single, list) and isinstance(single[0], dfd.Face)
    as_list = detector([blank, frame])
    as_array = detector(np.stack([blank, frame]))
    assert [len(x) for x in as_list] == [0, len(single)] == [len(x) for x in as_array]
    assert as_list[1][0].box == single[0].box
    assert detector.name == "haar" and detector.landmark_names == []
    with pytest.raises(ValueError):
        detector(np.zeros((10, 10), np.uint8)[..., None].repeat(2, axis=2))
    with pytest.raises(dfd.ModelError):
        dfd.HaarFaceDetector(cascade_path="/nonexistent/cascade.xml")
