// dfd/audio_bandwidth.hpp — how high a clip's sound reaches: the highest frequency at which its
// long-term spectrum comes within 60 dB of its peak.
//
// Why: AASIST-L learned 16 kHz wideband speech, and band-limited real speech reads fake to it —
// the 12 real dev clips through a telephone channel (8 kHz G.711 mu-law): 12 of 12 called fake
// (docs/models.md, "Narrowband audio"). A phone call or an 8 kHz voice recorder leaves nothing
// above 4-4.5 kHz; wideband speech, through MP3 or AAC at 32 kb/s, Opus at 12 kb/s or a 44.1 kHz
// resampling, reaches 7.2-8 kHz at 16 kHz, a 24 kb/s MP3 5.8. So AudioWindowParams::min_bandwidth_hz
// (the default preset's 5 kHz) refuses narrowband audio as "narrowband" instead of scoring it.
//
// The estimate: the mean power spectrum (Hann windows of 512 samples, hop 256) of the louder half
// of the frames — speech, not its pauses — and the highest bin within kBandwidthDropDb of its
// maximum. Scale-free (a gain does not move it); a brick-wall cut reads at the cut, a gentle
// low-pass above its corner, noise up to the Nyquist frequency.
#pragma once

#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

inline constexpr double kBandwidthDropDb = 60.0;
inline constexpr int kBandwidthWindow = 512;  // samples per spectrum frame

// The highest frequency (Hz, in [0, sample_rate / 2]) of mono `samples` at `sample_rate` whose
// long-term power is within kBandwidthDropDb of the strongest frequency's; 0 for digital silence.
// requires: sample_rate > 0; at least kBandwidthWindow samples. ensures: unchanged by scaling the
// samples by any g > 0. throws: InvalidArgument otherwise.
double audio_bandwidth_hz(const std::vector<float>& samples, int sample_rate);

}  // namespace dfd
DFD_END_API
