#!/usr/bin/env python3
"""How often AASIST-L calls real sound fake when it is not clean speech, as docs/models.md reports.

    python scripts/audio_false_alarms.py --shared ../shared --out audio_fa [--videos]

Writes, under --out, the real dev clips (../shared/data/audio/*/real) at 16 kHz, each also with
pink noise added at 20 and 10 dB SNR (by RMS over the clip; numpy, seed 0), and six sounds with no
speech made by FFmpeg (brown, pink and white noise, a quiet pink hiss, a 440 Hz tone, synthetic
chords), then scans each with the default preset (AASIST-L levelled to -26 LUFS, noise refused by
its speech gate, audio.windows.min_speech_snr_db 12), the same without the gate, and AASIST-L as
decoded (@aasist) without it, and prints per group how many read p(fake) >= 0.61, the default's
threshold, and how many were refused as noisy. With --videos, every real dev video (no dev real
video has sound) is also given six of those soundtracks and scanned end to end by the default
preset and by the same with audio.fusion.rule=max and no gate (the default until 2026-12-06):
the files called fake under each. Needs ffmpeg on PATH.
"""

from __future__ import annotations

import argparse
import glob
import subprocess
from pathlib import Path

import numpy as np
from scipy.io import wavfile

import dfd

THRESHOLD = 0.61
NO_SPEECH = {  # FFmpeg lavfi sources, 10 s at 16 kHz
    "brown noise": "anoisesrc=c=brown:a=0.05:d=10:r=16000:seed=1",
    "pink noise": "anoisesrc=c=pink:a=0.1:d=10:r=16000:seed=1",
    "white noise": "anoisesrc=c=white:a=0.02:d=10:r=16000:seed=1",
    "quiet pink hiss": "anoisesrc=c=pink:a=0.01:d=10:r=16000:seed=1",
    "440 Hz tone": "sine=f=440:d=10:r=16000",
    # three partials and an octave, struck every 0.5 s and decaying, the chord moving every 2 s
    "chords": "aevalsrc='0.2*exp(-3*mod(t,0.5))*(sin(2*PI*220*(1+0.25*floor(mod(t,8)/2))*t)"
              "+0.5*sin(4*PI*220*(1+0.25*floor(mod(t,8)/2))*t)+sin(2*PI*277*(1+0.25*floor(mod(t,8)/2))*t)"
              "+sin(2*PI*330*(1+0.25*floor(mod(t,8)/2))*t))':s=16000:d=10",
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    k = np.arange(len(spectrum), dtype=np.float64)
    k[0] = 1
    x = np.fft.irfft(spectrum / np.sqrt(k), n)
    return x / np.sqrt(np.mean(x**2))


def make_inputs(shared: Path, out: Path) -> dict[str, list[Path]]:
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Path]] = {"real speech": [], "real speech, 20 dB SNR": [], "real speech, 10 dB SNR": [],
                                     "no speech": []}
    rng = np.random.default_rng(0)
    for src in sorted(glob.glob(str(shared / "data/audio/*/real/*"))):
        clean = out / f"real_{Path(src).stem}.wav"
        ffmpeg("-i", src, "-ac", "1", "-ar", "16000", str(clean))
        groups["real speech"].append(clean)
        rate, x = wavfile.read(clean)
        x = x.astype(np.float64) / 32768
        rms = np.sqrt(np.mean(x**2))
        for snr in (20, 10):
            noisy = out / f"real_{Path(src).stem}_snr{snr}.wav"
            y = np.clip(x + pink(len(x), rng) * rms / 10 ** (snr / 20), -1, 1)
            wavfile.write(noisy, rate, (y * 32767).astype(np.int16))
            groups[f"real speech, {snr} dB SNR"].append(noisy)
    for name, source in NO_SPEECH.items():
        path = out / (name.replace(" ", "_") + ".wav")
        ffmpeg("-f", "lavfi", "-i", source, str(path))
        groups["no speech"].append(path)
    return groups


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--out", type=Path, default=Path("audio_fa"))
    ap.add_argument("--videos", action="store_true", help="also scan real dev videos given these soundtracks")
    a = ap.parse_args()
    dfd.configure_runtime()
    groups = make_inputs(a.shared, a.out)
    ungated = {"audio__windows__min_speech_snr_db": -100}
    detectors = {"default (levelled, gated)": dfd.Detector(),
                 "levelled, no gate": dfd.Detector(**ungated),
                 "as decoded (@aasist), no gate": dfd.Detector(models=["aasist_l:aasist-l.safetensors@aasist"], **ungated)}
    print("| real sound | files | " + " | ".join(f"{k}: >= {THRESHOLD} / refused as noisy / median p of the scored"
                                              for k in detectors) + " |")
    print("|---|---|" + "---|" * len(detectors))
    for group, files in groups.items():
        cells = []
        for det in detectors.values():
            verdicts = [det.scan(str(f)) for f in files]
            p = [v.p_fake for v in verdicts if v.status == "ok"]
            refused = sum(v.status == "noisy_audio" for v in verdicts)
            cells.append(f"{sum(x >= THRESHOLD for x in p)} / {refused} / " + (f"{np.median(p):.2f}" if p else "-"))
        snr = [dfd.speech_snr_db(dfd.AudioReader(str(f), sample_rate=16000).read()) for f in files]
        print(f"| {group} (WADA-SNR {min(snr):.1f} to {max(snr):.1f} dB) | {len(files)} | " + " | ".join(cells) + " |")
    if not a.videos:
        return
    reals = sorted(glob.glob(str(a.shared / "data/videos/*/real/*.mp4"))) + [str(a.shared / "data/videos/ffpp_c23_icpr2020dfdc/004.mp4")]
    tracks = [groups["no speech"][0], groups["no speech"][5]] + groups["real speech"][1:2] + groups["real speech, 10 dB SNR"][1:2] \
        + groups["real speech"][6:7] + groups["real speech, 10 dB SNR"][6:7]
    muxed = []
    for video in reals:
        for track in tracks:
            path = a.out / f"{Path(video).stem}__{track.stem}.mp4"
            ffmpeg("-i", video, "-stream_loop", "-1", "-i", str(track), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
                   "-c:a", "aac", "-shortest", str(path))
            muxed.append(path)
    for name, det in {"default (rule video, gated)": dfd.Detector(),
                      "rule max, no gate": dfd.Detector(audio__fusion__rule="max", **ungated)}.items():
        verdicts = [det.scan(str(p)) for p in muxed]
        fake = sum(v.is_fake for v in verdicts)
        by_audio = sum(v.is_fake and not (v.video_p_fake is not None and v.video_p_fake >= THRESHOLD) for v in verdicts)
        print(f"{name}: {len(muxed)} real videos with sound ({len(reals)} videos x {len(tracks)} soundtracks): "
              f"{fake} called fake, {by_audio} of them by their sound alone")


if __name__ == "__main__":
    main()
