"""Grad-CAM per image: libdfd against jacobgil/pytorch-grad-cam, same weights, same inputs, same run.

    .venv/bin/python bench/gradcam.py --gradcam-repo G [--repeats 7] [--memory-calls 1000]

--gradcam-repo: a checkout of jacobgil/pytorch-grad-cam (the goldens used 084273b3, setup.py 1.5.5);
it imports ttach, which Debian lacks: a stub stands in (only its aug_smooth option uses it). Models:
torchvision resnet18 (layer layer4[-1] = libdfd's "layer4") and efficientnet_b0 (features[-1] =
"features") at 224 with the golden README's formula weights in both. Target: each
image's predicted class (with formula weights a fixed class often has no positive evidence at the
last layer, and an all-zero map compares nothing). Calls alternate; medians; the largest map
difference and the share of non-zero maps are printed. Then each side runs
--memory-calls more calls at batch 1 and the growth of its process's peak RSS is reported
(libdfd's and the reference's in separate phases of this one process).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch
import torchvision

import dfd
from dfd import safetensors_io

sys.path.insert(0, str(Path(__file__).parent))
from classifiers import formula_tensor  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gradcam-repo", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batches", type=int, nargs="*", default=[1, 16])
    parser.add_argument("--memory-calls", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    try:
        import ttach  # noqa: F401
    except ImportError:
        stub = types.ModuleType("ttach")
        stub.Compose = stub.HorizontalFlip = stub.Multiply = type("Stub", (), {"__init__": lambda self, *a, **k: None})
        sys.modules["ttach"] = stub
    sys.path.insert(0, str(args.gradcam_repo))
    from pytorch_grad_cam import GradCAM

    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    dfd.configure_runtime(num_threads=threads)  # as the dfd command runs (dfd/runtime.hpp)
    print(f"torch {torch.__version__}, dfd {dfd.__version__}, {threads} threads, median of {args.repeats}; ms per image")
    print(f"{'model':16s} {'batch':>5s} {'pytorch-grad-cam':>16s} {'libdfd':>7s} {'ratio':>6s}  max|Δmap|  non-zero")
    memory = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch, layer_name in (("resnet18", "layer4"), ("efficientnet_b0", "features")):
            reference = getattr(torchvision.models, arch)().eval()
            state = {k: torch.from_numpy(formula_tensor(k, tuple(v.shape))) for k, v in reference.state_dict().items()}
            reference.load_state_dict(state)
            path = Path(tmp) / f"{arch}.safetensors"
            safetensors_io.save(path, {k: v.numpy() for k, v in state.items()}, {"arch": arch})
            model = dfd.Model.load(arch, str(path))
            layer = reference.layer4[-1] if arch == "resnet18" else reference.features[-1]
            theirs = GradCAM(model=reference, target_layers=[layer])
            ours = dfd.GradCAM(model, layers=[layer_name])
            for batch in args.batches:
                x = torch.from_numpy(np.random.default_rng(batch).standard_normal((batch, 3, 224, 224), dtype=np.float32))
                targets = None  # the predicted class, on both sides
                expected = theirs(input_tensor=x, targets=targets)
                got = ours(x)
                diff = float(np.abs(got - expected).max())
                nonzero = float(np.mean(expected.reshape(batch, -1).max(axis=1) > 0))
                t_ref, t_ours = [], []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    theirs(input_tensor=x, targets=targets)
                    t_ref.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    ours(x)
                    t_ours.append(time.perf_counter() - start)
                ref, mine = statistics.median(t_ref) * 1000 / batch, statistics.median(t_ours) * 1000 / batch
                print(f"{arch:16s} {batch:5d} {ref:16.1f} {mine:7.1f} {ref / mine:5.2f}x  {diff:.1e}  {nonzero:.0%}", flush=True)
            x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32))
            for name, run in (("libdfd", lambda: ours(x)), ("pytorch-grad-cam", lambda: theirs(input_tensor=x, targets=None))):
                for _ in range(20):
                    run()
                before = peak_rss_mib()
                for _ in range(args.memory_calls):
                    run()
                memory.append((arch, name, peak_rss_mib() - before))
    print(f"peak RSS growth over {args.memory_calls} calls at batch 1 (MiB):")
    for arch, name, grown in memory:
        print(f"  {arch:16s} {name:17s} {grown:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
