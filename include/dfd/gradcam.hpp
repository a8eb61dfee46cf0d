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

#include "dfd/classifier.hpp"
#include "dfd/error.hpp"
#include "dfd/face.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/models.hpp"

namespace dfd {

enum class CamMethod {
  GradCAM,          // weights = spatial mean of the gradients
  GradCAMPlusPlus,  // weights from second/third-order gradient terms (Chattopadhyay et al.)
  XGradCAM,         // weights = sum(grad * act) / sum(act) per channel
  LayerCAM,         // per-position weights ReLU(grad) instead of one weight per channel
  EigenCAM,         // no gradients: the activations' first principal component (sign as SVD gives it)
};

// "gradcam", "gradcam++", "xgradcam", "layercam", "eigencam". throws: InvalidArgument.
CamMethod cam_method(const std::string& name);
std::string to_string(CamMethod method);

// What the map explains.
struct CamTarget {
  enum class Kind {
    Predicted,  // per input, the class with the largest logit (pytorch-grad-cam's default)
    Class,      // the logit of `index`
    Fake,       // the evidence for FAKE as the classifier's preset reads it (single logit: +logit,
                // or -logit when the output means real; softmax: the fake column)
    Real,       // the evidence for REAL: the negated single logit, or the real column of a
                // two-class softmax — what pytorch-grad-cam cannot express for 1-logit models
  } kind = Kind::Predicted;
  int index = 0;

  static CamTarget predicted() { return {}; }
  static CamTarget of_class(int i) { return {Kind::Class, i}; }
  static CamTarget fake() { return {Kind::Fake, 0}; }
  static CamTarget real() { return {Kind::Real, 0}; }
};

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

  // Maps for a preprocessed float32 batch [n, 3, h, w] on the model's device.
  // throws: InvalidArgument (bad shape, a class index out of range, Fake/Real without a Classifier).
  CamResult compute(const at::Tensor& inputs, const CamTarget& target = {}) const;
  // Maps for RGB uint8 crops (any size), preprocessed as the Classifier's preset says; each map is
  // returned in the crop's own pixels (the preset's resize and padding undone).
  // requires: constructed from a Classifier.
  CamResult compute(const std::vector<cv::Mat>& crops, const CamTarget& target = {}) const;

  const GradCamParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// pytorch-grad-cam's show_cam_on_image: the map through OpenCV's JET colour map, blended
// (1 - image_weight) * heatmap + image_weight * image and rescaled so the maximum is 255.
// requires: image RGB uint8, cam CV_32F in [0, 1] (resized to the image when sizes differ).
// ensures: RGB uint8 of the image's size.
cv::Mat overlay(const cv::Mat& image, const cv::Mat& cam, float image_weight = 0.5f);

// ---------------------------------------------------------------------------------------------
// The seed study's explanation, and where a map lands on the face.

// The penultimate block's (finer) map kept only where the last block's (coarser) map says the
// evidence is: their product, min-max scaled. requires: CV_32F maps of one size.
cv::Mat refine_with_coarse(const cv::Mat& fine, const cv::Mat& coarse);

// The weighted mean of several models' maps of one crop, min-max scaled.
// requires: CV_32F maps of one size, one weight >= 0 per map, a positive sum. throws: InvalidArgument.
cv::Mat fuse_maps(const std::vector<cv::Mat>& maps, const std::vector<float>& weights);

struct EnsembleExplainParams {
  CamMethod method = CamMethod::GradCAM;
  CamTarget target = CamTarget::fake();
  std::vector<float> weights;  // per classifier; empty: equal
};

// Per classifier of an ensemble: CAMs of its last block ("features") and of its penultimate block
// (the last endpoint with a finer map than "features", found once by a probe pass), the
// penultimate refined by the last; then the weighted mean over the classifiers. One map per crop,
// in the crop's pixels. The classifiers must outlive the explainer.
class EnsembleExplainer {
 public:
  // throws: InvalidArgument (no classifiers, a weight per classifier missing, an architecture
  // with a single resolution of endpoints).
  EnsembleExplainer(std::vector<Classifier*> classifiers, const EnsembleExplainParams& params = {});
  std::vector<cv::Mat> explain(const std::vector<cv::Mat>& crops) const;
  // The two endpoints used for classifier i: {penultimate, last}.
  std::pair<std::string, std::string> layers(size_t i) const;

 private:
  std::vector<Classifier*> classifiers_;
  EnsembleExplainParams params_;
  std::vector<std::pair<std::string, std::string>> layers_;
};

// A crop's map (in FaceCrop::image pixels) placed in the frame it came from: frame-size CV_32F,
// zero outside the crop's region (the resize, padding and margin undone).
cv::Mat map_to_frame(const cv::Mat& crop_map, const FaceCrop& crop, cv::Size frame_size);

// Face regions from a detector's landmarks (BlazeFace's 6 or MTCNN's 5, by name:
// left_eye, right_eye, nose, mouth or mouth_left + mouth_right, optional left_ear, right_ear), laid
// out in the face's own frame (eye line horizontal, eye distance 1) so tilted faces work. Left and
// right are as seen in the image, like the landmark names.
const std::vector<std::string>& face_region_names();  // index = label; the last is "background"

// Each pixel of an image of `size` labelled with its region's index (CV_8U).
// requires: landmarks in that image's pixels with the names above. throws: InvalidArgument.
cv::Mat face_region_labels(cv::Size size, const std::vector<cv::Point2f>& landmarks,
                           const std::vector<std::string>& landmark_names);

struct RegionShare {
  std::string region;
  float share = 0.0f;  // of the map's total mass, in [0, 1]
};

// The share of the map's mass in each region, largest first (regions with none left out).
// requires: cam CV_32F non-negative of the labels' size.
std::vector<RegionShare> region_shares(const cv::Mat& cam, const cv::Mat& labels);

// "mostly on the mouth (41%) and the left eye (22%)": the leading regions until 60% of the mass.
std::string describe(const std::vector<RegionShare>& shares);

}  // namespace dfd
