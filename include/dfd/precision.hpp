// dfd/precision.hpp — the arithmetic a face model's forward pass runs in: scoring
// (ClassifierParams::precision) and training (TrainParams::precision).
//
// Float32 is what the models were trained in and what every reference computes: parity with the
// goldens holds in it. BFloat16 runs the convolutions and matrix products in bfloat16 (LibTorch's
// CPU autocast: weights and activations rounded to 8 significant bits, sums kept in float32, the
// other operations as autocast decides), equal to torch.autocast("cpu", dtype=torch.bfloat16). On
// a CPU with native bfloat16 dot products the shipped MobileNetV1 runs 1.8x faster, its p(fake)
// 0.02 higher on average and up to 0.09 apart on a face (docs/performance.md, "bfloat16"): not in
// any preset, since thresholds are calibrated in Float32. Elsewhere oneDNN has no native kernels
// for it (expect it slower than Float32; not measured here).
// Auto picks BFloat16 where the CPU has them (cpu_has_native_bf16) and Float32 elsewhere.
#pragma once

#include <string>

#include "dfd/export.hpp"


DFD_BEGIN_API
namespace dfd {

enum class Precision {
  Float32,   // "fp32"
  BFloat16,  // "bf16": CPU devices only
  Auto,      // "auto": BFloat16 on a CPU device that has native bfloat16 dot products, else Float32
};

// "fp32", "bf16", "auto"; and back. throws (precision): InvalidArgument listing the valid names.
std::string to_string(Precision precision);
Precision precision(const std::string& name);

// Whether this CPU computes bfloat16 dot products in hardware and the OS has enabled the registers
// they need (x86-64 AVX512_BF16: Intel Cooper Lake, Sapphire Rapids and later, AMD Zen 4 and
// later). False on other architectures. Never throws.
bool cpu_has_native_bf16();

// The precision `requested` resolves to on `device` ("cpu", "cuda:0"): Auto becomes BFloat16 on
// a CPU with native bfloat16 and Float32 otherwise; Float32 and BFloat16 stay as they are.
// ensures: never Auto. throws: InvalidArgument for BFloat16 on a device that is not the CPU.
Precision resolve_precision(Precision requested, const std::string& device);

}  // namespace dfd
DFD_END_API
