#!/usr/bin/env python3
"""Split a prepared face dataset (dfd prepare's folder) in two by group, without copying crops.

    python scripts/split_face_dataset.py real_faces_ds --holdout 0.15 \
        --train real_faces_train --heldout real_faces_heldout

Each group (identity; a file without one is its own group) goes wholly to one side, chosen by a
hash of its name, so the split does not depend on row order and a person's photos never straddle
it. Both outputs are dataset folders `dfd train` reads: their index.csv rows point at the source's
crops through a `faces` link, prepare.json is copied. The held-out side also gets `labels.csv`
(path,label,group of its source files) for `dfd eval` on the original media.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import sys
from pathlib import Path


def held_out(group: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--holdout", type=float, default=0.15, help="share of groups held out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--heldout", type=Path, required=True)
    args = parser.parse_args()
    with open(args.dataset / "index.csv", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    sides = {args.train: [], args.heldout: []}
    for row in rows:
        group = row["group"] or row["source"]
        sides[args.heldout if held_out(group, args.holdout, args.seed) else args.train].append(row)
    for out, chosen in sides.items():
        out.mkdir(parents=True, exist_ok=False)
        os.symlink(os.path.relpath((args.dataset / "faces").resolve(), out.resolve()), out / "faces")
        shutil.copy(args.dataset / "prepare.json", out / "prepare.json")
        with open(out / "index.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(chosen)
        print(f"{out}: {len(chosen)} faces, {len({r['group'] or r['source'] for r in chosen})} groups")
    with open(args.heldout / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "group"])
        first = {}  # a source's first row: its label and group
        for row in sides[args.heldout]:
            first.setdefault(row["source"], row)
        for source, row in first.items():
            writer.writerow([source, row["label"], row["group"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
