// Private: convolutions padded as TensorFlow's "SAME" does, for networks whose weights were trained
// in TensorFlow (tf_efficientnet_*, mobilenet_v1, mobilenet_v2): a stride-2 layer on an even side
// pads 0 before and 1 after, which PyTorch's symmetric padding cannot express. Also ReLU6.
#pragma once

#include <array>

#include <torch/torch.h>

namespace dfd::zoo {

// TF "SAME" padding along one side of length `size`: the total, of which floor(total / 2) goes first.
int64_t same_padding(int64_t size, int64_t kernel, int64_t stride);

// A convolution with TF "SAME" padding (timm's Conv2dSame): parameters "weight" (and "bias") named
// and initialised as torch::nn::Conv2d's. Symmetric padding is left to the convolution (no copy).
struct SameConv2dImpl : torch::nn::Module {
  SameConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1, bool bias = false);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t stride, groups;
  torch::Tensor weight, bias;
};
TORCH_MODULE(SameConv2d);

// ReLU6 (TensorFlow's Relu6; Keras writes it Relu -> Minimum(6) -> Maximum(0)), in place, as
// torchvision's ReLU6(inplace=True): callers pass a layer's fresh output, which nothing else holds;
// a second full-size tensor per layer is memory traffic a MobileNet on a CPU pays for. Autograd
// differentiates hardtanh_ from its result, so training is unchanged.
// LibTorch 1.13 has no bfloat16 backward for hardtanh, so a bfloat16 activation being trained
// (TrainParams::precision) is clipped in float32; the next convolution's autocast casts it back.
// requires: x is not needed elsewhere unclipped (not a layer's input, not an offered feature).
inline torch::Tensor clip6_(torch::Tensor x) {
  if (x.scalar_type() == torch::kBFloat16 && x.requires_grad()) {
    torch::Tensor wide = x.to(torch::kFloat32);
    return torch::hardtanh_(wide, 0.0, 6.0);
  }
  return torch::hardtanh_(x, 0.0, 6.0);
}

}  // namespace dfd::zoo
