// dfd/safetensors.hpp — reading and writing the safetensors format, without torch.
//
// safetensors is libdfd's canonical weight format (no code runs when a file is loaded) and the
// format of the reference goldens. A file is: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
// SafetensorsFile validates all of it when opened, so a view it hands out is always in bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "dfd/export.hpp"
#include "dfd/error.hpp"
#include <vector>


DFD_BEGIN_API
namespace dfd {

enum class Dtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

// "F32", "U8", ... as safetensors spells them.
const char* to_string(Dtype dtype) noexcept;
// Bytes per element.
size_t element_size(Dtype dtype) noexcept;

struct TensorView {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;   // [] for a scalar
  const uint8_t* data = nullptr;  // little-endian, C order; valid while the SafetensorsFile lives
  size_t nbytes = 0;

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Reads and validates the whole file.
  // ensures: every tensor's dtype is known, its byte range lies in the data buffer and matches
  //          its shape and dtype; the byte ranges tile the data buffer (no overlap, no gap, nothing
  //          after the last); every shape's element count fits in int64; metadata values are
  //          strings.
  // throws: IoError (missing, not a regular file, unreadable), ModelError naming the file and,
  //         where it applies, the tensor (truncated file, bad header JSON, unknown dtype, size
  //         mismatch, overlapping or stray data, a shape that overflows). Nothing else escapes.
  explicit SafetensorsFile(const std::string& path);
  // The same checks on bytes already in memory; `name` stands for the path in messages.
  // throws: ModelError, as above.
  SafetensorsFile(std::string name, std::vector<uint8_t> bytes);

  const std::string& path() const { return path_; }
  // Tensor names in file order of their data.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // throws: ModelError if there is no tensor of that name.
  const TensorView& tensor(const std::string& name) const;
  // The "__metadata__" entries (empty if the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // throws: ModelError if the key is absent.
  const std::string& metadata(const std::string& key) const;

  // The tensor's values converted to T (double, float, int64_t or uint8_t), C order.
  // throws: ModelError if the dtype cannot convert to T without loss of kind (float ↔ int).
  template <typename T>
  std::vector<T> values(const std::string& name) const;

 private:
  void parse();

  std::string path_;
  std::vector<uint8_t> bytes_;
  std::vector<std::string> names_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A tensor to write: bytes must hold numel(shape) * element_size(dtype) bytes.
struct TensorData {
  Dtype dtype = Dtype::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// Writes a safetensors file (data laid out in name order, header padded to a multiple of 8).
// throws: InvalidArgument (a tensor whose byte count does not match its shape), IoError.
void save_safetensors(const std::string& path, const std::map<std::string, TensorData>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace dfd
DFD_END_API
