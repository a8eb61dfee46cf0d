#!/usr/bin/env python3
"""What the default preset makes of video recorded in ways its model never saw, as docs/models.md
reports: interlaced (a TV recording, flagged or re-encoded as progressive), HDR (a phone's HLG),
BT.709 (an HD camera's) or full range.

    python scripts/recoded_media.py --kind interlaced --labels dev_labels.csv --root ../shared/data --out recoded
    python scripts/recoded_media.py --kind baked_interlaced --labels dev_labels.csv --root ../shared/data --out recoded
    python scripts/recoded_media.py --kind hlg --labels dev_labels.csv --root ../shared/data --out recoded
    python scripts/recoded_media.py --kind bt709 --labels dev_labels.csv --root ../shared/data --out recoded
    python scripts/recoded_media.py --kind full_range --labels dev_labels.csv --root ../shared/data --out recoded

Writes, under --out/KIND, two copies of every video of a path,label CSV (images and audio are
skipped), made by FFmpeg from the same pictures:
  interlaced: `reference/` progressive (every other frame, libx264 CRF 18) and `recoded/` two
      frames woven into one (`tinterlace=interleave_top`) and field-coded, as a TV recording is —
      moving edges combed; the setting it tests is faces.video.deinterlace.
  baked_interlaced: the same, but `recoded/` encoded as progressive (no field coding, no flag):
      an interlaced source re-encoded without deinterlacing, the combing baked into every frame;
      the setting is still faces.video.deinterlace (combed frames are found by their rows).
  hlg: the first 8 s as `reference/` SDR (libx264 CRF 18) and `recoded/` HDR as phones record it
      (zscale to the HLG transfer and BT.2020 colours, 10-bit libx265 CRF 20); the setting it tests
      is faces.video.hdr_to_sdr.
  bt709: the first 8 s as `reference/` BT.601 limited range, unstated (what every reader assumes),
      and `recoded/` in BT.709's matrix, stated, as HD cameras and phones record; the setting it
      tests is faces.video.stated_colors.
  full_range: the same `reference/`, and `recoded/` full range, stated, in VP9 (whose decoder has
      no "J" pixel format to carry the range); the setting is faces.video.stated_colors.
Then scans the reference copies with the default preset, the recoded ones with it and with the
setting off, and prints per run: the AUC, the mean p(fake) of the real and the fake videos, how
many read fake at the preset's threshold, and how far p(fake) moved from the reference copy's.
Needs ffmpeg (with libx265, libvpx and zscale) on PATH.
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
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
# kind -> (setting, {copy: FFmpeg arguments after the input})
KINDS = {
    "interlaced": ("deinterlace", {
        "reference": ["-vf", "crop=iw:floor(ih/4)*4,framestep=2", *X264],
        "recoded": ["-vf", "crop=iw:floor(ih/4)*4,tinterlace=interleave_top", "-flags", "+ilme+ildct", *X264],
    }),
    "baked_interlaced": ("deinterlace", {
        "reference": ["-vf", "crop=iw:floor(ih/4)*4,framestep=2", *X264],
        "recoded": ["-vf", "crop=iw:floor(ih/4)*4,tinterlace=interleave_top", *X264],
    }),
    "hlg": ("hdr_to_sdr", {
        "reference": ["-t", "8", "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p", *X264],
        "recoded": ["-t", "8", "-vf", "crop=floor(iw/2)*2:floor(ih/2)*2,zscale=tin=bt709:min=bt709:pin=bt709:"
                    "t=arib-std-b67:m=bt2020nc:p=bt2020:r=tv,format=yuv420p10le",
                    "-c:v", "libx265", "-preset", "veryfast", "-crf", "20", "-x265-params",
                    "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc"],
    }),
    "bt709": ("stated_colors", {
        "reference": ["-t", "8", "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p", *X264],
        "recoded": ["-t", "8", "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p", *X264,
                    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"],
    }),
    "full_range": ("stated_colors", {
        "reference": ["-t", "8", "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p", *X264],
        "recoded": ["-t", "8", "-vf", "crop=floor(iw/2)*2:floor(ih/2)*2,scale=out_color_matrix=bt601:out_range=pc,"
                    "format=yuv420p", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", "18",
                    "-b:v", "0", "-color_range", "pc"],
    }),
}


def encode_copy(src: Path, dst: Path, args: list[str]) -> None:
    if dst.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-an", *args, str(dst)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", required=True, choices=sorted(KINDS))
    ap.add_argument("--labels", required=True, help="path,label CSV (1 = fake); images and audio are skipped")
    ap.add_argument("--root", required=True, help="directory the paths are relative to")
    ap.add_argument("--out", required=True, help="where the copies go (reused when present)")
    args = ap.parse_args()
    setting, recipes = KINDS[args.kind]

    copies: dict[str, list[str]] = {copy: [] for copy in recipes}
    labels: list[int] = []
    for row in csv.DictReader(open(args.labels, newline="")):
        src = Path(args.root) / row["path"]
        if src.suffix.lower() in AUDIO_SUFFIXES or cv2.haveImageReader(str(src)):
            continue
        for copy, recipe in recipes.items():
            dst = Path(args.out) / args.kind / copy / Path(row["path"]).with_suffix(".mp4")
            encode_copy(src, dst, recipe)
            copies[copy].append(str(dst))
        labels.append(int(row["label"]))

    dfd.configure_runtime()
    threshold = dfd.DetectorParams("default").to_dict()["threshold"]
    y = np.array(labels)
    real = y == 0
    reference: np.ndarray | None = None
    print(f"copy | faces.video.{setting} | AUC | mean p(fake) real / fake | called fake: real / fake | "
          "|p - reference|, mean / max")
    for copy, on in (("reference", True), ("recoded", True), ("recoded", False)):
        by_path: dict[str, float] = {}
        dfd.Detector(**{f"faces__video__{setting}": on}).scan_many(
            copies[copy], progress=False, on_verdict=lambda v: by_path.__setitem__(v.path, v.p_fake))
        p = np.array([by_path[path] for path in copies[copy]], dtype=np.float64)
        if reference is None:
            reference = p
        moved = np.abs(p - reference)
        print(f"{copy} | {str(on).lower()} | {dfd.metrics.roc_auc(y, p):.3f} | "
              f"{p[real].mean():.3f} / {p[~real].mean():.3f} | "
              f"{int((p[real] >= threshold).sum())} of {int(real.sum())} / {int((p[~real] >= threshold).sum())} of "
              f"{int((~real).sum())} | {moved.mean():.3f} / {moved.max():.3f}")


if __name__ == "__main__":
    main()
