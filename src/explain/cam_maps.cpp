// Maps once computed: shown over the image (pytorch-grad-cam's show_cam_on_image), refined,
// fused across models, placed back in the frame.
#include "dfd/cam_maps.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"

namespace dfd {
namespace {

void require_map(const cv::Mat& m, const char* what) {
  if (m.empty() || m.type() != CV_32F) throw InvalidArgument(what, "expected a non-empty float32 map");
}

cv::Mat min_max(const cv::Mat& m) {
  double lo = 0, hi = 0;
  cv::minMaxLoc(m, &lo, &hi);
  cv::Mat out = m - lo;
  out /= (1e-7 + (hi - lo));
  return out;
}

}  // namespace


cv::Mat refine_with_coarse(const cv::Mat& fine, const cv::Mat& coarse) {
  require_map(fine, "fine");
  require_map(coarse, "coarse");
  if (fine.size() != coarse.size()) throw InvalidArgument("coarse", "the maps differ in size");
  return min_max(fine.mul(coarse));
}

cv::Mat fuse_maps(const std::vector<cv::Mat>& maps, const std::vector<float>& weights) {
  if (maps.empty() || maps.size() != weights.size()) {
    throw InvalidArgument("weights", fmt::format("{} maps and {} weights", maps.size(), weights.size()));
  }
  double total = 0;
  cv::Mat sum = cv::Mat::zeros(maps[0].size(), CV_32F);
  for (size_t i = 0; i < maps.size(); ++i) {
    require_map(maps[i], "maps");
    if (maps[i].size() != sum.size()) throw InvalidArgument("maps", "the maps differ in size");
    if (weights[i] < 0) throw InvalidArgument("weights", "must be >= 0");
    sum += weights[i] * maps[i];
    total += weights[i];
  }
  if (total <= 0) throw InvalidArgument("weights", "must not all be 0");
  return min_max(sum / total);
}

cv::Mat map_to_frame(const cv::Mat& crop_map, const FaceCrop& crop, cv::Size frame_size) {
  require_map(crop_map, "crop_map");
  if (crop_map.size() != crop.image.size()) throw InvalidArgument("crop_map", "must have the crop image's size");
  cv::Mat frame = cv::Mat::zeros(frame_size, CV_32F);
  const cv::Rect region = crop.region & cv::Rect(0, 0, frame_size.width, frame_size.height);
  if (region.empty() || crop.content.empty()) return frame;
  cv::Mat placed;
  cv::resize(crop_map(crop.content), placed, crop.region.size(), 0, 0, cv::INTER_LINEAR);
  placed(cv::Rect(region.x - crop.region.x, region.y - crop.region.y, region.width, region.height)).copyTo(frame(region));
  return frame;
}

cv::Mat overlay(const cv::Mat& image, const cv::Mat& cam, float image_weight) {
  require_rgb_image(image, "overlay");
  if (cam.empty() || cam.type() != CV_32F) throw InvalidArgument("cam", "expected a non-empty float32 map");
  if (image_weight < 0 || image_weight > 1) throw InvalidArgument("image_weight", "must be in [0, 1]");
  cv::Mat mask = cam;
  if (mask.size() != image.size()) cv::resize(cam, mask, image.size(), 0, 0, cv::INTER_LINEAR);
  // np.uint8(255 * mask) truncates (convertTo would round).
  cv::Mat mask_u8(mask.size(), CV_8U), heat_bgr, heat;
  for (int r = 0; r < mask.rows; ++r) {
    const float* in = mask.ptr<float>(r);
    uint8_t* o = mask_u8.ptr<uint8_t>(r);
    for (int c = 0; c < mask.cols; ++c) o[c] = static_cast<uint8_t>(std::clamp(255.0f * in[c], 0.0f, 255.0f));
  }
  cv::applyColorMap(mask_u8, heat_bgr, cv::COLORMAP_JET);
  cv::cvtColor(heat_bgr, heat, cv::COLOR_BGR2RGB);
  cv::Mat heat_f, image_f, blended;
  heat.convertTo(heat_f, CV_32F, 1.0 / 255);
  image.convertTo(image_f, CV_32F, 1.0 / 255);
  blended = (1.0f - image_weight) * heat_f + image_weight * image_f;
  double peak = 0;
  cv::minMaxLoc(blended.reshape(1), nullptr, &peak);
  cv::Mat result(image.size(), CV_8UC3);
  const float top = peak > 0 ? static_cast<float>(peak) : 1.0f;
  for (int r = 0; r < blended.rows; ++r) {  // np.uint8(255 * (cam / max(cam)))
    const float* in = blended.ptr<float>(r);
    uint8_t* o = result.ptr<uint8_t>(r);
    for (int c = 0; c < blended.cols * 3; ++c) o[c] = static_cast<uint8_t>(std::clamp(255.0f * (in[c] / top), 0.0f, 255.0f));
  }
  return result;
}

}  // namespace dfd
