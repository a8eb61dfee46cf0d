#!/usr/bin/env python3
"""TSM in libdfd against the reference module, on the same formula weights and clips: equality of
the logits, and the time per clip.

    .venv/bin/python bench/tsm_reference.py --tsm-repo DIR [--arch resnet50] [--segments 8] [--size 224]
    .venv/bin/python bench/tsm_reference.py --tsm-repo DIR --arch mobilenet_v1 --size 160

--tsm-repo is a checkout (work tree) of mit-han-lab/temporal-shift-module, not part of this
repository. Its TSN(num_class=2, num_segments, "RGB", base_model=arch, is_shift=True,
shift_div=8, shift_place="blockres", dropout=0.5, pretrain=none) gets formula weights (tensor k of
the state_dict in name order: sin(0.37 i + k), He-scaled for convolutions and linear layers, near 1
for BatchNorm scales and variances, times 0.05 for the rest), its
state_dict is converted with dfd.convert (as a checkpoint of it would be) and loaded as
tsm_<arch>. Both score the same 2 random clips in eval mode; printed: the largest absolute and
relative logit difference, and the median of 5 runs' seconds per clip for each (this machine's
threads for both).

--arch mobilenet_v1 (libdfd's tsm_mobilenet_v1, the default model's backbone): the reference has no
MobileNetV1, so the reference side is a PyTorch Keras MobileNetV1 (TensorFlow's SAME padding, biases,
ReLU6) whose pointwise convolutions are wrapped in the reference's own TemporalShift module
(ops/temporal_shift.py: n_div=8), as TSN wraps a backbone: base_model, dropout, new_fc, the frames'
mean. Its formula weights go through dfd.convert the same way.
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


class SameConv(torch.nn.Conv2d):
    """A convolution padded as TensorFlow's SAME pads (the extra pixel bottom/right at stride 2)."""

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        h, w = x.shape[-2:]
        ph = max((-(-h // s) - 1) * s + k - h, 0)
        pw = max((-(-w // s) - 1) * s + k - w, 0)
        x = torch.nn.functional.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        return torch.nn.functional.conv2d(x, self.weight, self.bias, self.stride, 0, 1, self.groups)


def mobilenet_v1_tsn(segments: int, num_class: int):
    """TSN over a Keras MobileNetV1, each pointwise convolution shifted by the reference's TemporalShift."""
    from ops.temporal_shift import TemporalShift

    channels = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]

    class Base(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = SameConv(3, 32, 3, 2)
            c = 32
            for i, (out, s) in enumerate(zip(channels, strides), 1):
                setattr(self, f"conv_dw_{i}", SameConv(c, c, 3, s, groups=c))
                setattr(self, f"conv_pw_{i}", TemporalShift(torch.nn.Conv2d(c, out, 1), n_segment=segments, n_div=8))
                c = out

        def forward(self, x):
            x = torch.clamp(self.conv1(x), 0, 6)
            for i in range(1, 14):
                x = torch.clamp(getattr(self, f"conv_dw_{i}")(x), 0, 6)
                x = torch.clamp(getattr(self, f"conv_pw_{i}")(x), 0, 6)
            return x.mean((2, 3))

    class Tsn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.base_model = Base()
            self.dropout = torch.nn.Dropout(0.5)
            self.new_fc = torch.nn.Linear(1024, num_class)

        def forward(self, clips):  # [n, T, 3, h, w], as TSN.forward reshapes its input
            n = clips.shape[0]
            logits = self.new_fc(self.dropout(self.base_model(clips.reshape(-1, *clips.shape[2:]))))
            return logits.reshape(n, segments, -1).mean(1)

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # TemporalShift prints its settings
        return Tsn()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tsm-repo", type=Path, required=True)
    ap.add_argument("--arch", default="resnet50", choices=["resnet50", "resnet18", "mobilenet_v1"])
    ap.add_argument("--segments", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    dfd.configure_runtime()
    torch.set_num_threads(dfd.num_threads())
    sys.path.insert(0, str(args.tsm_repo))
    if args.arch == "mobilenet_v1":
        ref = mobilenet_v1_tsn(args.segments, 2)
    else:
        from ops.models import TSN

        ref = TSN(2, args.segments, "RGB", base_model=args.arch, dropout=0.5, pretrain="none", is_shift=True, shift_div=8,
                  shift_place="blockres", print_spec=False)
    ref.load_state_dict(formula(ref.state_dict()))
    ref.eval()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, weights = Path(tmp) / "tsm.pth", Path(tmp) / "tsm.safetensors"
        torch.save({"state_dict": {"module." + k: v for k, v in ref.state_dict().items()}}, ckpt)  # as main.py saves
        convert.convert(ckpt, weights, f"tsm_{args.arch}")
        mine = dfd.Model.load(f"tsm_{args.arch}", str(weights), segments=args.segments)
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
