#include "face/area_pyramid.hpp"

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace dfd::mtcnn {

AreaPyramid::AreaPyramid(const std::vector<cv::Mat>& images) : rows_(images.at(0).rows), cols_(images.at(0).cols) {
  const int64_t stride = (cols_ + 1) * 3;
  tables_.resize(images.size());
  at::parallel_for(0, static_cast<int64_t>(images.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const cv::Mat& image = images[static_cast<size_t>(i)];
      std::vector<int32_t>& t = tables_[static_cast<size_t>(i)];
      t.assign(static_cast<size_t>((rows_ + 1) * stride), 0);
      for (int64_t y = 0; y < rows_; ++y) {
        const uint8_t* px = image.ptr<uint8_t>(static_cast<int>(y));
        const int32_t* above = t.data() + y * stride;
        int32_t* row = t.data() + (y + 1) * stride;
        int32_t run[3] = {0, 0, 0};
        for (int64_t x = 0; x < cols_; ++x) {
          for (int c = 0; c < 3; ++c) {
            run[c] += px[x * 3 + c];
            row[(x + 1) * 3 + c] = above[(x + 1) * 3 + c] + run[c];
          }
        }
      }
    }
  });
}

at::Tensor AreaPyramid::level(int64_t h, int64_t w, float offset, float scale) const {
  const auto n = static_cast<int64_t>(tables_.size());
  // Channels-last memory of an [n, 3, h, w] tensor is [n, h, w, 3].
  at::Tensor out = torch::empty({n, h, w, 3}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  std::vector<int64_t> x0(static_cast<size_t>(w)), x1(static_cast<size_t>(w));
  for (int64_t j = 0; j < w; ++j) {
    x0[size_t(j)] = (j * cols_) / w;                    // ATen's start_index
    x1[size_t(j)] = ((j + 1) * cols_ + w - 1) / w;      // end_index: the ceiling
  }
  const int64_t stride = (cols_ + 1) * 3;
  at::parallel_for(0, n * h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t i = r / h, y = r % h;
      const int64_t y0 = (y * rows_) / h, y1 = ((y + 1) * rows_ + h - 1) / h;
      const auto kh = static_cast<float>(y1 - y0);
      const int32_t* top = tables_[static_cast<size_t>(i)].data() + y0 * stride;
      const int32_t* bottom = tables_[static_cast<size_t>(i)].data() + y1 * stride;
      float* o = data + r * w * 3;
      for (int64_t j = 0; j < w; ++j) {
        const int64_t a = x0[size_t(j)] * 3, b = x1[size_t(j)] * 3;
        const auto kw = static_cast<float>(x1[size_t(j)] - x0[size_t(j)]);
        for (int c = 0; c < 3; ++c) {
          const int32_t sum = bottom[b + c] - bottom[a + c] - top[b + c] + top[a + c];
          o[j * 3 + c] = (static_cast<float>(sum) / kh / kw - offset) * scale;
        }
      }
    }
  });
  return out.permute({0, 3, 1, 2});
}

}  // namespace dfd::mtcnn
