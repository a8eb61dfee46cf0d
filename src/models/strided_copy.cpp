#include "dfd/strided_copy.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace dfd {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// a * b, or false when it overflows int64 (both >= 0).
bool multiply(int64_t a, int64_t b, int64_t& out) {
  if (a != 0 && b > kMax / a) return false;
  out = a * b;
  return true;
}

}  // namespace

int64_t check_strided_view(uint64_t storage_elements, int64_t offset, const std::vector<int64_t>& size,
                           const std::vector<int64_t>& stride, const std::string& what, uint64_t max_elements) {
  if (size.size() != stride.size()) {
    throw InvalidArgument(what, fmt::format("{} sizes but {} strides", size.size(), stride.size()));
  }
  if (offset < 0) throw InvalidArgument(what, fmt::format("negative storage offset {}", offset));
  int64_t count = 1, last = offset;  // last: the highest element index the view reads
  bool empty = false;
  for (size_t k = 0; k < size.size(); ++k) {
    if (size[k] < 0) throw InvalidArgument(what, fmt::format("negative size {} in dimension {}", size[k], k));
    if (stride[k] < 0) throw InvalidArgument(what, fmt::format("negative stride {} in dimension {}", stride[k], k));
    if (size[k] == 0) empty = true;
  }
  for (size_t k = 0; k < size.size() && !empty; ++k) {
    int64_t reach = 0;
    if (!multiply(count, size[k], count) || !multiply(size[k] - 1, stride[k], reach) || last > kMax - reach) {
      throw InvalidArgument(what, fmt::format("size {} with stride {} overflows", fmt::join(size, "x"), fmt::join(stride, ",")));
    }
    last += reach;
  }
  const uint64_t offset_u = static_cast<uint64_t>(offset);
  if (empty) {
    if (offset_u > storage_elements) {
      throw InvalidArgument(what, fmt::format("storage offset {} lies past the storage's {} elements", offset, storage_elements));
    }
    return 0;
  }
  if (static_cast<uint64_t>(last) >= storage_elements) {
    throw InvalidArgument(what, fmt::format("offset {}, size [{}] and stride [{}] reach element {}, but the storage "
                                            "holds {} elements", offset, fmt::join(size, ", "), fmt::join(stride, ", "),
                                            last, storage_elements));
  }
  if (static_cast<uint64_t>(count) > max_elements) {
    throw InvalidArgument(what, fmt::format("shape [{}] holds {} elements, more than the {} allowed", fmt::join(size, ", "),
                                            count, max_elements));
  }
  return count;
}

void copy_strided_into(const uint8_t* storage, size_t item_size, int64_t offset, const std::vector<int64_t>& size,
                       const std::vector<int64_t>& stride, uint8_t* out) {
  // An empty view first: its other dimensions' product need not fit anywhere.
  if (std::find(size.begin(), size.end(), 0) != size.end()) return;
  int64_t count = 1;
  for (int64_t s : size) count *= s;  // fits: check_strided_view passed
  // Walk the multi-index in C order; `at` is the element index of the current position.
  const size_t dims = size.size();
  std::vector<int64_t> index(dims, 0);
  int64_t at = offset;
  for (int64_t n = 0; n < count; ++n) {
    std::memcpy(out + static_cast<size_t>(n) * item_size, storage + static_cast<size_t>(at) * item_size, item_size);
    for (size_t k = dims; k-- > 0;) {
      if (++index[k] < size[k]) {
        at += stride[k];
        break;
      }
      at -= (size[k] - 1) * stride[k];
      index[k] = 0;
    }
  }
}

std::vector<uint8_t> copy_strided(const uint8_t* storage, uint64_t storage_elements, size_t item_size, int64_t offset,
                                  const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                                  const std::string& what, uint64_t max_elements) {
  if (item_size < 1) throw InvalidArgument(what, "item size must be >= 1");
  const uint64_t limit = std::min<uint64_t>(max_elements, std::numeric_limits<size_t>::max() / item_size);
  const int64_t count = check_strided_view(storage_elements, offset, size, stride, what, limit);
  std::vector<uint8_t> out(static_cast<size_t>(count) * item_size);
  copy_strided_into(storage, item_size, offset, size, stride, out.data());
  return out;
}

}  // namespace dfd
