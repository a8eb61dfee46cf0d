// The golden README's "formula weights": a deterministic value for every tensor of a state_dict,
// from its name and shape only, so model goldens need no weight files. Test-side code.
#pragma once

#include <torch/torch.h>

namespace dfd::test {

// The float64 formula values of a tensor named `name` with `shape` (before the float32 cast);
// int64 zeros for num_batches_tracked.
torch::Tensor formula_tensor(const std::string& name, const std::vector<int64_t>& shape);
// The formula input of `shape`: 2 * v_i for the name "input".
torch::Tensor formula_input(const std::vector<int64_t>& shape);
// Fills every parameter and buffer of `module` with its formula value (cast to its dtype).
void fill_with_formula(torch::nn::Module& module);

}  // namespace dfd::test
