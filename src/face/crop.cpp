#include "dfd/face_crop.hpp"

#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "core/enum_names.hpp"

namespace dfd {
namespace {

// Python's floor division, for margins of boxes with negative coordinates too.
int floor_div(int a, int b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void require_image(const cv::Mat& image, const char* function) {
  if (image.empty()) throw InvalidArgument("image", fmt::format("{}: the image is empty", function));
  if (image.depth() != CV_8U) throw InvalidArgument("image", fmt::format("{}: expected 8-bit pixels", function));
}

}  // namespace

namespace {
const detail::EnumName<PadMode> kPadModes[] = {{"center", PadMode::Center}, {"corner", PadMode::Corner}};
const detail::EnumName<ResizeRule> kResizeRules[] = {{"selimsef", ResizeRule::Selimsef}, {"dfdc_kernel", ResizeRule::DfdcKernel}};
const detail::EnumName<MarginRule> kMarginRules[] = {{"selimsef", MarginRule::Selimsef}, {"dfdc_kernel", MarginRule::DfdcKernel}};
}  // namespace

PadMode pad_mode(const std::string& name) { return detail::parse_enum(kPadModes, name, "pad"); }
std::string to_string(PadMode pad) { return detail::enum_name(kPadModes, pad); }
ResizeRule resize_rule(const std::string& name) { return detail::parse_enum(kResizeRules, name, "resize rule"); }
std::string to_string(ResizeRule rule) { return detail::enum_name(kResizeRules, rule); }
MarginRule margin_rule(const std::string& name) { return detail::parse_enum(kMarginRules, name, "margin"); }
std::string to_string(MarginRule rule) { return detail::enum_name(kMarginRules, rule); }

ResizeRule default_resize_rule(PadMode pad) noexcept {
  return pad == PadMode::Center ? ResizeRule::Selimsef : ResizeRule::DfdcKernel;
}

cv::Rect crop_region(const Box& box, cv::Size frame_size, MarginRule rule) {
  // int() in Python truncates toward zero; static_cast does the same.
  const int xmin = static_cast<int>(box.x1), ymin = static_cast<int>(box.y1);
  const int xmax = static_cast<int>(box.x2), ymax = static_cast<int>(box.y2);
  int left, right, top, bottom;
  if (rule == MarginRule::Selimsef) {
    left = right = floor_div(xmax - xmin, 3);
    top = bottom = floor_div(ymax - ymin, 3);
  } else {
    // torch.round, as the kernel: half to even.
    const int p = static_cast<int>(std::nearbyint(0.2 * (double(box.y2) - double(box.y1))));
    left = right = bottom = p;
    top = 2 * p;
  }
  const int x0 = std::max(xmin - left, 0), y0 = std::max(ymin - top, 0);
  const int x1 = std::min(xmax + right, frame_size.width), y1 = std::min(ymax + bottom, frame_size.height);
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

namespace {
// The size isotropic_resize gives, and the interpolation it uses (the reference's expressions).
cv::Size isotropic_size(cv::Size image, int size, ResizeRule rule, int* interpolation) {
  const int h = image.height, w = image.width;
  int new_w, new_h;
  if (rule == ResizeRule::Selimsef) {
    if (std::max(w, h) == size) return image;
    // Same expressions as the reference, in double: side * (size / long), truncated.
    double scale;
    if (w > h) {
      scale = double(size) / w;
      new_w = size;
      new_h = static_cast<int>(h * scale);
    } else {
      scale = double(size) / h;
      new_h = size;
      new_w = static_cast<int>(w * scale);
    }
    if (interpolation) *interpolation = scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA;
  } else {
    if (w > h) {
      new_h = h * size / w;
      new_w = size;
    } else {
      new_w = w * size / h;
      new_h = size;
    }
    if (interpolation) *interpolation = cv::INTER_AREA;
  }
  return cv::Size(std::max(new_w, 1), std::max(new_h, 1));
}
}  // namespace

cv::Mat isotropic_resize(const cv::Mat& image, int size, ResizeRule rule) {
  require_image(image, "isotropic_resize");
  if (size < 1) throw InvalidArgument("size", fmt::format("must be >= 1, got {}", size));
  int interpolation = cv::INTER_AREA;
  const cv::Size target = isotropic_size(image.size(), size, rule, &interpolation);
  if (target == image.size() && rule == ResizeRule::Selimsef) return image.clone();
  cv::Mat out;
  cv::resize(image, out, target, 0, 0, interpolation);
  return out;
}

cv::Rect placed_region(cv::Size image, int size, PadMode pad, ResizeRule rule) {
  if (image.empty() || size < 1) throw InvalidArgument("placed_region", "needs a non-empty image and size >= 1");
  const cv::Size placed = isotropic_size(image, size, rule, nullptr);
  const int x = pad == PadMode::Center ? (size - placed.width) / 2 : 0;
  const int y = pad == PadMode::Center ? (size - placed.height) / 2 : 0;
  return cv::Rect(x, y, placed.width, placed.height);
}

cv::Point2f region_to_crop(const cv::Rect& region, const cv::Rect& content, cv::Point2f p) {
  const float sx = float(content.width) / float(region.width), sy = float(content.height) / float(region.height);
  return {content.x + (p.x - region.x) * sx, content.y + (p.y - region.y) * sy};
}

cv::Point2f crop_to_region(const cv::Rect& region, const cv::Rect& content, cv::Point2f p) {
  const float sx = float(region.width) / float(content.width), sy = float(region.height) / float(content.height);
  return {region.x + (p.x - content.x) * sx, region.y + (p.y - content.y) * sy};
}

cv::Mat pad_to_square(const cv::Mat& image, int size, PadMode pad) {
  require_image(image, "pad_to_square");
  if (image.rows > size || image.cols > size) {
    throw InvalidArgument("image", fmt::format("pad_to_square: {}x{} does not fit in {}x{}", image.cols, image.rows,
                                               size, size));
  }
  cv::Mat out = cv::Mat::zeros(size, size, image.type());
  const int x = pad == PadMode::Center ? (size - image.cols) / 2 : 0;
  const int y = pad == PadMode::Center ? (size - image.rows) / 2 : 0;
  image.copyTo(out(cv::Rect(x, y, image.cols, image.rows)));
  return out;
}

cv::Mat resize_and_pad(const cv::Mat& image, int size, PadMode pad, ResizeRule rule) {
  return pad_to_square(isotropic_resize(image, size, rule), size, pad);
}

}  // namespace dfd
