// dfd/ensemble_explainer.hpp — one map per face crop for an ensemble of classifiers: the seed
// study's explanation (each model's last block refined by its penultimate, then the weighted mean).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/cam.hpp"
#include "dfd/classifier.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

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

}  // namespace dfd
DFD_END_API
