// dfd/gradcam.hpp — why a classifier said what it said: class-activation maps.
//
// GradCAM and its family (GradCAM++, XGradCAM, LayerCAM, EigenCAM) with jacobgil/pytorch-grad-cam's
// definitions, on any zoo model at any of its named endpoints, or on a TorchScript model that
// returns (logits, feature_map) (endpoint "features"). Gradients come from torch::autograd::grad
// on the endpoints' activations — no hooks, nothing kept between calls.
//
// Per layer: cam = ReLU(method(activations, gradients)) at the layer's resolution, min-max scaled
// (x - min) / (1e-7 + max) and resized (bilinear) to the input; with several layers, the mean of
// those, min-max scaled again. So each map lies in [0, 1], 1 where the evidence is strongest.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/cam.hpp"
#include "dfd/classifier.hpp"
#include "dfd/error.hpp"
#include "dfd/models.hpp"


DFD_BEGIN_API
namespace dfd {

struct GradCamParams {
  CamMethod method = CamMethod::GradCAM;
  std::vector<std::string> layers;  // endpoint names; empty: {"features"} (the last conv map)
  int batch_size = 16;              // inputs per forward/backward pass
};

struct CamResult {
  std::vector<cv::Mat> maps;                     // per input: CV_32F, the input's size, in [0, 1]
  std::vector<std::vector<cv::Mat>> layer_maps;  // [layer][input]: ReLU(cam) at the layer's resolution, unscaled
  std::vector<std::vector<cv::Mat>> layer_final; // [layer][input]: what a GradCAM of that layer alone gives
                                                 //   as `maps` (so several layers cost one pass, not one each)
  std::vector<int> classes;                      // per input: the logit explained (-1: negated single logit)
};

class GradCAM {
 public:
  // The model must outlive the GradCAM. Fake/Real targets need a Classifier (its preset says
  // what the output means).
  // throws: InvalidArgument for an endpoint the model does not have.
  GradCAM(Model& model, const GradCamParams& params = {});
  GradCAM(Classifier& classifier, const GradCamParams& params = {});
  ~GradCAM();

  // Maps for a preprocessed float32 batch [n, 3, h, w] on the model's device (a clip model's
  // [n, T, 3, h, w]: maps per frame, clip-major, as compute_clips).
  // throws: InvalidArgument (bad shape, a class index out of range, Fake/Real without a Classifier).
  CamResult compute(const at::Tensor& inputs, const CamTarget& target = {}) const;
  // Maps for RGB uint8 crops (any size), preprocessed as the Classifier's preset says; each map is
  // returned in the crop's own pixels (the preset's resize and padding undone).
  // requires: constructed from a Classifier.
  CamResult compute(const std::vector<cv::Mat>& crops, const CamTarget& target = {}) const;

  // A clip model's maps, per frame: each frame's map weighs its own activations by its own
  // gradients of the clip's score (the score is the clip's; the evidence is located frame by frame).
  // maps, layer_maps and layer_final then hold one entry per frame, clip-major (n * T), each in its
  // crop's pixels; classes one per clip.
  // requires: constructed from a Classifier of a clip model; every clip info().segments RGB crops.
  // throws: InvalidArgument otherwise.
  CamResult compute_clips(const std::vector<std::vector<cv::Mat>>& clips, const CamTarget& target = {}) const;

  const GradCamParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
DFD_END_API
