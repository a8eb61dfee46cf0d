// dfd/cam.hpp — what a class-activation map explains and how: the CAM methods and targets, and
// their names as settings spell them. Torch-free: settings structs (DetectorParams) include it.
#pragma once

#include <string>

#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

enum class CamMethod {
  GradCAM,          // weights = spatial mean of the gradients
  GradCAMPlusPlus,  // weights from second/third-order gradient terms (Chattopadhyay et al.)
  XGradCAM,         // weights = sum(grad * act) / sum(act) per channel
  LayerCAM,         // per-position weights ReLU(grad) instead of one weight per channel
  EigenCAM,         // no gradients: the activations' first principal component (sign as SVD gives it)
};

// "gradcam", "gradcam++" (alias "gradcamplusplus"), "xgradcam", "layercam", "eigencam".
// throws: InvalidArgument listing the valid names.
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

// "predicted", "fake" or "real" (a class index is CamTarget::of_class). throws: InvalidArgument.
CamTarget cam_target(const std::string& name);

}  // namespace dfd
DFD_END_API
