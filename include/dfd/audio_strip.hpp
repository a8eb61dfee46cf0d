// dfd/audio_strip.hpp — where in a clip the fake is: its spectrogram with the windows' p(fake)
// beneath, on one time axis.
//
// The picture dfd explain writes for a clip's sound (and the web page shows): on top the log-mel
// spectrogram (low frequencies at the bottom, magma colours, louder is brighter); beneath it a strip
// whose colour at each moment is the highest p(fake) of the waveform windows covering it, from
// green (0, real) through yellow (0.5) to red (1, fake); a tick every second under the strip.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/audio_windows.hpp"
#include "dfd/export.hpp"


DFD_BEGIN_API
namespace dfd {

struct AudioStripParams {
  int pixels_per_second = 50;  // width = duration * this, then clamped to [min_width, max_width]
  int min_width = 400;
  int max_width = 3000;
  int spectrogram_height = 160;
  int strip_height = 28;
};

// The colour of a p(fake) in the strip: green -> yellow -> red, RGB. p is clamped to [0, 1].
cv::Vec3b fake_colour(float p_fake);

// requires: decibels CV_32F [mels, frames] (AudioSpectrogram::compute), duration_seconds > 0,
// windows within [0, duration] (Verdict::audio_windows). ensures: RGB uint8, width per params,
// height spectrogram_height + strip_height + 8. Moments no window covers are grey.
// throws: InvalidArgument.
cv::Mat audio_strip(const cv::Mat& decibels, double duration_seconds, const std::vector<AudioWindowScore>& windows,
                    const AudioStripParams& params = {});

}  // namespace dfd
DFD_END_API
