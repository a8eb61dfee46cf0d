// numpy <-> cv::Mat for 8-bit images (HxW or HxWxC, C-contiguous).
#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include <pybind11/numpy.h>

namespace dfd::python {

// A cv::Mat header over the array's pixels (no copy; valid while `array` lives).
// throws: InvalidArgument if the array is not uint8 HxW / HxWx{1,3,4}.
cv::Mat image_view(const pybind11::array_t<uint8_t, pybind11::array::c_style | pybind11::array::forcecast>& array);

// Views of a list of uint8 images or an [n, h, w, c] array; the arrays they view are appended to
// `keep` (which may hold others already).
std::vector<cv::Mat> image_list(const pybind11::handle& inputs,
                                std::vector<pybind11::array_t<uint8_t, pybind11::array::c_style | pybind11::array::forcecast>>& keep);

// A new float32 array [rows, cols] holding a copy of a CV_32F matrix (spectrograms, CAM maps).
pybind11::array_t<float> to_float_array(const cv::Mat& matrix);

// A new uint8 array [h, w] or [h, w, c] holding a copy of `image`.
pybind11::array_t<uint8_t> to_array(const cv::Mat& image);

}  // namespace dfd::python
