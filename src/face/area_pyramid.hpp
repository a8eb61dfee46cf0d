// The image pyramid MTCNN's first stage reads, computed from a summed-area table.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"  // DFD_API: exported for the tests

namespace dfd::mtcnn {

// torch.nn.functional.interpolate(mode="area") — adaptive average pooling: output pixel (i, j)
// is the mean of input rows floor(i H / h) .. ceil((i + 1) H / h) - 1 and the same for columns —
// of 8-bit images, bit for bit: the window sums are integers (exact), divided as ATen divides
// them. One summed-area table per image makes every level cost its output size, where
// interpolate reads the whole image again for each of the ~10 levels (half of MTCNN's time on
// 1080p frames).
class DFD_API AreaPyramid {
 public:
  // requires: images non-empty, all CV_8UC3 of one size.
  explicit AreaPyramid(const std::vector<cv::Mat>& images);

  // ((area mean) - offset) * scale as float32 [n, 3, h, w] in channels-last memory.
  // requires: 1 <= h <= rows, 1 <= w <= cols.
  at::Tensor level(int64_t h, int64_t w, float offset, float scale) const;

 private:
  int64_t rows_ = 0, cols_ = 0;
  std::vector<std::vector<int32_t>> tables_;  // per image: (rows + 1) x (cols + 1) x 3, inclusive sums
};

}  // namespace dfd::mtcnn
