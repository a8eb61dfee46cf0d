#include "models/state_dict.hpp"

#include <set>

#include <fmt/format.h>
#include <torch/torch.h>

namespace dfd {
namespace {

torch::ScalarType scalar_type(Dtype d) {
  switch (d) {
    case Dtype::F64: return torch::kFloat64;
    case Dtype::F32: return torch::kFloat32;
    case Dtype::F16: return torch::kFloat16;
    case Dtype::BF16: return torch::kBFloat16;
    case Dtype::I64: return torch::kInt64;
    case Dtype::I32: return torch::kInt32;
    case Dtype::I16: return torch::kInt16;
    case Dtype::I8: return torch::kInt8;
    case Dtype::U8: return torch::kUInt8;
    case Dtype::Bool: return torch::kBool;
  }
  return torch::kFloat32;
}

// PyTorch's load_state_dict rule for checkpoints from its 0.3 era: a 1-D tensor of one element
// fills a 0-D parameter or buffer (num_batches_tracked is often stored so).
bool scalar_from_one_element(const TensorView& t, const torch::Tensor& target) {
  return target.dim() == 0 && t.shape.size() == 1 && t.shape[0] == 1;
}

std::string join(const std::vector<std::string>& items, size_t limit = 12) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += fmt::format(", ... ({} in all)", items.size());
  return out;
}

}  // namespace

void load_state_dict(torch::nn::Module& module, const SafetensorsFile& file) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : module.named_parameters(true)) targets.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) targets.emplace_back(b.key(), b.value());

  std::vector<std::string> missing, misshaped, bad_dtype;
  std::set<std::string> used;
  for (const auto& [name, target] : targets) {
    if (!file.contains(name)) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    const TensorView& t = file.tensor(name);
    if (t.shape != target.sizes().vec() && !scalar_from_one_element(t, target)) {
      misshaped.push_back(fmt::format("{} (file {}, model {})", name, fmt::join(t.shape, "x"),
                                      fmt::join(target.sizes().vec(), "x")));
      continue;
    }
    const bool target_float = target.is_floating_point();
    const bool source_float = t.dtype == Dtype::F32 || t.dtype == Dtype::F16 || t.dtype == Dtype::BF16 || t.dtype == Dtype::F64;
    if (target_float != source_float) {
      bad_dtype.push_back(fmt::format("{} ({} for a {} tensor)", name, to_string(t.dtype),
                                      target_float ? "floating-point" : "integer"));
    }
  }
  std::vector<std::string> unexpected;
  for (const std::string& name : file.names()) {
    if (!used.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !bad_dtype.empty()) {
    std::string cause = "the weights do not fit the model:";
    if (!missing.empty()) cause += " missing tensors: " + join(missing) + ";";
    if (!unexpected.empty()) cause += " unexpected tensors: " + join(unexpected) + ";";
    if (!misshaped.empty()) cause += " wrong shapes: " + join(misshaped) + ";";
    if (!bad_dtype.empty()) cause += " wrong dtypes: " + join(bad_dtype) + ";";
    cause.pop_back();
    throw ModelError(file.path(), cause);
  }

  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    const TensorView& t = file.tensor(name);
    // from_blob does not copy; .to() copies into a tensor of the target dtype, then into place.
    const torch::Tensor source = torch::from_blob(const_cast<uint8_t*>(t.data), t.shape, scalar_type(t.dtype));
    target.copy_(source.to(target.scalar_type()).reshape(target.sizes()));
  }
}

}  // namespace dfd
