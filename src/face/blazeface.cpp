#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "dfd/face.hpp"
#include "dfd/model_files.hpp"
#include "dfd/safetensors.hpp"
#include "face/blazeface_net.hpp"
#include "models/state_dict.hpp"

namespace dfd {
namespace {

// One network input cut from an image: which image, and where (frame pixels) the square lies.
struct Tile {
  size_t image = 0;
  float x = 0, y = 0;           // top-left in frame pixels
  float scale_x = 1, scale_y = 1;  // frame pixels per unit of the model's [0, 1] coordinates
};

bool weights_are_back_model(const SafetensorsFile& file) {
  const auto& meta = file.metadata();
  if (auto it = meta.find("arch"); it != meta.end()) {
    if (it->second == "blazeface_back") return true;
    if (it->second == "blazeface_front") return false;
    throw ModelError(file.path(), fmt::format("holds '{}' weights, not BlazeFace's", it->second));
  }
  if (file.contains("backbone.0.weight")) return true;
  if (file.contains("backbone1.0.weight")) return false;
  throw ModelError(file.path(), "not BlazeFace weights (no backbone.0.weight or backbone1.0.weight)");
}

}  // namespace

struct BlazeFace::Impl {
  BlazeFaceParams params;
  blazeface::BlazeFaceNet net{nullptr};
  torch::Tensor anchors;
  float min_score = 0.75f;

  int input_size() const { return static_cast<int>(net->input_size()); }

  // The DFDC kernel's tiling; one tile for Input::Whole.
  void tiles_of(const cv::Mat& image, size_t index, std::vector<Tile>& tiles, std::vector<cv::Mat>& inputs) const {
    const int s = input_size();
    const int h = image.rows, w = image.cols;
    if (params.input == BlazeFaceParams::Input::Whole) {
      cv::Mat resized;
      cv::resize(image, resized, cv::Size(s, s), 0, 0, cv::INTER_LINEAR);
      inputs.push_back(resized);
      tiles.push_back({index, 0, 0, float(w), float(h)});
      return;
    }
    const int side = std::min({h, w, params.max_tile});
    const int x_step = (w - side) / 2, y_step = (h - side) / 2;
    const int rows = y_step > 0 ? (h - side) / y_step + 1 : 1;
    const int cols = x_step > 0 ? (w - side) / x_step + 1 : 1;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const cv::Rect square(c * x_step, r * y_step, side, side);
        cv::Mat resized;
        cv::resize(image(square), resized, cv::Size(s, s), 0, 0, cv::INTER_AREA);
        inputs.push_back(resized);
        tiles.push_back({index, float(square.x), float(square.y), float(side), float(side)});
      }
    }
  }

  // [K, 17] detections of one tile, in the model's [0, 1] coordinates → frame pixels.
  torch::Tensor to_frame(torch::Tensor d, const Tile& t) const {
    d = d.clone();
    // Columns: ymin, xmin, ymax, xmax, then x, y of six keypoints.
    for (int64_t col : {1, 3, 4, 6, 8, 10, 12, 14}) d.select(1, col).mul_(t.scale_x).add_(t.x);
    for (int64_t col : {0, 2, 5, 7, 9, 11, 13, 15}) d.select(1, col).mul_(t.scale_y).add_(t.y);
    return d;
  }

  std::vector<std::vector<Face>> run(const std::vector<cv::Mat>& images) {
    std::vector<Tile> tiles;
    std::vector<cv::Mat> inputs;
    for (size_t i = 0; i < images.size(); ++i) {
      require_rgb_image(images[i], "blazeface");
      tiles_of(images[i], i, tiles, inputs);
    }
    const int s = input_size();
    const double scale = s;  // the regressors are in input pixels
    std::vector<std::vector<torch::Tensor>> per_image(images.size());
    c10::InferenceMode guard;
    for (size_t start = 0; start < inputs.size(); start += static_cast<size_t>(params.batch_size)) {
      const size_t end = std::min(inputs.size(), start + static_cast<size_t>(params.batch_size));
      torch::Tensor batch = torch::empty({int64_t(end - start), s, s, 3}, torch::kUInt8);
      for (size_t k = start; k < end; ++k) {
        std::memcpy(batch[int64_t(k - start)].data_ptr(), inputs[k].data, size_t(s) * s * 3);
      }
      const torch::Tensor x = batch.permute({0, 3, 1, 2}).to(torch::kFloat32) / 127.5 - 1.0;
      const blazeface::Outputs out = net->forward(x);
      const std::vector<torch::Tensor> detections = blazeface::to_detections(out, anchors, scale, min_score);
      for (size_t k = start; k < end; ++k) {
        const torch::Tensor faces = blazeface::weighted_nms(detections[k - start], params.min_suppression);
        if (faces.size(0) > 0) per_image[tiles[k].image].push_back(to_frame(faces, tiles[k]));
      }
    }
    std::vector<std::vector<Face>> result(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      if (per_image[i].empty()) continue;
      // Faces seen by several overlapping tiles are blended into one, as within a tile.
      torch::Tensor merged = per_image[i].size() == 1 ? per_image[i][0]
                                                      : blazeface::weighted_nms(torch::cat(per_image[i]), params.min_suppression);
      const auto d = merged.accessor<float, 2>();
      for (int64_t k = 0; k < merged.size(0); ++k) {
        Face f;
        f.box = Box{d[k][1], d[k][0], d[k][3], d[k][2]};
        f.score = d[k][16];
        for (int p = 0; p < 6; ++p) f.landmarks.emplace_back(d[k][4 + 2 * p], d[k][5 + 2 * p]);
        result[i].push_back(std::move(f));
      }
      std::stable_sort(result[i].begin(), result[i].end(), [](const Face& a, const Face& b) { return a.score > b.score; });
    }
    return result;
  }
};

BlazeFace::BlazeFace(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlazeFace::~BlazeFace() = default;

std::unique_ptr<BlazeFace> BlazeFace::create(const BlazeFaceParams& params) {
  if (params.min_suppression <= 0 || params.min_suppression > 1) {
    throw InvalidArgument("min_suppression", fmt::format("must be in (0, 1], got {}", params.min_suppression));
  }
  if (params.min_score > 1) throw InvalidArgument("min_score", fmt::format("must be <= 1, got {}", params.min_score));
  if (params.batch_size < 1) throw InvalidArgument("batch_size", "must be >= 1");
  if (params.max_tile < 16) throw InvalidArgument("max_tile", "must be >= 16");
  const SafetensorsFile weights(find_model_file(params.weights));
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  const bool back = weights_are_back_model(weights);
  impl->net = blazeface::BlazeFaceNet(back);
  load_state_dict(*impl->net, weights);
  impl->net->eval();
  impl->anchors = blazeface::anchors();
  impl->min_score = params.min_score >= 0 ? params.min_score : (back ? 0.65f : 0.75f);
  return std::unique_ptr<BlazeFace>(new BlazeFace(std::move(impl)));
}

std::vector<Face> BlazeFace::detect(const cv::Mat& image) { return impl_->run({image}).at(0); }
std::vector<std::vector<Face>> BlazeFace::detect(const std::vector<cv::Mat>& images) { return impl_->run(images); }
bool BlazeFace::back_model() const { return impl_->net->back_model; }

std::vector<std::string> BlazeFace::landmark_names() const {
  return {"left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear"};
}

}  // namespace dfd
