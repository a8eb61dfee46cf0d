// dfd/speech_snr.hpp — how far speech stands above the noise in a clip, estimated blind by WADA-SNR
// (Kim & Stern, "Robust signal-to-noise ratio estimation based on waveform amplitude distribution
// analysis", Interspeech 2008), the estimate speech corpora are filtered by.
//
// Why: AASIST-L learned clean read speech and calls what is not fake — real speech at 10 dB SNR,
// room noise, a tone, chords: 0.8-1.0 (docs/models.md, "Where AASIST-L is wrong"). A waveform
// model's score there carries no evidence, so AudioWindowParams::min_speech_snr_db (the default
// preset's) refuses such audio as "noisy" instead of scoring it.
//
// The estimate: clean speech's amplitude is modelled as Gamma-distributed (shape 0.4), noise as
// Gaussian; the statistic G = log(mean |x|) - mean(log |x|) grows with the speech's share and is
// looked up in a table of G against SNR made from that model (scripts/wada_snr_table.py). G is
// scale-free: a gain does not move the estimate. Sound that is not speech has no SNR in this
// sense: noise and a tone read at the floor, the synthetic chords of scripts/audio_false_alarms.py
// near 3 dB; music with sparse, speech-like amplitudes can read higher.
#pragma once

#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// The estimate's range: the statistic is flat below -10 dB (noise alone) and above 100 dB.
inline constexpr double kSpeechSnrFloorDb = -10.0;
inline constexpr double kSpeechSnrCeilingDb = 100.0;

// The estimated speech-to-noise ratio of mono `samples`, in dB, in [kSpeechSnrFloorDb,
// kSpeechSnrCeilingDb] (linear between the table's whole-dB points).
// requires: samples not empty. ensures: unchanged by scaling the samples by any g > 0; digital
// silence (every sample 0) reads the floor.
// throws: InvalidArgument for empty samples.
double speech_snr_db(const std::vector<float>& samples);

}  // namespace dfd
DFD_END_API
