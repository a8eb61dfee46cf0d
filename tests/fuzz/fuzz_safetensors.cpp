// libFuzzer: SafetensorsFile on arbitrary bytes. Only a dfd::Error may come out; every view it
// hands out is read whole (ASan checks it lies in the buffer) and converted (UBSan checks sizes).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dfd/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const dfd::SafetensorsFile file("fuzz.safetensors", std::vector<uint8_t>(data, data + size));
    volatile uint8_t sink = 0;
    for (const std::string& name : file.names()) {
      const dfd::TensorView& t = file.tensor(name);
      for (size_t i = 0; i < t.nbytes; ++i) sink = sink ^ t.data[i];
      (void)t.numel();
      try {
        (void)file.values<double>(name);
      } catch (const dfd::ModelError&) {  // an integer tensor read as float: refused, typed
      }
    }
  } catch (const dfd::Error&) {
  }
  return 0;
}
