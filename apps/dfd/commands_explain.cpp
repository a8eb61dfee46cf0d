// dfd explain INPUT... --model SPEC [--model SPEC ...] -o DIR: where each face's verdict comes from.
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "dfd/utf8.hpp"
#include "dfd/classifier.hpp"
#include "dfd/detector.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/face_regions.hpp"
#include "dfd/image.hpp"

namespace dfd::cli {
namespace {

struct ExplainOptions {
  std::vector<std::string> paths, models;
  std::vector<float> weights;
  std::string out_dir, method = "gradcam", target = "fake", detector = "blazeface", detector_weights;
  int frames = 8;
  float min_score = 0.8f;
};

void write_rgb(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) throw IoError(path, "cannot write the image");
}

// One JSON line per input: per face, the ensemble's p(fake), the overlay written, and the share
// of the explanation's mass per face region, ranked, with a sentence saying it.
void run_explain(const ExplainOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir, "cannot create the output directory: " + ec.message());
  std::vector<std::unique_ptr<Classifier>> owned;
  std::vector<Classifier*> classifiers;
  for (const std::string& spec : o.models) {
    owned.push_back(Classifier::create(spec));
    classifiers.push_back(owned.back().get());
  }
  EnsembleExplainParams params;
  params.method = cam_method(o.method);
  params.target = cam_target(o.target);
  if (params.target.kind != CamTarget::Kind::Fake && params.target.kind != CamTarget::Kind::Real) {
    throw InvalidArgument("--target", fmt::format("expected fake or real, got '{}'", o.target));
  }
  params.weights = o.weights;
  const EnsembleExplainer explainer(classifiers, params);
  std::vector<float> weights = o.weights.empty() ? std::vector<float>(classifiers.size(), 1.0f) : o.weights;

  const std::shared_ptr<FaceDetector> detector = create_face_detector(o.detector, o.detector_weights);
  const std::vector<std::string> landmark_names = detector->landmark_names();
  FaceExtractorParams fp;
  fp.frames = o.frames;
  fp.size = classifiers[0]->preprocess_spec().size;
  fp.pad = classifiers[0]->preprocess_spec().pad;
  fp.score_threshold = o.min_score;
  FaceExtractor extractor(detector, fp);

  bool failed = false;
  for (const std::string& path : o.paths) {
    nlohmann::ordered_json line = {{"path", utf8_escaped(path)}};
    try {
      const FaceExtraction found = extractor.extract(path);
      std::vector<cv::Mat> crops, maps;
      for (const FaceCrop& c : found.crops) crops.push_back(c.image);
      if (crops.empty()) {
        line["status"] = "no_face";
      } else {
        std::vector<std::vector<float>> per_model;
        for (Classifier* classifier : classifiers) per_model.push_back(classifier->predict(crops));
        // Each face's p(fake) as the Detector combines its models' (weighted mean of probabilities).
        std::vector<float> p_fake(crops.size());
        for (size_t i = 0; i < crops.size(); ++i) {
          std::vector<float> scores;
          for (const auto& p : per_model) scores.push_back(p[i]);
          p_fake[i] = combine_scores(scores, weights, Combine::Probabilities);
        }
        maps = explainer.explain(crops);
        const std::string stem = fs::path(path).stem().string();
        nlohmann::ordered_json faces = nlohmann::ordered_json::array();
        for (size_t i = 0; i < crops.size(); ++i) {
          const FaceCrop& c = found.crops[i];
          const std::string file = fmt::format("{}_frame{}_track{}.png", stem, c.frame_index, c.track_id);
          write_rgb((fs::path(o.out_dir) / file).string(), overlay(c.image, maps[i]));
          nlohmann::ordered_json face = {{"frame_index", c.frame_index},
                                         {"track_id", c.track_id},
                                         {"box", {c.face.box.x1, c.face.box.y1, c.face.box.x2, c.face.box.y2}},
                                         {"p_fake", p_fake[i]},
                                         {"overlay", file}};
          if (!landmark_names.empty() && !c.face.landmarks.empty()) {
            const auto shares = region_shares(maps[i], face_region_labels(maps[i].size(), c.crop_landmarks(), landmark_names));
            nlohmann::ordered_json regions = nlohmann::ordered_json::array();
            for (const RegionShare& s : shares) regions.push_back({{"region", s.region}, {"share", s.share}});
            face["regions"] = regions;
            face["summary"] = fmt::format("judged {} {}", o.target, describe(shares));
          } else {
            face["regions"] = nullptr;  // a detector without landmarks (haar): no regions
          }
          faces.push_back(face);
        }
        line["status"] = "ok";
        line["faces"] = faces;
      }
      // An image: the faces' maps on the whole picture, too.
      if (is_image_file(path) && !found.crops.empty()) {
        const cv::Mat image = load_image_rgb(path);
        cv::Mat combined = cv::Mat::zeros(image.size(), CV_32F);
        for (size_t i = 0; i < maps.size(); ++i) combined = cv::max(combined, map_to_frame(maps[i], found.crops[i], image.size()));
        const std::string file = fs::path(path).stem().string() + "_frame.png";
        write_rgb((fs::path(o.out_dir) / file).string(), overlay(image, combined));
        line["frame_overlay"] = file;
      }
    } catch (const Error& e) {
      line["status"] = "error";
      line["error"] = utf8_escaped(e.what());
      failed = true;
    }
    std::cout << line.dump() << std::endl;
  }
  if (failed) throw DecodeError("dfd explain", "some inputs could not be read (see their lines)");
}

}  // namespace

void add_explain_commands(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand("explain", "Grad-CAM overlays and face-region shares of each face's verdict");
  cmd->add_option("INPUT", o->paths, "images or videos")->required();
  cmd->add_option("--model", o->models, "arch:weights.safetensors[@preset]; repeat for an ensemble")->required();
  cmd->add_option("--weight", o->weights, "one weight per --model (default: equal)");
  cmd->add_option("-o,--output", o->out_dir, "output directory")->required();
  cmd->add_option("--method", o->method, "gradcam, gradcam++, xgradcam, layercam, eigencam")->capture_default_str();
  cmd->add_option("--target", o->target, "explain the fake or the real side")->capture_default_str();
  cmd->add_option("--detector", o->detector, "face detector (regions need landmarks: blazeface or mtcnn)")
      ->capture_default_str();
  cmd->add_option("--weights", o->detector_weights, "the detector's converted weights (blazeface, mtcnn)");
  cmd->add_option("-n,--frames", o->frames, "frames sampled from a video")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--min-score", o->min_score, "drop faces the detector scores below this")->capture_default_str();
  cmd->callback([o] { run_explain(*o); });
}

}  // namespace dfd::cli
