"""Detector.scan_many: many files -> a pandas DataFrame, with a progress bar."""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional

COLUMNS = ["path", "p_fake", "is_fake", "status", "faces", "identities", "video_p_fake", "audio_p_fake", "error",
           "total_ms"]


def _row(verdict) -> dict:
    d = verdict.to_dict()
    return {"path": d["path"], "p_fake": d["p_fake"], "is_fake": d["is_fake"], "status": d["status"],
            "faces": len(d["faces"]), "identities": len(d["identities"]), "video_p_fake": d["video_p_fake"],
            "audio_p_fake": d["audio_p_fake"], "error": d["error"], "total_ms": d["timings"]["total_ms"]}


def scan_many(self, paths: Iterable[str | os.PathLike], workers: int = 2, progress: bool = True,
              on_verdict: Optional[Callable] = None):
    """Scans every path and returns a DataFrame with one row per file, in the order given: path,
    p_fake, is_fake, status, faces, identities, video_p_fake, audio_p_fake, error, total_ms.

    ``workers`` files are in flight at once: the next file's decoding and face detection overlap
    the current one's classification (C++ threads; the GIL is released). A file that fails is a row
    with its status and error, and the run goes on. ``on_verdict(verdict)`` is called as each file
    finishes (in completion order) — e.g. to append it to your own log, so an interrupted run keeps
    what it computed. ``progress`` shows a tqdm bar (tqdm.auto: a widget in notebooks) when tqdm
    is installed."""
    import pandas as pd

    paths = [os.fspath(p) for p in paths]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(paths), unit="file")
        except ImportError:  # tqdm is optional
            bar = None
    verdicts = [None] * len(paths)

    def done(i, verdict):
        verdicts[i] = verdict
        if on_verdict is not None:
            on_verdict(verdict)
        if bar is not None:
            bar.update(1)

    try:
        self._scan_many(paths, workers, done)
    finally:
        if bar is not None:
            bar.close()
    return pd.DataFrame([_row(v) for v in verdicts], columns=COLUMNS)
