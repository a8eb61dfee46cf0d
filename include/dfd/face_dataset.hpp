// dfd/face_dataset.hpp — a labelled set as face crops on disk: made once by prepare_face_dataset,
// read by training without decoding a video again.
//
// A dataset is a folder:
//   index.csv     one row per face crop, the columns of FaceSample:
//                 image,source,label,group,frame,track,score,box,region,content,landmarks[,clip]
//                 box "x1 y1 x2 y2" (the detector's, frame pixels); region "x y w h" (what was cut
//                 out of the frame: box + margin, clipped); content "x y w h" (where the region lies
//                 in the crop after resizing and padding); landmarks 68 "x y" pairs in crop pixels,
//                 space-separated, empty when none were found; clip (a dataset of clips only,
//                 PrepareParams::clips) the clip of its source the row is a frame of.
//   sources.csv   one row per input file: path,label,group,status,frames,faces,error — status ok,
//                 no_face or error. The ledger a killed prepare resumes from.
//   faces/<key>/  one input's crops (PNG, RGB) and its rows of index.csv (faces.csv); <key> is a
//                 hash of the input's path.
//   prepare.json  the settings the crops were made with.
// A program may also write a dataset itself (FaceDataset(dir, samples).save_index()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/box.hpp"
#include "dfd/error.hpp"
#include "dfd/export.hpp"
#include "dfd/face.hpp"
#include "dfd/face_clips.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/face_landmarks.hpp"
#include "dfd/labels.hpp"

DFD_BEGIN_API
namespace dfd {

struct FaceSample {
  std::string image;     // the crop's file, relative to the dataset folder
  std::string source;    // the input file it came from, as its label source lists it
  int label = 0;         // 1 = fake
  std::string group;     // what a split keeps together (LabelledFile::group)
  int64_t frame = 0;     // frame index in the video (0 for an image)
  int track = 0;         // identity within the source (FaceCrop::track_id)
  float score = 0.0f;    // detector score
  Box box;               // frame pixels
  cv::Rect region;       // frame pixels
  cv::Rect content;      // crop pixels
  std::vector<cv::Point2f> landmarks;  // 68 points in crop pixels, or none
  // The clip of its source it is a frame of (a dataset prepared with clips), -1 for a single crop.
  // A clip's rows are consecutive, in frame order, and share region, content and box.
  int clip = -1;
};

class FaceDataset {
 public:
  // Reads `dir`/index.csv. throws: IoError (no index), DecodeError (a malformed row, with its line).
  static FaceDataset open(const std::string& dir);
  FaceDataset(std::string dir, std::vector<FaceSample> samples);

  // Writes index.csv (atomically: a reader never sees half of it). throws: IoError.
  void save_index() const;

  const std::string& dir() const { return dir_; }
  const std::vector<FaceSample>& samples() const { return samples_; }
  size_t size() const { return samples_.size(); }
  // The crop of sample i, RGB uint8. throws: IoError / DecodeError naming the file.
  cv::Mat image(size_t i) const;

 private:
  std::string dir_;
  std::vector<FaceSample> samples_;
};

struct PrepareProgress {
  size_t done = 0, total = 0;  // inputs finished (this run and before) out of all
  std::string path;            // the input just finished
  std::string status;          // ok, no_face or error
  std::string error;           // why, for an error
};

struct PrepareParams {
  FaceDetectorParams detector;  // which face detector, with its settings
  FaceExtractorParams faces = [] {
    FaceExtractorParams f;
    f.size = 256;  // room for training's random crops and resizes to 224
    return f;
  }();
  bool landmarks = true;            // run the 68-point predictor (self-blending and part dropout need it)
  // Clips instead of single crops (a temporal model's training data): each track's clips
  // (face_clips.hpp: dense frames read by index, one region per clip), every frame a row with its
  // own landmarks; the sampled frames (faces.frames) only find and track the faces.
  std::optional<ClipParams> clips;
  FaceLandmarkerParams landmarker;
  int workers = 1;                  // inputs prepared at once, each worker with its own detector
  bool retry_failed = false;        // prepare again the inputs the ledger records as errors
  std::function<void(const PrepareProgress&)> on_progress;  // from the worker that finished, one at a time
};

struct PrepareSummary {
  size_t files = 0;        // distinct inputs in the list
  size_t done_before = 0;  // found finished in the ledger, not redone
  size_t prepared = 0;     // finished by this run (ok or no_face)
  size_t failed = 0;       // errors recorded by this run
  size_t faces = 0;        // crops in the index
};

// Detects, crops and landmarks the faces of every input into `dir` (created if missing), then
// writes index.csv over all inputs finished so far. Resumable: an input whose ledger row exists is
// not redone (errors are, with retry_failed); an input cut off by a kill has no row and is redone
// from scratch, so nothing is lost or counted twice. An input that cannot be read is recorded
// with its error and the run goes on.
// requires: workers >= 1. throws: InvalidArgument (bad settings, or settings other than those
// `dir` was prepared with), ModelError (detector or landmark model missing), IoError (cannot
// write `dir`). An exception from on_progress stops the run; what finished is kept.
PrepareSummary prepare_face_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                    const PrepareParams& params = {});

}  // namespace dfd
DFD_END_API
