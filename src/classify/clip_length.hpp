// The one check every clip entry point makes: each clip has the frames the model was built for.
#pragma once

#include <vector>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "dfd/error.hpp"
#include "dfd/models.hpp"

namespace dfd::classify {

// requires: info describes a clip model (info.segments > 0).
// ensures: returns only when every clip has info.segments frames.
// throws: InvalidArgument naming the first clip that does not, its length and the model's.
inline void require_clip_length(const std::vector<std::vector<cv::Mat>>& clips, const ModelInfo& info) {
  for (size_t i = 0; i < clips.size(); ++i) {
    if (static_cast<int>(clips[i].size()) != info.segments) {
      throw InvalidArgument("clips", fmt::format("clip {} has {} frames; {} takes clips of {}", i, clips[i].size(), info.arch, info.segments));
    }
  }
}

}  // namespace dfd::classify
