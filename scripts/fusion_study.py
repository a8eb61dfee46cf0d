"""Embedding fusion against late fusion on audio-visual pairs made from the dev set.

The dev set has almost no video with sound (3, all fake), so this builds FakeAVCeleb's four
categories from it: each dev video muxed with each dev audio clip of the same fold (real video +
real audio is real; a fake video or a fake voice makes the file fake). Videos and clips are dealt
into three folds by label (and clip source), a real video and the fakes made from it (one
identity) together, so a held-out fold's files share no person's face and no voice recording with
the training folds. Per fold: `dfd prepare --embeddings` once over all pairs
(the default preset's face model and AASIST-L), then fusion_mlp trained on the two other folds
(validated, and its best epoch chosen, on the held-out one: an optimistic pick) and scored on it, beside the late-fusion rules on the same files (max, the default
preset's; logit, fitted by fit_late_fusion on the training folds) and each branch alone.

    .venv/bin/python scripts/fusion_study.py --work /tmp/fusion_study [--shared ../shared]

Prints one JSON line per rule with its pooled AUC and log loss over the held-out folds. A
constructed set: real pairings of a face and a voice that never met; the numbers say whether the
pieces work together, not how a fusion does on real audio-visual fakes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
from pathlib import Path

import numpy as np

import dfd
from dfd.metrics import log_loss, roc_auc

FOLDS = 3


def deal(rows: list[dict], key, group=lambda r: r["path"]) -> dict[str, int]:
    """Each row's fold: groups (rows that must stay together) sorted by (key of their first row, name)
    and dealt round-robin, so each fold gets its share of each kind."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(group(r), []).append(r)
    ordered = sorted(groups.items(), key=lambda g: (key(g[1][0]), g[0]))
    return {r["path"]: i % FOLDS for i, (_, members) in enumerate(ordered) for r in members}


def identity(row: dict) -> str:
    """Who a video shows: a Celeb-DF or FF++ fake shares its target's identity with the real video it
    was made from (id16_0012 and id16_id6_0012; 004 and 004_982), so the two stay in one fold."""
    stem = Path(row["path"]).stem
    if "celebdf" in row["path"]:
        return row["path"].split("/")[1] + "/" + stem.split("_")[0]
    if "ffpp" in row["path"]:
        return row["path"].split("/")[1] + "/" + stem.split("_")[0]
    return row["path"]


def mux(video: Path, audio: Path, out: Path) -> None:
    if out.exists():
        return
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-i", str(audio), "-map", "0:v:0",
                    "-map", "1:a:0", "-t", "8", "-shortest", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", str(out)],
                   check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("DFD_SHARED_DIR", "../shared")))
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-2)
    args = ap.parse_args()
    dfd.configure_runtime()
    data = args.shared / "data"
    with open(data / "labels.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    videos = [r for r in rows if r["path"].startswith("videos/")]
    clips = [r for r in rows if r["path"].startswith("audio/")]
    video_fold = deal(videos, lambda r: r["label"], identity)
    clip_fold = deal(clips, lambda r: (r["label"], r["path"].split("/")[1]))

    pairs_dir = args.work / "pairs"
    pairs_dir.mkdir(parents=True, exist_ok=True)
    labels = []
    for v in videos:
        for c in clips:
            if video_fold[v["path"]] != clip_fold[c["path"]]:
                continue
            name = f"{Path(v['path']).stem}__{Path(c['path']).stem}.mp4"
            mux(data / v["path"], data / c["path"], pairs_dir / name)
            label = int(v["label"] == "1" or c["label"] == "1")
            labels.append((str(pairs_dir / name), label, f"fold{video_fold[v['path']]}"))
    print(json.dumps({"pairs": len(labels), "real": sum(1 for _, y, _ in labels if y == 0)}), flush=True)

    emb_dir = args.work / "embeddings"
    print(json.dumps(dfd.prepare(labels, emb_dir, embeddings=True, progress=False)), flush=True)
    ds = dfd.EmbeddingDataset(emb_dir)
    y = np.array([ds[i]["label"] for i in range(len(ds))])
    group = [ds[i]["group"] for i in range(len(ds))]
    p_video = np.array([ds[i]["video_p_fake"] for i in range(len(ds))], dtype=np.float32)
    p_audio = np.array([ds[i]["audio_p_fake"] for i in range(len(ds))], dtype=np.float32)
    x = np.stack([ds.vector(i) for i in range(len(ds))])

    scores = {name: np.zeros(len(ds)) for name in ("video", "audio", "max", "logit_fitted", "fusion_mlp")}
    for k in range(FOLDS):
        test = np.array([g == f"fold{k}" for g in group])
        train = ~test
        run = args.work / f"run{k}"
        history = dfd.train(ds.subset(np.flatnonzero(train).tolist()), run, validation=ds.subset(np.flatnonzero(test).tolist()),
                            epochs=args.epochs, batch_size=16, lr=args.lr, weight_decay=args.weight_decay, seed=1,
                            progress=False)
        clf = dfd.Classifier("fusion_mlp:" + history.attrs["best_weights"])
        scores["fusion_mlp"][test] = clf.predict(x[test])
        scores["video"][test] = p_video[test]
        scores["audio"][test] = p_audio[test]
        scores["max"][test] = np.maximum(p_video[test], p_audio[test])
        fitted = dfd.fit_late_fusion(p_video[train], p_audio[train], y[train])
        scores["logit_fitted"][test] = [fitted(float(a), float(b)) for a, b in zip(p_video[test], p_audio[test])]
        fold_auc = {name: round(roc_auc(y[test], p[test]), 3) for name, p in scores.items()}
        print(json.dumps({"fold": k, "files": int(test.sum()), "real": int((y[test] == 0).sum()),
                          "best_epoch": int(history.attrs["best_epoch"]), "auc": fold_auc}), flush=True)
    for name, p in scores.items():
        print(json.dumps({"rule": name, "auc": roc_auc(y, p), "log_loss": log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)),
                          "files": len(y), "fake": int(y.sum())}), flush=True)


if __name__ == "__main__":
    main()
