#include "image.hpp"

#include <cstring>

#include <fmt/format.h>

#include "dfd/error.hpp"

namespace py = pybind11;

namespace dfd::python {

cv::Mat image_view(const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& array) {
  const auto ndim = array.ndim();
  const int channels = ndim == 3 ? static_cast<int>(array.shape(2)) : 1;
  if ((ndim != 2 && ndim != 3) || (ndim == 3 && channels != 1 && channels != 3 && channels != 4)) {
    throw InvalidArgument("image", fmt::format("expected a uint8 array [h, w] or [h, w, 3], got {} dimensions", ndim));
  }
  return cv::Mat(static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)), CV_8UC(channels),
                 const_cast<uint8_t*>(array.data()));
}

std::vector<cv::Mat> image_list(const py::handle& inputs,
                                std::vector<py::array_t<uint8_t, py::array::c_style | py::array::forcecast>>& keep) {
  using ImageArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;
  const size_t first = keep.size();  // `keep` may already hold other lists' arrays (a list of clips)
  if (py::isinstance<py::array>(inputs) && py::reinterpret_borrow<py::array>(inputs).ndim() == 4) {
    const py::array batch = py::reinterpret_borrow<py::array>(inputs);
    for (py::ssize_t i = 0; i < batch.shape(0); ++i) keep.push_back(batch[py::int_(i)].cast<ImageArray>());
  } else {
    for (const py::handle item : inputs) keep.push_back(py::reinterpret_borrow<py::object>(item).cast<ImageArray>());
  }
  std::vector<cv::Mat> images;
  for (size_t i = first; i < keep.size(); ++i) images.push_back(image_view(keep[i]));
  return images;
}

py::array_t<float> to_float_array(const cv::Mat& m) {
  if (m.type() != CV_32F) throw InvalidArgument("matrix", "expected CV_32F");
  py::array_t<float> out({m.rows, m.cols});
  for (int r = 0; r < m.rows; ++r) std::memcpy(out.mutable_data(r, 0), m.ptr<float>(r), m.cols * sizeof(float));
  return out;
}

py::array_t<uint8_t> to_array(const cv::Mat& image) {
  std::vector<py::ssize_t> shape = {image.rows, image.cols};
  if (image.channels() > 1) shape.push_back(image.channels());
  py::array_t<uint8_t> out(shape);
  const cv::Mat dst(image.rows, image.cols, image.type(), out.mutable_data());
  image.copyTo(dst);
  return out;
}

}  // namespace dfd::python
