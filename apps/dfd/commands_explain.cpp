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
#include "dfd/audio.hpp"
#include "dfd/audio_strip.hpp"
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
  std::string out_dir, method = "gradcam", target = "fake", detector = "mtcnn", detector_weights;
  int frames = 8;
  float min_score = 0.8f;
};

void write_rgb(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) throw IoError(path, "cannot write the image");
}

// The faces of one input: each one's p(fake), its Grad-CAM overlay and face-region shares (and,
// for an image, the maps on the whole picture). Fills line["status"], line["faces"].
void explain_faces(const std::string& path, FaceExtractor& extractor, const std::vector<Classifier*>& classifiers,
                   const std::vector<float>& weights, const EnsembleExplainer& explainer,
                   const std::vector<std::string>& landmark_names, const ExplainOptions& o, nlohmann::ordered_json& line) {
  namespace fs = std::filesystem;
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
    line["rotation"] = found.rotation;  // boxes are in the frame turned by this (faces.orientation auto)
    line["faces"] = faces;
  }
  // An image: the faces' maps on the whole picture, too.
  if (is_image_file(path) && !found.crops.empty()) {
    const cv::Mat image = turn_clockwise(load_image_rgb(path), found.rotation);  // as its faces were found
    cv::Mat combined = cv::Mat::zeros(image.size(), CV_32F);
    for (size_t i = 0; i < maps.size(); ++i) combined = cv::max(combined, map_to_frame(maps[i], found.crops[i], image.size()));
    const std::string file = fs::path(path).stem().string() + "_frame.png";
    write_rgb((fs::path(o.out_dir) / file).string(), overlay(image, combined));
    line["frame_overlay"] = file;
  }
}

// The clip's sound by the audio models: the verdict's windows drawn beneath the spectrogram
// (<stem>_audio.png). Fills line["audio"]; returns false when the audio could not be judged.
bool explain_audio(Detector& detector, const std::string& path, const std::string& out_dir, nlohmann::ordered_json& line) {
  namespace fs = std::filesystem;
  const Verdict v = detector.scan(path);
  nlohmann::ordered_json audio = {{"status", v.audio_status.empty() ? to_string(v.status) : v.audio_status}};
  if (!v.error.empty()) audio["error"] = utf8_escaped(v.error);
  if (v.audio_p_fake) {
    audio["p_fake"] = *v.audio_p_fake;
    audio["model_scores"] = v.audio_model_scores;
  }
  if (!v.audio_windows.empty()) {
    audio["aggregation"] = v.audio_window_aggregation;
    nlohmann::ordered_json windows = nlohmann::ordered_json::array();
    for (const AudioWindowScore& w : v.audio_windows) windows.push_back({{"start", w.start}, {"end", w.end}, {"p_fake", w.p_fake}});
    audio["windows"] = windows;
    // The spectrogram decodes the sound a second time, at its own rate (the Verdict keeps no samples).
    const cv::Mat db = AudioSpectrogram(detector.params().audio.spectrogram).from_file(path, detector.params().audio.reader);
    const double duration = v.audio_windows.back().end;  // the last window ends where the clip does
    const std::string file = fs::path(path).stem().string() + "_audio.png";
    write_rgb((fs::path(out_dir) / file).string(), audio_strip(db, duration, v.audio_windows));
    audio["strip"] = file;
  }
  line["audio"] = audio;
  return v.audio_p_fake.has_value();
}

// One JSON line per input: per face, the ensemble's p(fake), the overlay written, and the share
// of the explanation's mass per face region, ranked, with a sentence saying it; for the sound (audio
// models), the windows' p(fake) and a strip of them under the spectrogram.
void run_explain(const ExplainOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir, "cannot create the output directory: " + ec.message());
  const DetectorParams defaults = detector_preset("default");
  const std::vector<std::string> specs = o.models.empty() ? defaults.models : o.models;
  if (!o.weights.empty() && o.weights.size() != specs.size()) {
    throw InvalidArgument("--weight", fmt::format("{} weights for {} models", o.weights.size(), specs.size()));
  }
  std::vector<std::unique_ptr<Classifier>> owned;
  std::vector<Classifier*> classifiers;  // the face models
  std::vector<float> weights;
  std::vector<std::string> audio_specs;
  for (size_t m = 0; m < specs.size(); ++m) {
    auto classifier = Classifier::create(specs[m]);
    if (classifier->preprocess_spec().input != Preprocess::Input::Face) {
      audio_specs.push_back(specs[m]);
      continue;
    }
    owned.push_back(std::move(classifier));
    classifiers.push_back(owned.back().get());
    weights.push_back(o.weights.empty() ? 1.0f : o.weights[m]);
  }
  EnsembleExplainParams params;
  params.method = cam_method(o.method);
  params.target = cam_target(o.target);
  if (params.target.kind != CamTarget::Kind::Fake && params.target.kind != CamTarget::Kind::Real) {
    throw InvalidArgument("--target", fmt::format("expected fake or real, got '{}'", o.target));
  }
  params.weights = weights;
  std::unique_ptr<EnsembleExplainer> explainer;
  std::unique_ptr<FaceExtractor> extractor;
  std::vector<std::string> landmark_names;
  if (!classifiers.empty()) {
    explainer = std::make_unique<EnsembleExplainer>(classifiers, params);
    // MTCNN's weights ship with libdfd; BlazeFace's are converted by the user (--weights).
    const std::string detector_weights = o.detector_weights.empty() && o.detector == "mtcnn" ? defaults.mtcnn.weights : o.detector_weights;
    const std::shared_ptr<FaceDetector> detector = create_face_detector(o.detector, detector_weights);
    landmark_names = detector->landmark_names();
    FaceExtractorParams fp;
    fp.frames = o.frames;
    fp.size = classifiers[0]->preprocess_spec().size;
    fp.pad = classifiers[0]->preprocess_spec().pad;
    fp.score_threshold = o.min_score;
    fp.orientation = defaults.faces.orientation;  // faces explained as the default preset judges them
    extractor = std::make_unique<FaceExtractor>(detector, fp);
  }
  std::unique_ptr<Detector> audio_detector;
  if (!audio_specs.empty()) {
    DetectorParams ap = defaults;
    ap.models = audio_specs;
    ap.model_weights.clear();
    audio_detector = std::make_unique<Detector>(ap);
  }

  bool failed = false;
  for (const std::string& path : expand_media_paths(o.paths)) {
    nlohmann::ordered_json line = {{"path", utf8_escaped(path)}};
    try {
      bool faces_looked_at = false;
      if (extractor) {
        try {
          explain_faces(path, *extractor, classifiers, weights, *explainer, landmark_names, o, line);
          faces_looked_at = true;
        } catch (const MissingStreamError&) {
          if (!audio_detector) throw;
          line["status"] = "no_video_stream";  // an audio file: its sound is explained below
        }
      }
      if (audio_detector) {
        const bool heard = explain_audio(*audio_detector, path, o.out_dir, line);
        if (!faces_looked_at) line["status"] = heard ? nlohmann::ordered_json("ok") : line["audio"]["status"];
        if (!heard && !faces_looked_at) failed = true;
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
  cmd->add_option("INPUT", o->paths, "images, videos or audio files, or directories (their media files, recursively)")->required();
  cmd->add_option("--model", o->models, "arch:weights.safetensors[@preset]; repeat for an ensemble (default: the default "
                                        "preset's, face and audio; an audio model explains the sound: its windows under the spectrogram)");
  cmd->add_option("--weight", o->weights, "one weight per --model (default: equal)");
  cmd->add_option("-o,--output", o->out_dir, "output directory")->required();
  cmd->add_option("--method", o->method, "gradcam, gradcam++, xgradcam, layercam, eigencam")->capture_default_str();
  cmd->add_option("--target", o->target, "explain the fake or the real side")->capture_default_str();
  cmd->add_option("--detector", o->detector, "face detector (regions need landmarks: blazeface or mtcnn)")
      ->capture_default_str();
  cmd->add_option("--weights", o->detector_weights, "the detector's converted weights (blazeface; mtcnn: default the shipped ones)");
  cmd->add_option("-n,--frames", o->frames, "frames sampled from a video")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--min-score", o->min_score, "drop faces the detector scores below this")->capture_default_str();
  cmd->callback([o] { run_explain(*o); });
}

}  // namespace dfd::cli
