#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/model_files.hpp"
#include "dfd/safetensors.hpp"
#include "models/model_impl.hpp"
#include "models/state_dict.hpp"
#include "models/zoo_module.hpp"

namespace dfd {

namespace zoo {
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> entries = [] {
    std::map<std::string, Entry> all;
    register_resnets(all);
    register_efficientnets(all);
    register_tf_efficientnets(all);
    register_mesonets(all);
    register_keras_mesonets(all);
    register_xception(all);
    register_mobilenet_v1(all);
    register_mobilenet_v2(all);
    register_aasist(all);
    register_fusion_mlp(all);
    register_tsm(all);
    return all;
  }();
  return entries;
}
}  // namespace zoo

namespace {

const zoo::Entry& entry(const std::string& arch) {
  const auto& reg = zoo::registry();
  auto it = reg.find(arch);
  if (it == reg.end()) {
    throw InvalidArgument("arch", fmt::format("unknown model '{}' (known: {})", arch, fmt::join(list_models(), ", ")));
  }
  return it->second;
}

struct ZooImpl : Model::Impl {
  torch::Tensor forward(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    if (channels_last && x.dim() == 4) return network->forward_with(x.contiguous(at::MemoryFormat::ChannelsLast), features);
    return network->forward_with(x, features);
  }
  void set_channels_last(bool on) override {
    set_memory_format(network->parameters(), on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
    channels_last = on;
  }
  void to(const torch::Device& d) override { network->to(d); }
  torch::nn::Module* module() override { return network.get(); }
  std::shared_ptr<zoo::ZooModule> network;
};

torch::Device parse_device(const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device.emplace(name);
  } catch (const c10::Error&) {
    throw InvalidArgument("device", fmt::format("'{}' is not a device (cpu, cuda, cuda:N)", name));
  }
  if (device->is_cuda()) {
    if (!torch::cuda::is_available()) {
      throw InvalidArgument("device", fmt::format("{}: this LibTorch build or machine has no CUDA", name));
    }
    if (device->has_index() && device->index() >= static_cast<int>(torch::cuda::device_count())) {
      throw InvalidArgument("device", fmt::format("{}: only {} CUDA devices", name, torch::cuda::device_count()));
    }
  } else if (!device->is_cpu()) {
    throw InvalidArgument("device", fmt::format("{}: only cpu and cuda are supported", name));
  }
  return *device;
}

}  // namespace

void set_memory_format(const std::vector<torch::Tensor>& tensors, at::MemoryFormat format) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor t : tensors) {  // a handle: set_data changes the shared tensor
    if (t.dim() == 4) t.set_data(t.contiguous(format));
  }
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::vector<std::string> list_models() {
  std::vector<std::string> names;
  for (const auto& [name, e] : zoo::registry()) names.push_back(name);
  return names;
}

ModelInfo model_info(const std::string& arch) { return entry(arch).info; }

std::unique_ptr<Model> Model::create(const std::string& arch, const ModelOptions& options) {
  const zoo::Entry& e = entry(arch);
  if (options.num_outputs < 0) throw InvalidArgument("num_outputs", "must be >= 0");
  auto impl = std::make_unique<ZooImpl>();
  impl->info = e.info;
  if (options.num_outputs > 0) impl->info.num_outputs = options.num_outputs;
  if (e.info.input == ModelInput::Embedding) {
    if (options.input_features < 1) {
      throw InvalidArgument("input_features", fmt::format("{} takes vectors: their length must be given (>= 1), got {}",
                                                          arch, options.input_features));
    }
    impl->info.input_size = options.input_features;
  }
  if (e.info.input == ModelInput::Clip) {
    if (options.segments < 0) throw InvalidArgument("segments", fmt::format("must be >= 0 (0: {}'s {}), got {}", arch, e.info.segments, options.segments));
    if (options.shift_div < 0) throw InvalidArgument("shift_div", fmt::format("must be >= 0 (0: {}'s {}), got {}", arch, e.info.shift_div, options.shift_div));
    if (options.segments > 0) impl->info.segments = options.segments;
    if (options.shift_div > 0) impl->info.shift_div = options.shift_div;
  }
  if (e.make_with) {
    ModelOptions o = options;
    o.segments = impl->info.segments;
    o.shift_div = impl->info.shift_div;
    impl->network = e.make_with(impl->info.num_outputs, o);
  } else {
    impl->network = e.make(impl->info.num_outputs);
  }
  impl->network->eval();
  impl->set_channels_last(e.channels_last);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::unique_ptr<Model> Model::load(const std::string& arch, const SafetensorsFile& weights, const ModelOptions& given) {
  ModelOptions options = given;
  const zoo::Entry& e = entry(arch);
  const std::string& head = e.info.head;
  if (options.num_outputs == 0 && weights.contains(head) && !weights.tensor(head).shape.empty()) {
    options.num_outputs = static_cast<int>(weights.tensor(head).shape[0]);
  }
  if (!e.input_layer.empty() && options.input_features == 0) {
    if (!weights.contains(e.input_layer) || weights.tensor(e.input_layer).shape.size() != 2) {
      throw ModelError(weights.path(), fmt::format("no 2-D tensor {}: not {} weights (it says the input length)", e.input_layer, arch));
    }
    options.input_features = static_cast<int>(weights.tensor(e.input_layer).shape[1]);
  }
  if (e.info.input == ModelInput::Clip && weights.metadata().count("dfd.model")) {
    try {
      const nlohmann::json built = nlohmann::json::parse(weights.metadata("dfd.model"));
      if (options.segments == 0) options.segments = built.value("segments", 0);
      if (options.shift_div == 0) options.shift_div = built.value("shift_div", 0);
    } catch (const nlohmann::json::exception& err) {
      throw ModelError(weights.path(), fmt::format("its dfd.model metadata is not the JSON of a build: {}", err.what()));
    }
  }
  auto model = create(arch, options);
  model->load_weights(weights);
  return model;
}

std::unique_ptr<Model> Model::load(const std::string& arch, const std::string& weights_path, const ModelOptions& options) {
  return load(arch, SafetensorsFile(find_model_file(weights_path)), options);
}

std::string Model::build_metadata(const ModelInfo& info) {
  if (info.input != ModelInput::Clip) return "";
  return nlohmann::json{{"segments", info.segments}, {"shift_div", info.shift_div}}.dump();
}

std::unique_ptr<Model> Model::load_torchscript(const std::string& path) {
  return std::unique_ptr<Model>(new Model(make_torchscript_impl(find_model_file(path))));
}

const ModelInfo& Model::info() const { return impl_->info; }

void Model::load_weights(const std::string& path) { load_weights(SafetensorsFile(find_model_file(path))); }

void Model::load_weights(const SafetensorsFile& file) {
  load_state_dict(module(), file);
  if (!impl_->device.is_cpu()) impl_->to(impl_->device);  // the loader fills CPU tensors
}

namespace {
// LibTorch's errors carry a C++ backtrace; the caller needs the model, the input and the cause.
template <typename F>
at::Tensor guarded_forward(const ModelInfo& info, const at::Tensor& x, F&& run) {
  const bool waveform = info.input == ModelInput::Waveform, vectors = info.input == ModelInput::Embedding;
  const bool clips = info.input == ModelInput::Clip;
  const int64_t dims = waveform || vectors ? 2 : clips ? 5 : 4;
  if (!x.defined() || x.dim() != dims || (clips && x.size(1) != info.segments)) {
    throw InvalidArgument("x", fmt::format("{}: expected a float32 {} batch, got [{}]", info.arch,
                                           waveform ? "[n, samples]" : vectors ? "[n, d]"
                                           : clips  ? fmt::format("[n, {}, 3, h, w]", info.segments)
                                                    : "[n, 3, h, w]",
                                           x.defined() ? fmt::format("{}", fmt::join(x.sizes(), ", ")) : ""));
  }
  try {
    return run();
  } catch (const c10::Error& e) {
    const std::string cause = e.what_without_backtrace();
    throw InvalidArgument("x", fmt::format("{} cannot take an input of shape [{}]{}: {}", info.arch,
                                           fmt::join(x.sizes(), ", "),
                                           info.input_size <= 0 ? ""
                                           : waveform ? fmt::format(" (it is built for {} samples at {} Hz)", info.input_size, info.sample_rate)
                                           : vectors  ? fmt::format(" (it is built for vectors of {})", info.input_size)
                                                      : fmt::format(" (it is built for {0}x{0})", info.input_size),
                                           cause.substr(0, cause.find('\n'))));
  }
}
}  // namespace

at::Tensor Model::forward(const at::Tensor& x) {
  return guarded_forward(impl_->info, x, [&] { return impl_->forward(x, nullptr); });
}

at::Tensor Model::forward(const at::Tensor& x, const std::vector<std::string>& endpoints,
                          std::map<std::string, at::Tensor>& features) {
  const auto& known = impl_->info.endpoints;
  std::map<std::string, torch::Tensor> wanted;
  for (const std::string& name : endpoints) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw InvalidArgument("endpoints", fmt::format("{} has no endpoint '{}' (it has: {})", impl_->info.arch, name,
                                                     fmt::join(known, ", ")));
    }
    wanted[name] = torch::Tensor();
  }
  at::Tensor logits = guarded_forward(impl_->info, x, [&] { return impl_->forward(x, &wanted); });
  for (auto& [name, value] : wanted) features[name] = value;
  return logits;
}

void Model::to(const std::string& device) {
  const torch::Device d = parse_device(device);
  impl_->to(d);
  impl_->device = d;
}

std::string Model::device() const { return impl_->device.str(); }

void Model::set_channels_last(bool on) { impl_->set_channels_last(on); }
bool Model::channels_last() const { return impl_->channels_last; }

torch::nn::Module& Model::module() {
  torch::nn::Module* m = impl_->module();
  if (!m) throw InvalidArgument("module", fmt::format("{} is TorchScript: it has no torch::nn::Module", impl_->info.reference));
  return *m;
}

}  // namespace dfd
