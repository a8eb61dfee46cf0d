// A face-like 68-point landmark layout (iBUG 300-W order) on a 200 x 200 image, for data-free
// tests of what follows landmarks: jaw 0-16 from (30, 100) down to the chin at (100, 170),
// eyebrows 17-26 at y 65, nose 27-35 from (92, 90) to (108, 118), eyes 36-47 at y 80, mouth
// 48-67 at y 150.
#pragma once

#include <cmath>
#include <vector>

#include <opencv2/core/types.hpp>

inline std::vector<cv::Point2f> face_layout_68() {
  std::vector<cv::Point2f> p(68);
  for (int i = 0; i < 17; ++i) p[static_cast<size_t>(i)] = {30.0f + 140.0f * i / 16, 100.0f + 70.0f * static_cast<float>(std::sin(M_PI * i / 16))};
  for (int i = 17; i < 27; ++i) p[static_cast<size_t>(i)] = {45.0f + 11.0f * (i - 17), 65.0f};
  for (int i = 27; i < 36; ++i) p[static_cast<size_t>(i)] = {92.0f + 2.0f * (i - 27), 90.0f + 3.5f * (i - 27)};
  for (int i = 36; i < 42; ++i) p[static_cast<size_t>(i)] = {55.0f + 5.0f * (i - 36), 80.0f + ((i % 2) ? 3.0f : -3.0f)};
  for (int i = 42; i < 48; ++i) p[static_cast<size_t>(i)] = {120.0f + 5.0f * (i - 42), 80.0f + ((i % 2) ? 3.0f : -3.0f)};
  for (int i = 48; i < 68; ++i) p[static_cast<size_t>(i)] = {75.0f + 2.5f * (i - 48), 150.0f + ((i % 2) ? 5.0f : -5.0f)};
  return p;
}
