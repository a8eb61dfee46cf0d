#!/usr/bin/env python3
"""A face model in fp32 and in bf16 (dfd/precision.hpp) over a prepared face dataset's crops: how
far apart their p(fake) are, how many cross a threshold, AUC and log loss when both labels occur,
and each one's time per face.

    .venv/bin/python scripts/compare_precision.py DATASET [--model mobilenet_v1:dfd-faces-v3.safetensors]
        [--threshold 0.61]

DATASET is what `dfd prepare` wrote (dfd.FaceDataset); each crop's content region is scored, as a
scan would score that face.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="mobilenet_v1:dfd-faces-v3.safetensors")
    parser.add_argument("--threshold", type=float, default=0.61)
    args = parser.parse_args()

    import dfd
    from sklearn.metrics import log_loss, roc_auc_score

    dfd.configure_runtime()
    faces = dfd.FaceDataset(args.dataset)
    crops, labels = [], []
    for i in range(len(faces)):
        x, y, w, h = faces[i]["content"]  # the face's region within the crop, as a scan feeds it
        crops.append(np.ascontiguousarray(faces.image(i)[y:y + h, x:x + w]))
        labels.append(faces[i]["label"])
    labels = np.array(labels)
    scores = {}
    for precision in ("fp32", "bf16"):
        classifier = dfd.Classifier(args.model, precision=precision)
        classifier.predict(crops[:32])  # warm-up: oneDNN builds its kernels on first use
        start = time.perf_counter()
        p = classifier.predict(crops)
        per_face = (time.perf_counter() - start) / len(crops)
        scores[precision] = p
        line = f"{precision}: {1000 * per_face:.1f} ms per face"
        if len(set(labels)) > 1:
            line += f", AUC {roc_auc_score(labels, p):.4f}, log loss {log_loss(labels, p.astype(np.float64)):.4f}"
        print(f"{line}, called fake at {args.threshold}: {100 * (p >= args.threshold).mean():.1f} %")
    apart = np.abs(scores["fp32"] - scores["bf16"])
    crossed = int(((scores["fp32"] >= args.threshold) != (scores["bf16"] >= args.threshold)).sum())
    print(f"{len(crops)} faces: p(fake) apart by {apart.mean():.3f} on average, {np.percentile(apart, 95):.3f} at the "
          f"95th percentile, {apart.max():.3f} at most; {crossed} cross {args.threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
