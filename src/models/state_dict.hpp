// Private: filling a LibTorch module from a safetensors file, name for name.
#pragma once

#include <torch/nn/module.h>

#include "dfd/safetensors.hpp"

#include "dfd/export.hpp"  // DFD_API: exported for the tests

namespace dfd {

// Copies every parameter and buffer of `module` from the tensor of the same name in `file`
// (F32, F16 or BF16, converted to the parameter's dtype; I64 for integer buffers). As PyTorch's
// load_state_dict, a one-element 1-D tensor fills a 0-D one.
// throws: ModelError naming the file and listing missing, unexpected and misshaped tensors (all of
//         them, not only the first) or a tensor whose dtype cannot be used.
DFD_API void load_state_dict(torch::nn::Module& module, const SafetensorsFile& file);

}  // namespace dfd
