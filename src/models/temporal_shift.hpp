// Private: the Temporal Shift Module's shift (Lin et al., ICCV 2019; mit-han-lab/temporal-shift-module
// ops/temporal_shift.py), the operation every TSM zoo model applies on its residual branch.
#pragma once

#include <torch/torch.h>

#include "dfd/export.hpp"

namespace dfd::zoo {

// x: [n * segments, c, h, w], the frames of n clips of `segments` frames each, clip-major. The
// first c / fold_div channels of each frame take the next frame's values (shifted back in time),
// the next c / fold_div the previous frame's (forward in time), zero where the clip has no such
// frame; the other channels are kept. Equal to the reference's shift for segments >= 2. One frame
// (segments == 1) has no neighbours: returned unchanged, so a TSM network on single frames is its
// 2D backbone (the reference would zero 2 c / fold_div channels instead).
// requires: x 4-D with size(0) a multiple of segments >= 1; fold_div >= 1.
// throws: InvalidArgument naming the shape.
DFD_API torch::Tensor temporal_shift(const torch::Tensor& x, int64_t segments, int64_t fold_div);

// A layer whose input is shifted first: the reference wraps the layer it shifts (a block's first
// convolution) as `net`, so its weights are named "<layer>.net.weight".
struct TemporalShiftImpl : torch::nn::Module {
  TemporalShiftImpl(torch::nn::Conv2d conv, int64_t segments, int64_t fold_div)
      : net(register_module("net", std::move(conv))), segments(segments), fold_div(fold_div) {}
  torch::Tensor forward(const torch::Tensor& x) { return net(temporal_shift(x, segments, fold_div)); }
  torch::nn::Conv2d net;
  int64_t segments, fold_div;
};
TORCH_MODULE(TemporalShift);

}  // namespace dfd::zoo
