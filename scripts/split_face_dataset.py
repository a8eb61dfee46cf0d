#!/usr/bin/env python3
"""Split a prepared face dataset (dfd prepare's folder) in two by group, without copying crops.

    python scripts/split_face_dataset.py real_faces_ds --holdout 0.15 \
        --train real_faces_train --heldout real_faces_heldout
    python scripts/split_face_dataset.py dev_ds --folds 5 --fold 0 --train f0/train --heldout f0/heldout

Each group (identity; a file without one is its own group) goes wholly to one side, chosen by a
hash of its name, so the split does not depend on row order and a person's photos never straddle
it. With --folds K, the groups are shuffled by the seed and dealt round-robin into K folds (equal
in groups, whatever the hash would give a small set); fold --fold is held out, and the K runs
with --fold 0..K-1 hold out every group exactly once. Both outputs are dataset folders `dfd train` reads: their index.csv rows point at the source's
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


def group_of(row: dict) -> str:
    """A face row's group: its identity, or its source file when it names none."""
    return row["group"] or row["source"]


def fold_of_groups(groups: set[str], folds: int, seed: int) -> dict[str, int]:
    order = sorted(groups, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest())
    return {g: i % folds for i, g in enumerate(order)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--holdout", type=float, default=0.15, help="share of groups held out")
    parser.add_argument("--folds", type=int, default=0, help="K > 1: hold out one of K folds of groups instead")
    parser.add_argument("--fold", type=int, default=0, help="the fold held out, 0 <= fold < K")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--heldout", type=Path, required=True)
    args = parser.parse_args()
    with open(args.dataset / "index.csv", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    if args.folds == 1 or args.folds < 0 or (args.folds > 1 and not 0 <= args.fold < args.folds):
        parser.error(f"--folds must be 0 or > 1 and --fold in [0, folds), got {args.folds} and {args.fold}")
    groups = {group_of(r) for r in rows}
    if args.folds > 1:
        fold = fold_of_groups(groups, args.folds, args.seed)
        out_groups = {g for g in groups if fold[g] == args.fold}
    else:
        out_groups = {g for g in groups if held_out(g, args.holdout, args.seed)}
    sides = {args.train: [], args.heldout: []}
    for row in rows:
        sides[args.heldout if group_of(row) in out_groups else args.train].append(row)
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
