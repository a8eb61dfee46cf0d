// Private: the BlazeFace network (MediaPipe's face detector as hollance/BlazeFace-PyTorch ports
// it), its anchors, box decoding and weighted non-maximum suppression. Parameter names equal the
// reference's state_dict, so converted weights load 1:1.
#pragma once

#include <torch/torch.h>

#include "dfd/export.hpp"  // DFD_API: exported for the tests

namespace dfd::blazeface {

// Depthwise 3x3 + pointwise 1x1 with a residual; stride 2 pads (0, 2, 0, 2) like TFLite and
// max-pools the shortcut; extra output channels of the shortcut are zero.
struct DFD_API BlazeBlockImpl : torch::nn::Module {
  BlazeBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride = 1);
  torch::Tensor forward(torch::Tensor x);
  int64_t stride;
  int64_t channel_pad;
  torch::nn::Sequential convs{nullptr};
};
TORCH_MODULE(BlazeBlock);

// The back model's last block: stride-2 depthwise + pointwise, no residual.
struct DFD_API FinalBlazeBlockImpl : torch::nn::Module {
  explicit FinalBlazeBlockImpl(int64_t channels);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential convs{nullptr};
};
TORCH_MODULE(FinalBlazeBlock);

struct Outputs {
  torch::Tensor boxes;   // [b, 896, 16] regressors: x, y, w, h, then 6 keypoints (x, y)
  torch::Tensor scores;  // [b, 896, 1] logits
};

struct DFD_API BlazeFaceNetImpl : torch::nn::Module {
  explicit BlazeFaceNetImpl(bool back_model);
  // x: [b, 3, S, S] float in [-1, 1], S = input_size().
  Outputs forward(torch::Tensor x);
  int64_t input_size() const { return back_model ? 256 : 128; }

  bool back_model;
  torch::nn::Sequential backbone{nullptr}, backbone1{nullptr}, backbone2{nullptr};
  FinalBlazeBlock final{nullptr};
  torch::nn::Conv2d classifier_8{nullptr}, classifier_16{nullptr}, regressor_8{nullptr}, regressor_16{nullptr};
};
TORCH_MODULE(BlazeFaceNet);

// MediaPipe's SSD anchors for both models: [896, 4] (x_center, y_center, w = 1, h = 1), a 16x16
// grid with 2 anchors per cell, then 8x8 with 6.
DFD_API torch::Tensor anchors();

// Regressors → [b, 896, 16] (ymin, xmin, ymax, xmax, 6 x (x, y)) in [0, 1] of the input.
DFD_API torch::Tensor decode_boxes(const torch::Tensor& raw_boxes, const torch::Tensor& anchors, double scale);

// Per image, the decoded boxes whose sigmoid(clamp(logit, ±clip)) >= min_score, with the score
// appended: [K, 17], in anchor order.
DFD_API std::vector<torch::Tensor> to_detections(const Outputs& raw, const torch::Tensor& anchors, double scale,
                                         double min_score, double clip = 100.0);

// BlazeFace's blending NMS: overlapping detections (IoU > threshold with the best remaining) are
// replaced by their score-weighted mean, scored by their mean score. [K, 17] → [M, 17], best first.
DFD_API torch::Tensor weighted_nms(const torch::Tensor& detections, double min_suppression_threshold);

}  // namespace dfd::blazeface
