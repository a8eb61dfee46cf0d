#!/usr/bin/env python3
"""Sampling 32 frames per video: libdfd against the Python pipelines, in one run.

    .venv/bin/python bench/video_sampling.py [--repeats 5] [--frames 32]

For every DFDC and Celeb-DF video in ../shared/data/videos it times, interleaved per repetition
(so a noisy neighbour hits all three alike), and reports the median seconds per video:

  grab/retrieve  selimsef's kernel_utils.VideoReader: OpenCV grab() every frame up to the last
                 index, retrieve() + BGR→RGB only the chosen ones (the reference; exact frames)
  cv2 seek       OpenCV with CAP_PROP_POS_FRAMES before each read (the usual shortcut)
  libdfd         dfd.VideoReader(path).sample(n)  (open, index, decode, RGB)

and checks libdfd's frames are identical to grab/retrieve's, and whether cv2 seek's are.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np

import dfd
from benchutil import timed

REPO = Path(__file__).resolve().parents[1]


def grab_retrieve(path: str, n: int) -> np.ndarray:
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    indices = np.linspace(0, count - 1, n, endpoint=True, dtype=int)
    wanted = set(indices.tolist())
    frames = {}
    for i in range(indices[0], indices[-1] + 1):
        if not capture.grab():
            break
        if i in wanted:
            ok, frame = capture.retrieve()
            if ok:
                frames[i] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    capture.release()
    return np.stack([frames[i] for i in indices])


def cv2_seek(path: str, n: int) -> np.ndarray:
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    out = []
    for i in np.linspace(0, count - 1, n, endpoint=True, dtype=int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(i))
        ok, frame = capture.read()
        out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if ok else None)
    capture.release()
    if any(f is None for f in out):
        return None
    return np.stack(out)


def libdfd(path: str, n: int) -> np.ndarray:
    return dfd.VideoReader(path).sample(n)



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", default=os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared"), type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=32)
    args = parser.parse_args()

    root = args.shared / "data" / "videos"
    videos = sorted(p for p in root.rglob("*.mp4") if p.relative_to(root).parts[0].startswith(("dfdc", "celebdf")))
    if not videos:
        print(f"no videos under {root}", file=sys.stderr)
        return 1
    print(f"libdfd {dfd.__version__}, OpenCV {cv2.__version__}, {os.cpu_count()} cores, "
          f"{args.frames} frames per video, median of {args.repeats}")
    header = f"{'video':52s} {'frames':>6s} {'grab/retr s':>11s} {'cv2 seek s':>10s} {'libdfd s':>9s} " \
             f"{'vs grab':>8s} {'vs seek':>8s}  frames equal (libdfd, seek)"
    print(header)
    print("-" * len(header))
    totals = {"grab": 0.0, "seek": 0.0, "dfd": 0.0}
    ratios = []
    all_equal = True
    for video in videos:
        path = str(video)
        times = {"grab": [], "seek": [], "dfd": []}
        reference = seek_frames = ours = None
        for _ in range(args.repeats):
            t, reference = timed(grab_retrieve, path, args.frames)
            times["grab"].append(t)
            t, seek_frames = timed(cv2_seek, path, args.frames)
            times["seek"].append(t)
            t, ours = timed(libdfd, path, args.frames)
            times["dfd"].append(t)
        med = {k: statistics.median(v) for k, v in times.items()}
        for k in totals:
            totals[k] += med[k]
        ours_equal = np.array_equal(ours, reference)
        seek_equal = seek_frames is not None and np.array_equal(seek_frames, reference)
        all_equal = all_equal and ours_equal
        ratios.append(med["grab"] / med["dfd"])
        count = dfd.VideoReader(path).info().frame_count
        print(f"{str(video.relative_to(root)):52s} {count:6d} {med['grab']:11.3f} {med['seek']:10.3f} "
              f"{med['dfd']:9.3f} {med['grab'] / med['dfd']:7.2f}x {med['seek'] / med['dfd']:7.2f}x  "
              f"{'yes' if ours_equal else 'NO'}, {'yes' if seek_equal else 'no'}")
    geo = float(np.exp(np.mean(np.log(ratios))))
    print("-" * len(header))
    print(f"{'total':52s} {'':6s} {totals['grab']:11.3f} {totals['seek']:10.3f} {totals['dfd']:9.3f} "
          f"{totals['grab'] / totals['dfd']:7.2f}x {totals['seek'] / totals['dfd']:7.2f}x")
    print(f"geometric mean speed-up over grab/retrieve: {geo:.2f}x; libdfd frames identical to the reference: "
          f"{'all' if all_equal else 'NOT ALL'}")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
