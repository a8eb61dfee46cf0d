#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "dfd/utf8.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/face_extractor.hpp"

namespace dfd::cli {
namespace {

struct FacesOptions {
  std::string path, out_dir, detector = "haar", weights, pad = "center";
  int frames = 32;
  int size = 380;
  float score_threshold = 0.0f;
  std::string orientation = to_string(detector_preset("default").faces.orientation);
};

nlohmann::ordered_json box_json(const Box& b) { return {b.x1, b.y1, b.x2, b.y2}; }

void run_faces(const FacesOptions& o) {
  FaceExtractorParams params;
  params.frames = o.frames;
  params.size = o.size;
  params.pad = pad_mode(o.pad);
  params.score_threshold = o.score_threshold;
  params.orientation = orientation(o.orientation);
  FaceExtractor extractor(create_face_detector(o.detector, o.weights), params);
  const FaceExtraction result = extractor.extract(o.path);

  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir, "cannot create the output directory: " + ec.message());
  nlohmann::ordered_json crops = nlohmann::ordered_json::array();
  cv::Mat bgr;
  for (size_t i = 0; i < result.crops.size(); ++i) {
    const FaceCrop& c = result.crops[i];
    const std::string file = fmt::format("frame{:06d}_track{:02d}_{:03d}.png", c.frame_index, c.track_id, i);
    cv::cvtColor(c.image, bgr, cv::COLOR_RGB2BGR);  // OpenCV's writer expects BGR
    if (!cv::imwrite(o.out_dir + "/" + file, bgr)) throw IoError(o.out_dir + "/" + file, "cannot write the PNG");
    nlohmann::ordered_json landmarks = nlohmann::ordered_json::array();
    for (const auto& p : c.face.landmarks) landmarks.push_back({p.x, p.y});
    crops.push_back({{"file", file},
                     {"frame_index", c.frame_index},
                     {"timestamp", c.timestamp},
                     {"track_id", c.track_id},
                     {"score", c.face.score},
                     {"box", box_json(c.face.box)},
                     {"region", {c.region.x, c.region.y, c.region.x + c.region.width, c.region.y + c.region.height}},
                     {"landmarks", landmarks}});
  }
  nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
  for (const FaceTrack& t : result.tracks) tracks.push_back({{"id", t.id}, {"crops", t.crops}, {"mean_score", t.mean_score}});
  const nlohmann::ordered_json doc = {{"source", utf8_escaped(o.path)},
                                      {"detector", o.detector},
                                      {"frames_sampled", result.frames_sampled},
                                      {"frames_with_faces", result.frames_with_faces},
                                      {"rotation", result.rotation},
                                      {"crop_size", o.size},
                                      {"pad", o.pad},
                                      {"tracks", tracks},
                                      {"crops", crops}};
  const std::string json_path = o.out_dir + "/faces.json";
  std::ofstream(json_path) << doc.dump(2) << "\n";
  std::cout << fmt::format("{}: {} faces in {} of {} frames, {} tracks; wrote {} and the crops", o.path,
                           result.crops.size(), result.frames_with_faces, result.frames_sampled, result.tracks.size(),
                           json_path)
            << std::endl;
}

}  // namespace

void add_face_commands(CLI::App& app) {
  auto o = std::make_shared<FacesOptions>();
  CLI::App* faces = app.add_subcommand("faces", "Find, track and crop the faces of a video or image");
  faces->add_option("VIDEO", o->path, "video or image file")->required();
  faces->add_option("-o,--output", o->out_dir, "output directory (crops as PNG, faces.json)")->required();
  faces->add_option("--detector", o->detector, fmt::format("face detector: {}", fmt::join(list_face_detectors(), ", ")))
      ->capture_default_str();
  faces->add_option("--weights", o->weights, "the detector's converted weights (.safetensors; blazeface, mtcnn)");
  faces->add_option("-n,--frames", o->frames, "frames sampled from a video")->capture_default_str()->check(CLI::PositiveNumber);
  faces->add_option("--size", o->size, "side of the square crops")->capture_default_str()->check(CLI::PositiveNumber);
  faces->add_option("--pad", o->pad, "center (selimsef) or corner (DFDC kernel)")->capture_default_str();
  faces->add_option("--min-score", o->score_threshold, "drop faces scoring below this")->capture_default_str();
  faces->add_option("--orientation", o->orientation, "auto: turn sideways or upside-down faces upright first (boxes "
                    "then in the turned frame's pixels, faces.json's rotation says by how much); as_decoded: frames as read")
      ->capture_default_str();
  faces->callback([o] { run_faces(*o); });
}

}  // namespace dfd::cli
