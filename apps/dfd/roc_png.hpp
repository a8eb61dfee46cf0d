// ROC curves drawn with OpenCV, for `dfd eval --roc` (no plotting library in C++).
#pragma once

#include <string>
#include <vector>

#include "dfd/metrics.hpp"

namespace dfd::cli {

struct RocPlotCurve {
  std::string label;  // legend text, e.g. "video (AUC 0.912)"
  metrics::RocCurve curve;
};

// A 640x640 PNG: axes with ticks every 0.1, the chance diagonal, each curve in its own colour with
// its legend. throws: IoError when the file cannot be written.
void write_roc_png(const std::string& path, const std::vector<RocPlotCurve>& curves);

}  // namespace dfd::cli
