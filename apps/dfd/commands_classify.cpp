#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/utf8.hpp"
#include "dfd/classifier.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/image.hpp"

namespace dfd::cli {
namespace {

struct ClassifyOptions {
  std::vector<std::string> paths;
  std::string model, detector = "haar", weights;
  bool no_face = false;
  bool flip = false;
  std::string device = "cpu";
  float min_score = 0.8f;
};

// One JSON line per image: the p(fake) of each face (or of the whole image with --no-face), and
// the image's p_fake = its most suspicious face. An image without a face says so and has no score.
void run_classify(const ClassifyOptions& o) {
  ClassifierParams params;
  params.flip_tta = o.flip;
  params.device = o.device;
  auto classifier = Classifier::create(o.model, params);
  std::unique_ptr<FaceExtractor> extractor;
  if (!o.no_face) {
    FaceExtractorParams fp;
    fp.size = classifier->preprocess_spec().size;
    fp.pad = classifier->preprocess_spec().pad;
    fp.score_threshold = o.min_score;
    extractor = std::make_unique<FaceExtractor>(create_face_detector(o.detector, o.weights), fp);
  }
  bool failed = false;
  for (const std::string& path : expand_media_paths(o.paths)) {
    nlohmann::ordered_json line = {{"path", utf8_escaped(path)}};
    try {
      std::vector<cv::Mat> crops;
      nlohmann::ordered_json faces = nlohmann::ordered_json::array();
      if (o.no_face) {
        crops.push_back(load_image_rgb(path));
      } else {
        const FaceExtraction found = extractor->extract(path);
        for (const FaceCrop& c : found.crops) {
          crops.push_back(c.image);
          faces.push_back({{"frame_index", c.frame_index}, {"track_id", c.track_id},
                           {"box", {c.face.box.x1, c.face.box.y1, c.face.box.x2, c.face.box.y2}}});
        }
      }
      if (crops.empty()) {
        line["status"] = "no_face";
      } else {
        const std::vector<float> p = classifier->predict(crops);
        float top = 0;
        for (size_t i = 0; i < p.size(); ++i) {
          if (!o.no_face) faces[i]["p_fake"] = p[i];
          top = std::max(top, p[i]);
        }
        line["status"] = "ok";
        line["p_fake"] = top;
        if (!o.no_face) line["faces"] = faces;
      }
    } catch (const Error& e) {
      line["status"] = "error";
      line["error"] = utf8_escaped(e.what());
      failed = true;
    }
    std::cout << line.dump() << std::endl;
  }
  if (failed) throw DecodeError("dfd classify", "some inputs could not be read (see their lines)");
}

}  // namespace

void add_classify_commands(CLI::App& app) {
  auto o = std::make_shared<ClassifyOptions>();
  CLI::App* cmd = app.add_subcommand("classify", "p(fake) of images or videos with one classifier, one JSON line per input");
  cmd->add_option("INPUT", o->paths, "images or videos, or directories (their media files, recursively)")->required();
  cmd->add_option("--model", o->model, "arch:weights.safetensors[@preset], or torchscript:model.pt@preset")->required();
  cmd->add_flag("--no-face", o->no_face, "classify the whole image as given (already a face crop)");
  cmd->add_option("--detector", o->detector, fmt::format("face detector: {}", fmt::join(list_face_detectors(), ", ")))
      ->capture_default_str();
  cmd->add_option("--weights", o->weights, "the detector's converted weights (blazeface, mtcnn)");
  cmd->add_option("--min-score", o->min_score, "drop faces the detector scores below this")->capture_default_str();
  cmd->add_flag("--flip", o->flip, "average with the horizontally flipped crop");
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N (when LibTorch has CUDA)")->capture_default_str();
  cmd->callback([o] { run_classify(*o); });
}

}  // namespace dfd::cli
