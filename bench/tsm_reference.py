#!/usr/bin/env python3
"""TSM in libdfd against the reference module, on the same formula weights and clips: equality of
the logits, and the time per clip.

    .venv/bin/python bench/tsm_reference.py --tsm-repo DIR [--arch resnet50] [--segments 8] [--size 224]

--tsm-repo is a checkout (work tree) of mit-han-lab/temporal-shift-module, not part of this
repository. Its TSN(num_class=2, num_segments, "RGB", base_model=arch, is_shift=True,
shift_div=8, shift_place="blockres", dropout=0.5, pretrain=none) gets formula weights (tensor k of
the state_dict in name order: sin(0.37 i + k), He-scaled for convolutions and linear layers, near 1
for BatchNorm scales and variances, times 0.05 for the rest), its
state_dict is converted with dfd.convert (as a checkpoint of it would be) and loaded as
tsm_<arch>. Both score the same 2 random clips in eval mode; printed: the largest absolute and
relative logit difference, and the median of 5 runs' seconds per clip for each (this machine's
threads for both).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import dfd
from dfd import convert


def formula(state: dict) -> dict:
    out = {}
    for k, name in enumerate(sorted(state)):
        t = state[name]
        if not t.is_floating_point():
            out[name] = t.clone()
            continue
        i = torch.arange(t.numel(), dtype=torch.float64)
        v = torch.sin(0.37 * i + k)
        if name.endswith("running_var"):
            v = 1 + 0.25 * (1 + v)
        elif name.endswith(("bn1.weight", "bn2.weight", "bn3.weight")) or ".1.weight" in name and t.dim() == 1:
            v = 1 + 0.1 * v  # BatchNorm scales near 1
        elif t.dim() >= 2:  # convolutions and linear layers: He-scaled, so activations neither vanish nor explode
            v = v * (4.0 / (t[0].numel())) ** 0.5
        else:
            v = 0.05 * v
        out[name] = v.reshape(t.shape).to(t.dtype)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tsm-repo", type=Path, required=True)
    ap.add_argument("--arch", default="resnet50", choices=["resnet50", "resnet18"])
    ap.add_argument("--segments", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    dfd.configure_runtime()
    torch.set_num_threads(dfd.num_threads())
    sys.path.insert(0, str(args.tsm_repo))
    from ops.models import TSN

    ref = TSN(2, args.segments, "RGB", base_model=args.arch, dropout=0.5, pretrain="none", is_shift=True, shift_div=8,
              shift_place="blockres", print_spec=False)
    ref.load_state_dict(formula(ref.state_dict()))
    ref.eval()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, weights = Path(tmp) / "tsm.pth", Path(tmp) / "tsm.safetensors"
        torch.save({"state_dict": {"module." + k: v for k, v in ref.state_dict().items()}}, ckpt)  # as main.py saves
        convert.convert(ckpt, weights, f"tsm_{args.arch}")
        mine = dfd.Model.load(f"tsm_{args.arch}", str(weights))
    torch.manual_seed(0)
    clips = torch.rand(2, args.segments, 3, args.size, args.size)
    with torch.no_grad():
        expected = ref(clips).numpy()
    got = mine.forward(clips.numpy())
    diff = np.abs(got - expected)
    print(f"tsm_{args.arch}, {args.segments} frames at {args.size}: logits {expected.ravel().round(4).tolist()}")
    print(f"max abs diff {diff.max():.3g}, max relative {(diff / np.maximum(np.abs(expected), 1e-6)).max():.3g}")

    def seconds(fn):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return statistics.median(runs) / len(clips)

    with torch.no_grad():
        t_ref = seconds(lambda: ref(clips))
    t_mine = seconds(lambda: mine.forward(clips.numpy()))
    print(f"seconds per clip: reference {t_ref:.3f}, libdfd {t_mine:.3f}, ratio {t_ref / t_mine:.2f}x")


if __name__ == "__main__":
    main()
