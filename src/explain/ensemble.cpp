// The seed study's explanation: last-block CAM x penultimate-block CAM per model, then the
// weighted mean over an ensemble.
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "dfd/cam_maps.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/gradcam.hpp"

namespace dfd {
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

}  // namespace dfd
