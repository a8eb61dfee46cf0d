#include "dfd/face.hpp"

#include <fmt/format.h>

namespace dfd {

std::vector<std::vector<Face>> FaceDetector::detect(const std::vector<cv::Mat>& images) {
  std::vector<std::vector<Face>> out;
  out.reserve(images.size());
  for (const cv::Mat& image : images) out.push_back(detect(image));
  return out;
}

void require_rgb_image(const cv::Mat& image, const std::string& detector) {
  if (image.empty()) throw InvalidArgument("image", detector + ": the image is empty");
  if (image.type() != CV_8UC3) {
    throw InvalidArgument("image", fmt::format("{}: expected an RGB uint8 image (CV_8UC3), got type {} with {} "
                                               "channels", detector, image.type(), image.channels()));
  }
}

std::shared_ptr<FaceDetector> create_face_detector(const std::string& name, const std::string& weights,
                                                   const MtcnnParams& mtcnn) {
  if (name == "haar") return HaarFaceDetector::create();
  if (name == "blazeface") {
    if (weights.empty()) {
      throw InvalidArgument("weights", "blazeface needs converted weights (python -m dfd.convert blazeface.pth "
                                       "blazeface_front.safetensors --arch blazeface_front)");
    }
    BlazeFaceParams params;
    params.weights = weights;
    return BlazeFace::create(params);
  }
  if (name == "mtcnn") {
    if (weights.empty()) {
      throw InvalidArgument("weights", "mtcnn needs converted weights (python -m dfd.convert DIR mtcnn.safetensors "
                                       "--arch mtcnn)");
    }
    MtcnnParams params = mtcnn;
    params.weights = weights;
    return Mtcnn::create(params);
  }
  throw InvalidArgument("detector", fmt::format("unknown face detector '{}' (available: haar, blazeface, mtcnn)", name));
}

}  // namespace dfd
