#!/usr/bin/env python3
"""A detector threshold from real files it never trained on: fit on one half, measured on the other.

    python scripts/calibrate_threshold.py heldout.csv --labels heldout/labels.csv --rate 0.08

heldout.csv is `dfd eval --csv` over real files only; labels.csv (path,label,group, as
scripts/split_face_dataset.py writes it) gives each file's group. Groups are halved by a hash of
their name: the threshold is the smallest one (in steps of 0.01) calling at most --rate of the
calibration half fake; the other half's false-alarm rate at it is the honest number.
"""

from __future__ import annotations

import argparse
import csv
import hashlib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("verdicts")
    parser.add_argument("--labels", required=True)
    parser.add_argument("--rate", type=float, default=0.08, help="false alarms allowed on the calibration half")
    args = parser.parse_args()
    groups = {r["path"]: r["group"] for r in csv.DictReader(open(args.labels, newline=""))}
    halves: tuple[list[float], list[float]] = ([], [])
    for row in csv.DictReader(open(args.verdicts, newline="")):
        if not row["p_fake"]:
            continue
        group = next((g for path, g in groups.items() if row["path"].endswith("/" + path) or row["path"] == path), row["path"])
        halves[hashlib.sha256(f"calibration:{group}".encode()).digest()[0] % 2].append(float(row["p_fake"]))
    calibration, test = halves

    def false_alarms(scores: list[float], t: float) -> float:
        return sum(p >= t for p in scores) / len(scores)

    threshold = next((t / 100 for t in range(1, 101) if false_alarms(calibration, t / 100) <= args.rate), 1.0)
    print(f"threshold {threshold:.2f}: calibration half {false_alarms(calibration, threshold):.4f} of {len(calibration)} "
          f"called fake, test half {false_alarms(test, threshold):.4f} of {len(test)} "
          f"(at 0.5: {false_alarms(test, 0.5):.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
