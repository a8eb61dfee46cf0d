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

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/export.hpp"
#include "dfd/box.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
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

  // Faces in one RGB image, in the detector's order: highest score first (BlazeFace, Haar) or
  // largest first (MTCNN, as facenet-pytorch's select_largest orders them).
  // requires: image is CV_8UC3 RGB, non-empty. throws: InvalidArgument otherwise.
  virtual std::vector<Face> detect(const cv::Mat& image) = 0;

  // One result per image, in order. Detectors with a network batch the images.
  // requires/throws: as detect() for each image.
  virtual std::vector<std::vector<Face>> detect(const std::vector<cv::Mat>& images);

  // "haar", "blazeface", "mtcnn".
  virtual std::string name() const = 0;
  // What each landmark is, in order, e.g. {"left_eye", "right_eye", ...}; left and right as seen
  // in the image, for every detector. Empty if none.
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

// MediaPipe's BlazeFace (hollance/BlazeFace-PyTorch port), native LibTorch. Weights: the
// published blazeface.pth (front camera, 128x128) or blazefaceback.pth (back camera, 256x256)
// after `python -m dfd.convert SRC OUT --arch blazeface_front|blazeface_back`.
//
// The front model only finds faces that fill a good part of its input, so by default a frame is
// cut into overlapping squares (the DFDC BlazeFace kernel's tiling: side min(h, w, 720), stepping
// (w - side) / 2 and (h - side) / 2), each resized to the model's input with INTER_AREA; the
// detections of all tiles are mapped back to frame pixels and merged by the same weighted NMS.
// Input::Whole instead resizes the whole image to the input (aspect not kept), as hollance's demo.
// All tiles of all images run through the network in batches.
//
// Landmarks (6): left eye, right eye, nose tip, mouth centre, left ear, right ear, as seen in the
// image (MediaPipe's order; its "right eye" is the subject's, on the image's left).
// Score: the sigmoid of the face logit, averaged over the detections NMS blended.
struct BlazeFaceParams {
  std::string weights;       // converted .safetensors: a path, or a file name on the model search path
  float min_score = -1.0f;   // < 0: the model's default (front 0.75, back 0.65)
  float min_suppression = 0.3f;  // IoU above which detections are blended into one face
  enum class Input { Tiles, Whole } input = Input::Tiles;
  int max_tile = 720;        // Tiles: the largest tile side, pixels
  int batch_size = 64;       // network inputs per forward pass
};

class BlazeFace : public FaceDetector {
 public:
  // The model (front or back) is taken from the weights' "arch" metadata, else their tensor names.
  // throws: ModelError (weights missing, unreadable, or not a BlazeFace's), InvalidArgument (params).
  static std::unique_ptr<BlazeFace> create(const BlazeFaceParams& params);

  using FaceDetector::detect;
  std::vector<Face> detect(const cv::Mat& image) override;
  std::vector<std::vector<Face>> detect(const std::vector<cv::Mat>& images) override;
  std::string name() const override { return "blazeface"; }
  std::vector<std::string> landmark_names() const override;
  bool back_model() const;
  ~BlazeFace() override;

 private:
  struct Impl;
  explicit BlazeFace(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// MTCNN as facenet-pytorch runs it (P-Net over an image pyramid, R-Net, O-Net, box regression,
// NMS), native LibTorch. Weights: `python -m dfd.convert DIR mtcnn.safetensors --arch mtcnn`, DIR
// holding facenet-pytorch's pnet.pt, rnet.pt, onet.pt.
//
// Landmarks (5): left eye, right eye, nose, left and right mouth corner, as seen in the image.
// Score: O-Net's face probability. Faces come largest first (facenet-pytorch's select_largest).
// `downscale` runs the detector on the image resized by that factor (INTER_AREA) — selimsef's
// pipeline detects at half size — and returns boxes in the original image's pixels. (selimsef
// halves with PIL's bicubic resize, which OpenCV cannot reproduce exactly.)
struct MtcnnParams {
  std::string weights;          // converted .safetensors, a path or a name on the model search path
  int min_face_size = 20;       // pixels, of the image the networks see
  std::array<double, 3> thresholds{0.6, 0.7, 0.7};  // P-, R-, O-Net; selimsef uses 0.85/0.95/0.95 (and 0.7/0.8/0.8)
  double factor = 0.709;        // pyramid scale step
  double downscale = 1.0;       // in (0, 1]
  // How a frame is shrunk by `downscale`: OpenCV's INTER_AREA (size rounded), or Pillow's
  // resize(BICUBIC) bit for bit (size floored: selimsef's `img.resize([s // 2 ...])`), which costs
  // ~2 ms more per 1080p frame and keeps near-threshold faces exactly as his pipeline finds them.
  enum class DownscaleFilter { Area, PilBicubic } downscale_filter = DownscaleFilter::Area;
  int batch_size = 8;           // images of one size per network pass: bounds memory (P-Net on 32
                                // half-HD frames at once needs ~0.8 GB more), no slower
};

// Names, as settings spell them: "area" / "pil_bicubic"; "tiles" / "whole". The parsers throw
// InvalidArgument listing the valid names.
MtcnnParams::DownscaleFilter mtcnn_downscale_filter(const std::string& name);
std::string to_string(MtcnnParams::DownscaleFilter filter);
BlazeFaceParams::Input blazeface_input(const std::string& name);
std::string to_string(BlazeFaceParams::Input input);

class Mtcnn : public FaceDetector {
 public:
  // throws: ModelError (weights missing or not MTCNN's), InvalidArgument (params out of range).
  static std::unique_ptr<Mtcnn> create(const MtcnnParams& params);

  std::vector<Face> detect(const cv::Mat& image) override;
  // Images of one size share each network call (batch_size at a time); the faces equal those of
  // single calls to float rounding.
  std::vector<std::vector<Face>> detect(const std::vector<cv::Mat>& images) override;
  std::string name() const override { return "mtcnn"; }
  std::vector<std::string> landmark_names() const override;
  ~Mtcnn() override;

 private:
  struct Impl;
  explicit Mtcnn(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Every detector's settings, and which one to make: what DetectorParams and the commands that
// find faces hold, so each detector is tuned through its own complete params.
struct FaceDetectorParams {
  std::string name = "mtcnn";  // "mtcnn", "blazeface" or "haar" (list_face_detectors())
  MtcnnParams mtcnn;
  BlazeFaceParams blazeface;
  HaarParams haar;
};

// "blazeface", "haar", "mtcnn".
std::vector<std::string> list_face_detectors();

// The detector `params.name` names, made from its own params: "haar" needs no weights;
// "blazeface" and "mtcnn" need converted weights (a path or a name on the model search path).
// throws: InvalidArgument (unknown name — the valid ones listed; weights not set — the message
//         says how to convert them; a bad setting), ModelError (weights missing or unreadable).
std::shared_ptr<FaceDetector> create_face_detector(const FaceDetectorParams& params);
// The same with the detector's other settings at their defaults and `weights` as its weights.
std::shared_ptr<FaceDetector> create_face_detector(const std::string& name, const std::string& weights);

// Checks what every detector requires of an image (CV_8UC3, non-empty).
// throws: InvalidArgument naming `detector`.
void require_rgb_image(const cv::Mat& image, const std::string& detector);

}  // namespace dfd
DFD_END_API
