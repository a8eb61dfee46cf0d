#include "classify.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/classifier.hpp"
#include "image.hpp"
#include "tensor.hpp"
#include "thread_hint.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using ImageArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

py::array_t<float> to_numpy(const std::vector<float>& values) {
  py::array_t<float> out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

// The dimensions of a preprocessed batch: [n, samples] and [n, d] vectors, [n, T, 3, h, w] clips,
// else [n, 3, h, w].
int input_dims(const Classifier& c) {
  const Preprocess::Input in = c.preprocess_spec().input;
  return in == Preprocess::Input::Waveform || in == Preprocess::Input::Embedding ? 2 : in == Preprocess::Input::Clip ? 5 : 4;
}

// A clip model's input: a list of clips (each a list of crops or a [T, h, w, 3] array) or one
// [n, T, h, w, 3] array; `keep` holds the arrays the views read.
std::vector<std::vector<cv::Mat>> clip_list(const py::object& inputs, std::vector<ImageArray>& keep) {
  std::vector<std::vector<cv::Mat>> clips;
  if (py::isinstance<py::array>(inputs)) {
    const ImageArray all = inputs.cast<ImageArray>();
    if (all.ndim() != 5) throw InvalidArgument("inputs", "a clip model takes uint8 [n, T, h, w, 3] (or a list of [T, h, w, 3])");
    for (py::ssize_t i = 0; i < all.shape(0); ++i) clips.push_back(image_list(inputs[py::int_(i)], keep));
    return clips;
  }
  for (const py::handle clip : inputs) clips.push_back(image_list(clip, keep));
  return clips;
}

// predict() on a list of HWC uint8 crops, an [n, h, w, 3] uint8 array, or a preprocessed float32
// NCHW batch (numpy or torch.Tensor).
py::array_t<float> predict(Classifier& c, py::object inputs) {
  if (is_float_tensor_like(inputs)) {
    const FloatTensorView x = float_tensor(inputs, input_dims(c), "inputs");
    std::vector<float> p;
    {
      py::gil_scoped_release release;
      p = c.predict(x.tensor);
    }
    return to_numpy(p);
  }
  std::vector<ImageArray> arrays;
  std::vector<float> p;
  if (c.preprocess_spec().input == Preprocess::Input::Clip) {
    const std::vector<std::vector<cv::Mat>> clips = clip_list(inputs, arrays);
    py::gil_scoped_release release;
    p = c.predict_clips(clips);
  } else {
    const std::vector<cv::Mat> crops = image_list(inputs, arrays);
    py::gil_scoped_release release;
    p = c.predict(crops);
  }
  return to_numpy(p);
}

// embed() on what predict() takes.
py::array_t<float> embed(Classifier& c, py::object inputs) {
  at::Tensor e;
  if (is_float_tensor_like(inputs)) {
    const FloatTensorView x = float_tensor(inputs, input_dims(c), "inputs");
    py::gil_scoped_release release;
    e = c.embed(x.tensor);
  } else {
    std::vector<ImageArray> arrays;
    const std::vector<cv::Mat> crops = image_list(inputs, arrays);
    py::gil_scoped_release release;
    e = c.embed(crops);
  }
  return dfd::python::to_numpy(e);
}

}  // namespace

void register_classify(py::module_& m) {
  m.def("list_presets", &list_presets, "The preprocessing presets (input size, mean/std, padding, output).");
  m.def("cpu_has_native_bf16", &cpu_has_native_bf16,
        "Whether this CPU computes bfloat16 dot products in hardware (x86-64 AVX512_BF16): where precision=\"auto\" "
        "picks bf16.");

  py::class_<Classifier>(m, "Classifier", R"doc(
A model plus its preprocessing: p(fake) per face crop. spec = "arch:weights.safetensors[@preset]", e.g.
"mesoinception4:MesoInception4_realA_fakeC.safetensors@fakeavceleb_meso"; the weights file is a path or a
name on the model search path ($DFD_MODELS, ~/.cache/dfd).)doc")
      .def(py::init([](const std::string& spec, int batch_size, bool flip_tta, const std::string& device,
                       const std::string& precision_name) {
             ClassifierParams p;
             p.batch_size = batch_size;
             p.flip_tta = flip_tta;
             p.device = device;
             p.precision = precision(precision_name);
             warn_if_single_threaded();
             py::gil_scoped_release release;
             return Classifier::create(spec, p);
           }),
           py::arg("spec"), py::arg("batch_size") = ClassifierParams{}.batch_size,
           py::arg("flip_tta") = ClassifierParams{}.flip_tta, py::arg("device") = ClassifierParams{}.device,
           py::arg("precision") = to_string(ClassifierParams{}.precision))
      .def("predict", &predict, py::arg("inputs"),
           "p(fake) as float32 [n] for a list of RGB uint8 crops (any size), an [n, h, w, 3] uint8 array, or a "
           "preprocessed float32 NCHW batch (numpy or torch); a waveform model (preset aasist): float32 [n, samples] "
           "windows at its sample_rate (dfd.audio_window_batch); a clip model (preset tsm_clip, a temporal model): a list "
           "of clips (each a list of crops or a [T, h, w, 3] array), a uint8 [n, T, h, w, 3] array or a float32 "
           "[n, T, 3, h, w] batch — p(fake) per clip.")
      .def("embed", &embed, py::arg("inputs"),
           "The model's embedding of each input (what predict() takes) as float32 [n, d]: its last feature map "
           "averaged over positions (AASIST: its 160-d last hidden vector) — ModelInfo.embedding names the endpoint.")
      .def_property_readonly("input", [](const Classifier& c) { return to_string(c.preprocess_spec().input); },
                             "what the model judges: face, spectrogram, waveform, embedding or clip")
      .def_property_readonly("frame_stride", [](const Classifier& c) { return c.preprocess_spec().frame_stride; },
                             "a clip model's step, in video frames, between a clip's frames")
      .def_property_readonly("loudness_lufs", [](const Classifier& c) { return c.preprocess_spec().loudness_lufs; },
                             "a waveform preset's level (LUFS) each clip is brought to before its windows are cut "
                             "(the Detector does it; predict() takes windows as given); None: as decoded")
      .def_property_readonly("sample_rate", [](const Classifier& c) { return c.preprocess_spec().sample_rate; },
                             "a waveform model's rate in Hz (0 for the others)")
      .def_property_readonly("preset", [](const Classifier& c) { return c.preprocess_spec().name; })
      .def_property_readonly("input_size", [](const Classifier& c) { return c.preprocess_spec().size; })
      .def_property_readonly("precision", [](const Classifier& c) { return to_string(c.precision()); },
                             "what predict() and embed() compute in, \"auto\" resolved: fp32 or bf16 (bfloat16 "
                             "convolutions and matrix products, as torch.autocast: faster on CPUs with native bfloat16, "
                             "p(fake) about 0.02 apart from fp32's); audio and embedding models always fp32")
      .def_property(
          "fake_index", [](const Classifier& c) { return c.preprocess_spec().fake_index; },
          [](Classifier& c, int index) { c.preprocess_spec().fake_index = index; },
          "for softmax outputs: the column that means FAKE (overridable)")
      .def_property_readonly("arch", [](Classifier& c) { return c.model().info().arch; })
      .def_property_readonly("model", py::overload_cast<>(&Classifier::model), py::return_value_policy::reference_internal);
}

}  // namespace dfd::python
