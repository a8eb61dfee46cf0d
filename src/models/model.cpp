#include <fmt/format.h>

#include "core/torch_setup.hpp"
#include "dfd/model_files.hpp"
#include "dfd/safetensors.hpp"
#include "models/state_dict.hpp"
#include "models/zoo_module.hpp"

namespace dfd {

namespace zoo {
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> entries;
  return entries;
}
}  // namespace zoo

struct Model::Impl {
  ModelInfo info;
  std::shared_ptr<zoo::ZooModule> module;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::vector<std::string> list_models() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : zoo::registry()) names.push_back(name);
  return names;
}

namespace {
const zoo::Entry& entry(const std::string& arch) {
  const auto& reg = zoo::registry();
  auto it = reg.find(arch);
  if (it == reg.end()) {
    throw InvalidArgument("arch", fmt::format("unknown model '{}' (known: {})", arch, fmt::join(list_models(), ", ")));
  }
  return it->second;
}
}  // namespace

ModelInfo model_info(const std::string& arch) { return entry(arch).info; }

std::unique_ptr<Model> Model::create(const std::string& arch, const ModelOptions& options) {
  const zoo::Entry& e = entry(arch);
  if (options.num_outputs < 0) throw InvalidArgument("num_outputs", "must be >= 0");
  ensure_torch_threads();
  auto impl = std::make_unique<Impl>();
  impl->info = e.info;
  if (options.num_outputs > 0) impl->info.num_outputs = options.num_outputs;
  impl->module = e.make(impl->info.num_outputs);
  impl->module->eval();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::unique_ptr<Model> Model::load(const std::string& arch, const SafetensorsFile& weights) {
  ModelOptions options;
  const std::string& head = entry(arch).info.head;
  if (weights.contains(head) && !weights.tensor(head).shape.empty()) {
    options.num_outputs = static_cast<int>(weights.tensor(head).shape[0]);
  }
  auto model = create(arch, options);
  model->load_weights(weights);
  return model;
}

std::unique_ptr<Model> Model::load(const std::string& arch, const std::string& weights_path) {
  return load(arch, SafetensorsFile(find_model_file(weights_path)));
}

const ModelInfo& Model::info() const { return impl_->info; }

void Model::load_weights(const std::string& path) { load_weights(SafetensorsFile(find_model_file(path))); }

void Model::load_weights(const SafetensorsFile& file) { load_state_dict(*impl_->module, file); }

at::Tensor Model::forward(const at::Tensor& x) { return impl_->module->forward_with(x, nullptr); }

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
  at::Tensor logits = impl_->module->forward_with(x, &wanted);
  for (auto& [name, value] : wanted) features[name] = value;
  return logits;
}

torch::nn::Module& Model::module() { return *impl_->module; }

}  // namespace dfd
