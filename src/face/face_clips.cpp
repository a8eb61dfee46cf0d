#include "dfd/face_clips.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "dfd/error.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/image.hpp"
#include "dfd/video.hpp"

namespace dfd {
namespace {

// The track's box at `frame`: linear between the detections around it, the nearest one outside.
Box box_at(const std::vector<const FaceCrop*>& track, int64_t frame) {
  if (frame <= track.front()->frame_index) return track.front()->face.box;
  if (frame >= track.back()->frame_index) return track.back()->face.box;
  const auto after = std::lower_bound(track.begin(), track.end(), frame,
                                      [](const FaceCrop* c, int64_t f) { return c->frame_index < f; });
  const Box &a = (*(after - 1))->face.box, &b = (*after)->face.box;
  const float t = float(frame - (*(after - 1))->frame_index) / float((*after)->frame_index - (*(after - 1))->frame_index);
  return {a.x1 + t * (b.x1 - a.x1), a.y1 + t * (b.y1 - a.y1), a.x2 + t * (b.x2 - a.x2), a.y2 + t * (b.y2 - a.y2)};
}

}  // namespace

std::vector<ClipPlan> plan_clips(const FaceExtraction& found, int64_t frame_count, const ClipParams& params) {
  if (params.length < 1) throw InvalidArgument("length", fmt::format("must be >= 1, got {}", params.length));
  if (params.stride < 1) throw InvalidArgument("stride", fmt::format("must be >= 1, got {}", params.stride));
  if (params.per_track < 1) throw InvalidArgument("per_track", fmt::format("must be >= 1, got {}", params.per_track));
  if (frame_count < 1) throw InvalidArgument("frame_count", fmt::format("must be >= 1, got {}", frame_count));
  const int64_t window = int64_t(params.length - 1) * params.stride + 1;
  // Half the sampling step: how far a track reaches beyond its first and last detection.
  const int64_t reach = found.frames_sampled > 0 ? frame_count / found.frames_sampled / 2 : 0;
  std::vector<ClipPlan> plans;
  for (const FaceTrack& t : found.tracks) {
    if (t.crops.empty()) continue;
    std::vector<const FaceCrop*> track;
    for (size_t c : t.crops) track.push_back(&found.crops[c]);
    std::stable_sort(track.begin(), track.end(), [](const FaceCrop* a, const FaceCrop* b) { return a->frame_index < b->frame_index; });
    const int64_t first = std::max<int64_t>(0, track.front()->frame_index - reach);
    const int64_t last = std::min(frame_count - 1, track.back()->frame_index + reach);
    const int64_t span = last - first + 1;
    const int64_t starts = std::max<int64_t>(1, span - window + 1);  // distinct windows inside the span
    const int64_t clips = std::min<int64_t>(params.per_track, starts);
    for (int64_t k = 0; k < clips; ++k) {
      // Middles spread evenly over the span, the window kept inside it.
      const double middle = double(first) + (double(k) + 0.5) * double(span) / double(clips);
      const int64_t start = std::clamp<int64_t>(std::llround(middle - double(window - 1) / 2), first, first + starts - 1);
      ClipPlan plan;
      plan.track_id = t.id;
      Box mean;
      for (int i = 0; i < params.length; ++i) {
        const int64_t f = start + int64_t(i) * params.stride;
        plan.padded += f > last;
        plan.frame_indices.push_back(std::min(f, last));
        const Box b = box_at(track, plan.frame_indices.back());
        mean.x1 += b.x1 / float(params.length);
        mean.y1 += b.y1 / float(params.length);
        mean.x2 += b.x2 / float(params.length);
        mean.y2 += b.y2 / float(params.length);
      }
      const int64_t centre = plan.frame_indices[plan.frame_indices.size() / 2];
      const FaceCrop* nearest = *std::min_element(track.begin(), track.end(), [&](const FaceCrop* a, const FaceCrop* b) {
        return std::llabs(a->frame_index - centre) < std::llabs(b->frame_index - centre);
      });
      plan.face = nearest->face;
      plan.face.box = mean;
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

std::vector<int64_t> clip_frames(const std::vector<ClipPlan>& plans) {
  std::set<int64_t> frames;
  for (const ClipPlan& p : plans) frames.insert(p.frame_indices.begin(), p.frame_indices.end());
  return {frames.begin(), frames.end()};
}

cv::Point2f FaceClip::to_crop(cv::Point2f p) const { return region_to_crop(region, content, p); }

std::vector<cv::Point2f> FaceClip::crop_landmarks() const {
  std::vector<cv::Point2f> out;
  for (const auto& p : plan.face.landmarks) out.push_back(to_crop(p));
  return out;
}

std::vector<FaceClip> cut_clips(const std::vector<ClipPlan>& plans, const std::map<int64_t, cv::Mat>& frames,
                                const FaceExtractorParams& crop) {
  if (crop.size < 1) throw InvalidArgument("size", fmt::format("must be >= 1, got {}", crop.size));
  const ResizeRule rule = crop.resize.value_or(default_resize_rule(crop.pad));
  std::vector<FaceClip> clips;
  for (const ClipPlan& plan : plans) {
    FaceClip clip;
    clip.plan = plan;
    for (int64_t f : plan.frame_indices) {
      const auto it = frames.find(f);
      if (it == frames.end()) throw InvalidArgument("frames", fmt::format("frame {} of track {}'s clip was not given", f, plan.track_id));
      if (clip.images.empty()) {
        clip.region = crop_region(plan.face.box, it->second.size(), crop.margin);
        if (clip.region.empty()) {
          throw InvalidArgument("plans", fmt::format("track {}'s clip box misses its {}x{} frame", plan.track_id,
                                                     it->second.cols, it->second.rows));
        }
        clip.content = placed_region(clip.region.size(), crop.size, crop.pad, rule);
      }
      const cv::Rect inside = clip.region & cv::Rect(0, 0, it->second.cols, it->second.rows);
      if (inside != clip.region) {
        throw InvalidArgument("frames", fmt::format("frame {} is {}x{}, smaller than the clip's first", f, it->second.cols, it->second.rows));
      }
      clip.images.push_back(resize_and_pad(it->second(clip.region), crop.size, crop.pad, rule));
    }
    clips.push_back(std::move(clip));
  }
  return clips;
}

std::vector<FaceClip> extract_clips(FaceExtractor& extractor, const std::string& path, const ClipParams& params,
                                    FaceExtraction* found) {
  std::map<int64_t, cv::Mat> frames;
  FaceExtraction extraction;
  std::vector<ClipPlan> plans;
  if (is_image_file(path)) {
    const cv::Mat image = load_image_rgb(path);
    extraction = extractor.extract(image);
    plans = plan_clips(extraction, 1, params);
    frames[0] = turn_clockwise(image, extraction.rotation);
  } else {
    VideoReader reader(path, extractor.params().video);
    extraction = extractor.extract(reader);
    plans = plan_clips(extraction, reader.info().frame_count, params);
    for (Frame& f : reader.read(clip_frames(plans))) frames[f.index] = turn_clockwise(f.image, extraction.rotation);
  }
  extraction.source = path;
  std::vector<FaceClip> clips = cut_clips(plans, frames, extractor.params());
  if (found) *found = std::move(extraction);
  return clips;
}

}  // namespace dfd
