// dfd/loudness.hpp — how loud a clip is, as ITU-R BS.1770-4 measures it (the integrated loudness of
// EBU R128, FFmpeg's ebur128 filter, broadcast meters), and the gain that brings it to a level.
//
// Why: a raw-waveform model (AASIST) is not level-invariant. The same recording played 6 dB louder,
// or a mono voice stored as two identical stereo channels (the down-mix sums them: +3 dB), scores
// higher — for the shipped AASIST-L, from 0.05 to 0.52 across a 17 dB range of one fake clip, and
// real speech at broadcast loudness is called fake far more often than quiet speech
// (docs/models.md, "Loudness"). A preset with Preprocess::loudness_lufs set has each clip brought to
// that loudness before its windows are cut, so a verdict no longer depends on the volume knob.
//
// The measure, for mono samples: K-weighting (BS.1770's high shelf, +4 dB above ~1.7 kHz, and its
// 38 Hz high-pass; both biquads designed for the clip's own rate, equal to the standard's table at
// 48 kHz), mean square over 400 ms blocks starting every 100 ms, each block's loudness
// -0.691 + 10 log10(mean square); blocks at or below -70 LUFS dropped (absolute gate), then those
// more than 10 LU below the loudness of the rest (relative gate); the loudness of what remains.
#pragma once

#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// The integrated loudness of mono `samples` at `sample_rate`, in LUFS (LKFS).
// requires: sample_rate > 0.
// ensures: -infinity when no 400 ms block passes the -70 LUFS gate (silence, or a clip shorter than
//          one block); otherwise a finite value, which scaling the samples by g shifts by 20 log10 g.
// throws: InvalidArgument for sample_rate <= 0.
double integrated_loudness(const std::vector<float>& samples, int sample_rate);

// The linear gain that takes a clip measured at `measured_lufs` to `target_lufs`:
// 10^((target - measured) / 20). requires: both finite. throws: InvalidArgument otherwise.
double loudness_gain(double measured_lufs, double target_lufs);

}  // namespace dfd
DFD_END_API
