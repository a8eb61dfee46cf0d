#include "dfd/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/torch_setup.hpp"
#include "dfd/error.hpp"

namespace dfd {
namespace {
std::atomic<bool> g_threads_chosen{false};
}

void set_num_threads(int n) {
  if (n < 0) throw InvalidArgument("n", fmt::format("thread count must be >= 0, got {}", n));
  const int threads = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  g_threads_chosen = true;
}

int num_threads() { return at::get_num_threads(); }

void ensure_torch_threads() {
  if (!g_threads_chosen.exchange(true)) {
    at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  }
}

}  // namespace dfd
