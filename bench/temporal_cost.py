#!/usr/bin/env python3
"""What a temporal model costs per video: the default preset with and without a clip model, and
the clip stage against the reference pipeline of that stage, on the same clips.

    .venv/bin/python bench/temporal_cost.py --tsm-repo DIR --clip-model tsm_mobilenet_v1:FILE \
        [--per-track 2] [--only SUBSTRING]

--tsm-repo is a checkout (work tree) of mit-han-lab/temporal-shift-module (its TemporalShift
module), not part of this repository. Every labelled video of ../shared/data/labels.csv is scanned:

  libdfd     dfd.Detector("default") and dfd.Detector("default" + the clip model beside its face
             model, clips.per_track), one file at a time; the clip model's cost is the difference of
             the verdicts' total_ms (its decode of the clips' frames, their cutting and the model).
  reference  the same clips (frames and boxes from the second verdict): the frames decoded with
             OpenCV (cv2.VideoCapture, read in order up to the last one needed, as the reference's
             demo reads a stream), each clip cut at its region (dfd.crop_region of its box, the
             default margin), resized as selimsef's isotropically_resize_image and centred, normalised as the file's
             preset says, and scored by the PyTorch TSN of bench/tsm_reference.py (the reference's
             TemporalShift around a Keras MobileNetV1) holding the same weights.

Printed per video: clips, seconds of the default scan, of the scan with clips, the clip stage
(libdfd's difference and the reference's), their ratio, and the largest p(fake) difference per
clip between the two sides; then the totals and the clip model's share of a scan.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import dfd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def reference_clip_stage(path: str, clips: list, net, preset: dict, size: int) -> tuple[float, list]:
    """Seconds to decode, cut and score `clips` (verdict clips) the reference's way; their p(fake)."""
    start = time.perf_counter()
    wanted = sorted({f for c in clips for f in c["frame_indices"]})
    frames = {}
    cap = cv2.VideoCapture(path)
    index = 0
    while index <= wanted[-1]:
        ok, bgr = cap.read()
        if not ok:
            break
        if index in wanted:
            frames[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        index += 1
    cap.release()
    mean = np.array(preset["mean"], np.float32) * 255
    std = np.array(preset["std"], np.float32) * 255
    batch = []
    for c in clips:
        h, w = frames[c["frame_indices"][0]].shape[:2]
        x, y, x2, y2 = dfd.crop_region(c["box"], (h, w))
        rw, rh = x2 - x, y2 - y
        clip = []
        for f in c["frame_indices"]:
            face = frames[f][y:y + rh, x:x + rw]
            scale = size / max(rw, rh)  # selimsef's isotropically_resize_image: truncated sides, area down, cubic up
            face = cv2.resize(face, (int(rw * scale), int(rh * scale)),
                              interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
            canvas = np.zeros((size, size, 3), np.uint8)
            oy, ox = (size - face.shape[0]) // 2, (size - face.shape[1]) // 2
            canvas[oy:oy + face.shape[0], ox:ox + face.shape[1]] = face
            clip.append(((canvas.astype(np.float32) - mean) / std).transpose(2, 0, 1))
        batch.append(np.stack(clip))
    with torch.no_grad():
        p = torch.sigmoid(net(torch.from_numpy(np.stack(batch)))[:, 0]).numpy()
    return time.perf_counter() - start, p.tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tsm-repo", type=Path, required=True)
    ap.add_argument("--clip-model", required=True, help="arch:weights of a tsm_mobilenet_v1 libdfd trained")
    ap.add_argument("--per-track", type=int, default=2)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    dfd.configure_runtime()
    torch.set_num_threads(dfd.num_threads())
    sys.path.insert(0, str(args.tsm_repo))
    from tsm_reference import mobilenet_v1_tsn

    arch, weights = args.clip_model.split(":", 1)
    if arch != "tsm_mobilenet_v1":
        raise SystemExit("the reference side is built for tsm_mobilenet_v1")
    from dfd import safetensors_io

    tensors, meta = safetensors_io.load(weights)
    preset = json.loads(meta["dfd.preset"])
    segments = json.loads(meta["dfd.model"])["segments"]
    net = mobilenet_v1_tsn(segments, 1)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    net.eval()

    plain = dfd.Detector(preset="default")
    face_models = [m for m in plain.params["models"] if not m.startswith("aasist")]  # the preset's face model
    audio_models = [m for m in plain.params["models"] if m.startswith("aasist")]
    temporal = dfd.Detector(preset="default", models=face_models + [args.clip_model] + audio_models,
                            **{"clips.per_track": args.per_track})
    rows = [r for r in csv.DictReader(open(SHARED / "data/labels.csv")) if r["path"].startswith("videos/")]
    rows = [r for r in rows if args.only in r["path"]]
    for d in (plain, temporal):  # oneDNN builds its kernels on the first file
        d.scan(str(SHARED / "data" / rows[0]["path"]))
    print(f"{'video':58s} clips  default  +clips  clip stage: libdfd  reference  ratio  max|dp|")
    totals = {"default": [], "temporal": [], "mine": [], "ref": []}
    diffs = []
    for r in rows:
        path = str(SHARED / "data" / r["path"])
        v0 = plain.scan(path)
        v1 = temporal.scan(path)
        clips = v1.to_dict().get("clips", [])
        if not clips:
            print(f"{r['path'][-58:]:58s} no clips ({v1.status})")
            continue
        t0, t1 = v0.to_dict()["timings_ms"]["total"] / 1e3, v1.to_dict()["timings_ms"]["total"] / 1e3
        t_ref, p_ref = reference_clip_stage(path, clips, net, preset, preset["size"])
        dp = max(abs(a - c["p_fake"]) for a, c in zip(p_ref, clips))
        diffs.append(dp)
        mine = max(t1 - t0, 1e-6)
        for k, v in (("default", t0), ("temporal", t1), ("mine", mine), ("ref", t_ref)):
            totals[k].append(v)
        print(f"{r['path'][-58:]:58s} {len(clips):5d} {t0:8.2f} {t1:7.2f} {mine:19.2f} {t_ref:10.2f} {t_ref / mine:6.2f}x "
              f"{dp:8.4f}")
    n = len(totals["default"])
    print(f"\n{n} videos: default {statistics.mean(totals['default']):.2f} s/video, with clips "
          f"{statistics.mean(totals['temporal']):.2f} s/video; clip stage libdfd {statistics.mean(totals['mine']):.2f} s, "
          f"reference {statistics.mean(totals['ref']):.2f} s, ratio {sum(totals['ref']) / sum(totals['mine']):.2f}x; "
          f"clip stage share of a scan {sum(totals['mine']) / sum(totals['temporal']):.0%}; "
          f"largest p(fake) difference {max(diffs):.4f}")


if __name__ == "__main__":
    main()
