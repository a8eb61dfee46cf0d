#include "models/same_conv.hpp"

#include <algorithm>
#include <cmath>

namespace dfd::zoo {

int64_t same_padding(int64_t size, int64_t kernel, int64_t stride) {
  return std::max<int64_t>((size + stride - 1) / stride * stride - stride + kernel - size, 0);
}

SameConv2dImpl::SameConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, bool bias)
    : stride(stride), groups(groups) {
  weight = register_parameter("weight", torch::empty({out, in / groups, kernel, kernel}));
  // As torch::nn::Conv2d: a model built without weights (trained from scratch) starts where
  // PyTorch's would, not from uninitialised memory.
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias) {
    const double bound = 1.0 / std::sqrt(double(in / groups * kernel * kernel));
    this->bias = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
  }
}

torch::Tensor SameConv2dImpl::forward(const torch::Tensor& x) {
  static constexpr std::array<int64_t, 2> kNoPadding{0, 0}, kUnitDilation{1, 1};
  const at::IntArrayRef strides(&stride, 1);  // one value: both axes
  const int64_t k = weight.size(2);
  const int64_t pad_h = same_padding(x.size(2), k, stride), pad_w = same_padding(x.size(3), k, stride);
  if (pad_h % 2 == 0 && pad_w % 2 == 0) {
    const std::array<int64_t, 2> padding{pad_h / 2, pad_w / 2};
    return torch::conv2d(x, weight, bias, strides, padding, kUnitDilation, groups);
  }
  const torch::Tensor padded = torch::constant_pad_nd(x, {pad_w / 2, pad_w - pad_w / 2, pad_h / 2, pad_h - pad_h / 2});
  return torch::conv2d(padded, weight, bias, strides, kNoPadding, kUnitDilation, groups);
}

}  // namespace dfd::zoo
