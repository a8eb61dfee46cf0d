// Process-wide runtime settings, applied only when asked (configure_runtime).
#include "dfd/runtime.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "dfd/error.hpp"

namespace dfd {
namespace {

std::mutex g_mutex;
RuntimeParams g_params{-1, false, false};

void set_malloc_thresholds(bool keep) {
#if defined(__GLIBC__)
  // keep: blocks up to 1 GiB come from the heap (not a fresh mmap each time) and the heap is not
  // trimmed after every free; else glibc's documented defaults.
  mallopt(M_MMAP_THRESHOLD, keep ? 1 << 30 : 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, keep ? 1 << 30 : 128 * 1024);
#else
  (void)keep;
#endif
}

}  // namespace

void configure_runtime(const RuntimeParams& params) {
  if (params.num_threads < -1) {
    throw InvalidArgument("num_threads", fmt::format("must be >= -1 (-1: leave LibTorch's), got {}", params.num_threads));
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  if (params.num_threads >= 0) set_num_threads(params.num_threads);
  if (params.keep_freed_memory != g_params.keep_freed_memory) set_malloc_thresholds(params.keep_freed_memory);
  g_params = params;
}

RuntimeParams runtime_params() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_params;
}

void set_num_threads(int n) {
  if (n < 0) throw InvalidArgument("n", fmt::format("thread count must be >= 0, got {}", n));
  at::set_num_threads(n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

int num_threads() { return at::get_num_threads(); }

void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace dfd
