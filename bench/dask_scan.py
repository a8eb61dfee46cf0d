#!/usr/bin/env python3
"""Files per second: dfd.dask.scan on a LocalCluster of 1 and of 2 worker processes against
Detector.scan_many in this one process, on the same files and settings.

    .venv/bin/python bench/dask_scan.py [--frames 16] [--repeat 2]

The files are every .mp4 under ../shared/data/videos (27), scanned --repeat times over (as
distinct paths: symbolic links in a temporary folder, so no result is reused). The default
preset (the shipped face model, MTCNN, AASIST-L). Each worker process has one thread for Dask and
the machine's cores shared among the processes for LibTorch; scan_many runs 2 files in flight
(its default) with every core. Each cluster is started and its Detectors built (dfd.dask.warm_up)
before the clock starts (a long-running cluster pays that once), and the in-process Detector too.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import dfd

REPO = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared")))
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    videos = sorted((args.shared / "data/videos").rglob("*.mp4"))
    work = Path(tempfile.mkdtemp(prefix="dfd-dask-bench-"))
    paths = []
    for r in range(args.repeat):
        for k, v in enumerate(videos):
            link = work / f"r{r}_{k:03d}{v.suffix}"
            link.symlink_to(v)
            paths.append(str(link))
    warm = str(videos[0])
    params = dfd.DetectorParams("default", frames=args.frames)
    print(f"{len(paths)} files, {args.frames} frames each, {os.cpu_count()} cores")

    dfd.configure_runtime()
    detector = dfd.Detector(params)
    detector.scan(warm)
    start = time.perf_counter()
    local = detector.scan_many(paths, progress=False)
    base = time.perf_counter() - start
    print(f"scan_many, one process (2 in flight): {base:.1f} s, {len(paths) / base:.2f} files/s")

    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            dfd.dask.warm_up(client, params)  # each worker's Detector, built
            dfd.dask.scan([warm], client, params, progress=False)
            start = time.perf_counter()
            frame = dfd.dask.scan(paths, client, params, progress=False)
            took = time.perf_counter() - start
            assert list(frame["status"]) == list(local["status"])
            print(f"dask.scan, {n} worker process(es): {took:.1f} s, {len(paths) / took:.2f} files/s, "
                  f"{base / took:.2f}x scan_many")


if __name__ == "__main__":
    main()
