// dfd/face_clips.hpp — clips of one identity: T frames of a face track, cut at one box.
//
// A temporal model (TSM, ModelInput::Clip) judges a face across consecutive frames. The
// FaceExtractor finds and tracks faces on sparsely sampled frames; plan_clips() places clip windows
// on each track (dense frames, read by index: VideoReader::read) and cut_clips() cuts each window's
// frames at the track's smoothed box, as the extractor cuts a crop (margin, size, padding), so a
// clip model sees the face's own motion inside one fixed region.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/export.hpp"
#include "dfd/face.hpp"
#include "dfd/face_extractor.hpp"


DFD_BEGIN_API
namespace dfd {

struct ClipParams {
  int length = 8;     // frames per clip: a clip model's segments (ModelInfo::segments)
  int stride = 1;     // video frames between a clip's successive frames (Preprocess::frame_stride)
  int per_track = 2;  // clips per identity, spread evenly over its track
};

struct ClipPlan {
  int track_id = 0;
  // `length` frame indices, ascending. A track shorter than a clip is padded by repeating its last
  // frame (the reference TSN's rule for short videos): `padded` entries are such repeats.
  std::vector<int64_t> frame_indices;
  int padded = 0;
  // The face the clip is cut at, in frame pixels: the track's box interpolated linearly between its
  // detections at each of the clip's frames, then averaged over them (one region for every frame);
  // the score and landmarks of the track's detection nearest the clip's middle.
  Face face;
};

// Clip windows on every track of `found` (a FaceExtractor's result for a video of `frame_count`
// frames; FaceExtraction::frames_sampled says how sparse its frames were). A track spans its first
// to its last detection, widened by half the sampling step on each side (the frames nearer its
// detections than the neighbouring samples), within the video. Each track gets min(per_track,
// distinct windows) clips of (length - 1) * stride + 1 frames, their middles spread evenly over
// the span; a span shorter than one window gets one clip, padded. An image (frame_count 1) gives
// clips of one frame repeated.
// requires: length >= 1, stride >= 1, per_track >= 1, frame_count >= 1.
// throws: InvalidArgument otherwise.
// ensures: plans ordered by track id, then by first frame; every index in [0, frame_count).
std::vector<ClipPlan> plan_clips(const FaceExtraction& found, int64_t frame_count, const ClipParams& params = {});

struct FaceClip {
  ClipPlan plan;
  cv::Rect region;              // the part of every frame cut out (plan.face.box + margin, clipped), frame pixels
  cv::Rect content;             // where that region lies inside each image after resizing and padding
  std::vector<cv::Mat> images;  // one size x size RGB uint8 crop per plan.frame_indices entry

  cv::Point2f to_crop(cv::Point2f frame_point) const;
  // plan.face's landmarks in the crops' coordinates.
  std::vector<cv::Point2f> crop_landmarks() const;
};

// Cuts the planned clips from `frames` (RGB uint8 by frame index; each plan's frames among them) as
// the extractor with `crop` cuts a crop: its margin, size, pad and resize.
// requires: crop.size >= 1. throws: InvalidArgument naming a frame a plan needs and `frames` lacks,
// or a box that misses its frame.
std::vector<FaceClip> cut_clips(const std::vector<ClipPlan>& plans, const std::map<int64_t, cv::Mat>& frames,
                                const FaceExtractorParams& crop);

// The frames every plan needs, each once, ascending: what to VideoReader::read.
std::vector<int64_t> clip_frames(const std::vector<ClipPlan>& plans);

// A file's clips in one call: extractor.extract(path), plan_clips, the frames read by index,
// cut_clips with the extractor's crop settings. `found` (optional) receives the extraction.
// throws: what FaceExtractor::extract and VideoReader::read throw; InvalidArgument for bad params.
std::vector<FaceClip> extract_clips(FaceExtractor& extractor, const std::string& path, const ClipParams& params = {},
                                    FaceExtraction* found = nullptr);

}  // namespace dfd
DFD_END_API
