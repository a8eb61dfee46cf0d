#!/usr/bin/env python3
"""Per-source AUC, log loss and EER from `dfd eval --csv` files, as docs/models.md reports them.

    python scripts/per_source_report.py NAME=eval.csv [NAME=eval.csv ...]
    python scripts/per_source_report.py default=eval.csv folds=f0/eval.csv,f1/eval.csv,f2/eval.csv

A file's source is the folder under videos/, images/ or audio/ its path names
(videos/celebdf_v2_tonihantschmann/... -> celebdf_v2_tonihantschmann); rows also group into "all
videos", "all images" and "all". A file that failed (no p_fake) counts at 0.5, as a submission
would carry it. Prints one Markdown table per metric: a row per source, a column per CSV. The EER
is libdfd's (dfd.metrics.equal_error_rate, run with the package's Python).
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict


def source_of(path: str) -> tuple[str, str]:
    parts = path.replace("\\", "/").split("/")
    for kind in ("videos", "images", "audio"):
        if kind in parts:
            i = parts.index(kind)
            return kind, parts[i + 1] if i + 1 < len(parts) else "?"
    return "other", parts[-2] if len(parts) > 1 else "?"


def auc(labels: list[int], scores: list[float]) -> float | None:
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def log_loss(labels: list[int], scores: list[float]) -> float:
    eps = 1e-15
    return -sum(y * math.log(min(max(s, eps), 1 - eps)) + (1 - y) * math.log(1 - min(max(s, eps), 1 - eps))
                for y, s in zip(labels, scores)) / len(labels)


def eer(labels: list[int], scores: list[float]) -> float | None:
    from dfd.metrics import equal_error_rate

    return equal_error_rate(labels, scores) if 0 < sum(labels) < len(labels) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="NAME=verdicts.csv[,more.csv ...]")
    args = parser.parse_args()
    groups: dict[str, dict[str, tuple[list[int], list[float]]]] = defaultdict(dict)
    names = []
    for run in args.runs:
        name, paths = run.split("=", 1)
        names.append(name)
        rows = [row for path in paths.split(",") for row in csv.DictReader(open(path, newline=""))]
        for row in rows:
            kind, source = source_of(row["path"])
            score = float(row["p_fake"]) if row["p_fake"] else 0.5
            for key in (f"{kind}/{source}", f"all {kind}", "all"):
                labels, scores = groups[key].setdefault(name, ([], []))
                labels.append(int(row["truth"]))
                scores.append(score)
    order = sorted(groups, key=lambda k: (k == "all", k.startswith("all"), k))
    for metric, fn in (("AUC", auc), ("log loss", log_loss), ("EER", eer)):
        print(f"\n| source (real/fake) | " + " | ".join(f"{n} {metric}" for n in names) + " |")
        print("|---|" + "---|" * len(names))
        for key in order:
            first = next(iter(groups[key].values()))
            cells = []
            for n in names:
                labels, scores = groups[key].get(n, ([], []))
                value = fn(labels, scores) if labels else None
                cells.append("n/a" if value is None else f"{value:.3f}")
            label = f"**{key}**" if key.startswith("all") else key
            print(f"| {label} ({first[0].count(0)}/{first[0].count(1)}) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
