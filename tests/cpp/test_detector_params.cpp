// DetectorParams by name: presets, dotted overrides, the short names, JSON, and the errors that
// list what is valid. Data-free (unit suite).
#include "dfd_test.hpp"

#include <nlohmann/json.hpp>

#include "dfd/cam.hpp"
#include "dfd/detector.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/speech_snr.hpp"

namespace {

// The message of the InvalidArgument `fn` throws ("" if none).
template <class Fn>
std::string invalid_argument_message(Fn&& fn) {
  try {
    fn();
  } catch (const dfd::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("DetectorParams: nested defaults are selimsef's pipeline; presets change only their settings" * doctest::test_suite("unit")) {
  const dfd::DetectorParams p = dfd::detector_preset("dfdc_selimsef");
  CHECK(p.face_detector == "mtcnn");
  CHECK(p.mtcnn.thresholds == std::array<double, 3>{0.7, 0.8, 0.8});
  CHECK(p.mtcnn.downscale == 0.5);
  CHECK(p.mtcnn.downscale_filter == dfd::MtcnnParams::DownscaleFilter::PilBicubic);
  CHECK(p.faces.frames == 32);
  CHECK(p.faces.size == 0);  // the first face model's
  CHECK(p.aggregation == dfd::Aggregation::Confident);
  CHECK(p.audio.spectrogram.ref_max);
  const dfd::DetectorParams kernel = dfd::detector_preset("dfdc_kernel");
  CHECK(kernel.face_detector == "blazeface");
  CHECK(kernel.faces.max_faces_per_frame == 1);
  CHECK(kernel.faces.margin == dfd::MarginRule::DfdcKernel);
  CHECK(kernel.aggregation == dfd::Aggregation::Mean);
  CHECK(contains(invalid_argument_message([] { dfd::detector_preset("nope"); }), "default, dfdc_kernel, dfdc_selimsef"));
  // The shipped default: its own model and MTCNN's shipped weights (as every preset), nothing to name.
  const dfd::DetectorParams shipped = dfd::detector_preset("default");
  CHECK(shipped.models == std::vector<std::string>{"mobilenet_v1:dfd-faces-v3.safetensors", "aasist_l:aasist-l.safetensors@aasist_normalized"});
  CHECK(shipped.audio.fusion.rule == dfd::FusionRule::Video);  // a video judged by its faces, its sound reported
  CHECK(dfd::fusion_rule("video") == dfd::FusionRule::Video);
  CHECK(dfd::to_string(dfd::FusionRule::Video) == "video");
  CHECK(dfd::LateFusion{0.5, 0.5, 0.0, dfd::FusionRule::Video}.apply(0.25f, 0.9f) == 0.25f);
  CHECK((!dfd::LateFusion{0.5, 0.5, 0.0, dfd::FusionRule::Video}.fuses_audio() && shipped.audio.fusion.rule == dfd::FusionRule::Video));
  CHECK((dfd::LateFusion{}.fuses_audio() && dfd::LateFusion{0.5, 0.5, 0.0, dfd::FusionRule::Max}.fuses_audio()));
  CHECK(shipped.audio.windows.min_speech_snr_db == 12.0);  // noise and buried speech refused, not scored
  CHECK(shipped.audio.windows.min_bandwidth_hz == 5000.0);   // a phone line refused, not scored
  CHECK(dfd::DetectorParams{}.audio.windows.min_bandwidth_hz == 0.0);  // off elsewhere
  CHECK(dfd::verdict_status("narrowband_audio") == dfd::Verdict::Status::NarrowbandAudio);
  CHECK(dfd::to_string(dfd::Verdict::Status::NarrowbandAudio) == "narrowband_audio");
  CHECK(dfd::DetectorParams{}.audio.windows.min_speech_snr_db < dfd::kSpeechSnrFloorDb);  // off elsewhere
  CHECK(dfd::verdict_status("noisy_audio") == dfd::Verdict::Status::NoisyAudio);
  CHECK(dfd::to_string(dfd::Verdict::Status::NoisyAudio) == "noisy_audio");
  CHECK(shipped.audio.windows.aggregation == dfd::Aggregation::Mean);
  CHECK(shipped.audio.windows.hop == 1.0);
  CHECK(shipped.mtcnn.weights == "mtcnn-facenet.safetensors");
  CHECK(p.mtcnn.weights == "mtcnn-facenet.safetensors");
  CHECK(shipped.mtcnn.min_face_size == 40);
  CHECK(shipped.faces.frames == 16);
  CHECK(shipped.faces.orientation == dfd::Orientation::Auto);  // sideways faces turned upright first
  CHECK(p.faces.orientation == dfd::Orientation::AsDecoded);   // the reference pipelines' frames as decoded
  CHECK(dfd::detector_params("dfdc_selimsef", {"faces.orientation=auto"}).faces.orientation == dfd::Orientation::Auto);
  CHECK(contains(invalid_argument_message([] { dfd::detector_params("default", {"faces.orientation=sideways"}); }),
                 "as_decoded, auto"));
  CHECK(shipped.faces.video.deinterlace);     // interlaced video read one field a frame
  CHECK_FALSE(p.faces.video.deinterlace);     // the reference pipelines' frames as decoded
  CHECK(shipped.faces.video.hdr_to_sdr);      // a phone's HDR video in SDR colours
  CHECK_FALSE(p.faces.video.hdr_to_sdr);
  CHECK(shipped.faces.video.stated_colors);   // BT.709 video in its own colours
  CHECK_FALSE(p.faces.video.stated_colors);   // OpenCV reads every YUV frame as BT.601
  CHECK_FALSE(dfd::detector_params("default", {"faces.video.deinterlace=false"}).faces.video.deinterlace);
  CHECK(shipped.threshold == doctest::Approx(0.61));
  CHECK(shipped.aggregation == dfd::Aggregation::Mean);
}

TEST_CASE("DetectorParams: overrides by dotted name reach every stage's own struct" * doctest::test_suite("unit")) {
  const dfd::DetectorParams p = dfd::detector_params(
      "dfdc_selimsef", {"mtcnn.thresholds=0.85,0.95,0.95", "faces.frames=16", "aggregation=mean", "blazeface.input=whole",
                        "haar.min_neighbors=3", "faces.resize=dfdc_kernel", "classifier.flip_tta=true",
                        "audio.fusion.bias=-0.25", "audio.spectrogram.scale=htk", "explain.method=gradcam++",
                        "model_weights=2,1", "combine=logits", "faces.video.timeout_seconds=5"});
  CHECK(p.mtcnn.thresholds == std::array<double, 3>{0.85, 0.95, 0.95});
  CHECK(p.faces.frames == 16);
  CHECK(p.aggregation == dfd::Aggregation::Mean);
  CHECK(p.blazeface.input == dfd::BlazeFaceParams::Input::Whole);
  CHECK(p.haar.min_neighbors == 3);
  REQUIRE(p.faces.resize.has_value());
  CHECK(*p.faces.resize == dfd::ResizeRule::DfdcKernel);
  CHECK(p.classifier.flip_tta);
  CHECK(p.audio.fusion.bias == -0.25);
  CHECK(p.audio.spectrogram.scale == dfd::MelScale::Htk);
  CHECK(p.explain.method == dfd::CamMethod::GradCAMPlusPlus);
  CHECK(p.model_weights == std::vector<float>{2.0f, 1.0f});
  CHECK(p.combine == dfd::Combine::Logits);
  CHECK(p.faces.video.timeout_seconds == 5.0);
  CHECK(p.audio.reader.timeout_seconds == 120.0);  // a separate setting
  dfd::DetectorParams q = p;
  dfd::apply_override(q, "faces.resize=none");
  CHECK(!q.faces.resize.has_value());
}

TEST_CASE("DetectorParams: short names stand for their settings" * doctest::test_suite("unit")) {
  dfd::DetectorParams p;
  dfd::set_detector_param(p, "frames", "8");
  CHECK(p.faces.frames == 8);
  dfd::set_detector_param(p, "read_timeout_seconds", "7.5");
  CHECK(p.faces.video.timeout_seconds == 7.5);
  CHECK(p.audio.reader.timeout_seconds == 7.5);
  dfd::set_detector_param(p, "max_audio_seconds", "60");
  CHECK(p.audio.reader.max_duration_seconds == 60.0);
  dfd::set_detector_param(p, "face_weights", "m.safetensors");
  CHECK(p.mtcnn.weights == "m.safetensors");
  CHECK(p.blazeface.weights.empty());
  dfd::set_detector_param(p, "face_detector", "blazeface");
  dfd::set_detector_param(p, "face_weights", "b.safetensors");
  CHECK(p.blazeface.weights == "b.safetensors");
  dfd::set_detector_param(p, "face_detector", "haar");
  CHECK(contains(invalid_argument_message([&] { dfd::set_detector_param(p, "face_weights", "x"); }), "haar.cascade_path"));
}

TEST_CASE("DetectorParams: a wrong name or value is an InvalidArgument that lists what is valid" * doctest::test_suite("unit")) {
  dfd::DetectorParams p;
  const std::string unknown = invalid_argument_message([&] { dfd::apply_override(p, "faces.frame=3"); });
  CHECK(contains(unknown, "faces.frame: no such setting"));
  CHECK(contains(unknown, "faces.frames"));
  CHECK(contains(unknown, "mtcnn.thresholds"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "faces.frames=abc"); }), "faces.frames: expected an integer, got 'abc'"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "faces.frames=2.5"); }), "an integer"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "threshold=nan"); }), "a finite number"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "mtcnn.thresholds=0.1,0.2"); }), "3 values"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "per_identity=maybe"); }), "true, false, 1 or 0"));
  const std::string bad_enum = invalid_argument_message([&] { dfd::apply_override(p, "aggregation=vote"); });
  CHECK(contains(bad_enum, "aggregation"));
  CHECK(contains(bad_enum, "mean, median, max, confident"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "face_detector=dlib"); }), "blazeface, haar, mtcnn"));
  CHECK(contains(invalid_argument_message([&] { dfd::apply_override(p, "frames"); }), "expected KEY=VALUE"));
  CHECK(contains(invalid_argument_message([&] { dfd::set_detector_param_json(p, "faces.frames", "\"8\""); }), "an integer"));
  CHECK(contains(invalid_argument_message([&] { dfd::set_detector_param_json(p, "faces.frames", "{"); }), "not a JSON value"));
  CHECK(p.faces.frames == 32);  // nothing half-applied
  CHECK(p.face_detector == "mtcnn");
}

TEST_CASE("DetectorParams: JSON nests the dotted names, and every setting reads back what it wrote" * doctest::test_suite("unit")) {
  const dfd::DetectorParams p = dfd::detector_params("dfdc_kernel", {"mtcnn.thresholds=0.85,0.95,0.95"});
  const auto j = nlohmann::json::parse(dfd::to_json(p));
  CHECK(j["face_detector"] == "blazeface");
  CHECK(j["faces"]["frames"] == 32);
  CHECK(j["faces"]["margin"] == "dfdc_kernel");
  CHECK(j["faces"]["resize"].is_null());
  CHECK(j["faces"]["video"]["timeout_seconds"] == 120.0);
  CHECK(j["mtcnn"]["thresholds"] == nlohmann::json::array({0.85, 0.95, 0.95}));
  CHECK(j["audio"]["fusion"]["video"] == 0.5);
  CHECK(j["explain"]["enabled"] == false);
  const std::vector<std::string> names = dfd::list_detector_params();
  CHECK(names.size() >= 60);
  dfd::DetectorParams copy = dfd::detector_preset("dfdc_selimsef");
  for (const std::string& name : names) {
    INFO(name);
    dfd::set_detector_param_json(copy, name, dfd::detector_param_json(p, name));
  }
  CHECK(dfd::to_json(copy) == dfd::to_json(p));
}

TEST_CASE("enum names: each parser reads back its to_string" * doctest::test_suite("unit")) {
  for (auto v : {dfd::PadMode::Center, dfd::PadMode::Corner}) CHECK(dfd::pad_mode(dfd::to_string(v)) == v);
  for (auto v : {dfd::MarginRule::Selimsef, dfd::MarginRule::DfdcKernel}) CHECK(dfd::margin_rule(dfd::to_string(v)) == v);
  for (auto v : {dfd::ResizeRule::Selimsef, dfd::ResizeRule::DfdcKernel}) CHECK(dfd::resize_rule(dfd::to_string(v)) == v);
  for (auto v : {dfd::Aggregation::Mean, dfd::Aggregation::Median, dfd::Aggregation::Max, dfd::Aggregation::Confident}) {
    CHECK(dfd::aggregation(dfd::to_string(v)) == v);
  }
  for (auto v : {dfd::CamMethod::GradCAM, dfd::CamMethod::GradCAMPlusPlus, dfd::CamMethod::XGradCAM, dfd::CamMethod::LayerCAM,
                 dfd::CamMethod::EigenCAM}) {
    CHECK(dfd::cam_method(dfd::to_string(v)) == v);
  }
  CHECK(dfd::cam_method("gradcamplusplus") == dfd::CamMethod::GradCAMPlusPlus);
  for (auto v : {dfd::Precision::Float32, dfd::Precision::BFloat16, dfd::Precision::Auto}) CHECK(dfd::precision(dfd::to_string(v)) == v);
  CHECK(contains(invalid_argument_message([] { dfd::precision("fp16"); }), "fp32, bf16, auto"));
  using S = dfd::Verdict::Status;
  for (auto v : {S::Ok, S::NoFace, S::NoVideoStream, S::NoAudioStream, S::IoError, S::DecodeError, S::ModelError, S::Error}) {
    CHECK(dfd::verdict_status(dfd::to_string(v)) == v);
  }
  CHECK(dfd::mel_norm(dfd::to_string(dfd::MelNorm::None)) == dfd::MelNorm::None);
  CHECK(dfd::stft_pad_mode("reflect") == dfd::StftPadMode::Reflect);
  CHECK(dfd::mtcnn_downscale_filter("area") == dfd::MtcnnParams::DownscaleFilter::Area);
  CHECK(dfd::blazeface_input(dfd::to_string(dfd::BlazeFaceParams::Input::Whole)) == dfd::BlazeFaceParams::Input::Whole);
  CHECK(dfd::combine_method("logits") == dfd::Combine::Logits);
  CHECK(dfd::cam_target("real").kind == dfd::CamTarget::Kind::Real);
  CHECK(contains(invalid_argument_message([] { dfd::pad_mode("middle"); }), "center, corner"));
  CHECK(contains(invalid_argument_message([] { dfd::cam_target("both"); }), "predicted, fake, real"));
  CHECK(contains(invalid_argument_message([] { dfd::create_face_detector(dfd::FaceDetectorParams{"dlib", {}, {}, {}}); }),
                 "blazeface, haar, mtcnn"));
  CHECK(contains(invalid_argument_message([] { dfd::create_face_detector(dfd::FaceDetectorParams{"mtcnn", {}, {}, {}}); }),
                 "dfd.convert"));
}
