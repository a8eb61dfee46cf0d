"""Detector.scan_many: many files -> a pandas DataFrame, with a progress bar."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterable


def scan_many(self, paths: Iterable[str], workers: int = 1, progress: bool = True):
    """Scans every path (``workers`` at a time: each scan releases the GIL) and returns a DataFrame
    with one row per file, in the order given: path, p_fake, is_fake, status, faces, identities,
    error, total_ms. A file that fails is a row with its status and error; the others go on."""
    import pandas as pd

    paths = [str(p) for p in paths]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(paths), unit="file")
        except ImportError:  # tqdm is optional
            bar = None

    def one(path):
        verdict = self.scan(path)
        if bar is not None:
            bar.update(1)
        return verdict

    if workers <= 1:
        verdicts = [one(p) for p in paths]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            verdicts = list(pool.map(one, paths))
    if bar is not None:
        bar.close()
    rows = []
    for v in verdicts:
        d = v.to_dict()
        rows.append({"path": d["path"], "p_fake": d["p_fake"], "is_fake": d["is_fake"], "status": d["status"],
                     "faces": len(d["faces"]), "identities": len(d["identities"]), "error": d["error"],
                     "total_ms": d["timings"]["total_ms"]})
    return pd.DataFrame(rows, columns=["path", "p_fake", "is_fake", "status", "faces", "identities", "error",
                                       "total_ms"])
