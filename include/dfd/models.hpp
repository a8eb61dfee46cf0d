// dfd/models.hpp — the model zoo: native LibTorch networks named as their PyTorch references.
//
// Model::create("resnet18") builds an architecture whose parameter and buffer names equal the
// reference's state_dict (torchvision, timm, ...), so weights converted with `python -m dfd.convert`
// load 1:1, checked tensor by tensor. Every model exposes named feature endpoints (the output of
// each stage and the last convolutional map, "features") so Grad-CAM and feature extraction can ask
// for activations without hooks.
//
// Inputs are float32 NCHW tensors already normalised as the model expects (the Classifier does
// that from RGB crops); outputs are the raw logits [n, num_outputs].
//
// Any other network comes in as TorchScript (Model::load_torchscript): it runs wherever a zoo model
// does (Classifier, Grad-CAM), its weights and code in one file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "dfd/export.hpp"
#include "dfd/error.hpp"
#include "dfd/safetensors.hpp"

namespace torch::nn {
class Module;
}


DFD_BEGIN_API
namespace dfd {

// What a network takes.
enum class ModelInput {
  Image,     // float32 [n, 3, h, w]
  Waveform,  // float32 [n, samples]: mono audio at ModelInfo::sample_rate (AASIST)
  Embedding, // float32 [n, d]: vectors, e.g. a video embedding and an audio one concatenated (fusion_mlp)
  Clip,      // float32 [n, segments, 3, h, w]: n clips of ModelInfo::segments frames each (TSM); the
             // logits are the clip's, its frames' averaged (the reference's consensus)
};

struct ModelInfo {
  std::string arch;                    // e.g. "resnet18"
  std::string reference;               // where the names come from, e.g. "torchvision resnet18()"
  int input_size = 224;                // the side the published weights were trained at (Waveform: samples per
                                       // window; Embedding: the vector's length d, 0 until built)
  int num_outputs = 1000;
  std::vector<std::string> endpoints;  // names accepted by forward(x, endpoints, ...), in depth order
  std::string head;                    // the last layer's weight, [num_outputs, ...], e.g. "fc.weight"
  ModelInput input = ModelInput::Image;
  int sample_rate = 0;                 // Waveform: the rate, in Hz, the model was trained at
  // The endpoint Classifier::embed returns: "features" (the last feature map, averaged over its
  // positions) for image models; AASIST's "last_hidden" (the vector its head reads).
  std::string embedding = "features";
  int segments = 0;                    // Clip: the frames per clip it is built for (ModelOptions::segments)
  int shift_div = 0;                   // Clip (TSM): 1/shift_div of the channels shift each way in time
  // A TSM network: the 2D architecture whose weights it holds, renamed as the reference names them
  // (base_model.<name>, a shifted layer's "<layer>.net", the head new_fc) — what a 2D checkpoint
  // starts it from (Trainer's init). "" for the others.
  std::string backbone;
};

struct ModelOptions {
  int num_outputs = 0;     // 0: the architecture's default (1000 for ImageNet backbones)
  int input_features = 0;  // Embedding models: the vector's length d (create needs it; load reads it
                           // from the weights); ignored by the others
  int segments = 0;        // Clip models: frames per clip (0: the file's "dfd.model" metadata when
                           // loading one libdfd trained, else the architecture's, 8 for TSM)
  int shift_div = 0;       // TSM: 1/shift_div of the channels shift back, as many forward (0: as segments)
};

class Model {
 public:
  // throws: InvalidArgument for an unknown arch (the message lists the known ones).
  static std::unique_ptr<Model> create(const std::string& arch, const ModelOptions& options = {});
  // Builds `arch` with as many outputs as the weights' head has (a 1-logit DFDC ResNeXt and a
  // 1000-way ImageNet one are both "resnext50_32x4d") and loads them.
  // throws: InvalidArgument for an unknown arch; ModelError for an unreadable file or missing,
  // unexpected or misshaped tensors.
  // Settings the weights cannot say (a clip model's segments and shift_div) come from `options`,
  // else from the file's "dfd.model" metadata (written by dfd train), else the architecture's.
  static std::unique_ptr<Model> load(const std::string& arch, const SafetensorsFile& weights, const ModelOptions& options = {});
  static std::unique_ptr<Model> load(const std::string& arch, const std::string& weights_path, const ModelOptions& options = {});
  // The "dfd.model" metadata a file of this model carries so that load() rebuilds it alike: JSON
  // {"segments": T, "shift_div": d} for a clip model, "" for the others (the weights say it all).
  static std::string build_metadata(const ModelInfo& info);

  // Loads a TorchScript file (torch.jit.script or torch.jit.trace, then torch.jit.save; a path or a
  // name on the model search path). Its forward takes a float32 NCHW batch and returns the logits
  // [n, k], or a tuple (logits, feature_map) — the feature map is then the endpoint "features",
  // which Grad-CAM uses. info(): arch "torchscript", num_outputs and input_size 0 (unknown until it
  // runs; the Classifier's preset gives the size). TorchScript is code, though restricted to
  // TorchScript's operators: load files you trust; safetensors weights carry none.
  // throws: ModelError naming the file when it is missing or not TorchScript.
  static std::unique_ptr<Model> load_torchscript(const std::string& path);
  ~Model();

  const ModelInfo& info() const;

  // Loads a .safetensors file (a path, or a name on the model search path) into the model.
  // throws: ModelError listing missing, unexpected or misshaped tensors.
  void load_weights(const std::string& path);
  // The same, from a file already read (e.g. after inspecting its metadata).
  void load_weights(const SafetensorsFile& file);

  // requires: x is float32 [n, 3, h, w] (a Waveform model: [n, samples]; an Embedding model: [n, d];
  // a Clip model: [n, segments, 3, h, w]) on the model's device.
  // ensures: logits [n, num_outputs].
  // throws: InvalidArgument naming the model and the shape when the network cannot take x (e.g.
  // MesoNet's dense layers need exactly its input size).
  at::Tensor forward(const at::Tensor& x);
  // Logits, and in `features` the activations of the named endpoints (info().endpoints).
  // throws: InvalidArgument for an unknown endpoint name.
  at::Tensor forward(const at::Tensor& x, const std::vector<std::string>& endpoints,
                     std::map<std::string, at::Tensor>& features);

  // Moves the model to "cpu", "cuda" or "cuda:N"; inputs must then be on that device.
  // throws: InvalidArgument for a malformed name or a device this LibTorch build or machine lacks.
  void to(const std::string& device);
  std::string device() const;

  // Channels-last (NHWC) memory for parameters and inputs: the zoo's default where it measured
  // faster (bench/classifiers.py); the logits are the same up to float rounding. Inputs may come in
  // either layout; endpoint activations come out in the model's.
  void set_channels_last(bool on);
  bool channels_last() const;

  // The LibTorch module, for researchers who train, fine-tune or inspect it.
  // throws: InvalidArgument for a TorchScript model (it has none).
  torch::nn::Module& module();

  struct Impl;  // opaque: a zoo network or a TorchScript module (src/models)

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The architectures Model::create knows, sorted.
std::vector<std::string> list_models();
// What `arch` is, without building it. throws: InvalidArgument for an unknown arch.
ModelInfo model_info(const std::string& arch);

}  // namespace dfd
DFD_END_API
