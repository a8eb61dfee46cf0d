// Private: what every model does before it runs.
#pragma once

namespace dfd {

// Once per process: sets LibTorch's intra-op threads to the hardware core count unless the user
// chose a count (set_num_threads; Debian's LibTorch starts with one thread), and asks glibc to keep
// freed memory unless the user said not to (set_keep_freed_memory).
void prepare_torch_runtime();

}  // namespace dfd
