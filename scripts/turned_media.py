#!/usr/bin/env python3
"""What the default preset makes of media turned on their side, as docs/models.md reports.

    python scripts/turned_media.py --labels dev_labels.csv --root ../shared/data --out turned [--seconds 4]

Writes, under --out, every file of a path,label CSV (videos and images) turned clockwise by 90,
180 and 270 degrees with no rotation tag — what a phone video looks like once an editor or an
upload strips the tag, or a photo without its EXIF orientation: videos cut to --seconds and
re-encoded by FFmpeg (libx264, the same encoding for the upright copy), images by OpenCV. Then
scans each copy with the default preset as it is (faces.orientation auto) and with
faces.orientation as_decoded, and prints per turn: how often auto turned the frames back, to
which angle, the AUC, the mean p(fake) of the real files, how many real files read fake at the
preset's threshold, and how far p(fake) moved from the upright copy's. Needs ffmpeg on PATH.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

import cv2
import numpy as np

import dfd

TURNS = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".m4a", ".ogg", ".opus"}
FFMPEG_TURN = {0: "null", 90: "transpose=1", 180: "hflip,vflip", 270: "transpose=2"}


def turn_copy(src: Path, dst: Path, degrees: int, seconds: float) -> None:
    if dst.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if cv2.haveImageReader(str(src)):
        image = cv2.imread(str(src), cv2.IMREAD_COLOR)
        cv2.imwrite(str(dst), image if TURNS[degrees] is None else cv2.rotate(image, TURNS[degrees]))
        return
    # FFmpeg applies a source's own rotation tag and writes none: the copy is turned in its pixels only
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-t", str(seconds),
                    "-vf", FFMPEG_TURN[degrees], "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                    str(dst)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True, help="path,label CSV (1 = fake); audio files are skipped")
    ap.add_argument("--root", required=True, help="directory the paths are relative to")
    ap.add_argument("--out", required=True, help="where the turned copies go (reused when present)")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each video copy")
    args = ap.parse_args()

    rows = list(csv.DictReader(open(args.labels, newline="")))
    files: dict[int, list[tuple[str, int]]] = {d: [] for d in TURNS}
    for row in rows:
        src = Path(args.root) / row["path"]
        if src.suffix.lower() in AUDIO_SUFFIXES:
            continue
        suffix = ".png" if cv2.haveImageReader(str(src)) else ".mp4"
        for degrees in TURNS:
            dst = Path(args.out) / f"turn{degrees}" / Path(row["path"]).with_suffix(suffix)
            turn_copy(src, dst, degrees, args.seconds)
            files[degrees].append((str(dst), int(row["label"])))

    dfd.configure_runtime()
    threshold = dfd.DetectorParams("default").to_dict()["threshold"]
    upright: dict[str, dict[str, float]] = {}
    print("orientation | turn | turned back by (files) | AUC | real mean p(fake) | real called fake | |p - upright|, mean / max")
    for orientation in ("auto", "as_decoded"):
        detector = dfd.Detector(faces__orientation=orientation)
        for degrees, items in files.items():
            by_path: dict[str, dfd.Verdict] = {}
            detector.scan_many([p for p, _ in items], progress=False, on_verdict=lambda v: by_path.__setitem__(v.path, v))
            verdicts = [by_path[p] for p, _ in items]
            p = np.array([v.p_fake for v in verdicts], dtype=np.float64)
            y = np.array([label for _, label in items])
            rotations: dict[int, int] = {}
            for v in verdicts:
                rotations[v.rotation] = rotations.get(v.rotation, 0) + 1
            names = [Path(path).relative_to(Path(args.out) / f"turn{degrees}").as_posix() for path, _ in items]
            if degrees == 0:
                upright[orientation] = dict(zip(names, p))
            moved = np.abs(p - np.array([upright[orientation][n] for n in names]))
            real = y == 0
            print(f"{orientation} | {degrees} | {dict(sorted(rotations.items()))} | {dfd.metrics.roc_auc(y, p):.3f} | "
                  f"{p[real].mean():.3f} | {int((p[real] >= threshold).sum())} of {int(real.sum())} | "
                  f"{moved.mean():.3f} / {moved.max():.3f}")


if __name__ == "__main__":
    main()
