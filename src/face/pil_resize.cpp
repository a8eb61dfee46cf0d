#include "face/pil_resize.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Parallel.h>
#include <opencv2/core.hpp>

namespace dfd {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit images

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// One axis: per output index, the first input index, the tap count and the fixed-point weights.
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out_size x ksize
};

Taps taps(int in_size, int out_size) {
  constexpr double support_unit = 2.0;  // the bicubic filter's support
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = support_unit * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(out_size));
  t.count.resize(static_cast<size_t>(out_size));
  t.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(t.ksize), 0);
  std::vector<double> k(static_cast<size_t>(t.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[size_t(x)] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[size_t(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[size_t(x)] / ww : k[size_t(x)];
      // Pillow's rounding to fixed point: half away from zero, then truncation toward zero.
      t.weights[size_t(xx) * size_t(t.ksize) + size_t(x)] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    t.first[size_t(xx)] = xmin;
    t.count[size_t(xx)] = xmax;
  }
  return t;
}

inline uint8_t clip8(int32_t v) { return static_cast<uint8_t>(std::clamp(v >> kPrecisionBits, 0, 255)); }

// acc[i] += src[i] * w over a row. Separate, with restrict, so the compiler vectorises it: a
// uint8_t pointer may alias anything, which otherwise forces a reload per element.
__attribute__((target_clones("avx2", "default")))  // AVX2 where the CPU has it
void accumulate_row(int32_t* __restrict acc, const uint8_t* __restrict src, int32_t w, int n) {
  for (int i = 0; i < n; ++i) acc[i] += static_cast<int32_t>(src[i]) * w;
}

__attribute__((target_clones("avx2", "default")))
void store_row(uint8_t* __restrict out, const int32_t* __restrict acc, int n) {
  for (int i = 0; i < n; ++i) out[i] = clip8(acc[i]);
}

// The common case of halving (eight taps), fused: every sum kept in registers and stored once,
// ~2x the accumulate-per-tap loop with AVX2.
__attribute__((target_clones("avx2", "default")))
void resample_row8(uint8_t* __restrict out, const uint8_t* const* rows, const int32_t* k, int n) {
  const uint8_t* __restrict r0 = rows[0];
  const uint8_t* __restrict r1 = rows[1];
  const uint8_t* __restrict r2 = rows[2];
  const uint8_t* __restrict r3 = rows[3];
  const uint8_t* __restrict r4 = rows[4];
  const uint8_t* __restrict r5 = rows[5];
  const uint8_t* __restrict r6 = rows[6];
  const uint8_t* __restrict r7 = rows[7];
  const int32_t k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4], k5 = k[5], k6 = k[6], k7 = k[7];
  for (int i = 0; i < n; ++i) {
    const int32_t sum = (1 << (kPrecisionBits - 1)) + r0[i] * k0 + r1[i] * k1 + r2[i] * k2 + r3[i] * k3 + r4[i] * k4 +
                        r5[i] * k5 + r6[i] * k6 + r7[i] * k7;
    out[i] = clip8(sum);
  }
}

// Resamples along the rows: output row yy = the taps' weighted sum of input rows, every byte of a
// row at once (vectorisable); sums are integers, so the order is free and the result Pillow's.
cv::Mat resample_rows(const cv::Mat& in, const Taps& t, int out_rows) {
  cv::Mat out(out_rows, in.cols, in.type());
  const int row_bytes = in.cols * in.channels();
  // LibTorch's pool, not OpenCV's: MTCNN's OpenMP workers are awake (spinning) around this call,
  // and a second pool would compete with them for the same cores.
  at::parallel_for(0, out_rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> acc(static_cast<size_t>(row_bytes));
    for (int yy = static_cast<int>(begin); yy < static_cast<int>(end); ++yy) {
      const int32_t* k = &t.weights[size_t(yy) * size_t(t.ksize)];
      const int first = t.first[size_t(yy)], count = t.count[size_t(yy)];
      if (count == 8) {
        const uint8_t* rows8[8];
        for (int y = 0; y < 8; ++y) rows8[y] = in.ptr<uint8_t>(first + y);
        resample_row8(out.ptr<uint8_t>(yy), rows8, k, row_bytes);
        continue;
      }
      std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
      for (int y = 0; y < count; ++y) accumulate_row(acc.data(), in.ptr<uint8_t>(first + y), k[y], row_bytes);
      store_row(out.ptr<uint8_t>(yy), acc.data(), row_bytes);
    }
  });
  return out;
}

}  // namespace

cv::Mat pil_resize_bicubic(const cv::Mat& rgb, cv::Size size) {
  CV_Assert(rgb.type() == CV_8UC3 && size.width > 0 && size.height > 0);
  // Pillow: horizontal pass first (skipped when the width stays), then vertical. The horizontal
  // one runs as a row pass on the transposed image: two cheap transposes buy vectorised sums.
  cv::Mat wide = rgb;
  if (size.width != rgb.cols) {
    cv::Mat transposed;
    cv::transpose(rgb, transposed);
    cv::transpose(resample_rows(transposed, taps(rgb.cols, size.width), size.width), wide);
  }
  if (size.height == rgb.rows) return wide.data == rgb.data ? rgb.clone() : wide;
  return resample_rows(wide, taps(rgb.rows, size.height), size.height);
}

}  // namespace dfd
