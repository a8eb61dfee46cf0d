#!/usr/bin/env python3
"""Give a labels CSV a group per identity, from the public datasets' file-naming conventions.

    python scripts/identity_groups.py labels.csv > labels_by_identity.csv

Folds that keep a person on one side need a group per person, and the usual labels name none:
a fake shares its face or its scene with the real video it was made from (Celeb-DF `id16_id6_0012`
from `id16_0012` with id6's face; FaceForensics++ `004_982` from `004` with 982's face; a DFDC
face crop `abofeumbvv-008-00` or frame `mqzvfufzoq_fr0` from the video `abofeumbvv`). Every
file's identity tokens are read from its name and files sharing a token are joined (union-find),
so a group is everything linked to a person or a source video. A name that follows none of these
conventions is its own group (its file stem). Output: path,label,group with the input's other
columns dropped; rows in the input's order.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import PurePosixPath

CELEBDF_FAKE = re.compile(r"^(id\d+)_(id\d+)_\d+$")  # target's video, source's face
CELEBDF_REAL = re.compile(r"^(id\d+)_\d+$")
FFPP_FAKE = re.compile(r"^(\d{3})_(\d{3})$")  # target's video, source's face
FFPP_REAL = re.compile(r"^(\d{3})$")
DFDC_ID = re.compile(r"(?:^|_)([a-z]{10})(?:[._-]|$)")  # DFDC names a video with 10 lowercase letters


def identity_tokens(path: str) -> list[str]:
    parts = PurePosixPath(path.replace("\\", "/"))
    stem = parts.name.split(".")[0]
    folder = "/".join(parts.parts[:-1]).lower()
    if "celeb" in folder:
        if m := CELEBDF_FAKE.match(stem):
            return [f"celebdf:{m[1]}", f"celebdf:{m[2]}"]
        if m := CELEBDF_REAL.match(stem):
            return [f"celebdf:{m[1]}"]
    if "ffpp" in folder or "faceforensics" in folder:
        if m := FFPP_FAKE.match(stem):
            return [f"ffpp:{m[1]}", f"ffpp:{m[2]}"]
        if m := FFPP_REAL.match(stem):
            return [f"ffpp:{m[1]}"]
    if "dfdc" in folder and (m := DFDC_ID.search(parts.name)):
        return [f"dfdc:{m[1]}"]
    return [f"file:{parts.stem}"]


class UnionFind:
    """Groups of tokens; a group is named by its token seen first, so one input gives one naming."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.seen: dict[str, int] = {}  # token -> when first seen

    def find(self, x: str) -> str:
        if x not in self.parent:
            self.parent[x] = x
            self.seen[x] = len(self.seen)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            first, second = (ra, rb) if self.seen[ra] < self.seen[rb] else (rb, ra)
            self.parent[second] = first


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    tokens = [identity_tokens(r["path"]) for r in rows]
    groups = UnionFind()
    for t in tokens:
        for other in t[1:]:
            groups.union(t[0], other)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["path", "label", "group"])
    for r, t in zip(rows, tokens):
        out.writerow([r["path"], r["label"], groups.find(t[0])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
