#include "gradcam.hpp"

#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/cam_maps.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/face_regions.hpp"
#include "dfd/gradcam.hpp"
#include "image.hpp"
#include "tensor.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

// The GradCAM and what it explains through (a Classifier or a Model), kept alive together.
struct PyGradCAM {
  py::object owner;  // the dfd.Classifier or dfd.Model
  std::unique_ptr<GradCAM> cam;
  const Model* cam_model = nullptr;  // the model it explains (owned by `owner`)
};

CamTarget target_of(const py::object& target) {
  if (target.is_none()) return CamTarget::predicted();
  if (py::isinstance<py::str>(target)) {
    return cam_target(target.cast<std::string>());
  }
  return CamTarget::of_class(target.cast<int>());
}


// [n, h, w] when all maps share a size, else a list of [h, w].
py::object maps_to_python(const std::vector<cv::Mat>& maps) {
  bool same = true;
  for (const cv::Mat& m : maps) same = same && m.size() == maps.front().size();
  if (maps.empty() || !same) {
    py::list out;
    for (const cv::Mat& m : maps) out.append(to_float_array(m));
    return std::move(out);
  }
  py::array_t<float> out({static_cast<py::ssize_t>(maps.size()), static_cast<py::ssize_t>(maps[0].rows),
                          static_cast<py::ssize_t>(maps[0].cols)});
  for (size_t i = 0; i < maps.size(); ++i) {
    for (int r = 0; r < maps[i].rows; ++r) {
      std::memcpy(out.mutable_data(static_cast<py::ssize_t>(i), r, 0), maps[i].ptr<float>(r), maps[i].cols * sizeof(float));
    }
  }
  return std::move(out);
}

py::object run(const PyGradCAM& self, const py::handle& inputs, const py::object& target) {
  const CamTarget t = target_of(target);
  CamResult result;
  const bool clips = self.cam_model->info().input == ModelInput::Clip;
  if (is_float_tensor_like(inputs)) {
    const FloatTensorView x = float_tensor(inputs, clips ? 5 : 4, "inputs");
    py::gil_scoped_release release;  // autograd must not hold the GIL (TOOLCHAIN.md)
    result = self.cam->compute(x.tensor, t);
  } else if (clips) {
    std::vector<py::array_t<uint8_t, py::array::c_style | py::array::forcecast>> keep;
    std::vector<std::vector<cv::Mat>> frames;
    for (const py::handle clip : inputs) frames.push_back(image_list(clip, keep));
    py::gil_scoped_release release;
    result = self.cam->compute_clips(frames, t);
  } else {
    std::vector<py::array_t<uint8_t, py::array::c_style | py::array::forcecast>> keep;
    const std::vector<cv::Mat> crops = image_list(inputs, keep);
    py::gil_scoped_release release;
    result = self.cam->compute(crops, t);
  }
  return maps_to_python(result.maps);
}

}  // namespace

void register_gradcam(py::module_& m) {
  py::class_<PyGradCAM>(m, "GradCAM", R"doc(
Class-activation maps (pytorch-grad-cam's definitions) at a model's named endpoints.

    cam = dfd.GradCAM(classifier, layers=["features"], method="gradcam++")
    maps = cam(crops, target="fake")      # float32 [n, h, w] in [0, 1], each in its crop's pixels
    maps = cam(x_nchw, target=1)          # a preprocessed batch: maps at the input's size
    maps = cam(clips, target="fake")      # a clip model: [n * T, h, w], a map per frame, clip-major

method: gradcam, gradcam++, xgradcam, layercam, eigencam. target: None / "predicted" (the
largest logit), a class index, or "fake" / "real" as the classifier's preset reads its output
(for one-logit models "real" is the negated logit). Built on a dfd.Model, only class and
predicted targets and preprocessed batches are available.)doc")
      .def(py::init([](py::object owner, const std::vector<std::string>& layers, const std::string& method, int batch_size) {
             GradCamParams p;
             p.layers = layers;
             p.method = cam_method(method);
             p.batch_size = batch_size;
             PyGradCAM self;
             if (py::isinstance<Classifier>(owner)) {
               self.cam = std::make_unique<GradCAM>(owner.cast<Classifier&>(), p);
               self.cam_model = &owner.cast<Classifier&>().model();
             } else if (py::isinstance<Model>(owner)) {
               self.cam = std::make_unique<GradCAM>(owner.cast<Model&>(), p);
               self.cam_model = &owner.cast<Model&>();
             } else {
               throw InvalidArgument("model", "expected a dfd.Classifier or dfd.Model");
             }
             self.owner = owner;
             return self;
           }),
           py::arg("model"), py::arg("layers") = std::vector<std::string>{}, py::arg("method") = to_string(GradCamParams{}.method),
           py::arg("batch_size") = GradCamParams{}.batch_size)
      .def("__call__", &run, py::arg("inputs"), py::arg("target") = py::none())
      .def_property_readonly("layers", [](const PyGradCAM& s) { return s.cam->params().layers; })
      .def_property_readonly("method", [](const PyGradCAM& s) { return to_string(s.cam->params().method); });

  m.def(
      "overlay",
      [](const py::array_t<uint8_t, py::array::c_style | py::array::forcecast>& image,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& cam, float image_weight) {
        if (cam.ndim() != 2) throw InvalidArgument("cam", "expected a 2-D float map");
        const cv::Mat map(static_cast<int>(cam.shape(0)), static_cast<int>(cam.shape(1)), CV_32F, const_cast<float*>(cam.data()));
        return to_array(overlay(image_view(image), map, image_weight));
      },
      py::arg("image"), py::arg("cam"), py::arg("image_weight") = 0.5f,
      "pytorch-grad-cam's show_cam_on_image: the JET heat map blended over the RGB image (uint8).");
}

}  // namespace dfd::python
