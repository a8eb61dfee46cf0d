// dfd/runtime.hpp — process-wide settings of the inference runtime (LibTorch).
#pragma once

namespace dfd {

// Threads LibTorch uses inside one operation (intra-op). n = 0: one per hardware core.
// Debian's LibTorch starts with 1, so libdfd sets the default the first time it sets LibTorch up
// (a model, a face detector or a spectrogram is created), unless this was called before.
// requires: n >= 0. throws: InvalidArgument.
void set_num_threads(int n);
// The intra-op thread count in effect.
int num_threads();

// glibc hands large freed blocks back to the kernel and maps them again on the next call, so every
// forward pass pays tens of thousands of page faults (measured: 54k per ResNet-18 batch of 16, 20 %
// of its time). The first time libdfd sets LibTorch up, it therefore raises glibc's mmap and trim
// thresholds (mallopt) so freed activations are reused: the process keeps its peak heap instead of
// returning it. Process-wide. Call set_keep_freed_memory(false) before that — or set
// DFD_KEEP_FREED_MEMORY=0 — to leave malloc as it is; calling it later changes nothing.
// A no-op with a C library other than glibc.
void set_keep_freed_memory(bool keep);

// Hands the heap's free pages back to the kernel (glibc malloc_trim). Detector::scan calls it after
// each file, so a batch run of files of many sizes keeps the peak of its largest file rather than
// the sum of their fragments; a forward pass inside a file still reuses its memory. No-op elsewhere.
void release_freed_memory();

}  // namespace dfd
