// The seed study's explanation: last-block CAM x penultimate-block CAM per model, then the
// weighted mean over an ensemble; and maps carried from a crop back into its frame.
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "dfd/gradcam.hpp"

namespace dfd {
namespace {

void require_map(const cv::Mat& m, const char* what) {
  if (m.empty() || m.type() != CV_32F) throw InvalidArgument(what, "expected a non-empty float32 map");
}

cv::Mat min_max(const cv::Mat& m) {
  double lo = 0, hi = 0;
  cv::minMaxLoc(m, &lo, &hi);
  cv::Mat out = m - lo;
  out /= (1e-7 + (hi - lo));
  return out;
}

}  // namespace

cv::Mat refine_with_coarse(const cv::Mat& fine, const cv::Mat& coarse) {
  require_map(fine, "fine");
  require_map(coarse, "coarse");
  if (fine.size() != coarse.size()) throw InvalidArgument("coarse", "the maps differ in size");
  return min_max(fine.mul(coarse));
}

cv::Mat fuse_maps(const std::vector<cv::Mat>& maps, const std::vector<float>& weights) {
  if (maps.empty() || maps.size() != weights.size()) {
    throw InvalidArgument("weights", fmt::format("{} maps and {} weights", maps.size(), weights.size()));
  }
  double total = 0;
  cv::Mat sum = cv::Mat::zeros(maps[0].size(), CV_32F);
  for (size_t i = 0; i < maps.size(); ++i) {
    require_map(maps[i], "maps");
    if (maps[i].size() != sum.size()) throw InvalidArgument("maps", "the maps differ in size");
    if (weights[i] < 0) throw InvalidArgument("weights", "must be >= 0");
    sum += weights[i] * maps[i];
    total += weights[i];
  }
  if (total <= 0) throw InvalidArgument("weights", "must not all be 0");
  return min_max(sum / total);
}

EnsembleExplainer::EnsembleExplainer(std::vector<Classifier*> classifiers, const EnsembleExplainParams& params)
    : classifiers_(std::move(classifiers)), params_(params) {
  if (classifiers_.empty()) throw InvalidArgument("classifiers", "at least one is needed");
  if (params_.weights.empty()) params_.weights.assign(classifiers_.size(), 1.0f);
  if (params_.weights.size() != classifiers_.size()) {
    throw InvalidArgument("weights", fmt::format("{} weights for {} classifiers", params_.weights.size(), classifiers_.size()));
  }
  // The penultimate block: the deepest endpoint whose map is finer than the last one's, found by
  // one probe pass at the preset's size (endpoint names differ per architecture).
  for (Classifier* c : classifiers_) {
    if (!c) throw InvalidArgument("classifiers", "null classifier");
    Model& model = c->model();
    const std::vector<std::string>& endpoints = model.info().endpoints;
    const int size = c->preprocess_spec().size;
    std::map<std::string, at::Tensor> acts;
    {
      torch::NoGradGuard no_grad;
      model.forward(torch::zeros({1, 3, size, size}).to(torch::Device(model.device())), endpoints, acts);
    }
    const at::Tensor& last = acts.at("features");
    std::string penultimate;
    for (auto it = endpoints.rbegin(); it != endpoints.rend(); ++it) {
      const at::Tensor& a = acts.at(*it);
      if (a.dim() == 4 && a.size(2) > last.size(2)) {
        penultimate = *it;
        break;
      }
    }
    if (penultimate.empty()) {
      throw InvalidArgument("classifiers", fmt::format("{} has no endpoint finer than its last map", model.info().arch));
    }
    layers_.emplace_back(penultimate, "features");
  }
}

std::pair<std::string, std::string> EnsembleExplainer::layers(size_t i) const { return layers_.at(i); }

std::vector<cv::Mat> EnsembleExplainer::explain(const std::vector<cv::Mat>& crops) const {
  std::vector<std::vector<cv::Mat>> per_model;  // [model][crop]
  for (size_t m = 0; m < classifiers_.size(); ++m) {
    GradCamParams p;
    p.method = params_.method;
    p.layers = {layers_[m].first, layers_[m].second};  // one forward and backward for both
    const CamResult cams = GradCAM(*classifiers_[m], p).compute(crops, params_.target);
    std::vector<cv::Mat> refined;
    for (size_t i = 0; i < crops.size(); ++i) {
      refined.push_back(refine_with_coarse(cams.layer_final[0][i], cams.layer_final[1][i]));
    }
    per_model.push_back(std::move(refined));
  }
  std::vector<cv::Mat> out;
  for (size_t i = 0; i < crops.size(); ++i) {
    std::vector<cv::Mat> maps;
    for (const auto& model_maps : per_model) maps.push_back(model_maps[i]);
    out.push_back(fuse_maps(maps, params_.weights));
  }
  return out;
}

cv::Mat map_to_frame(const cv::Mat& crop_map, const FaceCrop& crop, cv::Size frame_size) {
  require_map(crop_map, "crop_map");
  if (crop_map.size() != crop.image.size()) throw InvalidArgument("crop_map", "must have the crop image's size");
  cv::Mat frame = cv::Mat::zeros(frame_size, CV_32F);
  const cv::Rect region = crop.region & cv::Rect(0, 0, frame_size.width, frame_size.height);
  if (region.empty() || crop.content.empty()) return frame;
  cv::Mat placed;
  cv::resize(crop_map(crop.content), placed, crop.region.size(), 0, 0, cv::INTER_LINEAR);
  placed(cv::Rect(region.x - crop.region.x, region.y - crop.region.y, region.width, region.height)).copyTo(frame(region));
  return frame;
}

}  // namespace dfd
