// 68-point landmarks through dlib's shape predictor, on an RGB cv::Mat without a copy.
#include "dfd/face_landmarks.hpp"

#include <filesystem>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <fmt/format.h>

#include "core/input_file.hpp"
#include "dfd/face.hpp"

namespace dfd {

struct FaceLandmarker::Impl {
  dlib::shape_predictor predictor;
};

FaceLandmarker::FaceLandmarker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceLandmarker::~FaceLandmarker() = default;

std::string FaceLandmarker::default_model_path() {
  const char* path = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) ? path : "";
}

std::unique_ptr<FaceLandmarker> FaceLandmarker::create(const FaceLandmarkerParams& params) {
  std::string path = params.model;
  if (path.empty()) {
    path = default_model_path();
    if (path.empty()) {
      throw ModelError("/usr/share/dlib/shape_predictor_68_face_landmarks.dat",
                       "the 68-point landmark model is missing (apt-get install libdlib-data)");
    }
  }
  try {
    check_input_file(path);
  } catch (const IoError& e) {
    throw ModelError(path, e.cause());
  }
  auto impl = std::make_unique<Impl>();
  try {
    dlib::deserialize(path) >> impl->predictor;
  } catch (const std::exception& e) {  // dlib::serialization_error and what a truncated file gives
    throw ModelError(path, fmt::format("not a dlib shape predictor: {}", e.what()));
  }
  if (impl->predictor.num_parts() != Landmarks68::kCount) {
    throw ModelError(path, fmt::format("a shape predictor of {} points, not 68", impl->predictor.num_parts()));
  }
  return std::unique_ptr<FaceLandmarker>(new FaceLandmarker(std::move(impl)));
}

std::vector<std::vector<cv::Point2f>> FaceLandmarker::detect(const cv::Mat& image, const std::vector<Box>& boxes) const {
  require_rgb_image(image, "FaceLandmarker");
  // dlib reads the Mat in place; its rgb_pixel is R, G, B in memory, as our images are.
  const dlib::cv_image<dlib::rgb_pixel> view(image);
  std::vector<std::vector<cv::Point2f>> out;
  out.reserve(boxes.size());
  for (const Box& b : boxes) {
    if (!(b.x2 > b.x1 && b.y2 > b.y1)) {
      throw InvalidArgument("boxes", fmt::format("an empty box ({}, {}, {}, {})", b.x1, b.y1, b.x2, b.y2));
    }
    const dlib::rectangle rect(static_cast<long>(b.x1), static_cast<long>(b.y1), static_cast<long>(b.x2),
                               static_cast<long>(b.y2));
    const dlib::full_object_detection shape = impl_->predictor(view, rect);
    std::vector<cv::Point2f> points;
    points.reserve(shape.num_parts());
    for (unsigned long i = 0; i < shape.num_parts(); ++i) {
      points.emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
    }
    out.push_back(std::move(points));
  }
  return out;
}

std::vector<cv::Point2f> FaceLandmarker::detect(const cv::Mat& image, const Box& box) const {
  return detect(image, std::vector<Box>{box}).at(0);
}

}  // namespace dfd
