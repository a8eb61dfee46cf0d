// dfd/face.hpp — finding faces: the FaceDetector interface and its detectors.
//
// A detector takes RGB uint8 images (cv::Mat CV_8UC3, any size) and returns, per image, the faces
// it found: a box in that image's pixels, a score and the detector's landmarks. Detectors differ
// in what they can see (BlazeFace's front model wants faces that fill the frame, MTCNN finds
// small ones, Haar needs frontal faces), so the choice stays the caller's; every detector is
// created with defaults that reproduce the published pipeline it comes from.
//
// Detectors are not thread-safe: use one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/box.hpp"
#include "dfd/error.hpp"

namespace dfd {

struct Face {
  Box box;       // x1, y1, x2, y2 in pixels of the image given to the detector
  float score = 0.0f;  // confidence in [0, 1], higher is more certain (see each detector)
  // Pixel points in the detector's order (FaceDetector::landmark_names()); empty for Haar.
  std::vector<cv::Point2f> landmarks;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;

  // Faces in one RGB image, highest score first.
  // requires: image is CV_8UC3 RGB, non-empty. throws: InvalidArgument otherwise.
  virtual std::vector<Face> detect(const cv::Mat& image) = 0;

  // One result per image, in order. Detectors with a network batch the images.
  // requires/throws: as detect() for each image.
  virtual std::vector<std::vector<Face>> detect(const std::vector<cv::Mat>& images);

  // "haar", "blazeface", "mtcnn".
  virtual std::string name() const = 0;
  // What each landmark is, in order, e.g. {"right_eye", "left_eye", ...}; empty if none.
  virtual std::vector<std::string> landmark_names() const = 0;
};

// OpenCV's Viola-Jones cascade. Needs no downloaded weights: the default cascade is Debian's
// opencv-data frontal-face model, so this is the detector a fresh install can always use.
struct HaarParams {
  // Empty: haarcascade_frontalface_default.xml from OpenCV's data directory.
  std::string cascade_path;
  double scale_factor = 1.1;
  int min_neighbors = 5;
  int min_size = 30;  // pixels, smallest face side searched
  // Haar has no probability; score = neighbours / (neighbours + min_neighbors), where neighbours
  // is how many overlapping windows merged into the face (so kept faces score >= 0.5).
};

class HaarFaceDetector : public FaceDetector {
 public:
  // throws: ModelError (cascade file missing or unreadable), InvalidArgument (bad params).
  static std::unique_ptr<HaarFaceDetector> create(const HaarParams& params = {});
  // Where the default cascade is looked for; empty if not found.
  static std::string default_cascade_path();

  using FaceDetector::detect;
  std::vector<Face> detect(const cv::Mat& image) override;
  std::string name() const override { return "haar"; }
  std::vector<std::string> landmark_names() const override { return {}; }
  ~HaarFaceDetector() override;

 private:
  struct Impl;
  explicit HaarFaceDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks what every detector requires of an image (CV_8UC3, non-empty).
// throws: InvalidArgument naming `detector`.
void require_rgb_image(const cv::Mat& image, const std::string& detector);

}  // namespace dfd
