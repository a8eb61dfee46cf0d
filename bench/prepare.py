#!/usr/bin/env python3
"""Dataset preparation throughput: dfd.prepare against decoding + detecting + cropping with the
Python references, on the same videos.

    .venv/bin/python bench/prepare.py --facenet-repo DIR [--frames 32] [--size 256] [--workers 1 2]

--facenet-repo is a checkout (work tree) of timesler/facenet-pytorch, not part of this repository;
its MTCNN weights come from ../shared/weights. The videos are every .mp4 under
../shared/data/videos.

  reference  per video: cv2.VideoCapture decodes the --frames evenly spaced frames (grab to each,
             retrieve it), each frame at half size (cv2 INTER_AREA), facenet-pytorch detect_face
             with the dfdc_selimsef preset's thresholds, every face cut with the selimsef margin
             (a third of the box on each side), resized so its long side is --size (INTER_AREA),
             padded square and written as PNG — selimsef's extraction, no landmarks
  libdfd     dfd.prepare with the dfdc_selimsef preset: the same, plus 68 dlib landmarks per face
             (and once more without them, landmarks=False, for the like-for-like number), with
             --workers files at once

It prints seconds for the whole set, videos per second and the ratio reference / libdfd.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import dfd
from dfd import convert

REPO = Path(__file__).resolve().parents[1]


def reference_prepare(videos, frames, size, nets, detect_face, thresholds, out):
    pnet, rnet, onet = nets
    faces = 0
    for k, video in enumerate(videos):
        capture = cv2.VideoCapture(str(video))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        wanted = set(np.linspace(0, count - 1, frames, dtype=int).tolist())
        images = []
        for i in range(count):
            if not capture.grab():
                break
            if i in wanted:
                ok, frame = capture.retrieve()
                if ok:
                    images.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        capture.release()
        if not images:
            continue
        halves = [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA) for f in images]
        with torch.no_grad():
            boxes, _ = detect_face(np.stack(halves), 20, pnet, rnet, onet, thresholds, 0.709, "cpu")
        for j, (frame, found) in enumerate(zip(images, boxes)):
            for n, box in enumerate(np.asarray(found).reshape(-1, 5)[:, :4] * 2):
                x1, y1, x2, y2 = [int(v) for v in box]
                w, h = x2 - x1, y2 - y1
                pw, ph = w // 3, h // 3
                crop = frame[max(y1 - ph, 0):y2 + ph, max(x1 - pw, 0):x2 + pw]
                if crop.size == 0:
                    continue
                scale = size / max(crop.shape[:2])
                crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale))),
                                  interpolation=cv2.INTER_AREA)
                square = np.zeros((size, size, 3), np.uint8)
                y, x = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
                square[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
                cv2.imwrite(str(out / f"{k}_{j}_{n}.png"), cv2.cvtColor(square, cv2.COLOR_RGB2BGR))
                faces += 1
    return faces


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facenet-repo", type=Path, required=True, help="checkout of timesler/facenet-pytorch")
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared")))
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sys.path.insert(0, str(args.facenet_repo))
    from models.mtcnn import ONet, PNet, RNet  # noqa: E402 (the reference, from its checkout)
    from models.utils.detect_face import detect_face  # noqa: E402

    dfd.configure_runtime()
    weights = args.shared / "weights"
    nets = []
    for net_class, name in ((PNet, "pnet"), (RNet, "rnet"), (ONet, "onet")):
        net = net_class(pretrained=False)
        net.load_state_dict(torch.load(weights / f"mtcnn_facenet-pytorch/{name}.pt"))
        nets.append(net.eval())
    videos = sorted((args.shared / "data/videos").rglob("*.mp4"))
    params = dfd.DetectorParams("dfdc_selimsef", frames=args.frames)
    thresholds = list(params.mtcnn.thresholds)
    print(f"libdfd {dfd.__version__}, torch {torch.__version__}, {os.cpu_count()} cores, {len(videos)} videos, "
          f"{args.frames} frames each, crops {args.size}px, MTCNN thresholds {thresholds}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        convert.convert(weights / "mtcnn_facenet-pytorch", tmp / "mtcnn.safetensors", "mtcnn")
        params.face_weights = str(tmp / "mtcnn.safetensors")
        (tmp / "ref").mkdir()
        start = time.perf_counter()
        faces = reference_prepare(videos, args.frames, args.size, nets, detect_face, thresholds, tmp / "ref")
        reference = time.perf_counter() - start
        print(f"{'reference (1 process)':34s} {reference:7.1f} s  {len(videos) / reference:5.2f} videos/s  {faces} faces")
        rows = [(str(v), 0) for v in videos]
        for landmarks in (True, False):
            for workers in args.workers:
                out = tmp / f"dfd_{landmarks}_{workers}"
                start = time.perf_counter()
                s = dfd.prepare(rows, out, params, size=args.size, landmarks=landmarks, workers=workers, progress=False)
                ours = time.perf_counter() - start
                what = f"libdfd, {workers} worker{'s' if workers > 1 else ''}{'' if landmarks else ', no landmarks'}"
                print(f"{what:34s} {ours:7.1f} s  {len(videos) / ours:5.2f} videos/s  {s['faces']} faces   "
                      f"ratio {reference / ours:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
