// Private: the Temporal Shift Module's shift (Lin et al., ICCV 2019; mit-han-lab/temporal-shift-module
// ops/temporal_shift.py), the operation every TSM zoo model applies on its residual branch.
#pragma once

#include <torch/torch.h>

#include "dfd/export.hpp"
#include "models/zoo_module.hpp"

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

// TSN with is_shift, as the reference builds every TSM network: `base_model` (a 2D network whose
// layers shift in time, without its head) on each frame of a clip, dropout and `new_fc` on the
// frames' pooled features, a clip's logits the mean of its frames'.
template <class Base>
struct Tsn : ZooModule {
  Tsn(std::shared_ptr<Base> base, int64_t features, int64_t num_outputs, int64_t segments)
      : segments(segments), base_model(register_module("base_model", std::move(base))),
        new_fc(register_module("new_fc", torch::nn::Linear(features, num_outputs))) {}

  // x: [n, segments, 3, h, w] (checked by Model::forward). Endpoints are per frame: [n * segments, ...].
  torch::Tensor forward_with(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    const int64_t n = x.size(0);
    const torch::Tensor frames = x.reshape({n * segments, x.size(2), x.size(3), x.size(4)}).contiguous(at::MemoryFormat::ChannelsLast);
    const torch::Tensor logits = new_fc(torch::dropout(base_model->forward_with(frames, features), 0.5, is_training()));
    return logits.reshape({n, segments, logits.size(1)}).mean(1);
  }

  int64_t segments;
  std::shared_ptr<Base> base_model;
  torch::nn::Linear new_fc{nullptr};
};

}  // namespace dfd::zoo
