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


def test_face_extractor_on_video_image_and_array(shared):
    extractor = dfd.FaceExtractor(dfd.HaarFaceDetector(), frames=6, size=224, score_threshold=0.8)
    video = extractor.extract(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")
    assert video.frames_sampled == 6 and video.frames_with_faces >= 5
    assert video.images().shape == (len(video.crops), 224, 224, 3)
    main = video.tracks[0]
    assert len(main.crops) >= 5
    crop = video.crops[main.crops[0]]
    x1, y1, x2, y2 = crop.region
    frame = dfd.VideoReader(str(shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")).read([crop.frame_index])[0]
    # The crop is the region of the frame, resized and padded the selimsef way.
    np.testing.assert_array_equal(crop.image, dfd.resize_and_pad(frame[y1:y2, x1:x2], 224))
    assert crop.to_frame(*crop.to_crop(500.0, 300.0)) == pytest.approx((500.0, 300.0), abs=1e-3)

    image = rgb(shared / "data/images/mesonet_test_images/real/real00240.jpg")
    from_array = extractor.extract(image)
    from_file = extractor.extract(str(shared / "data/images/mesonet_test_images/real/real00240.jpg"))
    assert from_array.frames_sampled == from_file.frames_sampled == 1
    assert len(from_array.crops) == len(from_file.crops) == 1
    np.testing.assert_array_equal(from_array.crops[0].image, from_file.crops[0].image)

    corner = dfd.FaceExtractor(dfd.HaarFaceDetector(), size=128, pad="corner").extract(image)
    assert corner.crops[0].content[:2] == (0, 0)
    with pytest.raises(dfd.IoError):
        extractor.extract("/nonexistent/video.mp4")


def test_face_extractor_on_a_reader_on_frames_and_in_batches(shared):
    """The C++ extract(VideoReader&), extract(frames) and extract_batch/finish, mirrored."""
    path = shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4"
    extractor = dfd.FaceExtractor(dfd.HaarFaceDetector(), frames=8, size=128, score_threshold=0.8, batch_frames=3)
    reader = dfd.VideoReader(path)
    indices = extractor.frame_indices(reader)
    from_reader = extractor.extract(reader)
    from_path = extractor.extract(path)
    key = lambda e: [(c.frame_index, c.track_id, c.region) for c in e.crops]  # noqa: E731
    assert key(from_reader) == key(from_path) and from_reader.frames_sampled == 8

    frames = reader.read(indices)
    whole = extractor.extract(frames)  # [n, h, w, 3]: indices 0..n-1
    assert [c.frame_index for c in whole.crops] == sorted(c.frame_index for c in whole.crops)
    assert {c.frame_index for c in whole.crops} <= set(range(8))

    so_far = dfd.FaceExtraction()
    for start in range(0, 8, 3):
        extractor.extract_batch(frames[start:start + 3], so_far, indices=indices[start:start + 3],
                                timestamps=[i / 25.0 for i in indices[start:start + 3]])
    extractor.finish(so_far)
    assert so_far.frames_sampled == 8
    assert key(so_far) == key(from_path)
    assert [len(t.crops) for t in so_far.tracks] == [len(t.crops) for t in from_path.tracks]
    assert so_far.crops[0].timestamp == pytest.approx(so_far.crops[0].frame_index / 25.0)
    np.testing.assert_array_equal(so_far.images(), from_path.images())
    with pytest.raises(dfd.InvalidArgument, match="one index per frame"):
        extractor.extract_batch(frames[:2], dfd.FaceExtraction(), indices=[0])
    with pytest.raises(dfd.InvalidArgument, match="RGB"):
        extractor.extract_batch(frames[:2, :, :, 0], dfd.FaceExtraction())


@pytest.fixture(scope="module")
def blazeface_weights(shared, tmp_path_factory):
    from dfd import convert
    out = tmp_path_factory.mktemp("models")
    front, back = out / "blazeface_front.safetensors", out / "blazeface_back.safetensors"
    convert.convert(shared / "weights/blazeface_hollance/blazeface.pth", front, "blazeface_front")
    convert.convert(shared / "weights/blazeface_hollance/blazefaceback.pth", back, "blazeface_back")
    return front, back


def test_blazeface_whole_image_equals_golden(shared, blazeface_weights):
    from conftest import read_safetensors
    golden, _ = read_safetensors(shared / "golden/g2_blazeface/mesonet_real00240.safetensors")
    image = rgb(shared / "data/images/mesonet_test_images/real/real00240.jpg")
    for weights, prefix in zip(blazeface_weights, ("front_", "back_")):
        detector = dfd.BlazeFace(str(weights), input="whole")
        assert detector.back_model == (prefix == "back_")
        faces = detector(image)
        expected = golden[prefix + "detections"]
        assert len(faces) == len(expected)
        h, w = image.shape[:2]
        x1, y1, x2, y2 = faces[0].box
        np.testing.assert_allclose([x1, y1, x2, y2], expected[0, [1, 0, 3, 2]] * [w, h, w, h], atol=1.0)
        np.testing.assert_allclose(faces[0].landmarks, expected[0, 4:16].reshape(6, 2) * [w, h], atol=1.0)
        assert detector.landmark_names[:2] == ["left_eye", "right_eye"]
        # As seen in the image: the left eye has the smaller x.
        assert faces[0].landmarks[0, 0] < faces[0].landmarks[1, 0]


def test_blazeface_in_the_extractor_and_cli(shared, blazeface_weights, cli, tmp_path):
    import json
    import subprocess
    detector = dfd.BlazeFace(str(blazeface_weights[0]))
    video = shared / "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"
    result = dfd.FaceExtractor(detector, frames=4, size=224).extract(video)
    assert result.frames_with_faces == 4
    assert result.crops[0].crop_landmarks.shape == (6, 2)
    out = subprocess.run([str(cli), "faces", str(video), "-o", str(tmp_path), "-n", "2", "--detector", "blazeface",
                          "--weights", str(blazeface_weights[0])], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "faces.json").read_text())
    assert doc["detector"] == "blazeface" and len(doc["crops"][0]["landmarks"]) == 6
    with pytest.raises(dfd.ModelError):
        dfd.BlazeFace("no_such_weights.safetensors")


def test_mtcnn_equals_facenet_pytorch_golden(shared, tmp_path):
    from conftest import read_safetensors
    from dfd import convert
    weights = tmp_path / "mtcnn.safetensors"
    convert.convert(shared / "weights/mtcnn_facenet-pytorch", weights, "mtcnn")
    default = dfd.Mtcnn(str(weights))
    prep = dfd.Mtcnn(str(weights), thresholds=(0.85, 0.95, 0.95))
    for name in ("004_frame0158", "id16_0012_frame0158", "yhffcuhhjy_frame0154"):
        golden, meta = read_safetensors(shared / "golden/g3_mtcnn" / f"{name}.safetensors")
        full = rgb(shared / "golden/g3_mtcnn" / meta["input_png"])
        faces = default(full)
        assert len(faces) == len(golden["default_probs"]), name
        np.testing.assert_allclose([f.box for f in faces], golden["default_boxes"], atol=1e-2)
        np.testing.assert_allclose(np.stack([f.landmarks for f in faces]), golden["default_landmarks"], atol=1e-2)
        half = rgb(shared / "golden/g3_mtcnn" / meta["half_input_png"])
        faces = prep(half)
        np.testing.assert_allclose([f.box for f in faces], golden["selimsef_prep_boxes"], atol=1e-2)
        # selimsef scales the half-size box back with int(b * 2).
        assert [[int(v * 2) for v in f.box] for f in faces] == golden["selimsef_prep_boxes_x2_int"].tolist()
    assert dfd.Mtcnn(str(weights), downscale=0.5).name == "mtcnn"


def test_face_landmarker_68_points_single_and_batched(shared, converted):
    import cv2

    photo = cv2.cvtColor(cv2.imread(str(shared / "data/real_faces/lfw/AJ_Cook_0001.jpg")), cv2.COLOR_BGR2RGB)
    face = dfd.Mtcnn(str(converted["mtcnn"]))(photo)[0]
    lm = dfd.FaceLandmarker()
    one = lm(photo, face)
    assert one.shape == (68, 2) and one.dtype == np.float32
    np.testing.assert_array_equal(lm(photo, face.box), one)
    many = lm.detect(photo, [face, face.box])
    assert many.shape == (2, 68, 2)
    np.testing.assert_array_equal(many[0], one)
    np.testing.assert_array_equal(lm(photo, np.array([face.box], np.float32))[0], one)
    # The eyes' centres where MTCNN puts the eyes (as seen in the image: 36-41 left, 42-47 right).
    eyes = np.linalg.norm(face.landmarks[0] - face.landmarks[1])
    assert np.linalg.norm(one[36:42].mean(0) - face.landmarks[0]) < 0.25 * eyes
    assert np.linalg.norm(one[42:48].mean(0) - face.landmarks[1]) < 0.25 * eyes
    with pytest.raises(dfd.InvalidArgument, match="4 numbers"):
        lm(photo, [(1, 2, 3)])
    with pytest.raises(dfd.ModelError):
        dfd.FaceLandmarker("/nonexistent/predictor.dat")
