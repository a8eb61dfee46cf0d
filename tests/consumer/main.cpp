#include <cstdio>

#include <dfd/dfd.hpp>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  try {
    dfd::VideoReader reader(argv[1]);
    const auto frames = reader.sample(2);
    std::printf("consumer: %lld frames, first %dx%d\n", static_cast<long long>(reader.info().frame_count),
                frames.at(0).image.cols, frames.at(0).image.rows);
    return frames.size() == 2 ? 0 : 1;
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
