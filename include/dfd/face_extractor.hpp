// dfd/face_extractor.hpp — from a video (or an image) to classifier-ready face crops per identity.
//
// FaceExtractor samples frames (VideoReader::sample, the DFDC rule), runs a FaceDetector on them,
// keeps faces scoring at least `score_threshold`, links faces of successive sampled frames into
// identity tracks (greedy, highest box IoU first), and cuts each face out with a margin, resized
// isotropically and padded to a square (dfd/face_crop.hpp). Defaults reproduce selimsef's DFDC
// pipeline: 32 frames, 1/3 margin, 380 x 380, centred.
//
// Orientation::Auto (the `default` detector preset's) turns the frames upright first when their
// faces lie on their side or upside down — a phone video whose rotation tag was lost, a photo
// without its EXIF orientation, a person lying down: a face model trained on upright faces calls
// a sideways real face fake (a real FF++ video turned by 90 or 180 degrees: 0.73-0.77, upright
// 0.36). It asks the detector itself: the best faces are cut out and searched again turned by 90,
// 180 and 270 degrees (and, when most frames had no face, a few of those are searched whole), and
// the frames are turned by the angle at which the detector is far surer of them than as decoded
// (or, for faceless frames, finds the most). This costs nothing when the best faces are already
// certain (score >= 0.999: MTCNN's usual clear upright face), a few small detections otherwise,
// and up to twelve whole-frame detections when most frames have no face.
//
// A video or image without faces is a normal outcome: an extraction with no crops (and
// frames_sampled saying how many frames were looked at), never an error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/export.hpp"
#include "dfd/face.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/image.hpp"
#include "dfd/video.hpp"


DFD_BEGIN_API
namespace dfd {

// How the extractor treats frames whose faces are not upright (above).
enum class Orientation {
  AsDecoded,  // the frames as the reader gives them (its rotation tag applied), as the reference pipelines
  Auto,       // turned by a multiple of 90 degrees when the detector finds the faces upright that way
};
// "as_decoded", "auto". throws: InvalidArgument listing the valid names.
Orientation orientation(const std::string& name);
std::string to_string(Orientation orientation);

struct FaceCrop {
  int64_t frame_index = 0;  // index of the frame in the video (0 for an image)
  double timestamp = 0.0;   // the frame's presentation time, seconds (Frame::timestamp; 0 for an image)
  int track_id = 0;         // identity: crops of one person across frames share it
  Face face;                // box, score and landmarks in frame pixels
  cv::Rect region;          // the part of the frame cut out (box + margin, clipped), frame pixels
  cv::Rect content;         // where that region lies inside `image` after resizing and padding
  cv::Mat image;            // size x size RGB uint8, the classifier's input

  // Maps a point of `image` back to frame pixels, and a frame point into `image`.
  cv::Point2f to_frame(cv::Point2f crop_point) const;
  cv::Point2f to_crop(cv::Point2f frame_point) const;
  // The face's landmarks in `image` coordinates.
  std::vector<cv::Point2f> crop_landmarks() const;
};

struct FaceTrack {
  int id = 0;
  std::vector<size_t> crops;  // indices into FaceExtraction::crops, in frame order
  float mean_score = 0.0f;    // mean detector score of its faces
};

struct FaceExtraction {
  std::string source;          // the path, or "" for frames/images given directly
  int64_t frames_sampled = 0;  // frames the detector looked at
  int64_t frames_with_faces = 0;
  // Degrees (0, 90, 180, 270) the frames were turned clockwise before detection
  // (Orientation::Auto): every box, region and landmark is in the turned frame's pixels (batches
  // before the deciding one, which held no face, were searched as decoded).
  int rotation = 0;
  int64_t unsure_faces_dropped = 0;  // crops of unsure tracks left out (unsure_track_score)
  std::vector<FaceCrop> crops;   // in frame order, then by score
  std::vector<FaceTrack> tracks; // by first appearance; tracks[i].id == i
};

struct FaceExtractorParams {
  int frames = 32;               // evenly spaced frames sampled from a video (each once: frame_indices())
  // Long videos: at least one frame every `seconds_per_frame` seconds, so a video longer than
  // frames x seconds_per_frame gets more than `frames` (a short fake segment in a long real video
  // is looked at), but at most `max_frames` (0: no cap). 0 (the default): `frames` whatever the
  // length, the DFDC rule; the `default` detector preset's is one a second, at most 128.
  float seconds_per_frame = 0.0f;
  int max_frames = 0;
  // A long video whose keyframes are further apart than its samples (x264's default: one in 250
  // frames) is decoded nearly whole to reach them — 5 minutes of 1080p took 25-55 s. When
  // reaching the samples would decode more than `max_decoded_per_sample` frames for each one,
  // every sample moves to its nearest keyframe instead, however far, if that leaves at least
  // `frames` of them: a sample then stands for up to a keyframe interval. 0 (the default): never;
  // the `default` detector preset's is 8 (the DFDC rule decodes about 10 per sample of a 10 s clip).
  int max_decoded_per_sample = 0;
  // Frames decoded and searched at a time: a long video's sampled frames are never all held at
  // once (32 1080p frames are 200 MB). Orientation::Auto decides on the first batch with a face.
  int batch_frames = 32;
  float score_threshold = 0.0f;  // faces scoring below are dropped (on top of the detector's own)
  int max_faces_per_frame = 0;   // keep only the best N faces of a frame; 0 = all
  MarginRule margin = MarginRule::Selimsef;
  int size = 380;                // side of the square crops
  PadMode pad = PadMode::Center;
  std::optional<ResizeRule> resize;  // unset: the rule of `pad`'s pipeline (default_resize_rule)
  float track_iou = 0.3f;        // faces in successive sampled frames with at least this IoU link up
  // Detections the detector is unsure of, beside a face it is sure of: when a track's mean
  // detector score is at least `sure_track_score`, every track whose mean is below
  // `unsure_track_score` is dropped, its crops with it (an image: each face is its own track). MTCNN
  // now and then finds a "face" in a dark background or a shirt (0.87-0.95, where the file's faces
  // score 0.999), and a deepfake model reads such a crop as fake. 0 keeps every track, as the
  // reference pipelines do; the `default` detector preset's is 0.97.
  float unsure_track_score = 0.0f;
  float sure_track_score = 0.99f;
  Orientation orientation = Orientation::AsDecoded;  // Auto: turn sideways or upside-down faces upright
  VideoReaderParams video;       // decoding options
};

class FaceExtractor {
 public:
  // requires: detector != nullptr; frames >= 1; size >= 1; seconds_per_frame >= 0; max_frames == 0
  //           or max_frames >= frames; batch_frames >= 1; max_decoded_per_sample >= 0; 0 <= track_iou <= 1;
  //           0 <= unsure_track_score <= 1; 0 <= sure_track_score <= 1.
  // throws: InvalidArgument otherwise.
  explicit FaceExtractor(std::shared_ptr<FaceDetector> detector, const FaceExtractorParams& params = {});

  // A video file (its frame_indices() read, batch_frames at a time) or an image file (one frame,
  // decoded by OpenCV, index 0).
  // throws: what VideoReader / image decoding throws (IoError, DecodeError), with the path.
  FaceExtraction extract(const std::string& path);
  // A video already open: its frame_indices(reader), read batch_frames at a time.
  // ensures: the same tracks and crops as extract(frames) of all those frames at once (up to the
  //          detector's rounding across batch shapes); `source` is left empty.
  // throws: what VideoReader::read and keyframe_indices throw.
  FaceExtraction extract(VideoReader& reader);

  // How many frames are looked at in a video of `frame_count` frames at `fps`: `frames`, more for
  // a long video under seconds_per_frame (fps > 0 needed for that), capped by max_frames.
  // requires: frame_count >= 1, fps >= 0. throws: InvalidArgument otherwise.
  int frames_for(int64_t frame_count, double fps = 0.0) const;
  // The frames looked at: VideoReader::sample_indices(frame_count, frames_for(frame_count, fps))
  // — the DFDC rule — each index once. A video shorter than that (a GIF, a one-frame clip, an AVIF
  // still read as video) is read frame by frame, not with repeats that would cost time and weigh
  // some frames more than others.
  // requires: frame_count >= 1, fps >= 0. ensures: ascending, distinct, at most frames_for(...)
  // indices, all in [0, frame_count). throws: InvalidArgument for frame_count < 1 or fps < 0.
  std::vector<int64_t> frame_indices(int64_t frame_count, double fps = 0.0) const;
  // The frames looked at in an open video: frame_indices(frame_count, fps), and when that is more
  // than `frames` (a long video under seconds_per_frame), each moved to the nearest keyframe
  // within half the gap between samples: a keyframe decodes alone, another frame costs the run
  // from its keyframe (up to seconds of frames), so an hour's 128 frames cost seconds, not
  // minutes. Where that still decodes more than max_decoded_per_sample frames a sample, the
  // nearest keyframes alone (at least `frames` of them; else as above). `frames` or fewer: the
  // DFDC rule's frames exactly. ensures: ascending, distinct.
  // throws: as VideoReader::keyframe_indices.
  std::vector<int64_t> frame_indices(VideoReader& reader) const;
  // Frames already decoded (RGB): all of them are searched (turned first under Orientation::Auto,
  // the extraction's `rotation` saying by how much), as one batch.
  FaceExtraction extract(const std::vector<Frame>& frames);
  // The same in batches, for frames that should not all be held at once: start with an empty
  // FaceExtraction, give each batch in order (the later frames of the same video), then finish().
  // A batch's faces join the earlier batches' tracks; Orientation::Auto decides on the first
  // batch with a face in any orientation (earlier ones found none), and later ones are turned the
  // same way. extract(frames) is one batch and finish().
  // requires: `so_far` is empty or holds only earlier batches of the same video, not yet
  //           finish()ed; frames RGB (as extract(frames)).
  // ensures: so_far.frames_sampled grows by frames.size(); its crops and tracks gain this batch's
  //          faces (track means and unsure tracks are settled by finish()).
  void extract_batch(const std::vector<Frame>& frames, FaceExtraction& so_far);
  // Completes a batched extraction: each track's mean score, then unsure_track_score's rule.
  // requires: called once, after the last extract_batch.
  // ensures: tracks[i].id == i, by first appearance; every crop's track_id names its track;
  //          unsure_faces_dropped counts the crops left out.
  void finish(FaceExtraction& so_far) const;
  // One RGB image.
  FaceExtraction extract(const cv::Mat& image);

  const FaceExtractorParams& params() const { return params_; }
  FaceDetector& detector() { return *detector_; }

 private:
  // unsure_track_score: leaves out the tracks the detector is unsure of beside one it is sure of.
  void drop_unsure_tracks(FaceExtraction& out) const;

  std::shared_ptr<FaceDetector> detector_;
  FaceExtractorParams params_;
};

}  // namespace dfd
DFD_END_API
