// dfd/runtime.hpp — process-wide settings of the inference runtime (LibTorch).
#pragma once

namespace dfd {

// Threads LibTorch uses inside one operation (intra-op). n = 0: one per hardware core.
// Debian's LibTorch starts with 1, so libdfd sets the default the first time a model is created,
// unless this was called before. requires: n >= 0. throws: InvalidArgument.
void set_num_threads(int n);
// The intra-op thread count in effect.
int num_threads();

}  // namespace dfd
