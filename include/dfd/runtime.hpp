// dfd/runtime.hpp — process-wide settings of the runtime: LibTorch's thread count and glibc's
// allocator. libdfd changes none of them on its own, so a host application keeps its torch
// settings and its malloc; configure_runtime() applies them when asked. The `dfd` command, which
// owns its process, applies the defaults below at start; a C++ or Python user calls it once
// (dfd.configure_runtime()) — without it Debian's LibTorch runs every model on one thread.
// What each is worth, measured: docs/performance.md ("Runtime configuration").
#pragma once

#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

struct RuntimeParams {
  // LibTorch's intra-op threads (at::set_num_threads): 0 one per hardware core, -1 left as it is.
  int num_threads = 0;
  // glibc hands large freed blocks back to the kernel and maps them again on the next call, so
  // every forward pass pays tens of thousands of page faults (54k per ResNet-18 batch of 16, 20 %
  // of its time). true raises glibc's mmap and trim thresholds to 1 GiB (mallopt), so freed
  // activations are reused: the process keeps its peak heap. false sets glibc's default
  // thresholds again (128 KiB; glibc's dynamic adjustment of them stays off once set).
  bool keep_freed_memory = true;
  // Detector::scan hands the heap's free pages back to the kernel after each file (malloc_trim),
  // so a batch of files of many sizes holds less (27 videos: peak 1.18 GB instead of 1.61, 0.46 GB
  // after the run instead of 1.61) — at a price: with keep_freed_memory the next file maps and
  // faults it all in again (the same 27 videos took 25.8 s instead of 12.1). Off by default; for
  // a long-lived process that must give memory back between files.
  bool trim_after_scan = false;
};

// Applies `params` to the process (glibc parts: no-ops with another C library). May be called
// again; the last call wins. requires: num_threads >= -1. throws: InvalidArgument.
void configure_runtime(const RuntimeParams& params = {});

// The settings in effect: {-1, false, false} — nothing changed — until configure_runtime.
RuntimeParams runtime_params();

// LibTorch's intra-op thread count: set (n = 0: one per hardware core), and in effect.
// requires: n >= 0. throws: InvalidArgument.
void set_num_threads(int n);
int num_threads();

// Hands the heap's free pages back to the kernel now (glibc malloc_trim); a no-op elsewhere.
void release_freed_memory();

}  // namespace dfd
DFD_END_API
