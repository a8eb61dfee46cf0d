#!/usr/bin/env python3
"""End to end, per video: `dfd eval` against the reference Python pipeline, scores and speed.

    .venv/bin/python bench/end_to_end.py --selimsef-repo DIR --facenet-repo DIR --fakeavceleb-repo DIR \
        [--models keras,fakeavceleb] [--frames 32] [--only SUBSTRING] [--precision fp32|bf16]

The reference code is not part of this repository: pass checkouts (work trees) of
selimsef/dfdc_deepfake_challenge (kernel_utils.py), timesler/facenet-pytorch (models/) and
DASH-Lab/FakeAVCeleb (models/MesoNet.py). Weights come from ../shared/weights.

Every labelled video of ../shared/data/labels.csv goes through both pipelines, with each of the
published MesoInception4 weights:

  reference  selimsef's VideoReader.read_frames (32 evenly spaced frames, OpenCV grab/retrieve) and
             FaceExtractor.process_video (facenet-pytorch MTCNN, thresholds 0.7/0.8/0.8, on the frame
             halved by PIL, boxes doubled, margin of a third), his isotropically_resize_image +
             put_to_center at the model's input size, at most 4 x 32 - 1 faces as predict_on_video,
             then the PyTorch Meso model and the mean of the faces' p(fake) (libdfd's mesonet preset);
             run on the CPU in float32 (his code calls .cuda().half()).
               keras:       MesoNet's MesoInception_DF.h5 read with h5py into a Keras-faithful
                            PyTorch forward below (x / 255, sigmoid = p(real))
               fakeavceleb: FakeAVCeleb's own MesoInception4 class with MesoInception4_realA_fakeC.pt
                            (its normalisation, softmax column 1 = fake)
             default:     libdfd's shipped face model (the default preset's, from models/) in a PyTorch
                            MobileNetV1 forward below, on frames halved with OpenCV's INTER_AREA
                            (the default preset's filter) instead of Pillow's bicubic; 16 frames;
                            MTCNN's min_face_size 40 (the preset's)
  libdfd     `dfd eval --preset mesonet --model ... --csv ... --jsonl ...`, the weights converted by
             `python -m dfd.convert`; once with -j 1 (files one after another: per-video times
             comparable with the reference's) and once with the default -j 2 (decoding of the next
             file overlapping classification of this one: the throughput a batch run gets).

--precision bf16 runs both sides' face models in bfloat16: the reference's forward under
torch.autocast("cpu", dtype=torch.bfloat16), libdfd's with --set classifier.precision=bf16 (the same
autocast, dfd/precision.hpp) — the same arithmetic on both sides again.

Each side runs in its own process (the bench waits for it with wait4, so peak RSS is per side).
The reference's per-video seconds cover reading, detecting, cropping and classifying (models
loaded once beforehand, as in its notebook); libdfd's are the verdict's total_ms (-j 1). It
prints, per video: the sampled frames equal or not, faces found by each, the two scores and
their difference, seconds each and the ratio; then AUC each, the largest score difference, totals,
the 10-second 1080p DFDC videos alone, and peak memory. Exit status 1 when a score differs by
more than 0.02, the AUCs by more than 0.02, or the sampled frames differ.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_DEFAULT = Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared"))
MODELS = {
    "keras": {"weights": "weights/mesonet_dariusaf/MesoInception_DF.h5", "arch": "mesoinception4_keras", "size": 256},
    "fakeavceleb": {"weights": "weights/fakeavceleb_meso_dashlab/MesoInception4_realA_fakeC.pt",
                    "arch": "mesoinception4", "size": 224},
    # libdfd's default preset as shipped (models/): no weights from ../shared, 16 frames, MTCNN on
    # frames halved with INTER_AREA, faces from 40 px there, its mobilenet_v1 on x in [0, 255], the mean.
    # The model and its input size are the preset's (default_face_model()).
    "default": {"weights": None, "arch": "mobilenet_v1", "frames": 16, "min_face_size": 40},
}


def default_face_model():
    """(spec, file, input size) of the default preset's face model, as shipped."""
    import dfd

    spec = dfd.DetectorParams("default").models[0]
    with warnings.catch_warnings():  # built only to read its input size: its thread count does not matter
        warnings.simplefilter("ignore", RuntimeWarning)
        return spec, dfd.find_model_file(spec.split(":", 1)[1]), dfd.Classifier(spec).input_size


# ---- the reference: selimsef's pipeline around the PyTorch Meso models ---------------------------
def import_reference(args, tmp: Path):
    """selimsef's kernel_utils with facenet-pytorch importable as `facenet_pytorch` (its data/
    holding the shared MTCNN weights) and albumentations' image_compression (imported, never
    called here: compression is off) stubbed."""
    pkg = tmp / "facenet_pytorch"
    (pkg / "models").mkdir(parents=True)
    (pkg / "data").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("")
    for item in (args.facenet_repo / "models").iterdir():
        if item.name != "__init__.py":
            (pkg / "models" / item.name).symlink_to(item.resolve())
    for name in ("pnet", "rnet", "onet"):
        (pkg / "data" / f"{name}.pt").symlink_to((args.shared / f"weights/mtcnn_facenet-pytorch/{name}.pt").resolve())
    stub = tmp / "albumentations" / "augmentations"
    stub.mkdir(parents=True)
    (tmp / "albumentations" / "__init__.py").write_text("")
    (stub / "__init__.py").write_text("")
    (stub / "functional.py").write_text(
        "def image_compression(*args, **kwargs):\n    raise NotImplementedError('not used by the bench')\n")
    sys.path[:0] = [str(tmp), str(args.selimsef_repo), str(args.fakeavceleb_repo)]
    np.int = int  # read_frames uses np.int, removed in numpy 1.24 (same meaning)
    import kernel_utils

    return kernel_utils


class KerasMesoInception4:
    """MesoNet's Keras MesoInception4 (classifiers.py) as a float32 PyTorch forward over the .h5
    tensors: 'same' convolutions with ReLU, BatchNorm (eps 1e-3), 'same' max pooling, NHWC flatten,
    Dense 16, LeakyReLU 0.1, Dense 1. Returns the logit of p(real)."""

    def __init__(self, h5_path):
        import h5py
        import torch

        self.t = {}
        with h5py.File(h5_path, "r") as f:
            for layer in f.keys():
                if layer not in f[layer]:  # layers without weights (pooling, concatenate, ...)
                    continue
                for name, data in f[layer][layer].items():
                    self.t[f"{layer}/{name.split(':')[0]}"] = torch.from_numpy(np.asarray(data, dtype=np.float32))

    def conv(self, x, i, dilation=1):
        import torch.nn.functional as F

        k = self.t[f"conv2d_{i}/kernel"].permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
        pad = dilation * (k.shape[-1] // 2)
        return F.relu(F.conv2d(x, k, self.t[f"conv2d_{i}/bias"], padding=pad, dilation=dilation))

    def bn(self, x, i):
        import torch.nn.functional as F

        g = lambda n: self.t[f"batch_normalization_{i}/{n}"]  # noqa: E731
        return F.batch_norm(x, g("moving_mean"), g("moving_variance"), g("gamma"), g("beta"), False, 0.0, 1e-3)

    def inception(self, x, first):
        c = first
        return torch_cat([self.conv(x, c), self.conv(self.conv(x, c + 1), c + 2),
                          self.conv(self.conv(x, c + 3), c + 4, 2), self.conv(self.conv(x, c + 5), c + 6, 3)])

    def __call__(self, x):
        import torch.nn.functional as F

        x = F.max_pool2d(self.bn(self.inception(x, 1), 1), 2)
        x = F.max_pool2d(self.bn(self.inception(x, 8), 2), 2)
        x = F.max_pool2d(self.bn(self.conv(x, 15), 3), 2)
        x = F.max_pool2d(self.bn(self.conv(x, 16), 4), 4)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens NHWC
        x = F.leaky_relu(x @ self.t["dense_1/kernel"] + self.t["dense_1/bias"], 0.1)
        return (x @ self.t["dense_2/kernel"] + self.t["dense_2/bias"])[:, 0]


def torch_cat(parts):
    import torch

    return torch.cat(parts, dim=1)


class TfMobileNetV1:
    """Keras' MobileNetV1 with folded batch-norms (libdfd's mobilenet_v1 layout) as a float32
    PyTorch forward over a .safetensors file: TF SAME padding, ReLU6, global mean, Linear."""

    STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]

    def __init__(self, path):
        import torch
        from dfd import safetensors_io

        tensors, _ = safetensors_io.load(path)
        self.t = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in tensors.items()}

    def __call__(self, x):
        import torch.nn.functional as F

        def same(n):  # TF SAME for a 3x3 stride-2 window: (before, after)
            total = max((-(-n // 2) - 1) * 2 + 3 - n, 0)
            return total // 2, total - total // 2

        def conv3(x, name, stride, groups):
            if stride == 2:
                (top, bottom), (left, right) = same(x.shape[2]), same(x.shape[3])
                x = F.pad(x, (left, right, top, bottom))
                return F.conv2d(x, self.t[f"{name}.weight"], self.t[f"{name}.bias"], 2, groups=groups)
            return F.conv2d(x, self.t[f"{name}.weight"], self.t[f"{name}.bias"], 1, 1, groups=groups)

        # ReLU6 in place, as torchvision's MobileNets (and libdfd's) apply it.
        x = F.hardtanh_(conv3(x, "conv1", 2, 1), 0, 6)
        for i, stride in enumerate(self.STRIDES, start=1):
            x = F.hardtanh_(conv3(x, f"conv_dw_{i}", stride, x.shape[1]), 0, 6)
            x = F.hardtanh_(F.conv2d(x, self.t[f"conv_pw_{i}.weight"], self.t[f"conv_pw_{i}.bias"]), 0, 6)
        return F.linear(x.mean((2, 3)), self.t["fc.weight"], self.t["fc.bias"])[:, 0]


class AreaHalving:
    """Stands in for PIL.Image in selimsef's FaceExtractor for the default preset: the frame halved
    with OpenCV's INTER_AREA (what the preset runs) instead of Pillow's bicubic."""

    class Frame:
        def __init__(self, array):
            self.array, self.size = array, (array.shape[1], array.shape[0])

        def resize(self, size):
            import cv2
            from PIL import Image

            return Image.fromarray(cv2.resize(self.array, tuple(size), interpolation=cv2.INTER_AREA))

    @staticmethod
    def fromarray(array):
        return AreaHalving.Frame(array)


def reference_model(kind, shared):
    """(input size, function: uint8 crops [n, s, s, 3] -> p(fake) numpy [n])."""
    import torch

    if kind == "default":
        _, path, size = default_face_model()
        net = TfMobileNetV1(path)

        def p_fake(crops):
            x = torch.from_numpy(crops).float().permute(0, 3, 1, 2).contiguous()  # [0, 255], no normalisation
            return torch.sigmoid(net(x).float()).numpy()  # float: bfloat16 under autocast
        return size, p_fake

    if kind == "keras":
        net = KerasMesoInception4(shared / MODELS["keras"]["weights"])

        def p_fake(crops):
            x = torch.from_numpy(crops).float().mul(np.float32(1 / 255)).permute(0, 3, 1, 2).contiguous()
            return 1 - torch.sigmoid(net(x).float()).numpy()  # the Keras models' sigmoid means REAL
        return MODELS["keras"]["size"], p_fake
    from models.MesoNet import MesoInception4  # FakeAVCeleb's class

    net = MesoInception4()
    net.load_state_dict(torch.load(shared / MODELS["fakeavceleb"]["weights"], map_location="cpu")["state_dict"])
    net.eval()
    mean = torch.tensor([0.4489, 0.3352, 0.3106]).view(1, 3, 1, 1)
    std = torch.tensor([0.2380, 0.1965, 0.1962]).view(1, 3, 1, 1)

    def p_fake(crops):
        x = ((torch.from_numpy(crops).float().permute(0, 3, 1, 2) / 255 - mean) / std).contiguous()
        return torch.softmax(net(x).float(), dim=1)[:, 1].numpy()
    return MODELS["fakeavceleb"]["size"], p_fake


def run_reference(args):
    """Child process: the reference pipeline over the videos; one JSON object per video."""
    import torch

    torch.set_num_threads(os.cpu_count())
    ku = import_reference(args, Path(tempfile.mkdtemp(prefix="dfd_e2e_ref_")))
    from facenet_pytorch.models.mtcnn import MTCNN

    reader = ku.VideoReader(verbose=False)
    sampled = {}

    def read(path):
        result = reader.read_frames(path, num_frames=args.frames)
        sampled[path] = [] if result is None else [int(i) for i in result[1]]
        return result

    if args.model_kind == "default":
        ku.Image = AreaHalving
    extractor = ku.FaceExtractor.__new__(ku.FaceExtractor)  # his __init__ hard-codes device="cuda"
    extractor.video_read_fn = read
    extractor.detector = MTCNN(margin=0, thresholds=[0.7, 0.8, 0.8], device="cpu",
                               min_face_size=MODELS[args.model_kind].get("min_face_size", 20))
    size, p_fake = reference_model(args.model_kind, args.shared)
    cap = args.frames * 4  # predict_on_video: batch_size *= 4, faces kept while n + 1 < batch_size
    out = []
    for path in args.videos:
        start = time.perf_counter()
        with torch.no_grad():
            frames = extractor.process_video(path)
            crops = []
            for frame in frames:
                for face in frame["faces"]:
                    if len(crops) + 1 < cap:
                        crops.append(ku.put_to_center(ku.isotropically_resize_image(face, size), size))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):  # MTCNN stays fp32
                scores = p_fake(np.stack(crops)) if crops else np.zeros(0, np.float32)
        seconds = time.perf_counter() - start
        out.append({"path": path, "frames": sampled[path], "faces": len(crops),
                    "score": float(np.mean(scores)) if crops else None, "seconds": seconds})
    args.out.write_text(json.dumps(out))


# ---- the bench ------------------------------------------------------------------------------------
def measure(cmd):
    """(wall s, peak RSS MiB, returncode, stdout, stderr) of one child, its own peak via wait4."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read()


def auc(labels, scores):
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(labels, scores)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--selimsef-repo", type=Path, required=True, help="checkout of selimsef/dfdc_deepfake_challenge")
    parser.add_argument("--facenet-repo", type=Path, required=True, help="checkout of timesler/facenet-pytorch")
    parser.add_argument("--fakeavceleb-repo", type=Path, required=True, help="checkout of DASH-Lab/FakeAVCeleb")
    parser.add_argument("--shared", type=Path, default=SHARED_DEFAULT)
    parser.add_argument("--models", default="keras,fakeavceleb")
    parser.add_argument("--frames", type=int, default=None, help="frames per video (default: 32; 16 for default)")
    parser.add_argument("--only", default="", help="only videos whose path contains this")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="the face models' arithmetic, both sides (bf16: autocast; dfd/precision.hpp)")
    parser.add_argument("--cli", type=Path, default=Path(os.environ.get("DFD_BUILD_DIR", REPO / "_build")) / "dfd")
    # internal: the reference side's child process
    parser.add_argument("--child", choices=["reference"], help=argparse.SUPPRESS)
    parser.add_argument("--model-kind", choices=list(MODELS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--videos", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "reference":
        run_reference(args)
        return 0

    import dfd
    from dfd import convert

    data = args.shared / "data"
    rows = [r for r in csv.DictReader((data / "labels.csv").open()) if r["path"].startswith("videos/")]
    rows = [r for r in rows if args.only in r["path"]]
    videos = [str(data / r["path"]) for r in rows]
    labels = [int(r["label"]) for r in rows]
    work = Path(tempfile.mkdtemp(prefix="dfd_e2e_"))
    convert.convert(args.shared / "weights/mtcnn_facenet-pytorch", work / "mtcnn.safetensors", "mtcnn")
    label_csv = work / "labels.csv"
    label_csv.write_text("path,label\n" + "".join(f"{r['path']},{r['label']}\n" for r in rows))
    print(f"libdfd {dfd.__version__}, {os.cpu_count()} cores, {len(videos)} labelled videos")

    failed = False
    given_frames = args.frames
    for kind in args.models.split(","):
        spec = MODELS[kind]
        args.frames = given_frames or spec.get("frames", 32)
        if spec["weights"]:
            weights = work / f"{kind}.safetensors"
            convert.convert(args.shared / spec["weights"], weights, spec["arch"])
            flags = ["--preset", "mesonet", "--model", f"{spec['arch']}:{weights}", "--weights", str(work / "mtcnn.safetensors")]
        else:
            # The default preset with everything shipped, its face side only: the reference has no
            # audio branch (AASIST-L is benched on its own, bench/aasist.py).
            # selimsef's pipeline has no tracks, so no track is left out for its detector's doubt
            # (faces.unsure_track_score, the default's): the same stages on both sides.
            flags = ["--model", default_face_model()[0], "--set", "faces.unsure_track_score=0"]
        ref_out = work / f"ref_{kind}.json"
        ref = measure([sys.executable, __file__, "--child", "reference", "--model-kind", kind, "--out", str(ref_out),
                       "--selimsef-repo", str(args.selimsef_repo), "--facenet-repo", str(args.facenet_repo),
                       "--fakeavceleb-repo", str(args.fakeavceleb_repo), "--shared", str(args.shared),
                       "--frames", str(args.frames), "--precision", args.precision, "--videos", *videos])
        if ref[2] != 0:
            print(ref[4], file=sys.stderr)
            return 2
        reference = json.loads(ref_out.read_text())
        ours = {}
        for workers in (1, 2):
            jsonl = work / f"{kind}_j{workers}.jsonl"
            run = measure([str(args.cli), "eval", "--labels", str(label_csv), "--root", str(data), *flags,
                           "-n", str(args.frames), "-j", str(workers), "--jsonl", str(jsonl),
                           "--set", f"classifier.precision={args.precision}",
                           "--json", str(work / f"{kind}_j{workers}_metrics.json")])
            if run[2] != 0:
                print(run[4], file=sys.stderr)
                return 2
            verdicts = {v["path"]: v for v in map(json.loads, jsonl.read_text().splitlines())}
            ours[workers] = (run, verdicts)

        size = spec["size"] if spec["weights"] else default_face_model()[2]
        print(f"\n== {spec['arch']}, {kind} weights ({spec['weights'] or 'shipped'}), input {size}, "
              f"{args.frames} frames, {args.precision}")
        header = (f"{'video':52s} {'frames':>6s} {'faces':>9s} {'ref p':>7s} {'libdfd p':>8s} {'|diff|':>7s} "
                  f"{'ref s':>6s} {'libdfd s':>8s} {'ratio':>6s}")
        print(header)
        print("-" * len(header))
        ref_scores, lib_scores, diffs, ref_secs, lib_secs, hd_ref, hd_lib = [], [], [], [], [], [], []
        classify_secs, hd_classify = [], []
        frames_equal = True
        for r, path, label in zip(reference, videos, labels):
            v = ours[1][1][path]
            same_frames = r["frames"] == v["frame_indices"]
            frames_equal &= same_frames
            lib_p = v["p_fake"] if v["status"] == "ok" else None
            diff = abs(r["score"] - lib_p) if r["score"] is not None and lib_p is not None else None
            lib_s = v["timings_ms"]["total"] / 1000
            ref_secs.append(r["seconds"])
            lib_secs.append(lib_s)
            classify_secs.append(v["timings_ms"].get("classify", 0) / 1000)
            info = dfd.VideoReader(path).info()
            if Path(path).relative_to(data / "videos").parts[0].startswith("dfdc_") and info.height == 1080 \
                    and info.duration <= 10.5:
                hd_ref.append(r["seconds"])
                hd_lib.append(lib_s)
                hd_classify.append(classify_secs[-1])
            # A video without faces on either side carries the no-face prior in both (0.5 here).
            ref_scores.append(r["score"] if r["score"] is not None else 0.5)
            lib_scores.append(v["p_fake"])
            if diff is not None:
                diffs.append(diff)
            fmt = lambda x: f"{x:.4f}" if x is not None else "none"  # noqa: E731
            name = str(Path(path).relative_to(data / "videos"))
            print(f"{name[:52]:52s} {'same' if same_frames else 'DIFF':>6s} {r['faces']:>4d}/{len(v['faces']):<4d} "
                  f"{fmt(r['score']):>7s} {fmt(lib_p):>8s} {fmt(diff):>7s} {r['seconds']:6.2f} {lib_s:8.2f} "
                  f"{r['seconds'] / lib_s:5.2f}x")
        ref_auc, lib_auc = auc(labels, ref_scores), auc(labels, lib_scores)
        (wall1, rss1, *_), _ = ours[1]
        (wall2, rss2, *_), _ = ours[2]
        print("-" * len(header))
        print(f"AUC: reference {ref_auc:.4f}, libdfd {lib_auc:.4f} (|diff| {abs(ref_auc - lib_auc):.2g}); "
              f"largest score difference {max(diffs):.2g}, median {statistics.median(diffs):.2g}; "
              f"sampled frames {'identical' if frames_equal else 'DIFFER'}")
        print(f"seconds per video (sum / n): reference {sum(ref_secs) / len(videos):.2f}, libdfd -j1 "
              f"{sum(lib_secs) / len(videos):.2f} ({sum(ref_secs) / sum(lib_secs):.2f}x), libdfd -j2 wall "
              f"{wall2 / len(videos):.2f} incl. start-up ({sum(ref_secs) / wall2:.2f}x)")
        if hd_ref:
            print(f"10 s 1080p DFDC videos ({len(hd_ref)}): reference {statistics.mean(hd_ref):.2f} s, libdfd -j1 "
                  f"{statistics.mean(hd_lib):.2f} s per video ({statistics.mean(hd_ref) / statistics.mean(hd_lib):.2f}x); "
                  f"the classifier {100 * sum(hd_classify) / sum(hd_lib):.0f} % of it")
        print(f"the classifier's share of libdfd's time over all videos: {100 * sum(classify_secs) / sum(lib_secs):.0f} %")
        print(f"whole runs: reference {ref[0]:.1f} s, peak RSS {ref[1]:.0f} MiB; libdfd -j1 {wall1:.1f} s, "
              f"{rss1:.0f} MiB; libdfd -j2 {wall2:.1f} s, {rss2:.0f} MiB")
        if max(diffs) > 0.02 or abs(ref_auc - lib_auc) > 0.02 or not frames_equal:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
