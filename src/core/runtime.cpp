#include "dfd/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/torch_setup.hpp"
#include "dfd/error.hpp"

namespace dfd {
namespace {
std::atomic<bool> g_threads_chosen{false};
std::atomic<bool> g_keep_freed_memory{true};
std::atomic<bool> g_prepared{false};

void keep_freed_memory() {
#if defined(__GLIBC__)
  if (const char* env = std::getenv("DFD_KEEP_FREED_MEMORY"); env && std::strcmp(env, "0") == 0) return;
  // Blocks up to 1 GiB come from the heap (not a fresh mmap each time), and the heap is not trimmed
  // back to the kernel after every pass.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
}  // namespace

void set_num_threads(int n) {
  if (n < 0) throw InvalidArgument("n", fmt::format("thread count must be >= 0, got {}", n));
  const int threads = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  g_threads_chosen = true;
}

int num_threads() { return at::get_num_threads(); }

void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void set_keep_freed_memory(bool keep) { g_keep_freed_memory = keep; }

void prepare_torch_runtime() {
  if (!g_threads_chosen.exchange(true)) {
    at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  }
  if (!g_prepared.exchange(true) && g_keep_freed_memory) keep_freed_memory();
}

}  // namespace dfd
