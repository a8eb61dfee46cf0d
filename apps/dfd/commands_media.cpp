#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "dfd/audio.hpp"
#include "dfd/utf8.hpp"
#include "dfd/video.hpp"

namespace dfd::cli {
namespace {

nlohmann::ordered_json to_json(const VideoInfo& i) {
  return {{"width", i.width},         {"height", i.height},
          {"fps", i.fps},             {"frame_count", i.frame_count},
          {"frame_count_stated", i.frame_count_stated},
          {"duration", i.duration},   {"rotation", i.rotation},
          {"codec", i.codec},         {"pixel_format", i.pixel_format},
          {"interlaced", i.interlaced}, {"hdr", i.hdr},
          {"color_matrix", i.color_matrix}, {"color_range", i.color_range},
          {"has_audio", i.has_audio}};
}

nlohmann::ordered_json to_json(const AudioInfo& i) {
  return {{"sample_rate", i.sample_rate}, {"channels", i.channels}, {"codec", i.codec},
          {"sample_format", i.sample_format}, {"duration", i.duration}};
}

// Probes video and audio separately: an audio-only file or a silent video is still described.
void run_info(const std::string& path) {
  nlohmann::ordered_json out = {{"path", utf8_escaped(path)}, {"video", nullptr}, {"audio", nullptr}};
  std::optional<Error> video_error;
  try {
    out["video"] = to_json(VideoReader(path).info());
  } catch (const DecodeError& e) {
    video_error = e;  // no video stream, or a still image; decide below
  }
  const bool may_have_audio = !out["video"].is_null() ? out["video"]["has_audio"].get<bool>() : true;
  if (may_have_audio) {
    try {
      out["audio"] = to_json(AudioReader(path).info());
    } catch (const DecodeError&) {
      if (video_error) throw *video_error;  // neither stream: report why the video failed
    }
  }
  std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << std::endl;
}

void run_frames(const std::string& path, int n, const std::vector<int64_t>& indices, const std::string& out_dir,
                const VideoReaderParams& params) {
  VideoReader reader(path, params);
  const std::vector<Frame> frames = indices.empty() ? reader.sample(n) : reader.read(indices);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw IoError(out_dir, "cannot create the output directory: " + ec.message());
  cv::Mat bgr;
  for (const Frame& f : frames) {
    const std::string file = fmt::format("{}/frame_{:06d}.png", out_dir, f.index);
    cv::cvtColor(f.image, bgr, cv::COLOR_RGB2BGR);  // OpenCV's writer expects BGR
    if (!cv::imwrite(file, bgr)) throw IoError(file, "cannot write the PNG");
  }
  std::cout << fmt::format("{}: wrote {} frames to {}", path, frames.size(), out_dir) << std::endl;
}

}  // namespace

void add_media_commands(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* info = app.add_subcommand("info", "Print what a media file holds (video and audio streams) as JSON");
  info->add_option("FILE", *path, "video or audio file")->required();
  info->callback([path] { run_info(*path); });

  struct FramesOptions {
    std::string path, out_dir;
    int n = 32;
    VideoReaderParams video;
    std::vector<int64_t> indices;
  };
  auto opt = std::make_shared<FramesOptions>();
  CLI::App* frames = app.add_subcommand("frames", "Write sampled frames of a video as PNGs (frame_<index>.png)");
  frames->add_option("VIDEO", opt->path, "video file")->required();
  frames->add_option("-n,--frames", opt->n, "evenly spaced frames to sample (DFDC rule)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  frames->add_option("--indices", opt->indices, "exact frame indices instead of -n")->delimiter(',');
  frames->add_option("--width", opt->video.output_width, "resize to this width, keeping the aspect ratio");
  frames->add_flag("--deinterlace", opt->video.deinterlace,
                   "an interlaced frame from its top field alone (as the default preset reads video)");
  frames->add_flag("--hdr-to-sdr", opt->video.hdr_to_sdr,
                   "an HDR frame (HLG or PQ) in SDR BT.709 colours (as the default preset reads video)");
  frames->add_flag("--stated-colors", opt->video.stated_colors,
                   "each frame converted with the YUV matrix and range it states, e.g. BT.709, instead of BT.601 "
                   "limited range (as the default preset reads video)");
  frames->add_option("-o,--output", opt->out_dir, "output directory")->required();
  frames->callback(
      [opt] { run_frames(opt->path, opt->n, opt->indices, opt->out_dir, opt->video); });
}

}  // namespace dfd::cli
