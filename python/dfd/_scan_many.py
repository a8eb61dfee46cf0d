"""Detector.scan_many: many files -> a pandas DataFrame, with a progress bar and resumable CSV."""

from __future__ import annotations

import csv
import os
from typing import Callable, Iterable, Optional

COLUMNS = ["path", "p_fake", "is_fake", "status", "faces", "identities", "video_p_fake", "audio_p_fake", "error",
           "total_ms"]


def _row(verdict) -> dict:
    d = verdict.to_dict()
    return {"path": d["path"], "p_fake": d["p_fake"], "is_fake": d["is_fake"], "status": d["status"],
            "faces": len(d["faces"]), "identities": len(d["identities"]), "video_p_fake": d["video_p_fake"],
            "audio_p_fake": d["audio_p_fake"], "error": d["error"], "total_ms": d["timings"]["total_ms"]}


def _read_done(path: str) -> dict:
    """Rows a previous run wrote to the CSV, by path (the file may end in a half-written line)."""
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f) if r.get("path") and r.get("total_ms")}


def _ends_with_newline(path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def scan_many(self, paths: Iterable[str | os.PathLike], workers: int = 2, progress: bool = True,
              on_verdict: Optional[Callable] = None, csv_path: Optional[str | os.PathLike] = None):
    """Scans every path and returns a DataFrame with one row per file, in the order given: path,
    p_fake, is_fake, status, faces, identities, video_p_fake, audio_p_fake, error, total_ms.

    ``workers`` files are in flight at once: the next file's decoding and face detection overlap
    the current one's classification (C++ threads; the GIL is released). A file that fails is a row
    with its status and error, and the run goes on. ``on_verdict(verdict)`` is called as each file
    finishes (in completion order). ``csv_path``: each row is appended to this CSV as its file
    finishes, and a rerun scans only the paths the CSV does not hold yet (their rows come from the
    file) — so a notebook killed halfway loses only the files in flight. ``progress`` shows a tqdm
    bar (tqdm.auto: a widget in notebooks) when tqdm is installed."""
    import pandas as pd

    paths = [os.fspath(p) for p in paths]
    done = _read_done(os.fspath(csv_path)) if csv_path is not None else {}
    pending = [p for p in dict.fromkeys(paths) if p not in done]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(pending), unit="file")
        except ImportError:  # tqdm is optional
            bar = None
    writer, out = None, None
    if csv_path is not None:
        fresh = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
        cut_short = not fresh and not _ends_with_newline(csv_path)
        out = open(csv_path, "a", newline="")
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
        if cut_short:  # a killed run's half row: end it, so the next row starts on its own line
            out.write("\r\n")
        out.flush()
    rows = {}

    def finished(i, verdict):
        row = _row(verdict)
        rows[pending[i]] = row
        if writer is not None:
            writer.writerow(row)
            out.flush()
        if on_verdict is not None:
            on_verdict(verdict)
        if bar is not None:
            bar.update(1)

    try:
        self._scan_many(pending, workers, finished)
    finally:
        if bar is not None:
            bar.close()
        if out is not None:
            out.close()
    frame = pd.DataFrame([rows[p] if p in rows else done[p] for p in paths], columns=COLUMNS)
    # Rows read back from the CSV are text: give every column its type.
    for column, kind in (("p_fake", float), ("faces", int), ("identities", int), ("total_ms", float)):
        frame[column] = frame[column].astype(kind)
    frame["is_fake"] = frame["is_fake"].map(lambda x: x if isinstance(x, bool) else str(x) == "True")
    for column in ("video_p_fake", "audio_p_fake"):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    frame["error"] = frame["error"].fillna("")
    return frame
