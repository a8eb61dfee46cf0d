"""Detector.scan_many: many files -> a pandas DataFrame, with a progress bar and resumable CSV."""

from __future__ import annotations

import csv
import math
import os
from typing import Callable, Iterable, Optional

from ._dfd import InvalidArgument, repair_csv_tail

COLUMNS = ["path", "p_fake", "is_fake", "status", "faces", "identities", "video_p_fake", "audio_p_fake", "error",
           "total_ms"]
_SCORED = ("ok", "no_face")


def _written(path) -> str:
    """A path as libdfd writes it (dfd/utf8.hpp): bytes that are not UTF-8 as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _row(verdict) -> dict:
    d = verdict.to_dict()  # the JSON schema (dfd::to_json)
    return {"path": verdict.path, "p_fake": math.nan if d["p_fake"] is None else d["p_fake"],
            "is_fake": d.get("label") == "fake", "status": d["status"], "faces": len(d["faces"]),
            "identities": len(d["identities"]), "video_p_fake": d["video_p_fake"], "audio_p_fake": d["audio_p_fake"],
            "error": d.get("error", ""), "total_ms": d["timings_ms"]["total"]}


def _csv_row(row: dict) -> dict:
    """The row as text: the path escaped, a failed file's score empty (never a 0 read as "real")."""
    out = dict(row, path=_written(row["path"]))
    if out["p_fake"] is None or (isinstance(out["p_fake"], float) and math.isnan(out["p_fake"])):
        out["p_fake"] = ""
    return out


def _resume(path: str, retry_failed: bool) -> dict:
    """Rows a previous run wrote to the CSV, by written path. A row cut short by a killed run is cut
    off the file (that file is scanned again); with retry_failed the rows of failed files are
    removed from it (rewritten beside it, then renamed over it) so those files are scanned again."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return {}
    repair_csv_tail(path)
    with open(path, newline="", encoding="utf-8", errors="backslashreplace") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise InvalidArgument(f"{path}: not a CSV scan_many wrote (columns {reader.fieldnames}, expected {COLUMNS}); "
                             "refusing to append to it")
        rows = [r for r in reader if r.get("path") and r.get("total_ms")]
    kept = [r for r in rows if not (retry_failed and r["status"] not in _SCORED)]
    if len(kept) != len(rows):
        tmp = path + ".tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(kept)
        os.replace(tmp, path)
    return {r["path"]: r for r in kept}


def scan_many(self, paths: Iterable[str | bytes | os.PathLike], workers: int = 2, progress: bool = True,
              on_verdict: Optional[Callable] = None, csv_path: Optional[str | os.PathLike] = None,
              retry_failed: bool = False):
    """Scans every path and returns a DataFrame with one row per file, in the order given: path,
    p_fake, is_fake, status, faces, identities, video_p_fake, audio_p_fake, error, total_ms.

    Paths may be str, bytes or os.PathLike, with any bytes in their names; the DataFrame's path is
    the str os.fsdecode gives (the str you passed). ``workers`` files are in flight at once: the next
    file's decoding and face detection overlap the current one's classification (C++ threads; the GIL
    is released). A file that fails is a row with its status and error and p_fake NaN (it has no
    score), and the run goes on. ``on_verdict(verdict)`` is called as each file finishes (in
    completion order). ``csv_path``: each row is appended to this CSV as its file finishes (paths
    whose bytes are not UTF-8 written with \\xNN escapes, a failed file's p_fake empty), and a rerun
    scans only the paths the CSV does not hold yet (their rows come from the file) — so a notebook
    killed halfway loses only the files in flight; a row cut short by the kill is removed and that
    file scanned again. ``retry_failed``: a rerun also scans the files whose rows say they failed
    (a transient I/O error), replacing those rows. ``progress`` shows a tqdm bar (tqdm.auto: a
    widget in notebooks) when tqdm is installed."""
    import pandas as pd

    given = [os.fsdecode(os.fspath(p)) for p in paths]
    csv_path = os.fspath(csv_path) if csv_path is not None else None
    done = _resume(csv_path, retry_failed) if csv_path is not None else {}
    pending = [p for p in dict.fromkeys(given) if _written(p) not in done]
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
        out = open(csv_path, "a", newline="", encoding="utf-8")
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
        out.flush()
    rows = {}

    def finished(i, verdict):
        row = _row(verdict)
        row["path"] = pending[i]  # the str the caller gave, whatever its bytes
        rows[pending[i]] = row
        if writer is not None:
            writer.writerow(_csv_row(row))
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
    frame = pd.DataFrame([rows[p] if p in rows else dict(done[_written(p)], path=p) for p in given], columns=COLUMNS)
    # Rows read back from the CSV are text: give every column its type ("" and None become NaN).
    for column in ("p_fake", "video_p_fake", "audio_p_fake", "total_ms"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("faces", "identities"):
        frame[column] = frame[column].astype(int)
    frame["is_fake"] = frame["is_fake"].map(lambda x: x if isinstance(x, bool) else str(x) == "True")
    frame["error"] = frame["error"].fillna("")
    return frame
