// Private: what every model does before it runs.
#pragma once

namespace dfd {

// Sets LibTorch's intra-op threads to the hardware core count once per process, unless the user
// chose a count with set_num_threads() (Debian's LibTorch starts with one thread).
void ensure_torch_threads();

}  // namespace dfd
