#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "dfd/face.hpp"

namespace dfd {

struct HaarFaceDetector::Impl {
  HaarParams params;
  cv::CascadeClassifier cascade;
};

HaarFaceDetector::HaarFaceDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HaarFaceDetector::~HaarFaceDetector() = default;

std::string HaarFaceDetector::default_cascade_path() {
  const char* name = "haarcascade_frontalface_default.xml";
  // OpenCV's own search (OPENCV_SAMPLES_DATA_PATH etc.), then the Debian/Ubuntu package locations.
  const std::string found = cv::samples::findFile(std::string("haarcascades/") + name, false, true);
  if (!found.empty()) return found;
  for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/local/share/opencv4/haarcascades",
                          "/usr/share/opencv/haarcascades"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(p)) return p.string();
  }
  return {};
}

std::unique_ptr<HaarFaceDetector> HaarFaceDetector::create(const HaarParams& params) {
  if (params.scale_factor <= 1.0) {
    throw InvalidArgument("scale_factor", fmt::format("must be > 1, got {}", params.scale_factor));
  }
  if (params.min_neighbors < 1) throw InvalidArgument("min_neighbors", "must be >= 1");
  if (params.min_size < 1) throw InvalidArgument("min_size", "must be >= 1");
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  const std::string path = params.cascade_path.empty() ? default_cascade_path() : params.cascade_path;
  if (path.empty()) {
    throw ModelError("haarcascade_frontalface_default.xml",
                     "not found: install Debian's opencv-data or pass HaarParams::cascade_path");
  }
  if (!std::filesystem::exists(path)) throw ModelError(path, "no such cascade file");
  bool loaded = false;
  try {
    loaded = impl->cascade.load(path);
  } catch (const cv::Exception& e) {
    throw ModelError(path, std::string("not a cascade OpenCV can read: ") + e.what());
  }
  if (!loaded || impl->cascade.empty()) throw ModelError(path, "not a cascade OpenCV can read");
  return std::unique_ptr<HaarFaceDetector>(new HaarFaceDetector(std::move(impl)));
}

std::vector<Face> HaarFaceDetector::detect(const cv::Mat& image) {
  require_rgb_image(image, "haar");
  const HaarParams& p = impl_->params;
  cv::Mat gray;
  cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  cv::equalizeHist(gray, gray);
  std::vector<cv::Rect> rects;
  std::vector<int> neighbours;
  impl_->cascade.detectMultiScale(gray, rects, neighbours, p.scale_factor, p.min_neighbors, 0,
                                  cv::Size(p.min_size, p.min_size));
  std::vector<Face> faces;
  faces.reserve(rects.size());
  for (size_t i = 0; i < rects.size(); ++i) {
    const cv::Rect& r = rects[i];
    Face f;
    f.box = Box{float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)};
    const float n = static_cast<float>(neighbours[i]);
    f.score = n / (n + static_cast<float>(p.min_neighbors));
    faces.push_back(std::move(f));
  }
  std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  return faces;
}

}  // namespace dfd
