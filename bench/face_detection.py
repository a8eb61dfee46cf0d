#!/usr/bin/env python3
"""Face detection per frame: libdfd's BlazeFace (tiled), MTCNN and Haar against the Python references.

    .venv/bin/python bench/face_detection.py --blazeface-repo DIR --facenet-repo DIR [--frames 8] [--repeats 3]

The reference code is not part of this repository: pass checkouts (work trees) of
hollance/BlazeFace-PyTorch and timesler/facenet-pytorch (e.g. `git clone`, or
`git --git-dir=MIRROR archive HEAD | tar -x -C DIR`). Their weights come from ../shared/weights.

For every DFDC (1080p and portrait) and Celeb-DF video in ../shared/data/videos, `--frames` evenly
spaced frames are decoded once (dfd.VideoReader) and given to both sides:

  BlazeFace  the DFDC BlazeFace kernel's pipeline: overlapping square tiles of side min(h, w, 720),
             INTER_AREA to 128x128, hollance's predict_on_batch per video, tiles mapped back to the
             frame and merged by the same weighted NMS  vs  dfd.BlazeFace (input="tiles")
  MTCNN      selimsef's setting: the frame at half size (cv2 INTER_AREA, the same array for both),
             thresholds 0.85/0.95/0.95, facenet-pytorch detect_face  vs  dfd.Mtcnn
  Haar       dfd.HaarFaceDetector alone (its reference is OpenCV itself)

It prints median ms per frame over `--repeats` runs (interleaved), the ratio, how many frames got
a face, and how far the boxes differ (max |coordinate difference| in pixels over matched faces).
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

import dfd
from benchutil import timed
from dfd import convert

REPO = Path(__file__).resolve().parents[1]


# ---- the DFDC kernel's BlazeFace pipeline around hollance's model -------------------------------
def tiles_of(frame, max_tile=720):
    h, w = frame.shape[:2]
    side = min(h, w, max_tile)
    x_step, y_step = (w - side) // 2, (h - side) // 2
    rows = (h - side) // y_step + 1 if y_step > 0 else 1
    cols = (w - side) // x_step + 1 if x_step > 0 else 1
    return [(c * x_step, r * y_step, side) for r in range(rows) for c in range(cols)]


def reference_blazeface(net, frames):
    tiles, inputs = [], []
    for i, frame in enumerate(frames):
        for x, y, side in tiles_of(frame):
            inputs.append(cv2.resize(frame[y:y + side, x:x + side], (128, 128), interpolation=cv2.INTER_AREA))
            tiles.append((i, x, y, side))
    detections = net.predict_on_batch(np.stack(inputs))
    per_frame = [[] for _ in frames]
    for (i, x, y, side), d in zip(tiles, detections):
        if len(d) == 0:
            continue
        d = d.clone()
        d[:, [1, 3, 4, 6, 8, 10, 12, 14]] = d[:, [1, 3, 4, 6, 8, 10, 12, 14]] * side + x
        d[:, [0, 2, 5, 7, 9, 11, 13, 15]] = d[:, [0, 2, 5, 7, 9, 11, 13, 15]] * side + y
        per_frame[i].append(d)
    out = []
    for dets in per_frame:
        if not dets:
            out.append(np.zeros((0, 4), np.float32))
            continue
        merged = torch.cat(dets)
        faces = net._weighted_non_max_suppression(merged) if len(dets) > 1 else list(merged)
        out.append(np.array([[f[1], f[0], f[3], f[2]] for f in faces], np.float32))
    return out


def reference_mtcnn(detect_face, nets, frames):
    pnet, rnet, onet = nets
    with torch.no_grad():  # as MTCNN.detect calls it
        boxes, _ = detect_face(np.stack(frames), 20, pnet, rnet, onet, [0.85, 0.95, 0.95], 0.709, "cpu")
    return [np.asarray(b, np.float32)[:, :4] if len(b) else np.zeros((0, 4), np.float32) for b in boxes]


def ours(detector, frames):
    return [np.array([f.box for f in faces], np.float32).reshape(-1, 4) for faces in detector(frames)]


def box_difference(a_list, b_list):
    """Max |coordinate difference| over faces matched greedily by IoU > 0.5; count of unmatched."""
    worst, unmatched = 0.0, 0
    for a, b in zip(a_list, b_list):
        used = set()
        for box in a:
            best, best_iou = None, 0.5
            for j, other in enumerate(b):
                if j in used:
                    continue
                iw = min(box[2], other[2]) - max(box[0], other[0])
                ih = min(box[3], other[3]) - max(box[1], other[1])
                if iw <= 0 or ih <= 0:
                    continue
                inter = iw * ih
                iou = inter / ((box[2] - box[0]) * (box[3] - box[1]) + (other[2] - other[0]) * (other[3] - other[1]) - inter)
                if iou > best_iou:
                    best, best_iou = j, iou
            if best is None:
                unmatched += 1
            else:
                used.add(best)
                worst = max(worst, float(np.abs(box - b[best]).max()))
        unmatched += len(b) - len(used)
    return worst, unmatched



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blazeface-repo", type=Path, required=True, help="checkout of hollance/BlazeFace-PyTorch")
    parser.add_argument("--facenet-repo", type=Path, required=True, help="checkout of timesler/facenet-pytorch")
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared")))
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    dfd.configure_runtime()  # as the dfd command runs (dfd/runtime.hpp)

    sys.path.insert(0, str(args.blazeface_repo))
    sys.path.insert(0, str(args.facenet_repo))
    from blazeface import BlazeFace as HollanceBlazeFace  # noqa: E402 (the reference, from its checkout)
    from models.mtcnn import ONet, PNet, RNet  # noqa: E402
    from models.utils.detect_face import detect_face  # noqa: E402

    weights = args.shared / "weights"
    ref_blaze = HollanceBlazeFace()
    ref_blaze.load_weights(str(weights / "blazeface_hollance/blazeface.pth"))
    ref_blaze.load_anchors(str(weights / "blazeface_hollance/anchors.npy"))
    ref_nets = []
    for net_class, name in ((PNet, "pnet"), (RNet, "rnet"), (ONet, "onet")):
        net = net_class(pretrained=False)
        net.load_state_dict(torch.load(weights / f"mtcnn_facenet-pytorch/{name}.pt"))
        ref_nets.append(net.eval())

    models = Path(tempfile.mkdtemp(prefix="dfd_bench_"))
    convert.convert(weights / "blazeface_hollance/blazeface.pth", models / "blazeface.safetensors", "blazeface_front")
    convert.convert(weights / "mtcnn_facenet-pytorch", models / "mtcnn.safetensors", "mtcnn")
    our_blaze = dfd.BlazeFace(str(models / "blazeface.safetensors"))
    our_mtcnn = dfd.Mtcnn(str(models / "mtcnn.safetensors"), thresholds=(0.85, 0.95, 0.95))
    our_haar = dfd.HaarFaceDetector()

    root = args.shared / "data" / "videos"
    videos = sorted(p for p in root.rglob("*.mp4")
                    if p.relative_to(root).parts[0] in ("dfdc_icpr2020dfdc", "dfdc_train_sample_aaronchong888",
                                                         "celebdf_v2_tonihantschmann"))
    print(f"libdfd {dfd.__version__}, torch {torch.__version__}, {os.cpu_count()} cores, {args.frames} frames per "
          f"video, median of {args.repeats}; ms per frame")
    header = (f"{'video':46s} {'size':>9s} | {'blaze ref':>9s} {'libdfd':>7s} {'ratio':>6s} {'faces':>7s} {'Δpx':>6s} | "
              f"{'mtcnn ref':>9s} {'libdfd':>7s} {'ratio':>6s} {'faces':>7s} {'Δpx':>6s} | {'haar':>6s} {'faces':>5s}")
    print(header)
    print("-" * len(header))
    totals = {k: 0.0 for k in ("bref", "bours", "mref", "mours", "haar")}
    worst = {"blaze": (0.0, 0), "mtcnn": (0.0, 0)}
    n_frames = 0
    for video in videos:
        frames = list(dfd.VideoReader(str(video)).sample(args.frames))
        halves = [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA) for f in frames]
        t = {k: [] for k in totals}
        for _ in range(args.repeats):
            dt, ref_b = timed(reference_blazeface, ref_blaze, frames)
            t["bref"].append(dt)
            dt, our_b = timed(ours, our_blaze, frames)
            t["bours"].append(dt)
            dt, ref_m = timed(reference_mtcnn, detect_face, ref_nets, halves)
            t["mref"].append(dt)
            dt, our_m = timed(ours, our_mtcnn, halves)
            t["mours"].append(dt)
            dt, haar = timed(ours, our_haar, frames)
            t["haar"].append(dt)
        med = {k: statistics.median(v) * 1000 / len(frames) for k, v in t.items()}
        for k in totals:
            totals[k] += med[k] * len(frames)
        n_frames += len(frames)
        db = box_difference(our_b, ref_b)
        dm = box_difference(our_m, ref_m)
        worst["blaze"] = (max(worst["blaze"][0], db[0]), worst["blaze"][1] + db[1])
        worst["mtcnn"] = (max(worst["mtcnn"][0], dm[0]), worst["mtcnn"][1] + dm[1])
        got = lambda boxes: sum(1 for b in boxes if len(b))  # noqa: E731
        size = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
        print(f"{str(video.relative_to(root)):46s} {size:>9s} | {med['bref']:9.1f} {med['bours']:7.1f} "
              f"{med['bref'] / med['bours']:5.2f}x {got(our_b):3d}/{got(ref_b):<3d} {db[0]:6.3f} | "
              f"{med['mref']:9.1f} {med['mours']:7.1f} {med['mref'] / med['mours']:5.2f}x {got(our_m):3d}/{got(ref_m):<3d} "
              f"{dm[0]:6.3f} | {med['haar']:6.1f} {got(haar):5d}")
    print("-" * len(header))
    per = {k: v / n_frames for k, v in totals.items()}
    print(f"{'all ' + str(n_frames) + ' frames':46s} {'':>9s} | {per['bref']:9.1f} {per['bours']:7.1f} "
          f"{per['bref'] / per['bours']:5.2f}x {'':7s} {worst['blaze'][0]:6.3f} | {per['mref']:9.1f} {per['mours']:7.1f} "
          f"{per['mref'] / per['mours']:5.2f}x {'':7s} {worst['mtcnn'][0]:6.3f} | {per['haar']:6.1f}")
    print(f"faces found by one side only: BlazeFace {worst['blaze'][1]}, MTCNN {worst['mtcnn'][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
