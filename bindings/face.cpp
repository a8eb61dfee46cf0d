#include "face.hpp"

#include <pybind11/stl.h>

#include <fmt/format.h>

#include "dfd/face_crop.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using ImageArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

PadMode parse_pad(const std::string& pad) {
  if (pad == "center") return PadMode::Center;
  if (pad == "corner") return PadMode::Corner;
  throw InvalidArgument("pad", fmt::format("must be 'center' or 'corner', got '{}'", pad));
}

ResizeRule parse_rule(const std::optional<std::string>& rule, PadMode pad) {
  if (!rule) return default_resize_rule(pad);
  if (*rule == "selimsef") return ResizeRule::Selimsef;
  if (*rule == "dfdc_kernel") return ResizeRule::DfdcKernel;
  throw InvalidArgument("rule", fmt::format("must be 'selimsef' or 'dfdc_kernel', got '{}'", *rule));
}

MarginRule parse_margin(const std::string& margin) {
  if (margin == "selimsef") return MarginRule::Selimsef;
  if (margin == "dfdc_kernel") return MarginRule::DfdcKernel;
  throw InvalidArgument("margin", fmt::format("must be 'selimsef' or 'dfdc_kernel', got '{}'", margin));
}

}  // namespace

void register_face(py::module_& m) {
  m.def(
      "resize_and_pad",
      [](const ImageArray& image, int size, const std::string& pad, const std::optional<std::string>& rule) {
        const PadMode mode = parse_pad(pad);
        cv::Mat out;
        {
          const cv::Mat view = image_view(image);
          py::gil_scoped_release release;
          out = resize_and_pad(view, size, mode, parse_rule(rule, mode));
        }
        return to_array(out);
      },
      py::arg("image"), py::arg("size"), py::arg("pad") = "center", py::arg("rule") = py::none(),
      R"doc(A face crop as a classifier's square input: resize so the long side is `size`, pad to a square.

pad="center": selimsef's put_to_center; pad="corner": the DFDC kernel's make_square_image (bottom/right).
rule: "selimsef" (INTER_AREA down, INTER_CUBIC up, short side in double) or "dfdc_kernel"
(INTER_AREA always, integer short side); by default the rule of the pad mode's pipeline.
Byte-exact with both references (golden g4).)doc");

  m.def(
      "crop_region",
      [](const std::array<float, 4>& box, const std::array<int, 2>& frame_hw, const std::string& margin) {
        const cv::Rect r = crop_region(Box{box[0], box[1], box[2], box[3]}, cv::Size(frame_hw[1], frame_hw[0]),
                                       parse_margin(margin));
        return py::make_tuple(r.x, r.y, r.x + r.width, r.y + r.height);
      },
      py::arg("box"), py::arg("frame_hw"), py::arg("margin") = "selimsef",
      R"doc(The (x1, y1, x2, y2) region a face crop takes for `box` (x1, y1, x2, y2 pixels) in a frame of
(height, width): selimsef's 1/3 margin or the DFDC kernel's 0.2 (doubled on top), clipped to the frame.
Crop with frame[y1:y2, x1:x2]; an empty region (x1 == x2) means the box misses the frame.)doc");
}

}  // namespace dfd::python
