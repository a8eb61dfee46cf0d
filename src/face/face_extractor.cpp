#include "dfd/face_extractor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <numeric>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "core/enum_names.hpp"
#include "dfd/image.hpp"
#include "upright.hpp"

namespace dfd {
namespace {

// The keyframe nearest `index` (the earlier one on a tie). requires: keys ascending, not empty.
int64_t nearest_keyframe(const std::vector<int64_t>& keys, int64_t index) {
  const auto after = std::lower_bound(keys.begin(), keys.end(), index);
  if (after == keys.end()) return keys.back();
  if (after == keys.begin()) return *after;
  const int64_t before = *std::prev(after);
  return index - before <= *after - index ? before : *after;
}

// About how many frames the reader decodes to reach ascending `indices`: from each keyframe up to
// the last index before the next one (it may go on instead of seeking where that is fewer).
int64_t frames_to_decode(const std::vector<int64_t>& indices, const std::vector<int64_t>& keys) {
  int64_t total = 0;
  int64_t run_start = -1, run_end = -1;
  for (const int64_t index : indices) {
    const auto after = std::upper_bound(keys.begin(), keys.end(), index);
    const int64_t start = after == keys.begin() ? 0 : *std::prev(after);
    if (start != run_start) {
      if (run_start >= 0) total += run_end - run_start + 1;
      run_start = start;
    }
    run_end = index;
  }
  if (run_start >= 0) total += run_end - run_start + 1;
  return total;
}

void sort_unique(std::vector<int64_t>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// Greedy IoU matching of this frame's faces to the tracks' last boxes; new faces open new tracks.
class Tracker {
 public:
  // `last_boxes`: the tracks so far (an earlier batch's), by id.
  Tracker(float min_iou, std::vector<Box> last_boxes) : min_iou_(min_iou), last_box_(std::move(last_boxes)) {}

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
  if (!(params_.seconds_per_frame >= 0.0f)) {
    throw InvalidArgument("seconds_per_frame", fmt::format("must be >= 0, got {}", params_.seconds_per_frame));
  }
  if (params_.max_frames != 0 && params_.max_frames < params_.frames) {
    throw InvalidArgument("max_frames", fmt::format("must be 0 (no cap) or >= frames ({}), got {}", params_.frames, params_.max_frames));
  }
  if (params_.batch_frames < 1) throw InvalidArgument("batch_frames", fmt::format("must be >= 1, got {}", params_.batch_frames));
  if (params_.max_decoded_per_sample < 0) {
    throw InvalidArgument("max_decoded_per_sample", fmt::format("must be >= 0, got {}", params_.max_decoded_per_sample));
  }
  if (params_.size < 1) throw InvalidArgument("size", fmt::format("must be >= 1, got {}", params_.size));
  if (params_.max_faces_per_frame < 0) throw InvalidArgument("max_faces_per_frame", "must be >= 0");
  for (const auto& [name, value] : {std::pair<const char*, float>{"track_iou", params_.track_iou},
                                    {"unsure_track_score", params_.unsure_track_score},
                                    {"sure_track_score", params_.sure_track_score}}) {
    if (!(value >= 0.0f && value <= 1.0f)) throw InvalidArgument(name, fmt::format("must be in [0, 1], got {}", value));
  }
}

FaceExtraction FaceExtractor::extract(const std::string& path) {
  FaceExtraction out;
  if (is_image_file(path)) {
    out = extract(load_image_rgb(path));
  } else {
    VideoReader reader(path, params_.video);
    out = extract(reader);
  }
  out.source = path;
  return out;
}

FaceExtraction FaceExtractor::extract(VideoReader& reader) {
  const std::vector<int64_t> indices = frame_indices(reader);
  FaceExtraction out;
  for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(params_.batch_frames)) {
    const size_t end = std::min(indices.size(), start + static_cast<size_t>(params_.batch_frames));
    extract_batch(reader.read({indices.begin() + static_cast<std::ptrdiff_t>(start), indices.begin() + static_cast<std::ptrdiff_t>(end)}), out);
  }
  finish(out);
  return out;
}

int FaceExtractor::frames_for(int64_t frame_count, double fps) const {
  if (frame_count < 1) throw InvalidArgument("frame_count", fmt::format("must be >= 1, got {}", frame_count));
  if (!(fps >= 0.0)) throw InvalidArgument("fps", fmt::format("must be >= 0, got {}", fps));
  double n = params_.frames;
  if (params_.seconds_per_frame > 0.0f && fps > 0.0) {
    n = std::max(n, std::ceil(static_cast<double>(frame_count) / fps / params_.seconds_per_frame));
  }
  if (params_.max_frames > 0) n = std::min(n, static_cast<double>(params_.max_frames));
  return static_cast<int>(std::min(n, 1e9));
}

std::vector<int64_t> FaceExtractor::frame_indices(int64_t frame_count, double fps) const {
  std::vector<int64_t> indices = VideoReader::sample_indices(frame_count, frames_for(frame_count, fps));
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());  // ascending: repeats are adjacent
  return indices;
}

std::vector<int64_t> FaceExtractor::frame_indices(VideoReader& reader) const {
  const VideoInfo& info = reader.info();
  std::vector<int64_t> indices = frame_indices(info.frame_count, info.fps);
  if (indices.size() <= static_cast<size_t>(params_.frames)) return indices;  // the DFDC rule, exactly
  const std::vector<int64_t> keys = reader.keyframe_indices();
  if (keys.empty()) return indices;
  const double half_gap = static_cast<double>(info.frame_count - 1) / static_cast<double>(indices.size() - 1) / 2.0;
  std::vector<int64_t> at_keys;  // every sample at its nearest keyframe, however far
  at_keys.reserve(indices.size());
  for (int64_t& index : indices) {
    const int64_t nearest = nearest_keyframe(keys, index);
    at_keys.push_back(nearest);
    if (static_cast<double>(std::llabs(nearest - index)) <= half_gap) index = nearest;
  }
  sort_unique(indices);
  if (params_.max_decoded_per_sample > 0 &&
      frames_to_decode(indices, keys) > static_cast<int64_t>(params_.max_decoded_per_sample) * static_cast<int64_t>(indices.size())) {
    sort_unique(at_keys);
    if (at_keys.size() >= static_cast<size_t>(params_.frames)) return at_keys;
  }
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
  extract_batch(frames, out);
  finish(out);
  return out;
}

void FaceExtractor::extract_batch(const std::vector<Frame>& frames, FaceExtraction& out) {
  // Orientation::Auto decides on the first batch with a face in any orientation: until then (an
  // intro, a black stretch) nothing is turned and nothing was found, so a later decision moves no
  // earlier crop. Decided, it stands: `rotation` set, or faces found as decoded.
  const bool deciding = params_.orientation == Orientation::Auto && out.rotation == 0 && out.frames_with_faces == 0;
  out.frames_sampled += static_cast<int64_t>(frames.size());
  std::vector<cv::Mat> images;
  images.reserve(frames.size());
  for (const Frame& f : frames) images.push_back(f.image);
  if (out.rotation != 0) {  // an earlier batch decided
    for (cv::Mat& image : images) image = turn_clockwise(image, out.rotation);
  }
  std::vector<std::vector<Face>> detections = detector_->detect(images);
  if (deciding) {
    out.rotation = upright_rotation(*detector_, images, detections);
    if (out.rotation != 0) {
      for (cv::Mat& image : images) image = turn_clockwise(image, out.rotation);
      detections = detector_->detect(images);
    }
  }

  std::vector<Box> last_boxes;  // the tracks so far, by id: where each was last seen
  for (const FaceTrack& track : out.tracks) last_boxes.push_back(out.crops[track.crops.back()].face.box);
  Tracker tracker(params_.track_iou, std::move(last_boxes));
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
      crop.timestamp = frames[i].timestamp;
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
}

void FaceExtractor::finish(FaceExtraction& out) const {
  for (FaceTrack& track : out.tracks) {
    float sum = 0;
    for (size_t c : track.crops) sum += out.crops[c].face.score;
    track.mean_score = track.crops.empty() ? 0.0f : sum / float(track.crops.size());
  }
  drop_unsure_tracks(out);
}

void FaceExtractor::drop_unsure_tracks(FaceExtraction& out) const {
  if (params_.unsure_track_score <= 0.0f) return;
  float surest = 0.0f;
  for (const FaceTrack& track : out.tracks) surest = std::max(surest, track.mean_score);
  if (surest < params_.sure_track_score) return;  // no face it is sure of: nothing to compare with
  std::vector<int> new_id(out.tracks.size(), -1);
  std::vector<FaceTrack> kept_tracks;
  for (const FaceTrack& track : out.tracks) {
    if (track.mean_score < params_.unsure_track_score) continue;
    new_id[static_cast<size_t>(track.id)] = static_cast<int>(kept_tracks.size());
    kept_tracks.push_back(FaceTrack{new_id[static_cast<size_t>(track.id)], {}, track.mean_score});
  }
  if (kept_tracks.size() == out.tracks.size()) return;
  std::vector<FaceCrop> kept_crops;
  int64_t frames_left = 0;  // frames that keep a face: crops are in frame order, a frame's together
  for (size_t c = 0; c < out.crops.size(); ++c) {
    const int id = new_id[static_cast<size_t>(out.crops[c].track_id)];
    if (id < 0) {
      ++out.unsure_faces_dropped;
      continue;
    }
    if (kept_crops.empty() || kept_crops.back().frame_index != out.crops[c].frame_index) ++frames_left;
    out.crops[c].track_id = id;
    kept_tracks[static_cast<size_t>(id)].crops.push_back(kept_crops.size());
    kept_crops.push_back(std::move(out.crops[c]));
  }
  out.frames_with_faces = frames_left;
  out.crops = std::move(kept_crops);
  out.tracks = std::move(kept_tracks);
}

}  // namespace dfd
