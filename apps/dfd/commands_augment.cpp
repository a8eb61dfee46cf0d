// dfd augment IMAGE --preview DIR: what training will see — augmented copies and self-blended
// fakes of one face, written so a person can look.
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/augment.hpp"
#include "dfd/face.hpp"
#include "dfd/face_landmarks.hpp"
#include "dfd/image.hpp"
#include "dfd/self_blend.hpp"
#include "dfd/utf8.hpp"

namespace dfd::cli {
namespace {

struct AugmentOptions {
  std::string path, out_dir;
  int count = 8;
  int size = 380;
  uint64_t seed = 0;
};

void run_augment(const AugmentOptions& o) {
  namespace fs = std::filesystem;
  const cv::Mat image = load_image_rgb(o.path);
  // The face's landmarks (part dropout, the self-blend hull): the largest Haar face, or the whole
  // image when it is a crop Haar does not see as a face.
  const std::vector<Face> faces = HaarFaceDetector::create()->detect(image);
  Box box{0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows)};
  if (!faces.empty()) {
    box = std::max_element(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.box.area() < b.box.area(); })->box;
  }
  const std::vector<cv::Point2f> landmarks = FaceLandmarker::create()->detect(image, box);
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir, "cannot create the directory: " + ec.message());
  AugmentParams params;
  params.size = o.size;
  nlohmann::ordered_json written = nlohmann::ordered_json::array();
  for (int i = 0; i < o.count; ++i) {
    const uint64_t seed = o.seed + static_cast<uint64_t>(i);
    const std::string augmented = fmt::format("augment_{:03d}.png", i), blended = fmt::format("self_blend_{:03d}.png", i);
    write_rgb_png((fs::path(o.out_dir) / augmented).string(), augment(image, seed, params, landmarks));
    const SelfBlend sb = self_blend(image, landmarks, seed);
    write_rgb_png((fs::path(o.out_dir) / blended).string(), sb.fake);
    written.push_back({{"seed", seed}, {"augment", augmented}, {"self_blend", blended}, {"blend_ratio", sb.ratio}});
  }
  const nlohmann::ordered_json line = {{"image", utf8_escaped(o.path)},
                                       {"face", faces.empty() ? "the whole image" : "haar"},
                                       {"box", {box.x1, box.y1, box.x2, box.y2}},
                                       {"written", written}};
  std::cout << line.dump() << std::endl;
}

}  // namespace

void add_augment_commands(CLI::App& app) {
  auto o = std::make_shared<AugmentOptions>();
  CLI::App* cmd = app.add_subcommand("augment", "Preview training images: augmented copies and self-blended fakes of a face");
  cmd->add_option("IMAGE", o->path, "a photo or face crop")->required();
  cmd->add_option("--preview", o->out_dir, "directory for augment_NNN.png and self_blend_NNN.png")->required();
  cmd->add_option("-n,--count", o->count, "examples of each")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--size", o->size, "side of the augmented squares")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "seed of the first example (then +1 each)")->capture_default_str();
  cmd->callback([o] { run_augment(*o); });
}

}  // namespace dfd::cli
