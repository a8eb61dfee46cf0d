// dfd/box.hpp — an axis-aligned box in pixels of the image it came from.
#pragma once

#include <algorithm>

namespace dfd {

// x1, y1 = top-left corner, x2, y2 = bottom-right corner, in pixels (may lie outside the image).
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  // 0 for an empty or inverted box.
  float area() const { return std::max(0.0f, width()) * std::max(0.0f, height()); }
};

// Intersection over union; 0 when either box is empty.
inline float iou(const Box& a, const Box& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0.0f;
  const float inter = w * h;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

}  // namespace dfd
