#include "formula_weights.hpp"

#include <cmath>

namespace dfd::test {
namespace {

uint32_t fnv1a(const std::string& name) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x01000193u;
  }
  return h;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// u_i = x_i / 2^32 with x_i = seed + i * 2654435761 (mod 2^32).
std::vector<double> uniforms(const std::string& name, int64_t n) {
  const uint32_t seed = fnv1a(name);
  std::vector<double> u(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t x = seed + static_cast<uint32_t>(i) * 2654435761u;  // wraps mod 2^32
    u[static_cast<size_t>(i)] = static_cast<double>(x) / 4294967296.0;
  }
  return u;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

}  // namespace

torch::Tensor formula_tensor(const std::string& name, const std::vector<int64_t>& shape) {
  const int64_t n = numel(shape);
  if (ends_with(name, "num_batches_tracked")) return torch::zeros(shape, torch::kInt64);
  const std::vector<double> u = uniforms(name, n);
  std::vector<double> out(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) {
    const double v = u[i] - 0.5;
    if (ends_with(name, "running_var")) out[i] = 0.5 + u[i];
    else if (ends_with(name, "running_mean")) out[i] = 0.1 * v;
    else if (ends_with(name, "bias")) out[i] = 0.1 * v;
    else if (shape.size() == 1 && ends_with(name, "weight")) out[i] = 1.0 + 0.1 * v;
    else if (shape.size() >= 2) out[i] = (v * 2.0) * std::sqrt(6.0 / static_cast<double>(n / shape[0]));
    else throw std::runtime_error("formula weights: no rule for " + name);
  }
  return torch::from_blob(out.data(), shape, torch::kFloat64).clone();
}

torch::Tensor formula_input(const std::vector<int64_t>& shape) {
  const std::vector<double> u = uniforms("input", numel(shape));
  std::vector<float> out(u.size());
  for (size_t i = 0; i < u.size(); ++i) out[i] = static_cast<float>(2.0 * (u[i] - 0.5));
  return torch::from_blob(out.data(), shape, torch::kFloat32).clone();
}

void fill_with_formula(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(true)) p.value().copy_(formula_tensor(p.key(), p.value().sizes().vec()));
  for (auto& b : module.named_buffers(true)) b.value().copy_(formula_tensor(b.key(), b.value().sizes().vec()));
}

}  // namespace dfd::test
