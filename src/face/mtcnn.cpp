// MTCNN's detection pipeline, step for step as facenet-pytorch's detect_face computes it (the same
// float32 tensor operations in the same order, thresholds as double scalars), so boxes agree to
// float rounding. Non-maximum suppression is written here: Debian has no libtorchvision.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "dfd/face.hpp"
#include "dfd/model_files.hpp"
#include "dfd/nms.hpp"
#include "dfd/safetensors.hpp"
#include "face/area_pyramid.hpp"
#include "face/mtcnn_net.hpp"
#include "face/pil_resize.hpp"
#include "models/state_dict.hpp"

namespace dfd {
namespace {

using torch::indexing::None;
using torch::indexing::Slice;
namespace F = torch::nn::functional;

// Rows [x1, y1, x2, y2, ...] of a float tensor as boxes, and a score column.
std::vector<Box> boxes_of(const torch::Tensor& boxes) {
  const torch::Tensor b = boxes.contiguous();
  const auto d = b.accessor<float, 2>();
  std::vector<Box> out(static_cast<size_t>(b.size(0)));
  for (int64_t i = 0; i < b.size(0); ++i) out[size_t(i)] = Box{d[i][0], d[i][1], d[i][2], d[i][3]};
  return out;
}

std::vector<float> scores_of(const torch::Tensor& scores) {
  const torch::Tensor s = scores.contiguous();
  return std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

// torchvision.ops.nms (facenet-pytorch's batched_nms): IoU, a stable descending sort.
torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double threshold) {
  NmsParams p;
  p.threshold = threshold;
  return torch::tensor(dfd::nms(boxes_of(boxes), scores_of(scores), p), torch::kInt64);
}

// facenet-pytorch's nms_numpy with method 'Min': +1 pixel areas, overlap over the smaller box,
// ties of equal scores taken from the higher index (numpy's ascending argsort, read from the end).
torch::Tensor nms_min(const torch::Tensor& boxes, const torch::Tensor& scores, double threshold) {
  NmsParams p;
  p.threshold = threshold;
  p.overlap = {OverlapRule::Kind::Min, 1.0f};
  p.ties = ScoreTies::HigherIndexFirst;
  return torch::tensor(dfd::nms(boxes_of(boxes), scores_of(scores), p), torch::kInt64);
}

// [N, 9]: x1, y1, x2, y2 (image pixels), score, 4 regression values, for P-Net cells >= threshold;
// `image_index` gets each box's image in the batch.
torch::Tensor generate_boxes(torch::Tensor reg, const torch::Tensor& probs, double scale, double threshold,
                             torch::Tensor& image_index) {
  reg = reg.permute({1, 0, 2, 3});
  const torch::Tensor mask = probs >= threshold;
  const torch::Tensor cells = mask.nonzero();
  image_index = cells.select(1, 0);
  const torch::Tensor score = probs.index({mask});
  reg = reg.index({Slice(), mask}).permute({1, 0});
  const torch::Tensor xy = cells.index({Slice(), Slice(1, None)}).to(reg.scalar_type()).flip(1);
  const torch::Tensor q1 = ((2 * xy + 1) / scale).floor();
  const torch::Tensor q2 = ((2 * xy + 12 - 1 + 1) / scale).floor();
  return torch::cat({q1, q2, score.unsqueeze(1), reg}, 1);
}

// Square boxes around the same centre, side = the longer side.
torch::Tensor rerec(torch::Tensor b) {
  const torch::Tensor h = b.select(1, 3) - b.select(1, 1);
  const torch::Tensor w = b.select(1, 2) - b.select(1, 0);
  const torch::Tensor l = torch::max(w, h);
  b.select(1, 0).copy_(b.select(1, 0) + w * 0.5 - l * 0.5);
  b.select(1, 1).copy_(b.select(1, 1) + h * 0.5 - l * 0.5);
  b.index_put_({Slice(), Slice(2, 4)}, b.index({Slice(), Slice(0, 2)}) + l.repeat({2, 1}).permute({1, 0}));
  return b;
}

torch::Tensor bbreg(torch::Tensor b, const torch::Tensor& reg) {
  const torch::Tensor w = b.select(1, 2) - b.select(1, 0) + 1;
  const torch::Tensor h = b.select(1, 3) - b.select(1, 1) + 1;
  const torch::Tensor b1 = b.select(1, 0) + reg.select(1, 0) * w;
  const torch::Tensor b2 = b.select(1, 1) + reg.select(1, 1) * h;
  const torch::Tensor b3 = b.select(1, 2) + reg.select(1, 2) * w;
  const torch::Tensor b4 = b.select(1, 3) + reg.select(1, 3) * h;
  b.index_put_({Slice(), Slice(0, 4)}, torch::stack({b1, b2, b3, b4}).permute({1, 0}));
  return b;
}

torch::Tensor area_resample(const torch::Tensor& image, int64_t h, int64_t w) {
  return F::interpolate(image, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kArea));
}

// The boxes' pixels (1-based, clipped as facenet-pytorch's pad()) resampled to side x side.
// `kept` says which boxes had a non-empty crop (the others are dropped by the caller).
torch::Tensor crops_of(const torch::Tensor& image, const torch::Tensor& boxes, int64_t side, std::vector<int64_t>& kept) {
  const int64_t h = image.size(2), w = image.size(3);
  const torch::Tensor ib = boxes.index({Slice(), Slice(0, 4)}).trunc().to(torch::kInt32).contiguous();
  const auto a = ib.accessor<int32_t, 2>();
  std::vector<torch::Tensor> crops;
  for (int64_t k = 0; k < ib.size(0); ++k) {
    const int64_t x = std::max<int64_t>(a[k][0], 1), y = std::max<int64_t>(a[k][1], 1);
    const int64_t ex = std::min<int64_t>(a[k][2], w), ey = std::min<int64_t>(a[k][3], h);
    if (!(ey > y - 1 && ex > x - 1)) continue;
    crops.push_back(area_resample(image.index({Slice(), Slice(), Slice(y - 1, ey), Slice(x - 1, ex)}), side, side));
    kept.push_back(k);
  }
  if (crops.empty()) return torch::empty({0, 3, side, side});
  return (torch::cat(crops) - 127.5) * 0.0078125;
}

}  // namespace

struct Mtcnn::Impl {
  MtcnnParams params;
  mtcnn::MtcnnNets nets{nullptr};

  // The boxes of one image between stages: [n, 5] (x1, y1, x2, y2, score).
  using PerImage = std::vector<torch::Tensor>;

  // Crops every image's boxes (side x side), runs them through one network call, and splits the
  // outputs back per image. Boxes without a crop are dropped from `boxes`.
  template <typename Net>
  auto run_on_crops(const std::vector<torch::Tensor>& images, PerImage& boxes, int64_t side, Net& net) {
    std::vector<torch::Tensor> crops;
    std::vector<int64_t> counts;
    for (size_t i = 0; i < images.size(); ++i) {
      std::vector<int64_t> kept;
      crops.push_back(crops_of(images[i], boxes[i], side, kept));
      boxes[i] = boxes[i].index_select(0, torch::tensor(kept, torch::kInt64));
      counts.push_back(static_cast<int64_t>(kept.size()));
    }
    return std::make_pair(net->forward(torch::cat(crops)), counts);
  }

  // facenet-pytorch's detect_face for a batch of images of one size; NMS stays per image, so a
  // batch gives exactly what single calls give.
  std::vector<std::vector<Face>> run_same_size(const std::vector<cv::Mat>& rgbs) {
    c10::InferenceMode guard;
    const int64_t n = static_cast<int64_t>(rgbs.size());
    const int64_t h = rgbs[0].rows, w = rgbs[0].cols;
    torch::Tensor batch = torch::empty({n, h, w, 3}, torch::kUInt8);
    for (int64_t i = 0; i < n; ++i) {
      const cv::Mat& m = rgbs[size_t(i)];
      const cv::Mat dst(int(h), int(w), CV_8UC3, batch[i].data_ptr());
      m.copyTo(dst);
    }
    const torch::Tensor images = batch.permute({0, 3, 1, 2}).to(torch::kFloat32);
    std::vector<torch::Tensor> single;  // each image as [1, 3, h, w], for cropping
    for (int64_t i = 0; i < n; ++i) single.push_back(images.slice(0, i, i + 1));
    const mtcnn::AreaPyramid pyramid(rgbs);

    // Stage 1: P-Net over the pyramid, all images at once; NMS 0.5 within a scale, 0.7 across.
    const double m = 12.0 / params.min_face_size;
    double min_side = std::min(h, w) * m, scale = m;
    std::vector<PerImage> per_scale(static_cast<size_t>(n));
    while (min_side >= 12) {
      const auto hs = static_cast<int64_t>(h * scale + 1), ws = static_cast<int64_t>(w * scale + 1);
      // Channels-last (as the pyramid gives it): P-Net's few-channel convolutions run ~2x faster.
      const torch::Tensor x = pyramid.level(hs, ws, 127.5f, 0.0078125f);
      const auto [reg, probs] = nets->pnet->forward(x);
      torch::Tensor image_index;
      const torch::Tensor boxes = generate_boxes(reg, probs.select(1, 1), scale, params.thresholds[0], image_index);
      for (int64_t i = 0; i < n; ++i) {
        const torch::Tensor mine = boxes.index({image_index == i});
        const torch::Tensor pick = nms(mine.index({Slice(), Slice(0, 4)}), mine.select(1, 4), 0.5);
        per_scale[size_t(i)].push_back(mine.index_select(0, pick));
      }
      scale *= params.factor;
      min_side *= params.factor;
    }
    PerImage boxes(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      torch::Tensor b = per_scale[size_t(i)].empty() ? torch::empty({0, 9}) : torch::cat(per_scale[size_t(i)]);
      b = b.index_select(0, nms(b.index({Slice(), Slice(0, 4)}), b.select(1, 4), 0.7));
      const torch::Tensor regw = b.select(1, 2) - b.select(1, 0);
      const torch::Tensor regh = b.select(1, 3) - b.select(1, 1);
      const torch::Tensor q1 = b.select(1, 0) + b.select(1, 5) * regw;
      const torch::Tensor q2 = b.select(1, 1) + b.select(1, 6) * regh;
      const torch::Tensor q3 = b.select(1, 2) + b.select(1, 7) * regw;
      const torch::Tensor q4 = b.select(1, 3) + b.select(1, 8) * regh;
      boxes[size_t(i)] = rerec(torch::stack({q1, q2, q3, q4, b.select(1, 4)}).permute({1, 0}).contiguous());
    }

    // Stage 2: R-Net on 24x24 crops of all images in one call.
    {
      const auto [out, counts] = run_on_crops(single, boxes, 24, nets->rnet);
      int64_t offset = 0;
      for (int64_t i = 0; i < n; ++i) {
        const torch::Tensor reg = out.first.slice(0, offset, offset + counts[size_t(i)]);
        const torch::Tensor score = out.second.slice(0, offset, offset + counts[size_t(i)]).select(1, 1);
        offset += counts[size_t(i)];
        torch::Tensor& b = boxes[size_t(i)];
        const torch::Tensor pass = score > params.thresholds[1];
        b = torch::cat({b.index({pass, Slice(0, 4)}), score.index({pass}).unsqueeze(1)}, 1);
        const torch::Tensor pick = nms(b.index({Slice(), Slice(0, 4)}), b.select(1, 4), 0.7);
        b = rerec(bbreg(b.index_select(0, pick), reg.index({pass}).index_select(0, pick)));
      }
    }

    // Stage 3: O-Net on 48x48 crops: final boxes, probabilities and landmarks.
    const auto [out, counts] = run_on_crops(single, boxes, 48, nets->onet);
    const float back = static_cast<float>(1.0 / params.downscale);
    std::vector<std::vector<Face>> result(static_cast<size_t>(n));
    int64_t offset = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t count = counts[size_t(i)];
      const torch::Tensor regression = out.regression.slice(0, offset, offset + count);
      const torch::Tensor landmarks = out.landmarks.slice(0, offset, offset + count);
      const torch::Tensor score = out.probability.slice(0, offset, offset + count).select(1, 1);
      offset += count;
      torch::Tensor b = boxes[size_t(i)];
      const torch::Tensor pass = score > params.thresholds[2];
      const torch::Tensor points = landmarks.index({pass});
      b = torch::cat({b.index({pass, Slice(0, 4)}), score.index({pass}).unsqueeze(1)}, 1);
      const torch::Tensor w_i = (b.select(1, 2) - b.select(1, 0) + 1).unsqueeze(1);
      const torch::Tensor h_i = (b.select(1, 3) - b.select(1, 1) + 1).unsqueeze(1);
      const torch::Tensor px = w_i * points.index({Slice(), Slice(0, 5)}) + b.select(1, 0).unsqueeze(1) - 1;
      const torch::Tensor py = h_i * points.index({Slice(), Slice(5, 10)}) + b.select(1, 1).unsqueeze(1) - 1;
      b = bbreg(b, regression.index({pass}));
      const torch::Tensor pick = nms_min(b.index({Slice(), Slice(0, 4)}), b.select(1, 4), double{0.7f});
      result[size_t(i)] = to_faces(b.index_select(0, pick).contiguous(), px.index_select(0, pick).contiguous(),
                                   py.index_select(0, pick).contiguous(), back);
    }
    return result;
  }

  // Largest first, as select_largest: numpy's argsort of the areas, reversed.
  static std::vector<Face> to_faces(const torch::Tensor& boxes, const torch::Tensor& lx, const torch::Tensor& ly,
                                    float back) {
    const auto b = boxes.accessor<float, 2>();
    const auto ax = lx.accessor<float, 2>(), ay = ly.accessor<float, 2>();
    std::vector<int64_t> order(static_cast<size_t>(boxes.size(0)));
    std::iota(order.begin(), order.end(), 0);
    auto area = [&](int64_t k) { return (b[k][2] - b[k][0]) * (b[k][3] - b[k][1]); };
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return area(x) < area(y); });
    std::reverse(order.begin(), order.end());
    std::vector<Face> faces;
    for (int64_t k : order) {
      Face f;
      f.box = Box{b[k][0] * back, b[k][1] * back, b[k][2] * back, b[k][3] * back};
      f.score = b[k][4];
      for (int p = 0; p < 5; ++p) f.landmarks.emplace_back(ax[k][p] * back, ay[k][p] * back);
      faces.push_back(std::move(f));
    }
    return faces;
  }

  std::vector<std::vector<Face>> run(const std::vector<cv::Mat>& images) {
    std::vector<cv::Mat> inputs;
    for (const cv::Mat& image : images) {
      require_rgb_image(image, "mtcnn");
      if (params.downscale == 1.0) {
        inputs.push_back(image);
      } else {
        cv::Mat small;
        if (params.downscale_filter == MtcnnParams::DownscaleFilter::PilBicubic) {
          const cv::Size size(std::max(1, static_cast<int>(image.cols * params.downscale)),
                              std::max(1, static_cast<int>(image.rows * params.downscale)));
          small = pil_resize_bicubic(image, size);
        } else {
          cv::resize(image, small, cv::Size(), params.downscale, params.downscale, cv::INTER_AREA);
        }
        inputs.push_back(small);
      }
    }
    // Images of one size go through the networks together.
    std::vector<std::vector<Face>> result(images.size());
    std::vector<bool> done(images.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (done[i]) continue;
      std::vector<size_t> group;
      std::vector<cv::Mat> same;
      for (size_t j = i; j < inputs.size(); ++j) {
        if (static_cast<int>(group.size()) == params.batch_size) break;
        if (!done[j] && inputs[j].size() == inputs[i].size()) {
          group.push_back(j);
          same.push_back(inputs[j]);
          done[j] = true;
        }
      }
      auto faces = run_same_size(same);
      for (size_t k = 0; k < group.size(); ++k) result[group[k]] = std::move(faces[k]);
    }
    return result;
  }
};

Mtcnn::Mtcnn(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mtcnn::~Mtcnn() = default;

std::unique_ptr<Mtcnn> Mtcnn::create(const MtcnnParams& params) {
  if (params.min_face_size < 1) throw InvalidArgument("min_face_size", "must be >= 1");
  if (params.batch_size < 1) throw InvalidArgument("batch_size", fmt::format("must be >= 1, got {}", params.batch_size));
  if (!(params.factor > 0 && params.factor < 1)) {
    throw InvalidArgument("factor", fmt::format("must be in (0, 1), got {}", params.factor));
  }
  if (!(params.downscale > 0 && params.downscale <= 1)) {
    throw InvalidArgument("downscale", fmt::format("must be in (0, 1], got {}", params.downscale));
  }
  for (double t : params.thresholds) {
    if (!(t >= 0 && t <= 1)) throw InvalidArgument("thresholds", fmt::format("must be in [0, 1], got {}", t));
  }
  const SafetensorsFile weights(find_model_file(params.weights));
  if (auto it = weights.metadata().find("arch"); it != weights.metadata().end() && it->second != "mtcnn") {
    throw ModelError(weights.path(), fmt::format("holds '{}' weights, not MTCNN's", it->second));
  }
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  impl->nets = mtcnn::MtcnnNets();
  load_state_dict(*impl->nets, weights);
  impl->nets->eval();
  for (auto& p : impl->nets->pnet->parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  return std::unique_ptr<Mtcnn>(new Mtcnn(std::move(impl)));
}

std::vector<Face> Mtcnn::detect(const cv::Mat& image) { return impl_->run({image}).at(0); }
std::vector<std::vector<Face>> Mtcnn::detect(const std::vector<cv::Mat>& images) { return impl_->run(images); }

std::vector<std::string> Mtcnn::landmark_names() const {
  return {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"};
}

}  // namespace dfd
