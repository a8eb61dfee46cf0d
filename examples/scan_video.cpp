// Example: the main job in C++ — one Detector, a verdict per file, the stages' timings.
//
//   example_scan_video MESO_WEIGHTS MTCNN_WEIGHTS FILE...
//
// MESO_WEIGHTS: MesoNet's Keras MesoInception4 converted by
//   python -m dfd.convert MesoInception_DF.h5 meso.safetensors --arch mesoinception4_keras
// MTCNN_WEIGHTS: python -m dfd.convert DIR_WITH_PNET_RNET_ONET mtcnn.safetensors --arch mtcnn
#include <cstdio>

#include "dfd/dfd.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MESO_WEIGHTS MTCNN_WEIGHTS FILE...\n", argv[0]);
    return 2;
  }
  try {
    dfd::configure_runtime();  // every core for LibTorch, freed memory reused (dfd/runtime.hpp)
    // A published pipeline's settings, then what this run needs: by dotted name (as `dfd scan
    // --set` takes them) or through the stage's own struct.
    dfd::DetectorParams params = dfd::detector_params("mesonet", {"faces.frames=16"});
    params.models = {std::string("mesoinception4_keras:") + argv[1]};
    params.mtcnn.weights = argv[2];
    dfd::Detector detector(params);  // models loaded once, for every file

    std::vector<std::string> paths(argv + 3, argv + argc);
    int failed = 0;
    // Two files in flight: the next one decodes while this one is classified.
    detector.scan_many(paths, [&](size_t, dfd::Verdict&& v) {
      // A bad file is a status, not an exception: the run goes on.
      if (v.status != dfd::Verdict::Status::Ok && v.status != dfd::Verdict::Status::NoFace) {
        std::printf("%s: %s: %s\n", v.path.c_str(), dfd::to_string(v.status).c_str(), v.error.c_str());
        ++failed;
        return;
      }
      std::printf("%s: %s, p_fake %.4f, %zu faces in %lld frames, %zu identities\n", v.path.c_str(),
                  v.status == dfd::Verdict::Status::NoFace ? "no face" : (v.is_fake ? "FAKE" : "real"), v.p_fake,
                  v.faces.size(), static_cast<long long>(v.frames_sampled), v.identities.size());
      for (const dfd::IdentityScore& id : v.identities) {
        std::printf("  identity %d: %d faces, p_fake %.4f\n", id.track_id, id.faces, id.p_fake);
      }
      std::printf("  timings: %s\n", v.timings.to_string().c_str());
    });
    return failed == 0 ? 0 : 1;
  } catch (const dfd::Error& e) {  // bad weights or parameters: the message names the file
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
