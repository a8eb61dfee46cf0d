#include "models.hpp"

#include <cstring>

#include <c10/core/InferenceMode.h>
#include <pybind11/stl.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>

#include "dfd/model_files.hpp"
#include "dfd/models.hpp"
#include "dfd/strided_copy.hpp"
#include "fs_path.hpp"
#include "tensor.hpp"
#include "torch_bridge.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

// forward(x) -> logits; forward(x, endpoints) -> (logits, {name: activation}).
py::object forward(Model& model, const py::handle& x, const std::vector<std::string>& endpoints) {
  const ModelInput kind = model.info().input;
  const FloatTensorView input = float_tensor(x, kind == ModelInput::Image ? 4 : kind == ModelInput::Clip ? 5 : 2, "x");
  at::Tensor logits;
  std::map<std::string, at::Tensor> features;
  {
    py::gil_scoped_release release;
    c10::InferenceMode inference;
    logits = endpoints.empty() ? model.forward(input.tensor) : model.forward(input.tensor, endpoints, features);
  }
  if (endpoints.empty()) return to_numpy(logits);
  py::dict out;
  for (const auto& [name, value] : features) out[py::str(name)] = to_numpy(value);
  return py::make_tuple(to_numpy(logits), out);
}

// A checkpoint tensor rebuilt from its flat storage: checked in full before any element is read.
py::array strided_copy(const py::array& storage, int64_t offset, const std::vector<int64_t>& size,
                       const std::vector<int64_t>& stride, const std::string& what, uint64_t max_elements) {
  if (storage.ndim() != 1 || !(storage.flags() & py::array::c_style)) {
    throw InvalidArgument("storage", "must be a contiguous 1-D array");
  }
  check_strided_view(static_cast<uint64_t>(storage.size()), offset, size, stride, what, max_elements);
  py::array out(storage.dtype(), std::vector<py::ssize_t>(size.begin(), size.end()));
  copy_strided_into(static_cast<const uint8_t*>(storage.data()), static_cast<size_t>(storage.itemsize()), offset, size,
                    stride, static_cast<uint8_t*>(out.mutable_data()));  // straight into the array: one copy
  return out;
}

// A forward pass kept for its backward: what Model._forward_graph hands the autograd Function of
// dfd/torch_model.py (Python's autograd calls backward once, with the gradient of the logits).
struct ForwardGraph {
  at::Tensor x;                    // the input, a leaf when its gradient is wanted
  at::Tensor logits;
  std::vector<at::Tensor> params;  // the parameters that train, in parameters() order
};

std::vector<at::Tensor> trainable(Model& model) {
  std::vector<at::Tensor> out;
  for (const auto& p : model.module().parameters(true)) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

}  // namespace

void register_models(py::module_& m) {
  m.def("strided_copy", &strided_copy, py::arg("storage"), py::arg("offset"), py::arg("size"), py::arg("stride"),
        py::arg("what") = "tensor", py::arg("max_elements") = uint64_t{1} << 30,
        "The elements storage[offset + sum(i_k * stride_k)] of a 1-D storage array, in C order with shape `size`, "
        "after checking that every one lies inside the storage and that there are at most max_elements "
        "(dfd::copy_strided). Raises InvalidArgument naming `what` otherwise.");
  py::class_<ModelInfo>(m, "ModelInfo", "What a zoo architecture is: where its names come from, its input size, "
                                        "outputs, feature endpoints and head.")
      .def_readonly("arch", &ModelInfo::arch)
      .def_readonly("reference", &ModelInfo::reference)
      .def_readonly("input_size", &ModelInfo::input_size)
      .def_readonly("num_outputs", &ModelInfo::num_outputs)
      .def_readonly("endpoints", &ModelInfo::endpoints)
      .def_readonly("head", &ModelInfo::head)
      .def_property_readonly("input", [](const ModelInfo& i) {
        switch (i.input) {
          case ModelInput::Waveform: return "waveform";
          case ModelInput::Embedding: return "embedding";
          case ModelInput::Clip: return "clip";
          default: return "image";
        }
      })
      .def_readonly("sample_rate", &ModelInfo::sample_rate)
      .def_readonly("segments", &ModelInfo::segments, "a clip model's frames per clip")
      .def_readonly("shift_div", &ModelInfo::shift_div, "TSM: 1/shift_div of the channels shift each way in time")
      .def_readonly("backbone", &ModelInfo::backbone, "TSM: the 2D architecture whose (renamed) weights it holds")
      .def_readonly("embedding", &ModelInfo::embedding, "the endpoint Classifier.embed returns")
      .def("__repr__", [](const ModelInfo& i) {
        return "ModelInfo(arch='" + i.arch + "', input_size=" + std::to_string(i.input_size) +
               ", num_outputs=" + std::to_string(i.num_outputs) + ")";
      });

  m.def("list_models", &list_models, "The architectures of the model zoo.");
  m.def("model_info", &model_info, py::arg("arch"), "What `arch` is, without building it.");
  m.def("model_search_path", &model_search_path,
        "Where a model file given by a bare name is looked for: $DFD_MODELS, ~/.cache/dfd, the shipped models.");
  m.def("find_model_file", [](const std::string& name) { return find_model_file(name); }, py::arg("name"),
        "The file a model name resolves to (a shipped model's checksum checked). Raises ModelError when none.");
  m.def("bundled_models", [] {
    py::list out;
    for (const BundledModel& b : bundled_models()) {
      out.append(py::dict(py::arg("name") = b.name, py::arg("sha256") = b.sha256, py::arg("what") = b.what,
                          py::arg("licence") = b.licence));
    }
    return out;
  }, "The model files shipped with libdfd (docs/models.md): name, sha256, what, licence.");

  py::class_<ForwardGraph>(m, "_ForwardGraph")
      .def("backward", [](ForwardGraph& g, const py::handle& grad_logits) {
        const at::Tensor grad = from_torch(grad_logits, "grad").contiguous();
        std::vector<at::Tensor> inputs;
        if (g.x.requires_grad()) inputs.push_back(g.x);
        inputs.insert(inputs.end(), g.params.begin(), g.params.end());
        std::vector<at::Tensor> grads;
        {
          py::gil_scoped_release release;  // the backward may call back into Python's engine
          grads = torch::autograd::grad({g.logits}, inputs, {grad}, /*retain_graph=*/false, /*create_graph=*/false,
                                        /*allow_unused=*/true);
        }
        py::list out;
        size_t k = 0;
        if (!g.x.requires_grad()) out.append(py::none());
        for (; k < grads.size(); ++k) out.append(grads[k].defined() ? to_torch(grads[k]) : py::object(py::none()));
        g = ForwardGraph{};  // the graph is spent
        return out;
      });

  py::class_<Model>(m, "Model", py::dynamic_attr(), R"doc(
A zoo network (native LibTorch) whose parameter names equal its PyTorch reference's.

    m = dfd.Model("resnet18")                        # random weights, 1000 outputs
    m = dfd.Model.load("resnext50_32x4d", "resnext.safetensors")   # head size from the file
    logits = m(x)                                    # x: float32 NCHW (numpy or torch)
    logits, maps = m.forward(x, ["layer4"])          # plus named activations

Training from a notebook's own loop: parameters() share the model's memory with torch, and
forward_torch(x) is differentiable, into x and into them.

    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    m.train()
    loss = F.binary_cross_entropy_with_logits(m.forward_torch(x)[:, 0], y)
    opt.zero_grad(); loss.backward(); opt.step())doc")
      .def(py::init([](const std::string& arch, int num_outputs, int input_features, int segments, int shift_div) {
             ModelOptions options;
             options.num_outputs = num_outputs;
             options.input_features = input_features;
             options.segments = segments;
             options.shift_div = shift_div;
             return Model::create(arch, options);
           }),
           py::arg("arch"), py::arg("num_outputs") = 0, py::arg("input_features") = 0, py::arg("segments") = 0,
           py::arg("shift_div") = 0)
      .def_static(
          "load", [](const std::string& arch, const FsPath& path, int segments, int shift_div) {
            ModelOptions options;
            options.segments = segments;
            options.shift_div = shift_div;
            return Model::load(arch, path.bytes, options);
          },
          py::arg("arch"), py::arg("weights"), py::arg("segments") = 0, py::arg("shift_div") = 0,
          "Builds `arch` with the weights' head size and loads them; a clip model's segments and shift_div: given, "
          "else the file's dfd.model metadata, else the architecture's.")
      .def_static("load_torchscript", &Model::load_torchscript, py::arg("path"),
                  "A TorchScript file whose forward returns logits or (logits, feature_map).")
      .def("load_weights", [](Model& model, const FsPath& path) { model.load_weights(path.bytes); }, py::arg("path"),
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("info", &Model::info)
      .def("to", &Model::to, py::arg("device"), "Moves the model to 'cpu', 'cuda' or 'cuda:N'.")
      .def_property_readonly("device", &Model::device)
      .def_property("channels_last", &Model::channels_last, &Model::set_channels_last,
                    "NHWC memory for parameters and inputs (the zoo's default where it measured faster).")
      .def(
          "state_dict",
          [](Model& model) {
            py::dict out;  // parameters then buffers, as torch's state_dict() orders a flat module
            for (const auto& p : model.module().named_parameters(true)) out[py::str(p.key())] = to_numpy(p.value());
            for (const auto& b : model.module().named_buffers(true)) {
              out[py::str(b.key())] = b.value().is_floating_point() ? py::object(to_numpy(b.value()))
                                                                    : py::object(py::int_(b.value().item<int64_t>()));
            }
            return out;
          },
          "The weights as {name: float32 numpy array} (integer buffers such as num_batches_tracked as int).")
      .def(
          "named_parameters",
          [](Model& model) {
            py::list out;  // torch tensors sharing the model's memory: an optimiser's step changes the model
            for (const auto& p : model.module().named_parameters(true)) {
              py::object t = to_torch(p.value());
              t.attr("requires_grad_")(p.value().requires_grad());
              out.append(py::make_tuple(p.key(), t));
            }
            return out;
          },
          "[(name, torch.Tensor)] sharing the model's memory (frozen ones with requires_grad False). Taken again "
          "after to() or channels_last, which move the weights.")
      .def("train", [](Model& model, bool mode) { model.module().train(mode); }, py::arg("mode") = true,
           "Training mode (BatchNorm uses and updates batch statistics), as torch.nn.Module.train.")
      .def("eval", [](Model& model) { model.module().eval(); })
      .def_property_readonly("training", [](Model& model) { return model.module().is_training(); })
      .def("_data_pointers", [](Model& model) {
        std::vector<uintptr_t> out;
        for (const auto& p : trainable(model)) out.push_back(reinterpret_cast<uintptr_t>(p.data_ptr()));
        return out;
      })
      .def(
          "_forward_graph",
          [](Model& model, const py::handle& x, bool x_grad) {
            ForwardGraph g;
            g.x = from_torch(x, "x");
            if (x_grad) g.x = g.x.detach().requires_grad_(true);
            g.params = trainable(model);
            {
              py::gil_scoped_release release;
              torch::AutoGradMode grad(true);  // the autograd Function's forward runs under no_grad
              g.logits = model.forward(g.x);
            }
            py::object logits = to_torch(g.logits.detach());
            return py::make_tuple(logits, std::move(g));
          },
          py::arg("x"), py::arg("x_grad"))
      .def("forward", &forward, py::arg("x"), py::arg("endpoints") = std::vector<std::string>{},
           "Logits [n, num_outputs] as numpy; with endpoints, (logits, {name: activation}).")
      .def("__call__", [](Model& model, const py::handle& x) { return forward(model, x, {}); }, py::arg("x"));
}

}  // namespace dfd::python
