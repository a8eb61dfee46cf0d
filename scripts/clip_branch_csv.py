#!/usr/bin/env python3
"""A `dfd eval --csv` file with each file's p_fake replaced by its clip models' score alone (the
verdict's clip_model_scores, from the same run's --jsonl), so scripts/per_source_report.py can
set the temporal model beside the whole pipeline (docs/models.md).

    python scripts/clip_branch_csv.py eval.csv eval.jsonl clips_only.csv

A file without clips (no face, an error) keeps an empty p_fake (counted at 0.5 by the report).
With several clip models their scores' mean is taken.
"""

import csv
import json
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    eval_csv, jsonl, out = sys.argv[1:]
    clip_scores = {}
    for line in open(jsonl):
        v = json.loads(line)
        scores = v.get("clip_model_scores") or []
        clip_scores[v["path"]] = sum(scores) / len(scores) if scores else None
    rows = list(csv.DictReader(open(eval_csv, newline="")))
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for row in rows:
            p = clip_scores.get(row["path"])
            row["p_fake"] = "" if p is None else f"{p:.9g}"
            w.writerow(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
