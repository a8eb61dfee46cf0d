"""Log-mel spectrogram per clip: libdfd against librosa and torchaudio, same waveform, same run.

    .venv/bin/python bench/audio_spectrogram.py --librosa-repo L [--shared ../shared] [--repeats 21]

--librosa-repo: a checkout of librosa/librosa at 0.11.0 (the golden's version). librosa imports soxr
at load; when Debian has none, a stub is put in its place (only librosa.resample/load need it, and
neither runs here). Each clip of ../shared/data/audio is decoded once by dfd.AudioReader at 22050 Hz
and its first 10 s (the goldens' length) given to all three:
librosa.power_to_db(librosa.feature.melspectrogram(y, sr=22050), ref=np.max),
torchaudio's MelSpectrogram (Slaney scale and norm, zero padding) + the same power_to_db, and
dfd.AudioSpectrogram(ref="max").compute. Calls alternate; medians; the largest dB difference to
librosa is printed beside each row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
import torchaudio

import dfd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--librosa-repo", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--threads", type=int, default=1, help="for libdfd and torch (librosa/numpy is single-threaded)")
    args = parser.parse_args()
    try:
        import soxr  # noqa: F401
    except ImportError:
        sys.modules["soxr"] = types.ModuleType("soxr")
    sys.path.insert(0, str(args.librosa_repo))
    import librosa

    torch.set_num_threads(args.threads)
    dfd.configure_runtime(num_threads=args.threads)  # as the dfd command runs (dfd/runtime.hpp)
    clips = sorted((args.shared / "data/audio").rglob("*.*"))
    clips = [c for c in clips if c.suffix in (".wav", ".mp3", ".flac", ".m4a")]
    ours = dfd.AudioSpectrogram(n_mels=128, ref="max")
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=22050, n_fft=2048, hop_length=512, n_mels=128,
                                               mel_scale="slaney", norm="slaney", center=True, pad_mode="constant",
                                               power=2.0)

    def run_librosa(y):
        return librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050), ref=np.max)

    def run_torchaudio(y):
        with torch.inference_mode():
            return librosa.power_to_db(mel(torch.from_numpy(y)).numpy(), ref=np.max)

    def run_dfd(y):
        return ours.compute(y, 22050)

    print(f"librosa {librosa.__version__}, torchaudio {torchaudio.__version__}, dfd {dfd.__version__}, "
          f"{args.threads} thread(s), median of {args.repeats}; ms per 10 s clip")
    print(f"{'clip':48s} {'librosa':>8s} {'torchaudio':>10s} {'libdfd':>7s} {'vs librosa':>10s} {'vs torchaudio':>13s}  max|ΔdB|")
    totals = {"librosa": [], "torchaudio": [], "dfd": []}
    for clip in clips:
        y = dfd.AudioReader(str(clip), sample_rate=22050).read()[:220500]
        reference = run_librosa(y)
        diff = float(np.abs(run_dfd(y) - reference).max())
        times = {"librosa": [], "torchaudio": [], "dfd": []}
        for _ in range(args.repeats):
            for name, fn in (("librosa", run_librosa), ("torchaudio", run_torchaudio), ("dfd", run_dfd)):
                start = time.perf_counter()
                fn(y)
                times[name].append(time.perf_counter() - start)
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        for k in totals:
            totals[k].append(med[k])
        name = str(clip.relative_to(args.shared / "data/audio"))
        print(f"{name:48s} {med['librosa']:8.2f} {med['torchaudio']:10.2f} {med['dfd']:7.2f} "
              f"{med['librosa'] / med['dfd']:9.1f}x {med['torchaudio'] / med['dfd']:12.1f}x  {diff:.1e}", flush=True)
    total = {k: sum(v) for k, v in totals.items()}
    print(f"{'all ' + str(len(clips)) + ' clips':48s} {total['librosa']:8.2f} {total['torchaudio']:10.2f} {total['dfd']:7.2f} "
          f"{total['librosa'] / total['dfd']:9.1f}x {total['torchaudio'] / total['dfd']:12.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
