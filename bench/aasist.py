"""AASIST-L per 4 s window and per minute of audio: libdfd against clovaai/aasist's own module, one run.

    .venv/bin/python bench/aasist.py --aasist-repo A [--shared ../shared] [--repeats 9] [--arch aasist_l]

--aasist-repo: a checkout of clovaai/aasist (models/AASIST.py, config/, models/weights/; its
published commit a04c9863f63d). Both sides run on this machine's torch (Debian's 1.13, as libdfd
links), both with every core (dfd.configure_runtime(): 2 threads and glibc's thresholds raised, what
the dfd command does; the reference gets the same thread count and the same allocator settings, so
neither pays for the other's allocator).

- per window: one 64 600-sample window (4.04 s at 16 kHz), batch 1 — the original's
  model(torch.from_numpy(x)[None]) against dfd.Model.forward; the logits are compared.
- per minute: a 60 s clip (the dev clips joined and cut, 16 kHz mono float WAV) from the file to the
  clip's score. Reference: the golden's decoding (`ffmpeg -ac 1 -ar 16000 -f f32le`), the clip cut
  into the same 15 windows libdfd uses (14 touching and one ending at the clip's end), scored 4 at
  a time by the module, softmax column 0 averaged. libdfd: Detector.scan with the model alone
  (decoding, windows, model, aggregation). The scores are compared.
Calls alternate; medians.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import dfd
from dfd import convert

WINDOW = 64600
RATE = 16000


def keep_freed_memory() -> None:
    """What dfd.configure_runtime() does to glibc, for the reference's allocations too."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aasist-repo", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--arch", choices=["aasist_l", "aasist"], default="aasist_l")
    args = parser.parse_args()
    sys.path.insert(0, str(args.aasist_repo / "models"))
    import AASIST  # noqa: N813 — the reference's module name

    dfd.configure_runtime()
    keep_freed_memory()
    torch.set_num_threads(dfd.num_threads())
    conf = "AASIST-L" if args.arch == "aasist_l" else "AASIST"
    config = json.loads((args.aasist_repo / f"config/{conf}.conf").read_text())["model_config"]
    reference = AASIST.Model(config)
    reference.load_state_dict(torch.load(args.aasist_repo / f"models/weights/{conf}.pth", map_location="cpu"))
    reference.eval()

    work = Path(tempfile.mkdtemp(prefix="bench_aasist_"))
    weights = work / f"{args.arch}.safetensors"
    convert.convert(args.aasist_repo / f"models/weights/{conf}.pth", weights, args.arch)
    ours = dfd.Model.load(args.arch, str(weights))
    print(f"{conf}: clovaai/aasist module vs libdfd {dfd.__version__}, torch {torch.__version__}, "
          f"{dfd.num_threads()} threads, median of {args.repeats}")

    # Per window: real speech, the first window of a dev clip.
    speech = dfd.AudioReader(str(args.shared / "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav"),
                             sample_rate=RATE).read()
    window = np.ascontiguousarray(speech[None, :WINDOW])

    def run_reference():
        with torch.no_grad():
            return reference(torch.from_numpy(window))[1].numpy()

    def run_ours():
        return ours.forward(window)

    diff = float(np.abs(run_reference() - run_ours()).max())
    for _ in range(2):  # warm-up: oneDNN builds its kernels per shape on first use
        run_reference(), run_ours()
    ref_ms, our_ms = median_ms(run_reference, args.repeats), median_ms(run_ours, args.repeats)
    print(f"per 4 s window (batch 1):   reference {ref_ms:7.1f} ms   libdfd {our_ms:7.1f} ms   "
          f"{ref_ms / our_ms:4.2f}x   max |Δlogit| {diff:.1e}")

    # Per minute: one 60 s clip of the dev speech, as a file.
    clips = sorted((args.shared / "data/audio").rglob("*.wav")) + sorted((args.shared / "data/audio").rglob("*.mp3"))
    joined = np.concatenate([dfd.AudioReader(str(c), sample_rate=RATE).read() for c in clips])[:60 * RATE]
    minute = work / "minute.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
                    "-c:a", "pcm_f32le", str(minute)], input=joined.astype(np.float32).tobytes(), check=True)
    starts = [w.start for w in dfd.audio_windows(len(joined), WINDOW)]
    detector = dfd.Detector(dfd.DetectorParams("ffdv_audio", models=[f"{args.arch}:{weights}"]))

    def minute_reference():
        raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(minute), "-ac", "1", "-ar", str(RATE),
                              "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"], capture_output=True, check=True).stdout
        x = np.frombuffer(raw, np.float32)
        batch = torch.from_numpy(np.stack([x[s:s + WINDOW] for s in starts]))
        with torch.no_grad():
            p = torch.cat([torch.softmax(reference(part)[1], 1)[:, 0] for part in batch.split(4)])
        return float(p.mean())

    def minute_ours():
        return detector.scan(str(minute)).p_fake

    score_diff = abs(minute_reference() - minute_ours())
    minute_ours()
    ref_ms = median_ms(minute_reference, max(3, args.repeats // 3))
    our_ms = median_ms(minute_ours, max(3, args.repeats // 3))
    print(f"per minute of audio ({len(starts)} windows, decoding included): reference {ref_ms / 1000:5.2f} s   "
          f"libdfd {our_ms / 1000:5.2f} s   {ref_ms / our_ms:4.2f}x   |Δscore| {score_diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
