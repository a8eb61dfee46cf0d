// What every detector shares: batched detect, the input check, the names of the detectors and of
// their settings, and making one from FaceDetectorParams.
#include "dfd/face.hpp"

#include <fmt/format.h>

#include "core/enum_names.hpp"

namespace dfd {
namespace {

const detail::EnumName<MtcnnParams::DownscaleFilter> kDownscaleFilters[] = {
    {"area", MtcnnParams::DownscaleFilter::Area}, {"pil_bicubic", MtcnnParams::DownscaleFilter::PilBicubic}};
const detail::EnumName<BlazeFaceParams::Input> kBlazeFaceInputs[] = {
    {"tiles", BlazeFaceParams::Input::Tiles}, {"whole", BlazeFaceParams::Input::Whole}};

void require_weights(const std::string& weights, const char* detector, const char* how) {
  if (weights.empty()) throw InvalidArgument(fmt::format("{}.weights", detector), fmt::format("{} needs converted weights ({})", detector, how));
}

}  // namespace

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

MtcnnParams::DownscaleFilter mtcnn_downscale_filter(const std::string& name) {
  return detail::parse_enum(kDownscaleFilters, name, "downscale_filter");
}
std::string to_string(MtcnnParams::DownscaleFilter filter) { return detail::enum_name(kDownscaleFilters, filter); }
BlazeFaceParams::Input blazeface_input(const std::string& name) { return detail::parse_enum(kBlazeFaceInputs, name, "input"); }
std::string to_string(BlazeFaceParams::Input input) { return detail::enum_name(kBlazeFaceInputs, input); }

std::vector<std::string> list_face_detectors() { return {"blazeface", "haar", "mtcnn"}; }

std::shared_ptr<FaceDetector> create_face_detector(const FaceDetectorParams& params) {
  if (params.name == "haar") return HaarFaceDetector::create(params.haar);
  if (params.name == "blazeface") {
    require_weights(params.blazeface.weights, "blazeface",
                    "python -m dfd.convert blazeface.pth blazeface_front.safetensors --arch blazeface_front");
    return BlazeFace::create(params.blazeface);
  }
  if (params.name == "mtcnn") {
    require_weights(params.mtcnn.weights, "mtcnn", "python -m dfd.convert DIR mtcnn.safetensors --arch mtcnn");
    return Mtcnn::create(params.mtcnn);
  }
  throw InvalidArgument("face detector", fmt::format("unknown face detector '{}' (valid: {})", utf8_escaped(params.name),
                                                     fmt::join(list_face_detectors(), ", ")));
}

std::shared_ptr<FaceDetector> create_face_detector(const std::string& name, const std::string& weights) {
  FaceDetectorParams params;
  params.name = name;
  params.mtcnn.weights = weights;
  params.blazeface.weights = weights;
  return create_face_detector(params);
}

}  // namespace dfd
