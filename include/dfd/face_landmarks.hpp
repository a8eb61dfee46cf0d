// dfd/face_landmarks.hpp — 68 landmarks per face (the iBUG 300-W layout), for the geometry that
// training needs: self-blended images' convex hull, part dropout of eyes, nose or mouth, and
// `dfd prepare`'s face records. The points come from dlib's shape predictor (Kazemi & Sullivan's
// regression trees), the one the published recipes (SBI, the DFDC winner's cutout) use, with
// Debian's model (libdlib-data: shape_predictor_68_face_landmarks.dat, trained on iBUG 300-W —
// that dataset's licence excludes commercial use).
//
// Layout, as seen in the image (left = the image's left): jaw 0–16 (from the image's left), brows
// 17–21 and 22–26, nose bridge 27–30, nostrils 31–35, eyes 36–41 and 42–47, outer lips 48–59,
// inner lips 60–67.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/box.hpp"
#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

// The index ranges of the 68-point layout, [first, last).
struct Landmarks68 {
  static constexpr int kCount = 68;
  static constexpr int kJaw[2] = {0, 17};
  static constexpr int kRightBrow[2] = {17, 22};   // the image's left brow (the subject's right)
  static constexpr int kLeftBrow[2] = {22, 27};
  static constexpr int kNose[2] = {27, 36};
  static constexpr int kRightEye[2] = {36, 42};    // the image's left eye
  static constexpr int kLeftEye[2] = {42, 48};
  static constexpr int kMouth[2] = {48, 68};
};

struct FaceLandmarkerParams {
  // The shape predictor's .dat file; empty: Debian's (FaceLandmarker::default_model_path()).
  std::string model;
};

// Not thread-safe to create; detect() is const and may run from several threads at once.
class FaceLandmarker {
 public:
  // Loads the model (~100 MB, ~1 s).
  // throws: ModelError (the file is missing — the message names the Debian package — or is not a
  //         68-point shape predictor).
  static std::unique_ptr<FaceLandmarker> create(const FaceLandmarkerParams& params = {});
  // Where Debian installs the model; empty if it is not there.
  static std::string default_model_path();

  // The 68 points of the face in each box, in image pixels, in the layout above. A box is the
  // face's own (a detector's, not a crop's margin): the predictor was trained on tight frontal
  // boxes and places the points relative to it. Boxes are truncated to integers as dlib's
  // rectangle takes them.
  // requires: image CV_8UC3 RGB non-empty; boxes with x2 > x1, y2 > y1 (they may reach outside
  //           the image). ensures: one vector of 68 points per box, in order.
  // throws: InvalidArgument.
  std::vector<std::vector<cv::Point2f>> detect(const cv::Mat& image, const std::vector<Box>& boxes) const;
  std::vector<cv::Point2f> detect(const cv::Mat& image, const Box& box) const;

  ~FaceLandmarker();

 private:
  struct Impl;
  explicit FaceLandmarker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
DFD_END_API
