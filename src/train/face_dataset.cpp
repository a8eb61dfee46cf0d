#include "dfd/face_dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/csv.hpp"
#include "dfd/face_clips.hpp"
#include "dfd/image.hpp"
#include "dfd/utf8.hpp"
#include "core/atomic_file.hpp"
#include "prepare_ledger.hpp"

namespace fs = std::filesystem;

namespace dfd {
namespace {

const CsvRecord kIndexHeader = {"image", "source", "label", "group", "frame", "track", "score",
                                "box", "region", "content", "landmarks"};
// A clip dataset's index: one more column, the clip each row belongs to.
const CsvRecord kClipIndexHeader = [] {
  CsvRecord h = kIndexHeader;
  h.push_back("clip");
  return h;
}();
using detail::PrepareOutcome;
using detail::source_key;

std::string join_numbers(const std::vector<float>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += fmt::format(i ? " {:g}" : "{:g}", v[i]);
  return out;
}

std::vector<float> parse_numbers(const std::string& text, size_t expected, const std::string& file, size_t line,
                                 const char* column) {
  std::vector<float> v;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  float x;
  while (in >> x) v.push_back(x);
  if (!in.eof() || (v.size() != expected && !(expected == 136 && v.empty()))) {
    throw DecodeError(file, fmt::format("line {}: {} '{}' is not {} numbers", line, column,
                                        utf8_escaped(text.substr(0, 80)), expected));
  }
  return v;
}

CsvRecord index_row(const FaceSample& s, bool clips) {
  std::vector<float> points;
  for (const cv::Point2f& p : s.landmarks) points.insert(points.end(), {p.x, p.y});
  const auto rect = [](const cv::Rect& r) { return fmt::format("{} {} {} {}", r.x, r.y, r.width, r.height); };
  CsvRecord row = {s.image, s.source, std::to_string(s.label), s.group, std::to_string(s.frame), std::to_string(s.track),
                   fmt::format("{:g}", s.score), join_numbers({s.box.x1, s.box.y1, s.box.x2, s.box.y2}), rect(s.region),
                   rect(s.content), join_numbers(points)};
  if (clips) row.push_back(std::to_string(s.clip));
  return row;
}

FaceSample parse_index_row(const CsvRecord& r, const std::string& file, size_t line, size_t columns) {
  if (r.size() != columns) {
    throw DecodeError(file, fmt::format("line {}: {} fields, expected {}", line, r.size(), columns));
  }
  const auto integer = [&](const std::string& text, const char* column) -> int64_t {
    try {
      size_t used = 0;
      const long long v = std::stoll(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw DecodeError(file, fmt::format("line {}: {} '{}' is not an integer", line, column, utf8_escaped(text)));
  };
  const auto rect = [&](const std::string& text, const char* column) {
    const auto v = parse_numbers(text, 4, file, line, column);
    return cv::Rect(int(v[0]), int(v[1]), int(v[2]), int(v[3]));
  };
  FaceSample s;
  s.image = r[0];
  s.source = r[1];
  const int64_t label = integer(r[2], "label");
  if (label != 0 && label != 1) throw DecodeError(file, fmt::format("line {}: label {} is not 0 or 1", line, label));
  s.label = static_cast<int>(label);
  s.group = r[3];
  s.frame = integer(r[4], "frame");
  s.track = static_cast<int>(integer(r[5], "track"));
  s.score = parse_numbers(r[6], 1, file, line, "score")[0];
  const auto b = parse_numbers(r[7], 4, file, line, "box");
  s.box = {b[0], b[1], b[2], b[3]};
  s.region = rect(r[8], "region");
  s.content = rect(r[9], "content");
  const auto points = parse_numbers(r[10], 136, file, line, "landmarks");
  for (size_t i = 0; i + 1 < points.size(); i += 2) s.landmarks.emplace_back(points[i], points[i + 1]);
  if (columns == kClipIndexHeader.size()) {
    s.clip = static_cast<int>(integer(r[11], "clip"));
    if (s.clip < -1) throw DecodeError(file, fmt::format("line {}: clip {} is not -1 or an index", line, s.clip));
  }
  return s;
}

// Either index: a clip dataset's has the clip column.
std::vector<FaceSample> read_rows(const std::string& file) {
  const bool clips = [&] {
    const CsvText csv = read_csv_file(file);
    return !csv.records.empty() && csv.records[0] == kClipIndexHeader;
  }();
  const CsvRecord& header = clips ? kClipIndexHeader : kIndexHeader;
  return detail::read_index<FaceSample>(file, header, "face", [&](const CsvRecord& r, const std::string& f, size_t line) {
    return parse_index_row(r, f, line, header.size());
  });
}

// A dataset of single crops keeps the plain index (what earlier versions read); clips add a column.
std::string index_text(const std::vector<FaceSample>& samples) {
  const bool clips = std::any_of(samples.begin(), samples.end(), [](const FaceSample& s) { return s.clip >= 0; });
  std::string text = csv_line(clips ? kClipIndexHeader : kIndexHeader);
  for (const FaceSample& s : samples) text += csv_line(index_row(s, clips));
  return text;
}

// What decides the crops: a dataset is only resumed with the same.
nlohmann::ordered_json crop_settings(const PrepareParams& p) {
  nlohmann::ordered_json settings = {{"detector", p.detector.name},
          {"frames", p.faces.frames},
          {"size", p.faces.size},
          {"margin", to_string(p.faces.margin)},
          {"pad", to_string(p.faces.pad)},
          {"max_faces_per_frame", p.faces.max_faces_per_frame},
          {"score_threshold", p.faces.score_threshold},
          {"landmarks", p.landmarks},
          {"clips", p.clips ? nlohmann::ordered_json{{"length", p.clips->length}, {"stride", p.clips->stride},
                                                     {"per_track", p.clips->per_track}}
                            : nlohmann::ordered_json(nullptr)}};
  // Settings added since: recorded only when set, so a dataset prepared before them still resumes.
  if (p.faces.seconds_per_frame > 0.0f) {
    settings["seconds_per_frame"] = p.faces.seconds_per_frame;
    settings["max_frames"] = p.faces.max_frames;
    if (p.faces.max_decoded_per_sample > 0) settings["max_decoded_per_sample"] = p.faces.max_decoded_per_sample;
  }
  if (p.faces.unsure_track_score > 0.0f) {
    settings["unsure_track_score"] = p.faces.unsure_track_score;
    settings["sure_track_score"] = p.faces.sure_track_score;
  }
  // How frames are turned and converted changes every crop's pixels.
  if (p.faces.orientation != FaceExtractorParams{}.orientation) settings["orientation"] = to_string(p.faces.orientation);
  if (p.faces.video.deinterlace) settings["deinterlace"] = true;
  if (p.faces.video.hdr_to_sdr) settings["hdr_to_sdr"] = true;
  if (p.faces.video.stated_colors) settings["stated_colors"] = true;
  return settings;
}

// The detector's box in crop pixels: where the landmark predictor is told the face is.
Box box_in_crop(const Box& box, const cv::Rect& region, const cv::Rect& content) {
  const cv::Point2f a = region_to_crop(region, content, {box.x1, box.y1}), b = region_to_crop(region, content, {box.x2, box.y2});
  return {a.x, a.y, b.x, b.y};
}

// One crop of the dataset: its image written, its row returned.
FaceSample write_sample(const LabelledFile& file, const fs::path& dir, const std::string& image, const cv::Mat& rgb) {
  FaceSample s;
  s.image = image;
  s.source = file.path;
  s.label = file.label;
  s.group = file.group;
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  const std::string image_path = (dir / s.image).string();
  if (!cv::imwrite(image_path, bgr)) throw IoError(image_path, "cannot be written");
  return s;
}

PrepareOutcome prepare_one(const LabelledFile& file, const fs::path& dir, FaceExtractor& extractor,
                           const FaceLandmarker* landmarker, const std::optional<ClipParams>& clip_params) {
  PrepareOutcome out;
  FaceExtraction found;
  std::vector<FaceClip> clips;
  std::vector<std::vector<cv::Point2f>> landmarks;  // per crop, or per clip frame (clip-major)
  // Whatever this input does to the decoder, the detector or the predictor is its own error; only
  // failing to write the dataset stops the run.
  try {
    if (clip_params) {
      clips = extract_clips(extractor, file.file, *clip_params, &found);
      for (const FaceClip& c : clips) {
        const Box box = box_in_crop(c.plan.face.box, c.region, c.content);
        for (const cv::Mat& image : c.images) landmarks.push_back(landmarker ? landmarker->detect(image, box) : std::vector<cv::Point2f>{});
      }
    } else {
      found = extractor.extract(file.file);
      for (const FaceCrop& c : found.crops) {
        landmarks.push_back(landmarker ? landmarker->detect(c.image, box_in_crop(c.face.box, c.region, c.content)) : std::vector<cv::Point2f>{});
      }
    }
  } catch (const std::exception& e) {
    out.status = "error";
    out.error = e.what();
    return out;
  }
  out.amount = found.frames_sampled;
  const std::string key = source_key(file.path);
  const fs::path folder = dir / "faces" / key;
  std::error_code ec;
  fs::remove_all(folder, ec);  // what a killed run left half-written
  fs::create_directories(folder, ec);
  if (ec) throw IoError(folder.string(), "cannot be created: " + ec.message());
  std::vector<FaceSample> samples;
  for (size_t k = 0; k < found.crops.size() && !clip_params; ++k) {
    const FaceCrop& c = found.crops[k];
    FaceSample s = write_sample(file, dir, (fs::path("faces") / key / fmt::format("{:05}.png", k)).generic_string(), c.image);
    s.frame = c.frame_index;
    s.track = c.track_id;
    s.score = c.face.score;
    s.box = c.face.box;
    s.region = c.region;
    s.content = c.content;
    s.landmarks = std::move(landmarks[k]);
    samples.push_back(std::move(s));
  }
  for (size_t k = 0, row = 0; k < clips.size(); ++k) {
    const FaceClip& c = clips[k];
    for (size_t t = 0; t < c.images.size(); ++t, ++row) {
      FaceSample s = write_sample(file, dir, (fs::path("faces") / key / fmt::format("clip{:03}_{:03}.png", k, t)).generic_string(),
                                  c.images[t]);
      s.frame = c.plan.frame_indices[t];
      s.track = c.plan.track_id;
      s.score = c.plan.face.score;
      s.box = c.plan.face.box;
      s.region = c.region;
      s.content = c.content;
      s.landmarks = std::move(landmarks[row]);
      s.clip = static_cast<int>(k);
      samples.push_back(std::move(s));
    }
  }
  write_file_atomically((folder / "faces.csv").string(), index_text(samples));
  out.items = samples.size();
  if (samples.empty()) out.status = "no_face";
  return out;
}

}  // namespace

FaceDataset::FaceDataset(std::string dir, std::vector<FaceSample> samples)
    : dir_(std::move(dir)), samples_(std::move(samples)) {}

FaceDataset FaceDataset::open(const std::string& dir) {
  return FaceDataset(dir, read_rows((fs::path(dir) / "index.csv").string()));
}

void FaceDataset::save_index() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  write_file_atomically((fs::path(dir_) / "index.csv").string(), index_text(samples_));
}

cv::Mat FaceDataset::image(size_t i) const {
  if (i >= samples_.size()) throw InvalidArgument("index", fmt::format("{} is past the {} samples", i, samples_.size()));
  return load_image_rgb((fs::path(dir_) / samples_[i].image).string());
}

PrepareSummary prepare_face_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                    const PrepareParams& params) {
  if (params.clips) plan_clips(FaceExtraction{}, 1, *params.clips);  // its settings checked before any input
  // Each worker gets its own detector and predictor, made before any input so a missing model
  // fails at once.
  const auto make_worker = [&]() -> detail::PrepareOne {
    auto extractor = std::make_shared<FaceExtractor>(create_face_detector(params.detector), params.faces);
    std::shared_ptr<FaceLandmarker> landmarker;
    if (params.landmarks) landmarker = FaceLandmarker::create(params.landmarker);
    return [extractor, landmarker, &dir, &params](const LabelledFile& f) {
      return prepare_one(f, dir, *extractor, landmarker.get(), params.clips);
    };
  };
  const detail::LedgerResult run = detail::run_prepare_ledger(files, dir, crop_settings(params), {"frames", "faces"},
                                                              params.workers, params.retry_failed, params.on_progress,
                                                              make_worker);
  // The index: every finished input's rows, in the label source's order.
  std::vector<FaceSample> samples;
  for (const LabelledFile* f : run.finished) {
    const auto rows = read_rows((fs::path(dir) / "faces" / source_key(f->path) / "faces.csv").string());
    samples.insert(samples.end(), rows.begin(), rows.end());
  }
  PrepareSummary summary;
  summary.files = run.files;
  summary.done_before = run.done_before;
  summary.prepared = run.prepared;
  summary.failed = run.failed;
  summary.faces = samples.size();
  FaceDataset(dir, std::move(samples)).save_index();
  return summary;
}

}  // namespace dfd
