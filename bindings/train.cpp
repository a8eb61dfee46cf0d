#include "train.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/self_blend.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {

void register_train(py::module_& m) {
  m.def(
      "self_blend",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& face,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& landmarks, uint64_t seed, bool alter,
         bool deform, std::vector<float> blend_ratios) {
        if (landmarks.ndim() != 2 || landmarks.shape(1) != 2) throw InvalidArgument("landmarks", "expected an [n, 2] array");
        std::vector<cv::Point2f> points;
        for (py::ssize_t i = 0; i < landmarks.shape(0); ++i) points.emplace_back(landmarks.at(i, 0), landmarks.at(i, 1));
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
