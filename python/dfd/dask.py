"""dfd.dask: scanning many files on a Dask cluster (Debian's python3-dask / python3-distributed).

    from distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or Client("tcp://scheduler:8786")
    frame = dfd.dask.scan(paths, client, csv_path="verdicts.csv", frames=16)

Each worker process builds one Detector the first time it is given a file (the models loaded once
per process, kept for the next files and the next runs with the same params) and scans the files
the scheduler gives it. Results stream back to the client as they finish, in completion order,
into the same resumable verdict CSV as Detector.scan_many (and, if asked, a JSONL file of whole
verdicts as `dfd scan --jsonl` writes them): a rerun scans only the paths they do not hold yet. A
file that fails is a row with its status and error. A worker that dies mid-file (killed, out of
memory) has its files rescheduled on the others by Dask's scheduler; the client writes each
file's result once, when it arrives, so nothing is lost or written twice. A file that kills
workers again and again (Dask's distributed.scheduler.allowed-failures, 3 by default) is recorded
as an error ("killed_worker") and the run goes on.

Paths must name the same files on every worker: shared storage mounted at one place, or the same
copy on each machine (docs/guide.md, "Scanning on a Dask cluster").
"""

from __future__ import annotations

import json
import os
import threading
from typing import Callable, Iterable, Optional

from ._dfd import Detector, DetectorParams, VerdictCsvWriter, configure_runtime, utf8_escaped, verdict_csv_header, verdict_csv_row
from ._scan_many import _row, _row_of_json, frame_of

__all__ = ["scan", "warm_up"]

# The worker process's Detectors, by their params (one per params a client has sent).
_DETECTORS: dict[str, Detector] = {}
_LOCK = threading.Lock()


def _detector(params: DetectorParams, threads: int) -> Detector:
    key = params.to_json(-1)
    with _LOCK:
        if key not in _DETECTORS:
            if not _DETECTORS:  # the process's first: its LibTorch threads, once
                configure_runtime(num_threads=threads)
            _DETECTORS[key] = Detector(params)
        return _DETECTORS[key]


def _threads_here(per_host: dict[str, int]) -> int:
    """The cores of this machine shared among its worker processes."""
    try:
        from distributed import get_worker

        host = get_worker().address.split("://")[-1].rsplit(":", 1)[0]
    except (ImportError, ValueError):
        host = ""
    return max(1, (os.cpu_count() or 1) // max(1, per_host.get(host, 1)))


def _hosts(client) -> dict[str, int]:
    """Worker processes per machine."""
    per_host: dict[str, int] = {}
    for address in client.scheduler_info()["workers"]:
        host = address.split("://")[-1].rsplit(":", 1)[0]
        per_host[host] = per_host.get(host, 0) + 1
    return per_host


def _build(params: DetectorParams, threads: int, per_host: dict[str, int]) -> None:
    _detector(params, threads or _threads_here(per_host))


def warm_up(client, params: Optional[DetectorParams] = None, *, threads: int = 0, **overrides) -> None:
    """Builds the Detector of these params on every worker now (scan would on each worker's first
    file): a long-running cluster loads its models once, before the first files arrive."""
    p = DetectorParams("default") if params is None else params.copy()
    if overrides:
        p.set(**overrides)
    client.run(_build, p, threads, _hosts(client))


def _scan_one(path: str, params: DetectorParams, threads: int, per_host: dict[str, int]) -> dict:
    """Runs on a worker: one file's verdict as plain data (the Verdict itself stays there)."""
    detector = _detector(params, threads or _threads_here(per_host))
    verdict = detector.scan(path)
    row = _row(verdict)
    row["path"] = path
    return {"path": path, "row": row, "csv": verdict_csv_row(verdict), "json": verdict.to_json()}


def _failed(path: str, error: str) -> dict:
    """A file whose task never finished (it killed its workers): recorded as an error."""
    header = verdict_csv_header()
    fields = {"path": utf8_escaped(path), "status": "error", "error": error}
    verdict = {"path": utf8_escaped(path), "status": "error", "error": error, "p_fake": None}
    row = _row_of_json(verdict, path)
    line = json.dumps(verdict)
    return {"path": path, "row": row, "csv": [fields.get(c, "") for c in header], "json": line}


class _Jsonl:
    """The JSONL sink: the verdicts a previous run wrote (a line cut short by a kill is cut off;
    with retry_failed the failed files' lines are removed), then one line per verdict, flushed."""

    def __init__(self, path: str | os.PathLike, retry_failed: bool):
        self.path = os.fspath(path)
        self.done: dict[str, dict] = {}  # verdict by path as written
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                data = f.read()
            complete = data[:data.rfind(b"\n") + 1]
            keep = []
            for line in complete.splitlines(keepends=True):
                v = json.loads(line)
                if retry_failed and v.get("status") not in ("ok", "no_face"):
                    continue
                keep.append(line)
                self.done[v["path"]] = v
            if len(b"".join(keep)) != len(data):  # rewritten beside itself, then renamed over it
                with open(self.path + ".tmp", "wb") as f:
                    f.write(b"".join(keep))
                os.replace(self.path + ".tmp", self.path)
        self.out = open(self.path, "a", encoding="utf-8")

    def contains(self, path: str) -> bool:
        return utf8_escaped(path) in self.done

    def row(self, path: str) -> dict:
        """A previous run's verdict of `path` as a DataFrame row."""
        return _row_of_json(self.done[utf8_escaped(path)], path)

    def append(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.close()


def scan(paths: Iterable[str | bytes | os.PathLike], client, params: Optional[DetectorParams] = None, *,
         csv_path: Optional[str | os.PathLike] = None, jsonl_path: Optional[str | os.PathLike] = None,
         retry_failed: bool = False, progress: bool = True, threads: int = 0,
         on_verdict: Optional[Callable[[dict], None]] = None, **overrides):
    """Scans every path on the cluster `client` is connected to and returns the DataFrame
    Detector.scan_many returns (one row per path, in the order given).

    params: the Detector's settings (default: the "default" preset), then `overrides` by dotted
    name (frames=16, audio__fusion_model=...). csv_path / jsonl_path: results appended as they
    arrive, and a rerun resumes them (retry_failed: the failed files scanned again). threads:
    LibTorch threads per worker process (0: the machine's cores shared among its worker
    processes). on_verdict(result) is called on the client as each file arrives (result: "path",
    "row" — the DataFrame's row — and "json", the verdict's JSON line). progress: a tqdm bar.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    p = DetectorParams("default") if params is None else params.copy()
    if overrides:
        p.set(**overrides)
    given = [os.fsdecode(os.fspath(x)) for x in paths]
    log = VerdictCsvWriter(csv_path, retry_failed) if csv_path is not None else None
    lines = _Jsonl(jsonl_path, retry_failed) if jsonl_path is not None else None
    done = {row["path"]: row for row in log.previous_rows} if log is not None else {}
    pending = [x for x in dict.fromkeys(given)
               if (log is not None and not log.contains(x)) or (lines is not None and not lines.contains(x))
               or (log is None and lines is None)]
    per_host = _hosts(client)
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(pending), unit="file")
        except ImportError:
            bar = None
    rows = {}
    futures = client.map(_scan_one, pending, params=p, threads=threads, per_host=per_host, pure=False)
    path_of = {f.key: x for f, x in zip(futures, pending)}
    try:
        for future in as_completed(futures):
            path = path_of[future.key]
            if future.status == "finished":
                result = future.result()
            elif isinstance(future.exception(), KilledWorker):  # it killed worker after worker
                result = _failed(path, f"{path}: killed_worker: the file's task ended {type(future.exception()).__name__}")
            else:  # not a file's fault (Detector.scan records those): a model that cannot load, ...
                raise future.exception()
            future.release()
            rows[path] = result["row"]
            if log is not None and not log.contains(path):
                log.append_row(result["csv"])
            if lines is not None and not lines.contains(path):
                lines.append(result["json"])
            if on_verdict is not None:
                on_verdict(result)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if lines is not None:
            lines.close()
    if log is None and lines is not None:  # resumed from the JSONL alone: its lines give the rows
        for x in given:
            if x not in rows and lines.contains(x):
                rows[x] = lines.row(x)
    return frame_of(given, rows, done)
