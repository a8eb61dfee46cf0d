"""Classifier throughput: libdfd's native zoo against PyTorch eager, same weights, same run.

    .venv/bin/python bench/classifiers.py --timm-repo T --ffpp-repo F [--models ...] [--repeats 7]

Each reference is the PyTorch module users run: torchvision's resnet18 / efficientnet_b0 /
resnext50_32x4d, timm 0.4.12's tf_efficientnet_b7 (--timm-repo: a checkout of
huggingface/pytorch-image-models at v0.4.12, the version selimsef pins), the FaceForensics++
Xception (--ffpp-repo: qlero/faceforensics_reproduction, src_faceforensics/network), and for MesoNet's
Keras MesoInception4 (no PyTorch reference exists) the eager port below, with the names libdfd uses.
Both run the same weights: the golden README's "formula weights" (deterministic, and keeping every
layer's activations in a trained network's range: torchvision's random init shrinks EfficientNet's
activations to 1e-13, where denormal arithmetic makes timings meaningless) are put into the reference,
saved as safetensors and loaded by dfd.Model.load; the logits are compared before anything is timed. The reference runs under torch.no_grad() in eval mode, as the published inference scripts do, in
this process: calls alternate between the two on the same input, and the medians are reported
(TOOLCHAIN.md: the machine is noisy). libdfd's process-wide malloc tuning (dfd/runtime.hpp) speeds
up PyTorch here too, so the ratio leaves it out; run with DFD_KEEP_FREED_MEMORY=0 to see both without.
"""

from __future__ import annotations

import argparse
import os
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


class KerasMesoInception4(torch.nn.Module):
    """MesoNet's Keras MesoInception4 (classifiers.py) in eager PyTorch, named as libdfd names it."""

    def __init__(self):
        super().__init__()
        nn = torch.nn

        def inception(prefix, cin, a, b, c, d):
            for name, module in (("_conv1", nn.Conv2d(cin, a, 1)), ("_conv2_1", nn.Conv2d(cin, b, 1)),
                                 ("_conv2_2", nn.Conv2d(b, b, 3, padding=1)), ("_conv3_1", nn.Conv2d(cin, c, 1)),
                                 ("_conv3_2", nn.Conv2d(c, c, 3, padding=2, dilation=2)),
                                 ("_conv4_1", nn.Conv2d(cin, d, 1)),
                                 ("_conv4_2", nn.Conv2d(d, d, 3, padding=3, dilation=3))):
                self.add_module(prefix + name, module)

        inception("Incption1", 3, 1, 4, 4, 2)
        inception("Incption2", 11, 2, 4, 4, 2)
        self.Incption1_bn, self.Incption2_bn = nn.BatchNorm2d(11, eps=1e-3), nn.BatchNorm2d(12, eps=1e-3)
        self.conv1, self.bn1 = nn.Conv2d(12, 16, 5, padding=2), nn.BatchNorm2d(16, eps=1e-3)
        self.conv2, self.bn2 = nn.Conv2d(16, 16, 5, padding=2), nn.BatchNorm2d(16, eps=1e-3)
        self.fc1, self.fc2 = nn.Linear(1024, 16), nn.Linear(16, 1)

    def _inception(self, prefix, x):
        f = lambda name, t: torch.relu(getattr(self, prefix + name)(t))  # noqa: E731
        return torch.cat([f("_conv1", x), f("_conv2_2", f("_conv2_1", x)), f("_conv3_2", f("_conv3_1", x)),
                          f("_conv4_2", f("_conv4_1", x))], 1)

    def forward(self, x):
        pool = torch.nn.functional.max_pool2d
        x = pool(self.Incption1_bn(self._inception("Incption1", x)), 2)
        x = pool(self.Incption2_bn(self._inception("Incption2", x)), 2)
        x = pool(self.bn1(torch.relu(self.conv1(x))), 2)
        x = pool(self.bn2(torch.relu(self.conv2(x))), 4)
        return self.fc2(torch.nn.functional.leaky_relu(self.fc1(x.flatten(1)), 0.1))


def ffpp_xception(repo: Path) -> torch.nn.Module:
    sys.modules.setdefault("pretrainedmodels", types.ModuleType("pretrainedmodels"))  # imported, unused
    sys.path.insert(0, str(repo / "src_faceforensics"))
    from network.xception import xception  # noqa: PLC0415

    class TransferModel(torch.nn.Module):  # qlero's network/models.py, without its local weights file
        def __init__(self):
            super().__init__()
            self.model = xception(pretrained=False)
            self.model.last_linear = torch.nn.Linear(2048, 2)

        def forward(self, x):
            return self.model(x)

    return TransferModel()


def timm_model(repo: Path, name: str) -> torch.nn.Module:
    sys.path.insert(0, str(repo))
    import timm  # noqa: PLC0415

    return timm.create_model(name, pretrained=False)


def references(args):
    """(libdfd arch, input size, builder of the eager reference)."""
    return {
        "resnet18": (224, lambda: torchvision.models.resnet18()),
        "efficientnet_b0": (224, lambda: torchvision.models.efficientnet_b0()),
        "resnext50_32x4d": (224, lambda: torchvision.models.resnext50_32x4d()),
        "xception": (299, lambda: ffpp_xception(args.ffpp_repo)),
        "tf_efficientnet_b7": (380, lambda: timm_model(args.timm_repo, "tf_efficientnet_b7")),
        "mesoinception4_keras": (256, KerasMesoInception4),
    }


def formula_tensor(name: str, shape) -> np.ndarray:
    """The golden README's formula weights (g6): FNV-1a seed of the name, a golden-ratio sequence."""
    seed = 0x811C9DC5
    for byte in name.encode():
        seed = ((seed ^ byte) * 0x01000193) % 2**32
    n = int(np.prod(shape, dtype=np.int64))
    x = (seed + np.arange(n, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    u = x.astype(np.float64) / 2**32
    v = u - 0.5
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, np.int64)
    if name.endswith("running_var"):
        out = 0.5 + u
    elif name.endswith("running_mean") or name.endswith("bias"):
        out = 0.1 * v
    elif len(shape) == 1 and name.endswith("weight"):
        out = 1.0 + 0.1 * v
    else:
        out = (v * 2.0) * np.sqrt(6.0 / (n // shape[0]))
    return out.astype(np.float32).reshape(shape)


def same_weights(reference: torch.nn.Module, arch: str, folder: Path) -> dfd.Model:
    state = {k: torch.from_numpy(formula_tensor(k, tuple(v.shape))) for k, v in reference.state_dict().items()}
    reference.load_state_dict(state, strict=True)
    path = folder / f"{arch}.safetensors"
    tensors = {k: v.numpy() for k, v in state.items()}
    safetensors_io.save(path, tensors, {"arch": arch})
    return dfd.Model.load(arch, str(path))


def bench_input(batch: int, size: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(batch).standard_normal((batch, 3, size, size), dtype=np.float32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timm-repo", type=Path, help="huggingface/pytorch-image-models at v0.4.12")
    parser.add_argument("--ffpp-repo", type=Path, help="qlero/faceforensics_reproduction checkout")
    parser.add_argument("--models", nargs="*", help="subset of: " + ", ".join(references(argparse.Namespace())))
    parser.add_argument("--batches", type=int, nargs="*", default=[1, 16])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads for both (0: one per core)")
    args = parser.parse_args()
    args.threads = args.threads or os.cpu_count()
    torch.set_num_threads(args.threads)  # one LibTorch in the process: the same pool for both sides
    dfd.configure_runtime(num_threads=args.threads)  # as the dfd command runs (dfd/runtime.hpp)
    table = references(args)
    names = args.models or list(table)
    for name in names:
        if name == "xception" and not args.ffpp_repo or name == "tf_efficientnet_b7" and not args.timm_repo:
            parser.error(f"{name} needs --ffpp-repo / --timm-repo")
    print(f"torch {torch.__version__}, dfd {dfd.__version__}, {args.threads} threads, median of {args.repeats} "
          "calls each, alternating")
    print(f"{'model':22s} {'batch':>5s} {'pytorch img/s':>14s} {'libdfd img/s':>13s} {'ratio':>6s}  max|Δlogit|/max|logit|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            size, build = table[name]
            reference = build().eval()
            ours = same_weights(reference, name, Path(tmp))
            for batch in args.batches:
                x = bench_input(batch, size)
                with torch.no_grad():
                    for _ in range(2):  # warm-up: first calls allocate and pick kernels
                        expected = reference(x).numpy()
                        got = ours(x)
                diff = float(np.abs(got - expected).max() / max(1.0, np.abs(expected).max()))
                t_ref, t_ours = [], []
                for _ in range(args.repeats):
                    with torch.no_grad():
                        start = time.perf_counter()
                        reference(x)
                        t_ref.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    ours(x)
                    t_ours.append(time.perf_counter() - start)
                ref, mine = statistics.median(t_ref), statistics.median(t_ours)
                print(f"{name:22s} {batch:5d} {batch / ref:14.1f} {batch / mine:13.1f} {ref / mine:5.2f}x  "
                      f"{diff:.1e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
