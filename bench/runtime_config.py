"""What each process-wide runtime setting is worth (dfd/runtime.hpp): one fresh process per
configuration, the same work in each.

    .venv/bin/python bench/runtime_config.py [--videos 6] [--passes 10]

Configurations: "untouched" (what libdfd does on its own: nothing, so Debian's LibTorch runs on
one thread), "+threads" (num_threads=0: one per core), "+keep_freed_memory" (glibc keeps freed
blocks: = dfd.configure_runtime(), what the dfd command runs), "+trim_after_scan" (the heap
trimmed after each file, opt-in). Work: (a) a
ResNet-18 forward pass on a batch of 16 224x224 images, median ms and minor page faults per pass;
(b) Detector.scan_many (MesoInception4 + MTCNN, 8 frames) over the first --videos shared videos of
every source (sizes differ), wall seconds, peak RSS, and RSS after the run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CONFIGS = {
    "untouched": None,
    "+threads": dict(num_threads=0, keep_freed_memory=False, trim_after_scan=False),
    "+keep_freed_memory": dict(num_threads=0, keep_freed_memory=True, trim_after_scan=False),
    "+trim_after_scan": dict(num_threads=0, keep_freed_memory=True, trim_after_scan=True),
}

CHILD = r"""
import json, resource, statistics, sys, time
import numpy as np
import dfd
config, weights, videos, passes = json.loads(sys.argv[1])
if config is not None:
    dfd.configure_runtime(**config)
def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
model = dfd.Model("resnet18")
x = np.random.default_rng(0).standard_normal((16, 3, 224, 224)).astype(np.float32)
model(x)
times, faults = [], []
for _ in range(passes):
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t = time.perf_counter()
    model(x)
    times.append((time.perf_counter() - t) * 1000)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
del model
det = dfd.Detector(models=[f"mesoinception4_keras:{weights['meso']}"], preset="mesonet", face_weights=weights["mtcnn"],
                   frames=8)
t = time.perf_counter()
frame = det.scan_many(videos, workers=2, progress=False)
scan_s = time.perf_counter() - t
print(json.dumps({"threads": dfd.num_threads(), "forward_ms": statistics.median(times),
                  "faults_per_pass": statistics.median(faults), "scan_s": scan_s,
                  "ok": int((frame["status"] == "ok").sum()),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_after_mib": rss_mib()}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("DFD_SHARED_DIR", REPO.parent / "shared")))
    parser.add_argument("--videos", type=int, default=2, help="videos per source folder")
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    from dfd import convert

    out = Path(tempfile.mkdtemp(prefix="dfd_runtime_bench_"))
    weights = {"meso": str(out / "meso.safetensors"), "mtcnn": str(out / "mtcnn.safetensors")}
    convert.convert(args.shared / "weights/mesonet_dariusaf/MesoInception_DF.h5", weights["meso"], "mesoinception4_keras")
    convert.convert(args.shared / "weights/mtcnn_facenet-pytorch", weights["mtcnn"], "mtcnn")
    videos = [str(p) for folder in sorted((args.shared / "data/videos").iterdir()) if folder.is_dir()
              for p in sorted(folder.rglob("*.mp4"))[:args.videos]]
    print(f"{os.cpu_count()} cores; ResNet-18 batch 16 x {args.passes} passes; scan_many of {len(videos)} videos")
    print(f"{'configuration':20s} {'threads':>7s} {'forward ms':>10s} {'faults/pass':>11s} {'scan s':>7s} "
          f"{'peak MiB':>8s} {'after MiB':>9s}")
    for name, config in CONFIGS.items():
        child = subprocess.run([sys.executable, "-c", CHILD, json.dumps([config, weights, videos, args.passes])],
                               capture_output=True, text=True, check=True)
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{name:20s} {r['threads']:7d} {r['forward_ms']:10.1f} {r['faults_per_pass']:11.0f} {r['scan_s']:7.1f} "
              f"{r['peak_rss_mib']:8.0f} {r['rss_after_mib']:9.0f}   ({r['ok']} ok)")


if __name__ == "__main__":
    main()
