// Example: sample frames from a video the way the DFDC pipelines do, and print what came out.
//
//   example_sample_frames VIDEO [N]
//
// Shows the basic VideoReader calls and that every failure is a dfd::Error naming the file.
#include <cstdio>
#include <cstdlib>

#include <opencv2/core.hpp>

#include "dfd/dfd.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VIDEO [N]\n", argv[0]);
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 32;
  try {
    dfd::VideoReader reader(argv[1]);
    const dfd::VideoInfo& info = reader.info();
    std::printf("%s: %dx%d, %lld frames at %.3f fps, %s %s%s\n", info.path.c_str(), info.width, info.height,
                static_cast<long long>(info.frame_count), info.fps, info.codec.c_str(), info.pixel_format.c_str(),
                info.has_audio ? ", with audio" : "");
    for (const dfd::Frame& frame : reader.sample(n)) {
      const cv::Scalar mean = cv::mean(frame.image);  // RGB order
      std::printf("frame %4lld  t=%7.3fs  mean RGB %6.2f %6.2f %6.2f\n", static_cast<long long>(frame.index),
                  frame.timestamp, mean[0], mean[1], mean[2]);
    }
    const dfd::VideoReadStats& stats = reader.last_read_stats();
    std::printf("decoded %lld frames (%lld seeks) to return %lld\n", static_cast<long long>(stats.frames_decoded),
                static_cast<long long>(stats.seeks), static_cast<long long>(stats.frames_converted));
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "error (%s): %s\n", dfd::to_string(e.kind()), e.what());
    return 1;
  }
  return 0;
}
