#include "face/blazeface_net.hpp"

#include "dfd/nms.hpp"

namespace dfd::blazeface {

namespace F = torch::nn::functional;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

BlazeBlockImpl::BlazeBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride_)
    : stride(stride_), channel_pad(out_channels - in_channels) {
  const int64_t padding = stride == 2 ? 0 : 1;
  convs = register_module(
      "convs", torch::nn::Sequential(
                   Conv2d(Conv2dOptions(in_channels, in_channels, 3).stride(stride).padding(padding).groups(in_channels)),
                   Conv2d(Conv2dOptions(in_channels, out_channels, 1))));
}

torch::Tensor BlazeBlockImpl::forward(torch::Tensor x) {
  torch::Tensor h;
  if (stride == 2) {
    h = F::pad(x, F::PadFuncOptions({0, 2, 0, 2}));
    x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
  } else {
    h = x;
  }
  if (channel_pad > 0) x = F::pad(x, F::PadFuncOptions({0, 0, 0, 0, 0, channel_pad}));
  return torch::relu(convs->forward(h) + x);
}

FinalBlazeBlockImpl::FinalBlazeBlockImpl(int64_t channels) {
  convs = register_module(
      "convs", torch::nn::Sequential(Conv2d(Conv2dOptions(channels, channels, 3).stride(2).groups(channels)),
                                     Conv2d(Conv2dOptions(channels, channels, 1))));
}

torch::Tensor FinalBlazeBlockImpl::forward(torch::Tensor x) {
  return torch::relu(convs->forward(F::pad(x, F::PadFuncOptions({0, 2, 0, 2}))));
}

BlazeFaceNetImpl::BlazeFaceNetImpl(bool back) : back_model(back) {
  auto stem = [] {
    torch::nn::Sequential s;
    s->push_back(Conv2d(Conv2dOptions(3, 24, 5).stride(2)));
    s->push_back(torch::nn::ReLU());
    return s;
  };
  if (back_model) {
    backbone = stem();
    // Four stages of 24, 24, 48, 96 channels; each after the first opens with a stride-2 block.
    const int64_t widths[] = {24, 24, 48, 96};
    int64_t in = 24;
    for (int stage = 0; stage < 4; ++stage) {
      if (stage > 0) backbone->push_back(BlazeBlock(in, widths[stage], 2));
      in = widths[stage];
      for (int i = 0; i < 7; ++i) backbone->push_back(BlazeBlock(in, in));
    }
    register_module("backbone", backbone);
    final = register_module("final", FinalBlazeBlock(96));
  } else {
    backbone1 = stem();
    const int64_t chain[][3] = {{24, 24, 1}, {24, 28, 1}, {28, 32, 2}, {32, 36, 1}, {36, 42, 1}, {42, 48, 2},
                                {48, 56, 1}, {56, 64, 1}, {64, 72, 1}, {72, 80, 1}, {80, 88, 1}};
    for (const auto& c : chain) backbone1->push_back(BlazeBlock(c[0], c[1], c[2]));
    backbone2 = torch::nn::Sequential(BlazeBlock(88, 96, 2), BlazeBlock(96, 96), BlazeBlock(96, 96),
                                      BlazeBlock(96, 96), BlazeBlock(96, 96));
    register_module("backbone1", backbone1);
    register_module("backbone2", backbone2);
  }
  const int64_t c16 = back_model ? 96 : 88;  // channels of the 16x16 map
  classifier_8 = register_module("classifier_8", Conv2d(Conv2dOptions(c16, 2, 1)));
  classifier_16 = register_module("classifier_16", Conv2d(Conv2dOptions(96, 6, 1)));
  regressor_8 = register_module("regressor_8", Conv2d(Conv2dOptions(c16, 32, 1)));
  regressor_16 = register_module("regressor_16", Conv2d(Conv2dOptions(96, 96, 1)));
}

Outputs BlazeFaceNetImpl::forward(torch::Tensor x) {
  // TFLite pads the first convolution asymmetrically.
  x = F::pad(x, F::PadFuncOptions({1, 2, 1, 2}));
  const int64_t b = x.size(0);
  torch::Tensor h;
  if (back_model) {
    x = backbone->forward(x);  // [b, 96, 16, 16]
    h = final->forward(x);     // [b, 96, 8, 8]
  } else {
    x = backbone1->forward(x);  // [b, 88, 16, 16]
    h = backbone2->forward(x);  // [b, 96, 8, 8]
  }
  // NCHW → NHWC before flattening, as the TFLite model's outputs are laid out.
  auto flat = [b](const torch::Tensor& t, int64_t last) { return t.permute({0, 2, 3, 1}).reshape({b, -1, last}); };
  Outputs out;
  out.scores = torch::cat({flat(classifier_8->forward(x), 1), flat(classifier_16->forward(h), 1)}, 1);
  out.boxes = torch::cat({flat(regressor_8->forward(x), 16), flat(regressor_16->forward(h), 16)}, 1);
  return out;
}

torch::Tensor anchors() {
  std::vector<float> a;
  a.reserve(896 * 4);
  for (const auto& [grid, per_cell] : {std::pair<int, int>{16, 2}, std::pair<int, int>{8, 6}}) {
    for (int y = 0; y < grid; ++y) {
      for (int x = 0; x < grid; ++x) {
        for (int k = 0; k < per_cell; ++k) {
          a.insert(a.end(), {(x + 0.5f) / float(grid), (y + 0.5f) / float(grid), 1.0f, 1.0f});
        }
      }
    }
  }
  return torch::from_blob(a.data(), {896, 4}, torch::kFloat32).clone();
}

torch::Tensor decode_boxes(const torch::Tensor& raw, const torch::Tensor& anchors, double scale) {
  const torch::Tensor ax = anchors.select(1, 0), ay = anchors.select(1, 1);
  const torch::Tensor aw = anchors.select(1, 2), ah = anchors.select(1, 3);
  torch::Tensor boxes = torch::zeros_like(raw);
  const torch::Tensor x_center = raw.select(-1, 0) / scale * aw + ax;
  const torch::Tensor y_center = raw.select(-1, 1) / scale * ah + ay;
  const torch::Tensor w = raw.select(-1, 2) / scale * aw;
  const torch::Tensor h = raw.select(-1, 3) / scale * ah;
  boxes.select(-1, 0).copy_(y_center - h / 2.0);
  boxes.select(-1, 1).copy_(x_center - w / 2.0);
  boxes.select(-1, 2).copy_(y_center + h / 2.0);
  boxes.select(-1, 3).copy_(x_center + w / 2.0);
  for (int k = 0; k < 6; ++k) {
    const int64_t o = 4 + 2 * k;
    boxes.select(-1, o).copy_(raw.select(-1, o) / scale * aw + ax);
    boxes.select(-1, o + 1).copy_(raw.select(-1, o + 1) / scale * ah + ay);
  }
  return boxes;
}

std::vector<torch::Tensor> to_detections(const Outputs& raw, const torch::Tensor& anchors, double scale,
                                         double min_score, double clip) {
  const torch::Tensor boxes = decode_boxes(raw.boxes, anchors, scale);
  const torch::Tensor scores = raw.scores.clamp(-clip, clip).sigmoid().squeeze(-1);
  const torch::Tensor mask = scores >= min_score;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < raw.boxes.size(0); ++i) {
    out.push_back(torch::cat({boxes[i].index({mask[i]}), scores[i].index({mask[i]}).unsqueeze(-1)}, -1));
  }
  return out;
}

torch::Tensor weighted_nms(const torch::Tensor& detections, double threshold) {
  if (detections.size(0) == 0) return torch::zeros({0, 17});
  const torch::Tensor det = detections.contiguous();
  const auto d = det.accessor<float, 2>();
  const int64_t n = det.size(0);
  // Rows are (ymin, xmin, ymax, xmax, ...), scored in column 16.
  std::vector<Box> boxes(static_cast<size_t>(n));
  std::vector<float> scores(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    boxes[size_t(i)] = Box{d[i][1], d[i][0], d[i][3], d[i][2]};
    scores[size_t(i)] = d[i][16];
  }
  NmsParams params;
  params.threshold = threshold;
  std::vector<torch::Tensor> kept;
  for (const std::vector<int64_t>& cluster : nms_clusters(boxes, scores, params)) {
    torch::Tensor blended = det[cluster.front()].clone();
    if (cluster.size() > 1) {
      const torch::Tensor idx = torch::tensor(cluster, torch::kInt64);
      const torch::Tensor coords = det.index_select(0, idx).slice(1, 0, 16);
      const torch::Tensor member_scores = det.index_select(0, idx).slice(1, 16, 17);
      const torch::Tensor total = member_scores.sum();
      blended.slice(0, 0, 16).copy_((coords * member_scores).sum(0) / total);
      blended[16] = total / static_cast<double>(cluster.size());
    }
    kept.push_back(blended);
  }
  return torch::stack(kept);
}

}  // namespace dfd::blazeface
