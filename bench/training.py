#!/usr/bin/env python3
"""Training throughput: dfd.Trainer against a plain PyTorch training loop, same architecture and data.

    .venv/bin/python bench/training.py --data FACES [--arch efficientnet_b0 resnet18] [--batch 32]
                                       [--steps 8] [--size 224] [--workers 2]

FACES is a face dataset made by `dfd prepare` with real and fake faces (e.g. the dev set of
docs/training.md). Both sides do the same work per sample — decode the PNG crop, resize and pad
it to --size, normalise, forward, BCE, backward, AdamW step — with no augmentation or blending,
so the loop itself is compared:

  libdfd   dfd.Trainer (C++ LibTorch, channels-last, samples made on --workers threads while the
           previous batch trains)
  PyTorch  torchvision's architecture (EfficientNet's dropout and stochastic depth set to 0, as
           libdfd's zoo has none), a torch Dataset reading the same crops with cv2, a DataLoader
           with --workers worker processes, NCHW as a plain loop has it

Images per second are timed from the end of the first step (warm-up) to the end of the last one,
each side after the other in one process with the same torch thread count; the ratio is
libdfd / PyTorch.
"""

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torchvision

import dfd

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


class _Stop(Exception):
    pass


def libdfd_rate(data, arch, size, batch, steps, workers, out):
    params = dfd.TrainParams(arch=arch, input_size=size, batch_size=batch, epochs=1, epoch_size=batch * steps,
                             augment=False, mix__real=0.5, mix__self_blended=0.0, mix__fake=0.5, warmup_epochs=0.0,
                             workers=workers, out_dir=str(out))
    trainer = dfd.Trainer(data, params, data)
    times = []

    def step(s):
        if s["phase"] == "train":
            times.append(time.perf_counter())
            if s["step"] == s["steps"]:
                raise _Stop()  # before validation, which is not timed

    try:
        trainer.run(step)
    except _Stop:
        pass
    return batch * (len(times) - 1) / (times[-1] - times[0])


class Crops(torch.utils.data.Dataset):
    """The dataset's crops as a plain PyTorch pipeline reads them."""

    def __init__(self, root, size):
        with open(Path(root) / "index.csv", newline="") as f:
            self.rows = [(Path(root) / r["image"], float(r["label"])) for r in csv.DictReader(f)]
        self.size = size

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, label = self.rows[i]
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        h, w = image.shape[:2]
        scale = self.size / max(h, w)
        image = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
        square = np.zeros((self.size, self.size, 3), np.uint8)
        y, x = (self.size - image.shape[0]) // 2, (self.size - image.shape[1]) // 2
        square[y:y + image.shape[0], x:x + image.shape[1]] = image
        x = (square.astype(np.float32) / 255 - MEAN) / STD
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), torch.tensor(label)


def torchvision_model(arch):
    if arch.startswith("efficientnet"):
        model = getattr(torchvision.models, arch)(num_classes=1, stochastic_depth_prob=0.0)
        model.classifier[0].p = 0.0  # the head's dropout (torchvision 0.14 fixes its argument)
    else:
        model = getattr(torchvision.models, arch)(num_classes=1)
    return model


def pytorch_rate(data, arch, size, batch, steps, workers):
    model = torchvision_model(arch)
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    loader = torch.utils.data.DataLoader(Crops(data, size), batch_size=batch, shuffle=True, num_workers=workers,
                                         drop_last=True, persistent_workers=False)
    times = []
    batches = iter(loader)
    for _ in range(steps):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x)[:, 0], y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        times.append(time.perf_counter())
    return batch * (len(times) - 1) / (times[-1] - times[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a dataset made by dfd prepare (real and fake faces)")
    parser.add_argument("--arch", nargs="+", default=["efficientnet_b0", "resnet18"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    dfd.configure_runtime()
    print(f"torch threads {torch.get_num_threads()}, batch {args.batch}, {args.steps} steps, input {args.size}, "
          f"{args.workers} data workers", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.arch:
            ours = libdfd_rate(args.data, arch, args.size, args.batch, args.steps, args.workers, Path(tmp) / arch)
            theirs = pytorch_rate(args.data, arch, args.size, args.batch, args.steps, args.workers)
            print(f"{arch:16s} libdfd {ours:6.1f} img/s   PyTorch {theirs:6.1f} img/s   ratio {ours / theirs:.2f}x",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
