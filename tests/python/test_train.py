"""Training from Python and the command line: self-blended fakes and augmentations, prepare, train,
and a dfd.Model a notebook trains with torch.optim."""

import json

import cv2
import numpy as np
import pytest

import dfd
from dfd import safetensors_io


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
    # A grayscale photo (as LFW's are): its fakes are no more coloured than it is, whatever is drawn.
    spread = lambda rgb: int(np.abs(np.diff(rgb.astype(int), axis=2)).max())
    assert all(spread(dfd.self_blend(photo, landmarks, seed=s)["fake"]) <= spread(photo) for s in range(12))
    # Hull variants: some of the regions drawn are smaller than the whole face's hull.
    def areas(**variants):
        return [int((dfd.self_blend(photo, landmarks, seed=s, alter=False, deform=False, blend_ratios=[1.0],
                                    **variants)["mask"] > 0.5).sum()) for s in range(8)]
    assert min(areas(hull_variants=True)) < 0.7 * min(areas())


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


LFW = ["AJ_Cook_0001", "Aaron_Eckhart_0001", "AJ_Lamas_0001", "Aaron_Peirsol_0001", "Aaron_Guiel_0001",
       "Aaron_Patterson_0001", "Aaron_Pena_0001", "Aaron_Sorkin_0001"]


def test_model_trains_in_a_torch_loop_as_pytorch_does():
    """dfd.Model's parameters() in torch.optim, forward_torch() differentiable: two SGD steps equal
    torchvision's ResNet-18 with the same weights, batch and optimiser."""
    import torch
    import torchvision

    torch.manual_seed(0)
    model = dfd.Model("resnet18", num_outputs=1)
    reference = torchvision.models.resnet18(num_classes=1)
    reference.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in model.state_dict().items()})
    x, y = torch.randn(4, 3, 64, 64), torch.tensor([0.0, 1.0, 1.0, 0.0])
    model.train()
    reference.train()
    ours = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    assert len(model.parameters()) == len(list(reference.parameters()))
    for _ in range(2):
        a = torch.nn.functional.binary_cross_entropy_with_logits(model.forward_torch(x)[:, 0], y)
        b = torch.nn.functional.binary_cross_entropy_with_logits(reference(x)[:, 0], y)
        assert abs(a.item() - b.item()) < 1e-5
        ours.zero_grad()
        a.backward()
        ours.step()
        theirs.zero_grad()
        b.backward()
        theirs.step()
    after = model.state_dict()
    for name, value in reference.state_dict().items():
        if value.is_floating_point():
            np.testing.assert_allclose(np.asarray(after[name]), value.numpy(), atol=2e-4, err_msg=name)
    # The gradient reaches the input too (what saliency methods need).
    model.eval()
    reference.eval()
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    model.forward_torch(xa).sum().backward()
    reference(xb).sum().backward()
    # (the two models' weights already differ by float rounding after two steps)
    assert np.linalg.norm(xa.grad.numpy() - xb.grad.numpy()) < 0.02 * np.linalg.norm(xb.grad.numpy())
    with torch.no_grad():
        assert not model.forward_torch(x).requires_grad


def test_bf16_gradients_follow_fp32s():
    """Under torch.autocast("cpu", torch.bfloat16) dfd.Model's MobileNetV1, whose ReLU6 has no
    bfloat16 backward in LibTorch 1.13 (it is clipped in float32 while training), gives the float32
    gradients to within bfloat16's rounding."""
    import torch

    torch.manual_seed(0)
    model = dfd.Model("mobilenet_v1", num_outputs=1)
    model.train()
    x, y = torch.rand(4, 3, 96, 96) * 255, torch.tensor([0.0, 1.0, 1.0, 0.0])
    grads = {}
    for precision in ("fp32", "bf16"):
        for p in model.parameters():
            p.grad = None
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model.forward_torch(x)[:, 0]
        assert logits.dtype == (torch.bfloat16 if precision == "bf16" else torch.float32)
        torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), y).backward()
        grads[precision] = torch.cat([p.grad.flatten() for p in model.parameters()])
    cosine = torch.nn.functional.cosine_similarity(grads["fp32"], grads["bf16"], dim=0).item()
    assert 0.99 < cosine and not torch.equal(grads["fp32"], grads["bf16"]), cosine


def test_prepare_and_train_from_a_notebook(shared, converted, tmp_path):
    rows = [(str(shared / f"data/real_faces/lfw/{name}.jpg"), 0, name[:-5]) for name in LFW]
    rows.append((str(tmp_path / "missing.jpg"), 1, "nobody"))
    seen = []
    summary = dfd.prepare(rows, tmp_path / "faces", face_weights=converted["mtcnn"], size=96, progress=False)
    assert summary == {"files": 9, "done_before": 0, "prepared": 8, "failed": 1, "faces": summary["faces"]}
    assert summary["faces"] >= 8
    again = dfd.prepare(rows, tmp_path / "faces", face_weights=converted["mtcnn"], size=96, progress=False)
    assert again["done_before"] == 9 and again["prepared"] == 0
    faces = dfd.FaceDataset(tmp_path / "faces")
    assert len(faces) == summary["faces"] and faces[0]["landmarks"].shape == (68, 2)
    assert faces.image(0).shape == (96, 96, 3)

    params = dfd.TrainParams(arch="resnet18", input_size=64, batch_size=8, epoch_size=16, val_fraction=0.5, seed=2)
    history = dfd.train(faces, tmp_path / "run", params, epochs=2, progress=False)
    assert list(history["epoch"]) == [1, 2]
    assert {"train_loss", "val_loss", "val_auc", "val_video_auc", "lr", "best"} <= set(history.columns)
    # Validation holds the held-out reals and their self-blended fakes: both classes.
    assert history["val_auc"].notna().all() and (history["val_faces"] > 0).all()
    best = history.attrs["best_weights"]
    classifier = dfd.Classifier("resnet18:" + best)
    assert classifier.preset == "dfd_trained" and classifier.input_size == 64  # read from the file
    assert 0.0 <= classifier.predict([faces.image(0)])[0] <= 1.0
    # Resumed with more epochs, the run goes on from its checkpoint.
    longer = dfd.train(faces, tmp_path / "run", params, epochs=3, resume=True, progress=False)
    assert list(longer["epoch"]) == [1, 2, 3]
    assert longer.iloc[:2][["train_loss", "val_loss"]].equals(history[["train_loss", "val_loss"]])
    # In bfloat16 (precision="bf16": the step's forward under autocast) a MobileNetV1, whose ReLU6
    # has no bfloat16 backward in LibTorch 1.13, trains; the weights it saves are float32, and they
    # are not the float32 run's.
    runs = {}
    for precision in ("fp32", "bf16"):
        small = dfd.TrainParams(arch="mobilenet_v1", input_size=64, batch_size=8, epoch_size=16, val_fraction=0.5,
                                seed=2, precision=precision)
        runs[precision] = dfd.train(faces, tmp_path / f"mnv1_{precision}", small, epochs=1, progress=False)
        assert np.isfinite(runs[precision]["val_loss"]).all()
    weights = {k: safetensors_io.load(runs[k].attrs["best_weights"]) for k in runs}
    assert weights["bf16"][0]["conv1.weight"].dtype == np.float32
    assert json.loads(weights["bf16"][1]["dfd.training"])["precision"] == "bf16"
    assert not np.array_equal(weights["bf16"][0]["conv1.weight"], weights["fp32"][0]["conv1.weight"])
    with pytest.raises(dfd.InvalidArgument, match="fp32, bf16, auto"):
        dfd.TrainParams(precision="half")


def test_dfd_prepare_and_train_commands(cli, shared, converted, tmp_path):
    import json
    import subprocess

    def run(*args):
        return subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)

    labels = tmp_path / "labels.csv"
    lines = ["path,label,identity"] + [f"lfw/{name}.jpg,0,{name[:-5]}" for name in LFW[:6]] + ["lfw/nope.jpg,1,x"]
    labels.write_text("\n".join(lines) + "\n")
    root = shared / "data/real_faces"
    out = run("prepare", labels, "--root", root, "-o", tmp_path / "faces", "--weights", converted["mtcnn"],
              "--size", "96", "-j", "2")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["files"], summary["prepared"], summary["failed"]) == (7, 6, 1)
    assert "nope.jpg" in out.stderr  # the failure is shown, the run goes on
    rerun = run("prepare", labels, "--root", root, "-o", tmp_path / "faces", "--weights", converted["mtcnn"], "--size", "96")
    assert json.loads(rerun.stdout)["done_before"] == 7
    other = run("prepare", labels, "--root", root, "-o", tmp_path / "faces", "--weights", converted["mtcnn"], "--size", "64")
    assert other.returncode == 2 and "prepared with" in other.stderr

    train = ["train", tmp_path / "faces", "-o", tmp_path / "run", "--arch", "resnet18", "--size", "64",
             "--epoch-size", "8", "--batch-size", "4", "--set", "val_fraction=0.34"]
    shown = run(*train, "--epochs", "1", "--set", "label_smoothing=0.1", "--print-params")
    assert shown.returncode == 0 and json.loads(shown.stdout)["label_smoothing"] == 0.1
    first = run(*train, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    epoch, done = [json.loads(line) for line in first.stdout.splitlines()]
    assert epoch["epoch"] == 1 and done["best_epoch"] == 1 and done["model"].startswith("resnet18:")
    resumed = run(*train, "--epochs", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line).get("epoch") for line in resumed.stdout.splitlines()] == [2, None]
    metrics = (tmp_path / "run/metrics.csv").read_text().splitlines()
    assert metrics[0].startswith("epoch,lr,train_loss,val_loss,val_auc") and len(metrics) == 3
    assert cv2.imread(str(tmp_path / "run/curves.png")) is not None
    bad = run(*train, "--set", "learning_rate=1")
    assert bad.returncode == 2 and "unknown setting 'learning_rate'" in bad.stderr
