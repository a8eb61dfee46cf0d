#include "dfd/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/input_file.hpp"
#include "dfd/error.hpp"

namespace dfd {
namespace {

struct DtypeName { Dtype dtype; const char* name; size_t size; };
constexpr DtypeName kDtypes[] = {
    {Dtype::F64, "F64", 8}, {Dtype::F32, "F32", 4}, {Dtype::F16, "F16", 2}, {Dtype::BF16, "BF16", 2},
    {Dtype::I64, "I64", 8}, {Dtype::I32, "I32", 4}, {Dtype::I16, "I16", 2}, {Dtype::I8, "I8", 1},
    {Dtype::U8, "U8", 1},   {Dtype::Bool, "BOOL", 1},
};

bool parse_dtype(const std::string& name, Dtype& out) {
  for (const auto& d : kDtypes) {
    if (name == d.name) {
      out = d.dtype;
      return true;
    }
  }
  return false;
}

// Safetensors limits the header to 100 MB; a larger claim is a corrupt or hostile file.
constexpr uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;

template <typename From, typename To>
void convert_into(const uint8_t* data, size_t n, std::vector<To>& out) {
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, data + i * sizeof(From), sizeof(From));
    out[i] = static_cast<To>(v);
  }
}

bool is_float(Dtype d) { return d == Dtype::F64 || d == Dtype::F32 || d == Dtype::F16 || d == Dtype::BF16; }

}  // namespace

const char* to_string(Dtype dtype) noexcept {
  for (const auto& d : kDtypes) if (d.dtype == dtype) return d.name;
  return "?";
}

size_t element_size(Dtype dtype) noexcept {
  for (const auto& d : kDtypes) if (d.dtype == dtype) return d.size;
  return 0;
}

int64_t TensorView::numel() const {
  // A zero dimension first: [2^40, 2^40, 0] holds no element, and its other dimensions' product
  // must not be formed (SafetensorsFile checks that a shape's non-zero product fits in int64).
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  check_input_file(path);  // a FIFO or device would block the read below
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(path, "cannot open the file for reading");
  const std::streamsize size = in.tellg();
  in.seekg(0);
  bytes_.resize(static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes_.data()), size)) throw IoError(path, "read failed");
  parse();
}

SafetensorsFile::SafetensorsFile(std::string name, std::vector<uint8_t> bytes)
    : path_(std::move(name)), bytes_(std::move(bytes)) {
  parse();
}

void SafetensorsFile::parse() {
  const std::string& path = path_;
  if (bytes_.size() < 8) throw ModelError(path, fmt::format("truncated file: {} bytes, no header", bytes_.size()));

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes_[static_cast<size_t>(i)];
  if (header_len > kMaxHeaderBytes || header_len > bytes_.size() - 8) {
    throw ModelError(path, fmt::format("truncated or corrupt file: header of {} bytes claimed, {} bytes present",
                                       header_len, bytes_.size() - 8));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw ModelError(path, "header is not a JSON object");

  const uint8_t* buffer = bytes_.data() + 8 + header_len;
  const uint64_t buffer_size = bytes_.size() - 8 - header_len;
  struct Extent { uint64_t begin, end; std::string name; };
  std::vector<Extent> extents;
  for (const auto& item : header.items()) {
    const std::string& name = item.key();  // not a structured binding: a lambda captures it below
    const auto& entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw ModelError(path, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw ModelError(path, fmt::format("metadata '{}' is not a string", key));
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const auto fail = [&](const std::string& cause) { return ModelError(path, fmt::format("tensor '{}': {}", name, cause)); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets")) {
      throw fail("entry needs dtype, shape and data_offsets");
    }
    TensorView view;
    view.name = name;
    if (!entry["dtype"].is_string() || !parse_dtype(entry["dtype"].get<std::string>(), view.dtype)) {
      throw fail(fmt::format("unsupported dtype {}", entry["dtype"].dump()));
    }
    const auto& shape = entry["shape"];
    const auto& offsets = entry["data_offsets"];
    if (!shape.is_array() || !offsets.is_array() || offsets.size() != 2) throw fail("bad shape or data_offsets");
    // The element count with overflow checks: every dimension, and the product of the non-zero
    // ones, must fit in int64 (what a tensor library can index), whatever a zero dimension makes.
    constexpr uint64_t kMaxCount = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t nonzero_product = 1;
    bool has_zero = false;
    for (const auto& dim : shape) {
      if (!dim.is_number_unsigned()) throw fail("shape holds a negative or non-integer dimension");
      const uint64_t d = dim.get<uint64_t>();
      if (d == 0) {
        has_zero = true;
      } else {
        if (d > kMaxCount / nonzero_product) throw fail(fmt::format("shape {} has more elements than int64 counts", shape.dump()));
        nonzero_product *= d;
      }
      view.shape.push_back(static_cast<int64_t>(d));
    }
    const uint64_t numel = has_zero ? 0 : nonzero_product;
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) throw fail("bad data_offsets");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > buffer_size) {
      throw fail(fmt::format("data [{}, {}) lies outside the {}-byte data buffer (truncated file?)", begin, end,
                             buffer_size));
    }
    if (numel > std::numeric_limits<uint64_t>::max() / element_size(view.dtype)) throw fail("byte size overflows");
    const uint64_t expected = numel * element_size(view.dtype);
    if (end - begin != expected) {
      throw fail(fmt::format("{} bytes stored but shape {} of {} needs {}", end - begin, shape.dump(),
                             to_string(view.dtype), expected));
    }
    view.data = buffer + begin;
    view.nbytes = static_cast<size_t>(expected);
    extents.push_back({begin, end, name});
    tensors_.emplace(name, std::move(view));
  }
  // The format requires the tensors' byte ranges to tile the data buffer: no overlap (two tensors
  // sharing bytes load as garbage), no gap, nothing after the last one.
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t covered = 0;
  for (const Extent& e : extents) {
    if (e.begin < covered) {
      throw ModelError(path, fmt::format("tensor '{}': data [{}, {}) overlaps another tensor's data (ending at {})",
                                         e.name, e.begin, e.end, covered));
    }
    if (e.begin > covered) {
      throw ModelError(path, fmt::format("tensor '{}': data starts at {}, leaving bytes [{}, {}) of the buffer unused",
                                         e.name, e.begin, covered, e.begin));
    }
    covered = e.end;
    names_.push_back(e.name);
  }
  if (covered != buffer_size) {
    throw ModelError(path, fmt::format("the tensors' data ends at byte {} of a {}-byte data buffer (trailing bytes)",
                                       covered, buffer_size));
  }
}

const TensorView& SafetensorsFile::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw ModelError(path_, fmt::format("tensor '{}' is missing", name));
  return it->second;
}

const std::string& SafetensorsFile::metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) throw ModelError(path_, fmt::format("metadata '{}' is missing", key));
  return it->second;
}

template <typename T>
std::vector<T> SafetensorsFile::values(const std::string& name) const {
  const TensorView& t = tensor(name);
  const bool want_float = std::is_floating_point_v<T>;
  if (want_float != is_float(t.dtype) || t.dtype == Dtype::F16 || t.dtype == Dtype::BF16) {
    throw ModelError(path_, fmt::format("tensor '{}': dtype {} cannot be read as the requested type", name,
                                        to_string(t.dtype)));
  }
  std::vector<T> out;
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.dtype) {
    case Dtype::F64: convert_into<double>(t.data, n, out); break;
    case Dtype::F32: convert_into<float>(t.data, n, out); break;
    case Dtype::I64: convert_into<int64_t>(t.data, n, out); break;
    case Dtype::I32: convert_into<int32_t>(t.data, n, out); break;
    case Dtype::I16: convert_into<int16_t>(t.data, n, out); break;
    case Dtype::I8: convert_into<int8_t>(t.data, n, out); break;
    case Dtype::U8: case Dtype::Bool: convert_into<uint8_t>(t.data, n, out); break;
    default: break;
  }
  return out;
}

template std::vector<double> SafetensorsFile::values<double>(const std::string&) const;
template std::vector<float> SafetensorsFile::values<float>(const std::string&) const;
template std::vector<int64_t> SafetensorsFile::values<int64_t>(const std::string&) const;
template std::vector<uint8_t> SafetensorsFile::values<uint8_t>(const std::string&) const;

void save_safetensors(const std::string& path, const std::map<std::string, TensorData>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw InvalidArgument(fmt::format("tensors['{}']", name), "negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    if (numel * element_size(t.dtype) != t.bytes.size()) {
      throw InvalidArgument(fmt::format("tensors['{}']", name),
                            fmt::format("{} bytes given, shape needs {}", t.bytes.size(), numel * element_size(t.dtype)));
    }
    header[name] = {{"dtype", to_string(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(path, "cannot open the file for writing");
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& [name, t] : tensors) out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
  if (!out) throw IoError(path, "write failed");
}

}  // namespace dfd
