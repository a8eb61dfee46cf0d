// libFuzzer: VideoReader (FUZZ_AUDIO undefined) or AudioReader (FUZZ_AUDIO defined) on arbitrary
// bytes written to a file: open, probe, and decode a few frames / the whole sound. Only a
// dfd::Error may come out, within the reader's time limit; ASan/UBSan watch libdfd's own code
// (FFmpeg, a system library, is not instrumented).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "dfd/audio.hpp"
#include "dfd/video.hpp"

namespace {

std::string scratch_file() {
  static const std::string path = [] {
    char name[] = "/tmp/dfd-fuzz-media-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    return std::string(name);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch_file();
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
#ifdef FUZZ_AUDIO
    dfd::AudioReaderParams params;
    params.timeout_seconds = 5;
    params.max_duration_seconds = 60;
    dfd::AudioReader reader(path, params);
    (void)reader.read();
#else
    dfd::VideoReaderParams params;
    params.timeout_seconds = 5;
    params.threads = 1;
    // The default preset's reading: field reads (flagged or combed), stated colours, HDR to SDR.
    params.deinterlace = true;
    params.stated_colors = true;
    params.hdr_to_sdr = true;
    dfd::VideoReader reader(path, params);
    if (reader.info().width * int64_t{reader.info().height} <= 4096 * 4096) {
      (void)reader.sample(3);
      (void)reader.read({reader.info().frame_count / 2});  // backwards: a seek, a keyframe check, priming
    }
#endif
  } catch (const dfd::Error&) {
  }
  return 0;
}
