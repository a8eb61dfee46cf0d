#include "dfd/precision.hpp"

#include "core/enum_names.hpp"

namespace dfd {
namespace {

const detail::EnumName<Precision> kPrecisions[] = {
    {"fp32", Precision::Float32}, {"bf16", Precision::BFloat16}, {"auto", Precision::Auto}};

}  // namespace

std::string to_string(Precision precision) { return detail::enum_name(kPrecisions, precision); }
Precision precision(const std::string& name) { return detail::parse_enum(kPrecisions, name, "precision"); }

bool cpu_has_native_bf16() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  // The builtin also checks that the OS saves the AVX-512 registers (XCR0), as oneDNN does.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") != 0;
#else
  return false;
#endif
}

Precision resolve_precision(Precision requested, const std::string& device) {
  const bool cpu = device.empty() || device.rfind("cpu", 0) == 0;  // "cpu", "cpu:0"
  switch (requested) {
    case Precision::Auto: return cpu && cpu_has_native_bf16() ? Precision::BFloat16 : Precision::Float32;
    case Precision::BFloat16:
      if (!cpu) throw InvalidArgument("precision", "bf16 runs on the CPU only (device " + device + "); use fp32 there");
      return requested;
    default: return requested;
  }
}

}  // namespace dfd
