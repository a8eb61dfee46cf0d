// Detector: the pipeline end to end on real media, and bad input turned into statuses.
#include "dfd/detector.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "dfd/face_extractor.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;
using dfd::test::test_model;

namespace {

dfd::DetectorParams mesonet_params() {
  dfd::DetectorParams p = dfd::detector_preset("mesonet");
  p.face_weights = test_model("mtcnn.safetensors");
  p.frames = 4;
  p.models = {"mesoinception4_keras:" + test_model("MesoInception_DF.safetensors"),
              "meso4_keras:" + test_model("Meso4_DF.safetensors")};
  p.model_weights = {2.0f, 1.0f};
  return p;
}

}  // namespace

TEST_CASE("Detector: a real video gives faces, identities, per-model scores and the aggregate") {
  const dfd::DetectorParams params = mesonet_params();
  dfd::Detector detector(params);
  const std::string video = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
  const dfd::Verdict v = detector.scan(video);
  REQUIRE(v.status == dfd::Verdict::Status::Ok);
  CHECK(v.error.empty());
  CHECK(v.frames_sampled == 4);
  REQUIRE(!v.faces.empty());
  CHECK(v.model_scores.size() == 2);
  CHECK(!v.identities.empty());
  // Each face: the weighted mean of its models' scores; the file: their mean (the preset).
  std::vector<double> faces;
  for (const dfd::FaceScore& f : v.faces) {
    REQUIRE(f.model_scores.size() == 2);
    CHECK(f.p_fake == doctest::Approx((2 * f.model_scores[0] + f.model_scores[1]) / 3).epsilon(1e-6));
    faces.push_back(f.p_fake);
  }
  CHECK(v.p_fake == doctest::Approx(dfd::aggregate(faces, dfd::Aggregation::Mean)).epsilon(1e-6));
  CHECK(v.is_fake == (v.p_fake >= 0.5f));
  CHECK(v.timings.total_ms >= v.timings.decode_and_detect_ms + v.timings.classify_ms - 1.0);
  CHECK(v.timings.to_string().find("classify") != std::string::npos);

  // The same numbers as running the stages by hand.
  dfd::MtcnnParams mp;
  mp.weights = params.face_weights;
  mp.downscale = 0.5;
  mp.thresholds[0] = 0.7;
  mp.thresholds[1] = 0.8;
  mp.thresholds[2] = 0.8;
  dfd::FaceExtractorParams fp;
  fp.frames = 4;
  fp.size = 256;
  dfd::FaceExtractor extractor(std::shared_ptr<dfd::FaceDetector>(dfd::Mtcnn::create(mp)), fp);
  const dfd::FaceExtraction found = extractor.extract(video);
  REQUIRE(found.crops.size() == v.faces.size());
  std::vector<cv::Mat> crops;
  for (const auto& c : found.crops) crops.push_back(c.image);
  auto classifier = dfd::Classifier::create(params.models[0]);
  const std::vector<float> p = classifier->predict(crops);
  for (size_t i = 0; i < p.size(); ++i) CHECK(v.faces[i].model_scores[0] == doctest::Approx(p[i]).epsilon(1e-6));

  // Per identity: the most fake track decides.
  dfd::DetectorParams by_identity = params;
  by_identity.per_identity = true;
  const dfd::Verdict w = dfd::Detector(by_identity).scan(video);
  float worst = 0;
  for (const auto& id : w.identities) worst = std::max(worst, id.p_fake);
  CHECK(w.p_fake == doctest::Approx(worst));
}

TEST_CASE("Detector: bad files become statuses naming the file; no face carries the prior") {
  dfd::DetectorParams params = mesonet_params();
  params.no_face_prior = 0.3f;
  dfd::Detector detector(params);
  const dfd::Verdict missing = detector.scan("/nonexistent/clip.mp4");
  CHECK(missing.status == dfd::Verdict::Status::IoError);
  CHECK(missing.error.find("/nonexistent/clip.mp4") != std::string::npos);
  const std::string text = dfd::test::temp_dir() + "/notes.mp4";
  dfd::test::write_text(text, "not a video");
  const dfd::Verdict garbage = detector.scan(text);
  CHECK(garbage.status == dfd::Verdict::Status::DecodeError);
  CHECK(garbage.error.find("notes.mp4") != std::string::npos);
  const std::string black = dfd::test::temp_dir() + "/black.png";
  cv::imwrite(black, cv::Mat::zeros(240, 320, CV_8UC3));
  const dfd::Verdict empty = detector.scan(black);
  CHECK(empty.status == dfd::Verdict::Status::NoFace);
  CHECK(empty.p_fake == 0.3f);
  CHECK(empty.faces.empty());
  CHECK(dfd::to_string(empty.status) == "no_face");

  dfd::DetectorParams none = params;
  none.models.clear();
  CHECK_THROWS_AS(dfd::Detector{none}, dfd::InvalidArgument);
  dfd::DetectorParams uneven = params;
  uneven.model_weights = {1.0f};
  CHECK_THROWS_AS(dfd::Detector{uneven}, dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::detector_preset("nope"), dfd::InvalidArgument);
}

TEST_CASE("Detector: ensembles by probabilities, logits, or a combiner the caller writes") {
  dfd::DetectorParams params = mesonet_params();  // weights 2 : 1
  params.frames = 2;
  const std::string video = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
  params.combine = dfd::DetectorParams::Combine::Logits;
  const dfd::Verdict by_logits = dfd::Detector(params).scan(video);
  REQUIRE(by_logits.status == dfd::Verdict::Status::Ok);
  auto logit = [](double p) { p = std::clamp(p, 1e-7, 1 - 1e-7); return std::log(p / (1 - p)); };
  for (const auto& f : by_logits.faces) {
    const double mixed = (2 * logit(f.model_scores[0]) + logit(f.model_scores[1])) / 3;
    CHECK(f.p_fake == doctest::Approx(1 / (1 + std::exp(-mixed))).epsilon(1e-5));
  }
  // The caller's own rule: the most suspicious model decides.
  params.combiner = [](const std::vector<float>& p) { return *std::max_element(p.begin(), p.end()); };
  const dfd::Verdict by_max = dfd::Detector(params).scan(video);
  for (const auto& f : by_max.faces) CHECK(f.p_fake == std::max(f.model_scores[0], f.model_scores[1]));
  // A combiner that returns no probability is an error the verdict reports, not a score.
  params.combiner = [](const std::vector<float>&) { return 2.0f; };
  const dfd::Verdict broken = dfd::Detector(params).scan(video);
  CHECK(broken.status == dfd::Verdict::Status::Error);
  CHECK(broken.error.find("combiner") != std::string::npos);
}
