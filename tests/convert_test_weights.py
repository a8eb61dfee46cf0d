#!/usr/bin/env python3
"""Converts the published checkpoints in ../shared/weights that the tests use (ctest fixture).

    python tests/convert_test_weights.py --shared ../shared --out _build/test_models

Converted weights are made here, at test time, and never committed.
"""

import argparse
import sys
from pathlib import Path

from dfd.convert import ConversionError, convert

CHECKPOINTS = [
    ("blazeface_hollance/blazeface.pth", "blazeface_front"),
    ("blazeface_hollance/blazefaceback.pth", "blazeface_back"),
    ("mtcnn_facenet-pytorch", "mtcnn"),
    *[(f"fakeavceleb_meso_dashlab/{name}.pt", "meso4" if name.startswith("Meso4") else "mesoinception4")
      for name in ("Meso4_realA_fakeB", "Meso4_realA_fakeC", "MesoInception4_realA_fakeB",
                   "MesoInception4_realA_fakeC")],
    *[(f"mesonet_dariusaf/{name}.h5", "meso4_keras" if name.startswith("Meso4") else "mesoinception4_keras")
      for name in ("Meso4_DF", "Meso4_F2F", "MesoInception_DF", "MesoInception_F2F")],
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    weights = args.shared / "weights"
    if not weights.is_dir():
        print(f"convert_test_weights: {weights} not found: the tests need ../shared", file=sys.stderr)
        return 1
    for source, arch in CHECKPOINTS:
        # Named after the source file (Meso4_realA_fakeC.safetensors), or the arch for the others.
        stem = Path(source).stem if arch.startswith("meso") else arch
        output = args.out / f"{stem}.safetensors"
        try:
            convert(weights / source, output, arch)
        except ConversionError as e:
            print(f"convert_test_weights: {e}", file=sys.stderr)
            return 1
        print(f"{output} <- {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
