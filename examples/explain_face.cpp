// Example: why a verdict — Grad-CAM on the faces it rests on, their heatmaps written as images,
// and the share of each face region (eyes, nose, mouth, ...) in the explanation.
//
//   example_explain_face MESO_WEIGHTS MTCNN_WEIGHTS FILE OUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/dfd.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MESO_WEIGHTS MTCNN_WEIGHTS FILE OUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    dfd::configure_runtime();  // every core for LibTorch, freed memory reused (dfd/runtime.hpp)
    dfd::DetectorParams params = dfd::detector_preset("mesonet");
    params.models = {std::string("mesoinception4_keras:") + argv[1]};
    params.mtcnn.weights = argv[2];  // MTCNN's landmarks place the face regions
    params.faces.frames = 8;
    params.explain.enabled = true;
    params.explain.faces = 2;
    params.explain.method = dfd::CamMethod::GradCAMPlusPlus;
    const dfd::Verdict v = dfd::Detector(params).scan(argv[3]);
    if (v.status != dfd::Verdict::Status::Ok) {
      std::fprintf(stderr, "%s: %s %s\n", argv[3], dfd::to_string(v.status).c_str(), v.error.c_str());
      return 1;
    }
    std::printf("%s: %s, p_fake %.4f; explain %.1f ms\n", v.path.c_str(), v.is_fake ? "FAKE" : "real", v.p_fake,
                v.timings.explain_ms);
    std::filesystem::create_directories(argv[4]);
    for (const dfd::FaceExplanation& e : v.explanations) {
      const dfd::FaceScore& face = v.faces[e.face];
      cv::Mat bgr;
      cv::cvtColor(dfd::overlay(e.crop, e.heatmap), bgr, cv::COLOR_RGB2BGR);
      const std::string file = (std::filesystem::path(argv[4]) / ("face" + std::to_string(e.face) + ".png")).string();
      if (!cv::imwrite(file, bgr)) throw dfd::IoError(file, "cannot write the image");
      std::printf("face %zu (frame %lld, p_fake %.4f) -> %s\n  %s\n", e.face, static_cast<long long>(face.frame_index),
                  face.p_fake, file.c_str(), e.summary.c_str());
      for (const dfd::RegionShare& r : e.regions) std::printf("    %-12s %5.1f %%\n", r.region.c_str(), 100 * r.share);
    }
    return 0;
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
