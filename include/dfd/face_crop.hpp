// dfd/face_crop.hpp — cutting a face out of a frame and making it a classifier's square input.
//
// The two published DFDC pipelines do this differently, and a model expects the crops it was
// trained on, so both are reproduced byte for byte (golden g4):
//   selimsef (winner):  margin = box side // 3 on each side; resize so the long side is `size`
//                       (short side int(side * (size / long)) in double; INTER_AREA when
//                       shrinking, INTER_CUBIC when enlarging, unchanged when long == size);
//                       pad centred (put_to_center).
//   DFDC inference kernel (humananalog): margin round(0.2 * box height), doubled on top; short
//                       side side * size // long in integers, INTER_AREA always; pad bottom/right
//                       (make_square_image).
// Images are RGB (or any 8-bit, 1 or 3 channels) cv::Mat; nothing here depends on colour order.
#pragma once

#include <string>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/box.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

enum class PadMode {
  Center,  // selimsef put_to_center: the image in the middle of a zero square
  Corner,  // DFDC kernel make_square_image: zeros added at the bottom and right
};

enum class ResizeRule {
  Selimsef,    // double short side, INTER_AREA down / INTER_CUBIC up, unchanged at size
  DfdcKernel,  // integer short side, INTER_AREA always
};

// The rule each pad mode's pipeline uses: Center → Selimsef, Corner → DfdcKernel.
ResizeRule default_resize_rule(PadMode pad) noexcept;

enum class MarginRule {
  Selimsef,    // p_w = width // 3, p_h = height // 3 of the integer box, on every side
  DfdcKernel,  // p = round(0.2 * box height) on every side, twice that on top
};

// Names, as settings spell them: pad "center" / "corner"; resize and margin "selimsef" /
// "dfdc_kernel". The parsers throw InvalidArgument listing the valid names.
PadMode pad_mode(const std::string& name);
std::string to_string(PadMode pad);
ResizeRule resize_rule(const std::string& name);
std::string to_string(ResizeRule rule);
MarginRule margin_rule(const std::string& name);
std::string to_string(MarginRule rule);

// The region of `frame_size` a face crop takes: `box` truncated to integers (toward zero, as
// Python's int()), grown by the rule's margin, clipped to the frame.
// ensures: the result lies inside the frame; it is empty when the box misses the frame.
cv::Rect crop_region(const Box& box, cv::Size frame_size, MarginRule rule = MarginRule::Selimsef);

// Resizes `image` so its long side is `size`, keeping the aspect ratio, by `rule`.
// requires: size >= 1, image non-empty. throws: InvalidArgument otherwise.
// ensures: max(rows, cols) == size (unless the short side rounds to 0, which is then 1).
cv::Mat isotropic_resize(const cv::Mat& image, int size, ResizeRule rule);

// Places `image` (long side <= size) on a size x size zero canvas.
// requires: image non-empty with both sides <= size. throws: InvalidArgument otherwise.
cv::Mat pad_to_square(const cv::Mat& image, int size, PadMode pad);

// Where resize_and_pad(image, size, pad, rule) puts the image inside the size x size square —
// what undoes it (e.g. to bring a Grad-CAM map back onto the crop).
// throws: InvalidArgument for an empty image or size < 1.
cv::Rect placed_region(cv::Size image, int size, PadMode pad, ResizeRule rule);

// A frame point into a crop cut at `region` and placed at `content` (placed_region), and back.
// requires: region and content non-empty (a crop's, FaceCrop/FaceClip). ensures: the two are
// inverse (to float rounding); a point outside the region maps outside the content. Never throws.
cv::Point2f region_to_crop(const cv::Rect& region, const cv::Rect& content, cv::Point2f frame_point);
cv::Point2f crop_to_region(const cv::Rect& region, const cv::Rect& content, cv::Point2f crop_point);

// isotropic_resize then pad_to_square: a classifier's square input from a face crop.
// ensures: a size x size image of image's type.
cv::Mat resize_and_pad(const cv::Mat& image, int size, PadMode pad, ResizeRule rule);
inline cv::Mat resize_and_pad(const cv::Mat& image, int size, PadMode pad = PadMode::Center) {
  return resize_and_pad(image, size, pad, default_resize_rule(pad));
}

}  // namespace dfd
DFD_END_API
