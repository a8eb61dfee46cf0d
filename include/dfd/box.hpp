// dfd/box.hpp — an axis-aligned box in pixels of the image it came from.
#pragma once

#include <algorithm>

#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

// x1, y1 = top-left corner, x2, y2 = bottom-right corner, in pixels (may lie outside the image).
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  // 0 for an empty or inverted box.
  float area() const { return std::max(0.0f, width()) * std::max(0.0f, height()); }
};

// Intersection over union; 0 when the boxes do not intersect (an empty box intersects nothing).
// The one IoU, with NMS in dfd/nms.hpp (overlap() with the default rule).
float iou(const Box& a, const Box& b) noexcept;

}  // namespace dfd
DFD_END_API
