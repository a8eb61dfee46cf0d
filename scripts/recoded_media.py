#!/usr/bin/env python3
"""What the default preset makes of interlaced video, as docs/models.md reports.

    python scripts/interlaced_media.py --labels dev_labels.csv --root ../shared/data --out interlaced

Writes, under --out, two copies of every video of a path,label CSV (images and audio are skipped),
encoded alike by FFmpeg (libx264, CRF 18, height cut to a multiple of 4): `interlaced/`, each two
frames woven into one (`tinterlace=interleave_top`: the top field from the first, the bottom from
the second) and field-coded, as a TV recording is — moving edges combed; and `progressive/`, the
frames the top fields came from (every other one), so both copies hold the same pictures at the
same rate. Then scans the progressive copies with the default preset, the interlaced ones with
it (faces.video.deinterlace: one field a frame) and with the fields woven
(faces.video.deinterlace=false), and prints per setting: the AUC, the mean p(fake) of the real and
the fake videos, how many read fake at the preset's threshold, and how far p(fake) moved from the
progressive copy's. Needs ffmpeg on PATH.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

import cv2
import numpy as np

import dfd

AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".m4a", ".ogg", ".opus"}
FILTERS = {
    "progressive": "crop=iw:floor(ih/4)*4,framestep=2",
    "interlaced": "crop=iw:floor(ih/4)*4,tinterlace=interleave_top",
}


def encode_copy(src: Path, dst: Path, kind: str) -> None:
    if dst.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    field_coding = ["-flags", "+ilme+ildct"] if kind == "interlaced" else []
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-vf", FILTERS[kind], "-an",
                    *field_coding, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(dst)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", required=True, help="path,label CSV (1 = fake); images and audio are skipped")
    ap.add_argument("--root", required=True, help="directory the paths are relative to")
    ap.add_argument("--out", required=True, help="where the copies go (reused when present)")
    args = ap.parse_args()

    copies: dict[str, list[str]] = {kind: [] for kind in FILTERS}
    labels: list[int] = []
    for row in csv.DictReader(open(args.labels, newline="")):
        src = Path(args.root) / row["path"]
        if src.suffix.lower() in AUDIO_SUFFIXES or cv2.haveImageReader(str(src)):
            continue
        for kind in FILTERS:
            dst = Path(args.out) / kind / Path(row["path"]).with_suffix(".mp4")
            encode_copy(src, dst, kind)
            copies[kind].append(str(dst))
        labels.append(int(row["label"]))

    dfd.configure_runtime()
    threshold = dfd.DetectorParams("default").to_dict()["threshold"]
    y = np.array(labels)
    real = y == 0
    reference: np.ndarray | None = None
    print("copy | faces.video.deinterlace | AUC | mean p(fake) real / fake | called fake: real / fake | "
          "|p - progressive|, mean / max")
    for kind, deinterlace in (("progressive", True), ("interlaced", True), ("interlaced", False)):
        by_path: dict[str, float] = {}
        dfd.Detector(faces__video__deinterlace=deinterlace).scan_many(
            copies[kind], progress=False, on_verdict=lambda v: by_path.__setitem__(v.path, v.p_fake))
        p = np.array([by_path[path] for path in copies[kind]], dtype=np.float64)
        if reference is None:
            reference = p
        moved = np.abs(p - reference)
        print(f"{kind} | {str(deinterlace).lower()} | {dfd.metrics.roc_auc(y, p):.3f} | "
              f"{p[real].mean():.3f} / {p[~real].mean():.3f} | "
              f"{int((p[real] >= threshold).sum())} of {int(real.sum())} / {int((p[~real] >= threshold).sum())} of "
              f"{int((~real).sum())} | {moved.mean():.3f} / {moved.max():.3f}")


if __name__ == "__main__":
    main()
