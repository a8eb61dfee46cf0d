// Example: a researcher's ensemble — two classifiers with weights, then a combiner of your own,
// and the verdict per identity (a video is as fake as its most fake person).
//
//   example_custom_ensemble MESOINCEPTION_WEIGHTS MESO4_WEIGHTS MTCNN_WEIGHTS VIDEO
//
// The weights: MesoNet's Keras MesoInception_DF.h5 and Meso4_DF.h5 converted with
// `python -m dfd.convert ... --arch mesoinception4_keras` / `--arch meso4_keras`, and MTCNN.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dfd/dfd.hpp"

namespace {

void print(const char* title, const dfd::Verdict& v) {
  std::printf("%s: %s p_fake %.4f (models aggregated: %.4f, %.4f)\n", title, v.is_fake ? "FAKE" : "real", v.p_fake,
              v.model_scores.at(0), v.model_scores.at(1));
  for (const dfd::IdentityScore& id : v.identities) {
    std::printf("  identity %d: %d faces, p_fake %.4f\n", id.track_id, id.faces, id.p_fake);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MESOINCEPTION_WEIGHTS MESO4_WEIGHTS MTCNN_WEIGHTS VIDEO\n", argv[0]);
    return 2;
  }
  try {
    dfd::configure_runtime();  // every core for LibTorch, freed memory reused (dfd/runtime.hpp)
    dfd::DetectorParams params = dfd::detector_preset("mesonet");
    params.mtcnn.weights = argv[3];
    params.faces.frames = 16;
    params.models = {std::string("mesoinception4_keras:") + argv[1], std::string("meso4_keras:") + argv[2]};
    params.per_identity = true;

    // 1. Weighted mean of the two models' logits: MesoInception counts twice.
    params.model_weights = {2.0f, 1.0f};
    params.combine = dfd::DetectorParams::Combine::Logits;
    const dfd::Verdict weighted = dfd::Detector(params).scan(argv[4]);
    if (weighted.status != dfd::Verdict::Status::Ok) {
      std::fprintf(stderr, "%s: %s %s\n", argv[4], dfd::to_string(weighted.status).c_str(), weighted.error.c_str());
      return 1;
    }
    print("weighted logits 2:1", weighted);

    // 2. Any callable: here, trust the models only where they agree; else stay near 0.5.
    params.combiner = [](const std::vector<float>& p) {
      const float gap = std::abs(p[0] - p[1]);
      const float mean = (p[0] + p[1]) / 2;
      return 0.5f + (mean - 0.5f) * (1.0f - gap);
    };
    print("agreement combiner", dfd::Detector(params).scan(argv[4]));
    return 0;
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
