#include <cstdio>
#include <string>

#include <dfd/dfd.hpp>

// Built against the installed tree: reads a video, then scans it with the default preset, whose
// shipped models must come from the install (share/dfd/models), not from the build tree.
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  try {
    dfd::VideoReader reader(argv[1]);
    const auto frames = reader.sample(2);
    std::printf("consumer: %lld frames, first %dx%d\n", static_cast<long long>(reader.info().frame_count),
                frames.at(0).image.cols, frames.at(0).image.rows);
    for (const dfd::BundledModel& model : dfd::bundled_models()) {
      const std::string path = dfd::find_model_file(model.name);
      std::printf("consumer: %s at %s\n", model.name.c_str(), path.c_str());
      if (path.find("/share/dfd/models/") == std::string::npos) return 1;
    }
    dfd::Detector detector;  // the default preset
    const dfd::Verdict v = detector.scan(argv[1]);
    std::printf("consumer: default preset: %s p_fake %.4f, %zu faces\n", dfd::to_string(v.status).c_str(), v.p_fake, v.faces.size());
    return frames.size() == 2 && v.status == dfd::Verdict::Status::Ok && !v.faces.empty() ? 0 : 1;
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
