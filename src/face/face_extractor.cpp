#include "dfd/face_extractor.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "core/enum_names.hpp"
#include "dfd/image.hpp"
#include "upright.hpp"

namespace dfd {
namespace {

// Greedy IoU matching of this frame's faces to the tracks' last boxes; new faces open new tracks.
class Tracker {
 public:
  explicit Tracker(float min_iou) : min_iou_(min_iou) {}

  // Returns the track id of each face.
  std::vector<int> assign(const std::vector<Face>& faces) {
    struct Pair { float iou; size_t face, track; };
    std::vector<Pair> pairs;
    for (size_t f = 0; f < faces.size(); ++f) {
      for (size_t t = 0; t < last_box_.size(); ++t) {
        const float overlap = iou(faces[f].box, last_box_[t]);
        if (overlap >= min_iou_ && overlap > 0) pairs.push_back({overlap, f, t});
      }
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<int> ids(faces.size(), -1);
    std::vector<bool> track_taken(last_box_.size(), false);
    for (const Pair& p : pairs) {
      if (ids[p.face] != -1 || track_taken[p.track]) continue;
      ids[p.face] = static_cast<int>(p.track);
      track_taken[p.track] = true;
    }
    for (size_t f = 0; f < faces.size(); ++f) {
      if (ids[f] == -1) {
        ids[f] = static_cast<int>(last_box_.size());
        last_box_.push_back(faces[f].box);
      } else {
        last_box_[static_cast<size_t>(ids[f])] = faces[f].box;
      }
    }
    return ids;
  }

 private:
  float min_iou_;
  std::vector<Box> last_box_;  // per track id
};

const detail::EnumName<Orientation> kOrientations[] = {{"as_decoded", Orientation::AsDecoded}, {"auto", Orientation::Auto}};

}  // namespace

Orientation orientation(const std::string& name) { return detail::parse_enum(kOrientations, name, "orientation"); }
std::string to_string(Orientation orientation) { return detail::enum_name(kOrientations, orientation); }

cv::Point2f FaceCrop::to_frame(cv::Point2f p) const { return crop_to_region(region, content, p); }
cv::Point2f FaceCrop::to_crop(cv::Point2f p) const { return region_to_crop(region, content, p); }

std::vector<cv::Point2f> FaceCrop::crop_landmarks() const {
  std::vector<cv::Point2f> out;
  out.reserve(face.landmarks.size());
  for (const auto& p : face.landmarks) out.push_back(to_crop(p));
  return out;
}

FaceExtractor::FaceExtractor(std::shared_ptr<FaceDetector> detector, const FaceExtractorParams& params)
    : detector_(std::move(detector)), params_(params) {
  if (!detector_) throw InvalidArgument("detector", "must not be null");
  if (params_.frames < 1) throw InvalidArgument("frames", fmt::format("must be >= 1, got {}", params_.frames));
  if (params_.size < 1) throw InvalidArgument("size", fmt::format("must be >= 1, got {}", params_.size));
  if (params_.max_faces_per_frame < 0) throw InvalidArgument("max_faces_per_frame", "must be >= 0");
  if (!(params_.track_iou >= 0.0f && params_.track_iou <= 1.0f)) {
    throw InvalidArgument("track_iou", fmt::format("must be in [0, 1], got {}", params_.track_iou));
  }
}

FaceExtraction FaceExtractor::extract(const std::string& path) {
  FaceExtraction out;
  if (is_image_file(path)) {
    out = extract(load_image_rgb(path));
  } else {
    VideoReader reader(path, params_.video);
    out = extract(reader.read(frame_indices(reader.info().frame_count)));
  }
  out.source = path;
  return out;
}

std::vector<int64_t> FaceExtractor::frame_indices(int64_t frame_count) const {
  std::vector<int64_t> indices = VideoReader::sample_indices(frame_count, params_.frames);
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());  // ascending: repeats are adjacent
  return indices;
}

FaceExtraction FaceExtractor::extract(const cv::Mat& image) {
  require_rgb_image(image, detector_->name());
  Frame frame;
  frame.image = image;
  return extract(std::vector<Frame>{frame});
}

FaceExtraction FaceExtractor::extract(const std::vector<Frame>& frames) {
  FaceExtraction out;
  out.frames_sampled = static_cast<int64_t>(frames.size());
  std::vector<cv::Mat> images;
  images.reserve(frames.size());
  for (const Frame& f : frames) images.push_back(f.image);
  std::vector<std::vector<Face>> detections = detector_->detect(images);
  if (params_.orientation == Orientation::Auto) {
    out.rotation = upright_rotation(*detector_, images, detections);
    if (out.rotation != 0) {
      for (cv::Mat& image : images) image = turn_clockwise(image, out.rotation);
      detections = detector_->detect(images);
    }
  }

  Tracker tracker(params_.track_iou);
  const ResizeRule resize_rule = params_.resize.value_or(default_resize_rule(params_.pad));
  for (size_t i = 0; i < frames.size(); ++i) {
    std::vector<Face> faces;
    for (const Face& face : detections[i]) {
      if (face.score >= params_.score_threshold) faces.push_back(face);
    }
    std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
    if (params_.max_faces_per_frame > 0 && faces.size() > size_t(params_.max_faces_per_frame)) {
      faces.resize(static_cast<size_t>(params_.max_faces_per_frame));
    }
    const cv::Mat& image = images[i];
    // Faces that miss the frame entirely (an empty region) are dropped before tracking.
    std::vector<std::pair<Face, cv::Rect>> kept;
    for (Face& face : faces) {
      const cv::Rect region = crop_region(face.box, image.size(), params_.margin);
      if (!region.empty()) kept.emplace_back(std::move(face), region);
    }
    if (kept.empty()) continue;
    ++out.frames_with_faces;
    std::vector<Face> tracked;
    for (const auto& k : kept) tracked.push_back(k.first);
    const std::vector<int> ids = tracker.assign(tracked);
    for (size_t k = 0; k < kept.size(); ++k) {
      FaceCrop crop;
      crop.frame_index = frames[i].index;
      crop.track_id = ids[k];
      crop.face = std::move(kept[k].first);
      crop.region = kept[k].second;
      const cv::Mat resized = isotropic_resize(image(crop.region), params_.size, resize_rule);
      const int x = params_.pad == PadMode::Center ? (params_.size - resized.cols) / 2 : 0;
      const int y = params_.pad == PadMode::Center ? (params_.size - resized.rows) / 2 : 0;
      crop.content = cv::Rect(x, y, resized.cols, resized.rows);
      crop.image = pad_to_square(resized, params_.size, params_.pad);
      const size_t index = out.crops.size();
      if (static_cast<size_t>(crop.track_id) >= out.tracks.size()) {
        out.tracks.resize(static_cast<size_t>(crop.track_id) + 1);
      }
      FaceTrack& track = out.tracks[static_cast<size_t>(crop.track_id)];
      track.id = crop.track_id;
      track.crops.push_back(index);
      out.crops.push_back(std::move(crop));
    }
  }
  for (FaceTrack& track : out.tracks) {
    float sum = 0;
    for (size_t c : track.crops) sum += out.crops[c].face.score;
    track.mean_score = track.crops.empty() ? 0.0f : sum / float(track.crops.size());
  }
  return out;
}

}  // namespace dfd
