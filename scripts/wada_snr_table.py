#!/usr/bin/env python3
"""The table src/audio/speech_snr.cpp looks WADA-SNR up in, printed as C++.

WADA-SNR (Kim & Stern, "Robust signal-to-noise ratio estimation based on waveform amplitude
distribution analysis", Interspeech 2008) models clean speech's amplitude as Gamma-distributed
(shape 0.4) and noise as Gaussian. For each SNR from -10 to 100 dB this computes, over speech of
that model plus noise, the statistic the estimator measures on a clip:
    G = log(mean |x|) - mean(log |x|)
by Monte Carlo (numpy, seed 0, 4 million samples per SNR, the same speech and noise for every
SNR, so the table is smooth and increasing). Below -10 dB the statistic is flat to within the
Monte Carlo error (noise alone gives log(sqrt(2/pi)) + (gamma + log 2) / 2 = 0.4094): the
estimator cannot tell -20 dB from -10, so its floor is -10. Run: python scripts/wada_snr_table.py
"""

import numpy as np

SHAPE = 0.4
N = 4_000_000
LOWEST_DB = -10


def table() -> np.ndarray:
    rng = np.random.default_rng(0)
    speech = rng.gamma(SHAPE, 1.0, N)
    speech /= np.sqrt(np.mean(speech**2))          # unit power
    speech *= rng.choice([-1.0, 1.0], N)
    noise = rng.standard_normal(N)
    noise /= np.sqrt(np.mean(noise**2))            # unit power
    out = []
    for snr_db in range(LOWEST_DB, 101):
        x = np.abs(10 ** (snr_db / 20) * speech + noise)
        out.append(np.log(x.mean()) - np.log(np.maximum(x, 1e-20)).mean())
    return np.array(out)


if __name__ == "__main__":
    g = table()
    assert np.all(np.diff(g) > 0), "the table must increase with the SNR"
    rows = [", ".join(f"{v:.6f}" for v in g[k:k + 8]) for k in range(0, len(g), 8)]
    print(f"// G for SNR {LOWEST_DB}, {LOWEST_DB + 1}, ..., 100 dB (scripts/wada_snr_table.py)")
    print(f"constexpr double kWadaTable[{len(g)}] = {{\n    " + ",\n    ".join(rows) + "};")
