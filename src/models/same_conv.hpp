// Private: TensorFlow's "SAME" padding and ReLU6 for the BatchNorm-folded TF/TFLite networks
// (mobilenet_v1, mobilenet_v2). A stride-2 3x3 on an even side pads 0 before and 1 after, which
// PyTorch's symmetric padding cannot express, so those pad explicitly.
#pragma once

#include <algorithm>
#include <array>

#include <torch/torch.h>

namespace dfd::zoo {

// [before, after] along one side for a k-wide, stride-s window.
inline std::array<int64_t, 2> same_padding(int64_t side, int64_t k, int64_t s) {
  const int64_t out = (side + s - 1) / s;
  const int64_t total = std::max<int64_t>((out - 1) * s + k - side, 0);
  return {total / 2, total - total / 2};
}

// A 3x3 convolution (with bias) and SAME padding: stride 1 pads 1 all round (built in), stride 2
// pads explicitly.
struct SameConv {
  torch::nn::Conv2d conv{nullptr};
  int64_t stride = 1;

  torch::Tensor forward(const torch::Tensor& x) {
    if (stride == 1) return conv(x);
    const auto h = same_padding(x.size(2), 3, stride), w = same_padding(x.size(3), 3, stride);
    return conv(torch::constant_pad_nd(x, {w[0], w[1], h[0], h[1]}));
  }
};

inline SameConv same_conv3x3(int64_t in, int64_t out, int64_t stride, int64_t groups) {
  return {torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(stride == 1 ? 1 : 0).groups(groups)),
          stride};
}

// ReLU6 (TensorFlow's Relu6; Keras writes it Relu -> Minimum(6) -> Maximum(0)).
inline torch::Tensor clip6(const torch::Tensor& x) { return torch::hardtanh(x, 0.0, 6.0); }

}  // namespace dfd::zoo
