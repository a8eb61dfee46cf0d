#include "train.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>

#include "dfd/augment.hpp"
#include "dfd/self_blend.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

std::vector<cv::Point2f> points_of(const std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>>& a) {
  std::vector<cv::Point2f> points;
  if (!a) return points;
  if (a->ndim() != 2 || a->shape(1) != 2) throw InvalidArgument("landmarks", "expected an [n, 2] array");
  for (py::ssize_t i = 0; i < a->shape(0); ++i) points.emplace_back(a->at(i, 0), a->at(i, 1));
  return points;
}

}  // namespace

void register_train(py::module_& m) {
  const AugmentParams d;
  m.def(
      "augment",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& face, uint64_t seed,
         const std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>>& landmarks, int size,
         double jpeg_p, double noise_p, double blur_p, double flip_p, double colour_p, double gray_p,
         double shift_scale_rotate_p, double part_dropout_p) {
        AugmentParams p;
        p.size = size;
        p.jpeg_p = jpeg_p;
        p.noise_p = noise_p;
        p.blur_p = blur_p;
        p.flip_p = flip_p;
        p.colour_p = colour_p;
        p.gray_p = gray_p;
        p.shift_scale_rotate_p = shift_scale_rotate_p;
        p.part_dropout_p = part_dropout_p;
        const std::vector<cv::Point2f> points = points_of(landmarks);
        const cv::Mat view = image_view(face);
        cv::Mat out;
        {
          py::gil_scoped_release release;
          out = augment(view, seed, p, points);
        }
        return to_array(out);
      },
      py::arg("face"), py::arg("seed"), py::arg("landmarks") = py::none(), py::arg("size") = d.size,
      py::arg("jpeg_p") = d.jpeg_p, py::arg("noise_p") = d.noise_p, py::arg("blur_p") = d.blur_p,
      py::arg("flip_p") = d.flip_p, py::arg("colour_p") = d.colour_p, py::arg("gray_p") = d.gray_p,
      py::arg("shift_scale_rotate_p") = d.shift_scale_rotate_p, py::arg("part_dropout_p") = d.part_dropout_p,
      "One augmented copy of a face (RGB uint8), the DFDC winner's training set (dfd/augment.hpp): size x size; "
      "landmarks ([68, 2]) enable part dropout; the same seed gives the same image.");

  m.def(
      "self_blend",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& face,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& landmarks, uint64_t seed, bool alter,
         bool deform, std::vector<float> blend_ratios) {
        const std::vector<cv::Point2f> points = points_of(landmarks);
        SelfBlendParams p;
        p.alter = alter;
        p.deform = deform;
        p.blend_ratios = std::move(blend_ratios);
        const cv::Mat view = image_view(face);
        SelfBlend r;
        {
          py::gil_scoped_release release;
          r = self_blend(view, points, seed, p);
        }
        py::dict out;
        out["real"] = to_array(r.real);
        out["fake"] = to_array(r.fake);
        out["mask"] = to_float_array(r.mask);
        out["ratio"] = r.ratio;
        return out;
      },
      py::arg("face"), py::arg("landmarks"), py::arg("seed"), py::arg("alter") = SelfBlendParams{}.alter,
      py::arg("deform") = SelfBlendParams{}.deform, py::arg("blend_ratios") = SelfBlendParams{}.blend_ratios,
      "A self-blended fake from one real face (RGB uint8 [h, w, 3]) and its landmarks ([68, 2], "
      "dfd.FaceLandmarker): {'real', 'fake', 'mask' (float32, each pixel's share of the altered copy), 'ratio'}; "
      "the same seed gives the same images (dfd/self_blend.hpp).");
}

}  // namespace dfd::python
