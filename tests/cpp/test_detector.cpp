// Detector: the pipeline end to end on real media, and bad input turned into statuses.
#include "dfd/detector.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "dfd/face_extractor.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/face_regions.hpp"
#include "dfd/gradcam.hpp"
#include "dfd/audio.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;
using dfd::test::test_model;

namespace {

dfd::DetectorParams mesonet_params() {
  dfd::DetectorParams p = dfd::detector_preset("mesonet");
  p.mtcnn.weights = test_model("mtcnn.safetensors");
  p.faces.frames = 4;
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
  CHECK(v.frame_indices.size() == 4);
  for (const dfd::FaceScore& f : v.faces) {
    CHECK(std::find(v.frame_indices.begin(), v.frame_indices.end(), f.frame_index) != v.frame_indices.end());
  }
  // Every stage that ran has its share of the total (no explain, no audio here).
  CHECK(v.timings.decode_ms > 0);
  CHECK(v.timings.detect_ms > 0);
  CHECK(v.timings.classify_ms > 0);
  CHECK(v.timings.explain_ms == 0);
  CHECK(v.timings.total_ms >= v.timings.decode_ms + v.timings.detect_ms + v.timings.classify_ms - 1.0);
  CHECK(v.timings.to_string().find("classify") != std::string::npos);
  REQUIRE(v.video_p_fake.has_value());
  CHECK(*v.video_p_fake == v.p_fake);
  CHECK(!v.audio_p_fake.has_value());

  // The same numbers as running the stages by hand.
  dfd::MtcnnParams mp;
  mp.weights = params.mtcnn.weights;
  mp.downscale = 0.5;
  mp.downscale_filter = dfd::MtcnnParams::DownscaleFilter::PilBicubic;  // the preset halves as Pillow does
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
  params.faces.frames = 2;
  const std::string video = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
  params.combine = dfd::Combine::Logits;
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

TEST_CASE("Detector::scan_many: each file's verdict as scan gives it, failures recorded, the run goes on") {
  dfd::DetectorParams params = mesonet_params();
  params.faces.frames = 2;
  dfd::Detector detector(params);
  const std::vector<std::string> paths = {shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4"), "/nonexistent/a.mp4",
                                          shared_path("data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"),
                                          shared_path("data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4")};
  std::vector<int> seen(paths.size(), 0);
  std::vector<dfd::Verdict> streamed(paths.size());
  dfd::ScanManyParams many;
  many.workers = 2;
  detector.scan_many(paths, [&](size_t i, dfd::Verdict&& v) {
    REQUIRE(i < paths.size());
    ++seen[i];
    streamed[i] = std::move(v);
  }, many);
  for (size_t i = 0; i < paths.size(); ++i) {
    CHECK(seen[i] == 1);
    CHECK(streamed[i].path == paths[i]);
  }
  CHECK(streamed[1].status == dfd::Verdict::Status::IoError);
  const std::vector<dfd::Verdict> in_order = detector.scan_many(paths, many);
  for (size_t i = 0; i < paths.size(); ++i) {
    const dfd::Verdict alone = detector.scan(paths[i]);
    CHECK(in_order[i].status == alone.status);
    // The same arithmetic whichever thread ran it; a failed file has no score (NaN) either way.
    const auto same = [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    CHECK(same(in_order[i].p_fake, alone.p_fake));
    CHECK(in_order[i].faces.size() == alone.faces.size());
    CHECK(same(streamed[i].p_fake, alone.p_fake));
    CHECK(std::isnan(alone.p_fake) == (alone.status != dfd::Verdict::Status::Ok && alone.status != dfd::Verdict::Status::NoFace));
  }
  // The caller's failure stops the run and comes back to the caller.
  CHECK_THROWS_AS(detector.scan_many(paths, [](size_t, dfd::Verdict&&) { throw dfd::IoError("out.csv", "disk full"); }, many),
                  dfd::IoError);
  many.workers = 0;
  CHECK_THROWS_AS(detector.scan_many(paths, many), dfd::InvalidArgument);
}

TEST_CASE("Detector: explain attaches Grad-CAM and face regions of the faces the verdict rests on") {
  dfd::DetectorParams params = mesonet_params();
  params.explain.enabled = true;
  params.explain.faces = 2;
  const std::string video = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004_982.mp4");
  const dfd::Verdict v = dfd::Detector(params).scan(video);
  REQUIRE(v.status == dfd::Verdict::Status::Ok);
  REQUIRE(v.explanations.size() == std::min<size_t>(2, v.faces.size()));
  CHECK(v.timings.explain_ms > 0);
  // The deciding faces: the most fake ones of a fake verdict, the most real of a real one.
  std::vector<float> ranked;
  for (const auto& f : v.faces) ranked.push_back(f.p_fake);
  std::sort(ranked.begin(), ranked.end());
  if (v.is_fake) std::reverse(ranked.begin(), ranked.end());
  for (size_t k = 0; k < v.explanations.size(); ++k) {
    const dfd::FaceExplanation& e = v.explanations[k];
    CHECK(e.target == (v.is_fake ? "fake" : "real"));
    CHECK(v.faces.at(e.face).p_fake == ranked[k]);
    CHECK(e.crop.size() == cv::Size(256, 256));
    REQUIRE(e.heatmap.size() == e.crop.size());
    double lo, hi;
    cv::minMaxLoc(e.heatmap, &lo, &hi);
    CHECK(lo >= 0.0);
    CHECK(hi <= 1.0 + 1e-6);
    REQUIRE(!e.regions.empty());  // MTCNN gives landmarks
    float total = 0;
    for (size_t r = 0; r < e.regions.size(); ++r) {
      total += e.regions[r].share;
      if (r > 0) CHECK(e.regions[r].share <= e.regions[r - 1].share);
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-4));
    CHECK(e.summary.find("judged") == 0);
  }
  // The map is the explainer's on that crop: the same as EnsembleExplainer run by hand.
  auto a = dfd::Classifier::create(params.models[0]);
  auto b = dfd::Classifier::create(params.models[1]);
  dfd::EnsembleExplainParams ep;
  ep.target = v.is_fake ? dfd::CamTarget::fake() : dfd::CamTarget::real();
  ep.weights = params.model_weights;
  const auto maps = dfd::EnsembleExplainer({a.get(), b.get()}, ep).explain({v.explanations[0].crop});
  CHECK(cv::norm(maps[0], v.explanations[0].heatmap, cv::NORM_INF) < 1e-5);
}

TEST_CASE("Detector: the audio branch scores the log-mel image and fuses late with the faces") {
  const std::string audio_spec = "meso4:" + test_model("Meso4_realA_fakeB.safetensors") + "@fakeavceleb_audio";
  dfd::DetectorParams params = mesonet_params();
  params.faces.frames = 2;
  params.models = {params.models[0], audio_spec};
  params.model_weights = {};
  params.audio.fusion = {0.7, 0.4, -0.1};
  const std::string video = shared_path("data/videos/dfdc_icpr2020dfdc/widuwuoiur.mp4");  // has sound
  const dfd::Verdict v = dfd::Detector(params).scan(video);
  REQUIRE(v.status == dfd::Verdict::Status::Ok);
  REQUIRE(v.video_p_fake.has_value());
  REQUIRE(v.audio_p_fake.has_value());
  CHECK(v.model_scores.size() == 1);  // the face models only
  REQUIRE(v.audio_model_scores.size() == 1);
  CHECK(v.timings.audio_ms > 0);
  // The audio score: the classifier on the FFDV log-mel image of the whole file.
  dfd::SpectrogramParams sp;
  sp.ref_max = true;
  const cv::Mat image = dfd::AudioSpectrogram::image(dfd::AudioSpectrogram(sp).from_file(video), 224);
  const float expected_audio = dfd::Classifier::create(audio_spec)->predict({image})[0];
  CHECK(*v.audio_p_fake == doctest::Approx(expected_audio).epsilon(1e-6));
  // The video score: what a faces-only detector says; the file: the fusion of the two.
  dfd::DetectorParams faces_only = mesonet_params();
  faces_only.faces.frames = 2;
  faces_only.models = {params.models[0]};
  faces_only.model_weights = {};
  const dfd::Verdict f = dfd::Detector(faces_only).scan(video);
  CHECK(*v.video_p_fake == f.p_fake);
  auto logit = [](double p) { return std::log(p / (1 - p)); };
  const double z = 0.7 * logit(*v.video_p_fake) + 0.4 * logit(*v.audio_p_fake) - 0.1;
  CHECK(v.p_fake == doctest::Approx(1 / (1 + std::exp(-z))).epsilon(1e-5));

  // An audio file: the audio branch decides alone.
  const std::string clip = shared_path("data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav");
  const dfd::Verdict a = dfd::Detector(params).scan(clip);
  REQUIRE(a.status == dfd::Verdict::Status::Ok);
  CHECK(!a.video_p_fake.has_value());
  CHECK(a.p_fake == *a.audio_p_fake);
  // A silent video: the faces decide alone.
  const std::string silent = shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4");
  const dfd::Verdict s = dfd::Detector(params).scan(silent);
  REQUIRE(s.status == dfd::Verdict::Status::Ok);
  CHECK(!s.audio_p_fake.has_value());
  CHECK(s.p_fake == *s.video_p_fake);
  // One branch only, and the file lacks its stream: a status that says which.
  CHECK(dfd::Detector(faces_only).scan(clip).status == dfd::Verdict::Status::NoVideoStream);
  dfd::DetectorParams audio_only = dfd::detector_preset("ffdv_audio");
  audio_only.models = {audio_spec};
  const dfd::Verdict quiet = dfd::Detector(audio_only).scan(silent);
  CHECK(quiet.status == dfd::Verdict::Status::NoAudioStream);
  CHECK(quiet.error.find("004.mp4") != std::string::npos);
  CHECK(dfd::Detector(audio_only).scan(clip).status == dfd::Verdict::Status::Ok);
}

TEST_CASE("fit_late_fusion: the penalised logistic-regression optimum (zero gradient), checked inputs" * doctest::test_suite("unit")) {
  // Scores where the audio branch is the more telling one.
  const std::vector<float> video = {0.2f, 0.6f, 0.55f, 0.4f, 0.7f, 0.3f, 0.65f, 0.45f, 0.5f, 0.35f};
  const std::vector<float> audio = {0.1f, 0.9f, 0.8f, 0.2f, 0.85f, 0.15f, 0.3f, 0.7f, 0.75f, 0.4f};
  const std::vector<int> labels = {0, 1, 1, 0, 1, 0, 0, 1, 1, 0};
  const double c = 2.0;
  const dfd::LateFusion f = dfd::fit_late_fusion(video, audio, labels, c);
  CHECK(f.audio > f.video);
  // sklearn's objective 0.5|w|^2 + C sum log(1 + exp(-y z)): gradient zero at the optimum.
  double g[3] = {f.video, f.audio, 0.0};
  for (size_t i = 0; i < labels.size(); ++i) {
    const double x[3] = {std::log(video[i] / (1.0 - video[i])), std::log(audio[i] / (1.0 - audio[i])), 1.0};
    const double z = f.video * x[0] + f.audio * x[1] + f.bias;
    const double residual = 1 / (1 + std::exp(-z)) - labels[i];
    for (int k = 0; k < 3; ++k) g[k] += c * residual * x[k];
  }
  for (double gk : g) CHECK(std::abs(gk) < 1e-8);
  CHECK(f.apply(0.9f, 0.9f) > 0.5f);
  CHECK_THROWS_AS(dfd::fit_late_fusion(video, audio, std::vector<int>(10, 1)), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::fit_late_fusion(video, {0.5f}, labels), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::fit_late_fusion(video, audio, labels, 0.0), dfd::InvalidArgument);
}
