// Detector: faces -> classifiers -> aggregation, per file, with per-stage timings.
#include "dfd/detector.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "dfd/face.hpp"
#include "dfd/face_extractor.hpp"

namespace dfd {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::shared_ptr<FaceDetector> make_face_detector(const DetectorParams& p) {
  MtcnnParams mtcnn;
  mtcnn.downscale = p.mtcnn_downscale;
  for (int i = 0; i < 3; ++i) mtcnn.thresholds[i] = p.mtcnn_thresholds[static_cast<size_t>(i)];
  return create_face_detector(p.face_detector, p.face_weights, mtcnn);
}

}  // namespace

std::string StageTimings::to_string() const {
  return fmt::format("decode+detect {:.1f} ms, classify {:.1f} ms, total {:.1f} ms", decode_and_detect_ms, classify_ms,
                     total_ms);
}

std::string to_string(Verdict::Status status) {
  switch (status) {
    case Verdict::Status::Ok: return "ok";
    case Verdict::Status::NoFace: return "no_face";
    case Verdict::Status::IoError: return "io_error";
    case Verdict::Status::DecodeError: return "decode_error";
    case Verdict::Status::ModelError: return "model_error";
    case Verdict::Status::Error: return "error";
  }
  return "error";
}

DetectorParams detector_preset(const std::string& name) {
  DetectorParams p;
  if (name == "dfdc_selimsef") return p;  // the defaults are his pipeline
  if (name == "dfdc_kernel") {
    p.face_detector = "blazeface";
    p.max_faces_per_frame = 1;
    p.margin = MarginRule::DfdcKernel;
    p.aggregation = Aggregation::Mean;
    return p;
  }
  if (name == "mesonet") {
    p.aggregation = Aggregation::Mean;
    return p;
  }
  throw InvalidArgument("preset", fmt::format("unknown detector preset '{}' (known: {})", name,
                                              fmt::join(list_detector_presets(), ", ")));
}

std::vector<std::string> list_detector_presets() { return {"dfdc_kernel", "dfdc_selimsef", "mesonet"}; }

struct Detector::Impl {
  DetectorParams params;
  std::vector<std::unique_ptr<Classifier>> classifiers;
  std::unique_ptr<FaceExtractor> extractor;

  // One face's p(fake) from its models' (see DetectorParams::combine).
  float combine(const std::vector<float>& scores, double weight_sum) const {
    if (params.combiner) {
      const float p = params.combiner(scores);
      if (!(p >= 0.0f && p <= 1.0f)) throw InvalidArgument("combiner", fmt::format("returned {}, not a p(fake) in [0, 1]", p));
      return p;
    }
    double mixed = 0;
    for (size_t m = 0; m < scores.size(); ++m) {
      if (params.combine == DetectorParams::Combine::Logits) {
        const double q = std::clamp(static_cast<double>(scores[m]), 1e-7, 1 - 1e-7);  // a finite logit
        mixed += params.model_weights[m] * std::log(q / (1 - q));
      } else {
        mixed += params.model_weights[m] * scores[m];
      }
    }
    mixed /= weight_sum;
    return static_cast<float>(params.combine == DetectorParams::Combine::Logits ? 1 / (1 + std::exp(-mixed)) : mixed);
  }
};

Detector::Detector(const DetectorParams& params) : impl_(std::make_unique<Impl>()) {
  impl_->params = params;
  DetectorParams& p = impl_->params;
  if (p.models.empty()) throw InvalidArgument("models", "a Detector needs at least one classifier spec");
  if (p.model_weights.empty()) p.model_weights.assign(p.models.size(), 1.0f);
  if (p.model_weights.size() != p.models.size()) {
    throw InvalidArgument("model_weights", fmt::format("{} weights for {} models", p.model_weights.size(), p.models.size()));
  }
  float total = 0;
  for (float w : p.model_weights) {
    if (w < 0) throw InvalidArgument("model_weights", "must be >= 0");
    total += w;
  }
  if (total <= 0) throw InvalidArgument("model_weights", "must not all be 0");
  if (p.threshold < 0 || p.threshold > 1) throw InvalidArgument("threshold", "must be in [0, 1]");
  for (const std::string& spec : p.models) impl_->classifiers.push_back(Classifier::create(spec, p.classifier));
  FaceExtractorParams fp;
  fp.frames = p.frames;
  fp.score_threshold = p.min_face_score;
  fp.max_faces_per_frame = p.max_faces_per_frame;
  fp.margin = p.margin;
  fp.size = impl_->classifiers[0]->preprocess_spec().size;
  fp.pad = impl_->classifiers[0]->preprocess_spec().pad;
  impl_->extractor = std::make_unique<FaceExtractor>(make_face_detector(p), fp);
}

Detector::~Detector() = default;

const DetectorParams& Detector::params() const { return impl_->params; }

Verdict Detector::scan(const std::string& path) {
  const DetectorParams& p = impl_->params;
  const auto start = std::chrono::steady_clock::now();
  Verdict v;
  v.path = path;
  try {
    const FaceExtraction found = impl_->extractor->extract(path);
    v.frames_sampled = found.frames_sampled;
    v.timings.decode_and_detect_ms = elapsed_ms(start);
    if (found.crops.empty()) {
      v.status = Verdict::Status::NoFace;
      v.p_fake = p.no_face_prior;
      v.timings.total_ms = elapsed_ms(start);
      return v;
    }
    const auto classify_start = std::chrono::steady_clock::now();
    std::vector<cv::Mat> crops;
    for (const FaceCrop& c : found.crops) crops.push_back(c.image);
    std::vector<std::vector<float>> per_model;
    for (auto& classifier : impl_->classifiers) per_model.push_back(classifier->predict(crops));
    double weight_sum = 0;
    for (float w : p.model_weights) weight_sum += w;
    std::map<int, std::vector<double>> tracks;
    std::vector<double> all;
    std::vector<std::vector<double>> model_all(per_model.size());
    for (size_t i = 0; i < found.crops.size(); ++i) {
      const FaceCrop& c = found.crops[i];
      FaceScore f{c.frame_index, c.track_id, c.face.box, c.face.score, {}, 0.0f};
      for (size_t m = 0; m < per_model.size(); ++m) {
        f.model_scores.push_back(per_model[m][i]);
        model_all[m].push_back(per_model[m][i]);
      }
      f.p_fake = impl_->combine(f.model_scores, weight_sum);
      tracks[c.track_id].push_back(f.p_fake);
      all.push_back(f.p_fake);
      v.faces.push_back(std::move(f));
    }
    std::vector<std::vector<double>> track_scores;
    for (const auto& [id, scores] : tracks) {
      v.identities.push_back({id, static_cast<int>(scores.size()), static_cast<float>(aggregate(scores, p.aggregation))});
      track_scores.push_back(scores);
    }
    v.p_fake = static_cast<float>(p.per_identity ? aggregate_identities(track_scores, p.aggregation)
                                                 : aggregate(all, p.aggregation));
    for (const auto& scores : model_all) v.model_scores.push_back(static_cast<float>(aggregate(scores, p.aggregation)));
    v.is_fake = v.p_fake >= p.threshold;
    v.status = Verdict::Status::Ok;
    v.timings.classify_ms = elapsed_ms(classify_start);
  } catch (const IoError& e) {
    v.status = Verdict::Status::IoError;
    v.error = e.what();
  } catch (const DecodeError& e) {
    v.status = Verdict::Status::DecodeError;
    v.error = e.what();
  } catch (const ModelError& e) {
    v.status = Verdict::Status::ModelError;
    v.error = e.what();
  } catch (const std::exception& e) {  // anything else: recorded with the file, the run goes on
    v.status = Verdict::Status::Error;
    v.error = fmt::format("{}: {}", path, e.what());
  }
  if (v.status != Verdict::Status::Ok && v.status != Verdict::Status::NoFace) {
    v.faces.clear();
    v.identities.clear();
    v.p_fake = 0;
  }
  v.timings.total_ms = elapsed_ms(start);
  return v;
}

}  // namespace dfd
