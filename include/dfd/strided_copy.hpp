// dfd/strided_copy.hpp — a strided view of a flat storage, checked and copied out.
//
// A PyTorch checkpoint stores each tensor as (storage, offset, size, stride): the elements at
// storage[offset + sum_k i_k * stride[k]]. Those numbers come from the file, so a hostile or
// corrupt checkpoint can point anywhere; python -m dfd.convert rebuilds every tensor through these
// functions, which check the whole extent against the storage before one element is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// Checks that the view (offset, size, stride) addresses only elements of a storage holding
// `storage_elements` elements and holds at most `max_elements` elements (a view may repeat
// storage elements — stride 0, as torch's expand() saves — so its size is not bounded by the
// storage's), and returns its element count.
// requires: size.size() == stride.size(); offset >= 0; sizes >= 0; strides >= 0 (PyTorch never
//           saves negative strides); the element count and the extent fit in int64.
// ensures: for a view with at least one element, offset + sum_k (size[k] - 1) * stride[k] <
//          storage_elements; for an empty view, offset <= storage_elements; result <= max_elements.
// throws: InvalidArgument (subject `what`, e.g. "tensor 'fc.weight'") saying which rule failed.
int64_t check_strided_view(uint64_t storage_elements, int64_t offset, const std::vector<int64_t>& size,
                           const std::vector<int64_t>& stride, const std::string& what, uint64_t max_elements);

// Copies a view that check_strided_view accepted into `out`, in C order.
// requires: check_strided_view(...) passed for this storage and view; `out` holds its element
//           count * item_size bytes; item_size >= 1.
void copy_strided_into(const uint8_t* storage, size_t item_size, int64_t offset, const std::vector<int64_t>& size,
                       const std::vector<int64_t>& stride, uint8_t* out);

// The view's elements in C order, as bytes: check_strided_view, then copy_strided_into.
// requires: `storage` holds storage_elements * item_size bytes; item_size >= 1.
// throws: InvalidArgument, as check_strided_view.
std::vector<uint8_t> copy_strided(const uint8_t* storage, uint64_t storage_elements, size_t item_size, int64_t offset,
                                  const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                                  const std::string& what, uint64_t max_elements);

}  // namespace dfd
DFD_END_API
