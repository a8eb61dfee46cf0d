// libFuzzer: the checkpoint converter's tensor rebuild (dfd::copy_strided) with offsets, sizes and
// strides taken from the input, as a crafted checkpoint would give them, over a storage of the
// input's remaining bytes. It either throws InvalidArgument or reads only inside the storage
// (ASan: the storage is its own heap block, so one element past it is a reported overflow).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dfd/strided_copy.hpp"

namespace {

int64_t take(const uint8_t*& p, size_t& left) {
  int64_t v = 0;
  const size_t n = left < 8 ? left : 8;
  std::memcpy(&v, p, n);
  p += n;
  left -= n;
  // Mostly small numbers (the interesting region), sometimes anything.
  return (v & 0x100) ? v : (v % 97);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t dims = data[0] % 6;
  const size_t item = 1 + data[1] % 8;
  const uint8_t* p = data + 2;
  size_t left = size - 2;
  const int64_t offset = take(p, left);
  std::vector<int64_t> shape, stride;
  for (size_t k = 0; k < dims; ++k) shape.push_back(take(p, left));
  for (size_t k = 0; k < dims; ++k) stride.push_back(take(p, left));
  const size_t elements = left / item;
  std::vector<uint8_t> storage(p, p + elements * item);  // exactly the storage, nothing after it
  try {
    const std::vector<uint8_t> out = dfd::copy_strided(storage.data(), elements, item, offset, shape, stride, "fuzz",
                                                          uint64_t{1} << 22);
    // A view that passed holds count elements; count fits in int64 unless a dimension is 0.
    uint64_t count = 1;
    for (int64_t s : shape) count = s == 0 ? 0 : count * static_cast<uint64_t>(s);
    bool empty = false;
    for (int64_t s : shape) empty = empty || s == 0;
    if (out.size() != (empty ? 0 : count * item)) __builtin_trap();
  } catch (const dfd::InvalidArgument&) {
  }
  return 0;
}
