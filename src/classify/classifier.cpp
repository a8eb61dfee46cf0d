#include "dfd/classifier.hpp"

#include "classify/clip_length.hpp"
#include "classify/cpu_autocast.hpp"
#include "core/enum_names.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "dfd/face.hpp"
#include "dfd/model_files.hpp"
#include "dfd/safetensors.hpp"

namespace dfd {
namespace {

const std::map<std::string, Preprocess>& presets() {
  static const std::map<std::string, Preprocess> table = [] {
    const std::array<float, 3> imagenet_mean{0.485f, 0.456f, 0.406f}, imagenet_std{0.229f, 0.224f, 0.225f};
    using Out = Preprocess::Output;
    std::map<std::string, Preprocess> t;
    t["dfdc_selimsef"] = {"dfdc_selimsef", 380, PadMode::Center, imagenet_mean, imagenet_std, Out::Logit, 1, false};
    t["dfdc_kernel_resnext"] = {"dfdc_kernel_resnext", 224, PadMode::Corner, imagenet_mean, imagenet_std, Out::Logit, 1, false};
    t["mesonet"] = {"mesonet", 256, PadMode::Center, {0, 0, 0}, {1, 1, 1}, Out::Logit, 1, true};
    t["ffpp_xception"] = {"ffpp_xception", 299, PadMode::Center, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, Out::Softmax, 1, false};
    // Which column means FAKE is not published; 1 = the positive class of FakeAVCeleb's own
    // evaluation (it scores logits[:, 1]) and the alphabetical order of its category folders
    // (A = real before C = fake). Overridable through preprocess_spec().fake_index.
    t["fakeavceleb_meso"] = {"fakeavceleb_meso", 224, PadMode::Center, {0.4489f, 0.3352f, 0.3106f},
                             {0.2380f, 0.1965f, 0.1962f}, Out::Softmax, 1, false};
    // Audio: the input is a spectrogram image (AudioSpectrogram::image), not a face. FakeAVCeleb's
    // audio models (realA_fakeB) went through the same eval transform as its face models; how it
    // drew its spectrogram images is not published (see the guide).
    t["fakeavceleb_audio"] = {"fakeavceleb_audio", 224, PadMode::Center, {0.4489f, 0.3352f, 0.3106f},
                              {0.2380f, 0.1965f, 0.1962f}, Out::Softmax, 1, false};
    // The FFDV audio baseline: ResNet-18 on the 256x256 log-mel image, ImageNet normalisation,
    // two classes with 1 = fake (the competition's target).
    t["ffdv_audio"] = {"ffdv_audio", 256, PadMode::Center, imagenet_mean, imagenet_std, Out::Softmax, 1, false};
    t["fakeavceleb_audio"].input = t["ffdv_audio"].input = Preprocess::Input::Spectrogram;
    // AASIST (clovaai/aasist): raw 16 kHz audio in windows of nb_samp = 64 600 samples, no
    // normalisation. Its classes are 0 = spoof, 1 = bona fide (data_utils labels bona fide 1, the
    // loss weights [0.1, 0.9] and main.py scores a trial by logit 1): p(fake) is column 0.
    Preprocess aasist{"aasist", 64600, PadMode::Center, {0, 0, 0}, {1, 1, 1}, Out::Softmax, 0, false};
    aasist.input = Preprocess::Input::Waveform;
    aasist.sample_rate = 16000;
    t["aasist"] = aasist;
    // The same, each clip first brought to -26 LUFS: AASIST's score rises with the recording's
    // level (docs/models.md, "Loudness"), so the default preset feeds it one level. -26: ITU-T
    // P.56's speech level, the convention speech corpora are levelled to — not fitted to any clip.
    Preprocess levelled = aasist;
    levelled.name = "aasist_normalized";
    levelled.loudness_lufs = -26.0;
    t["aasist_normalized"] = levelled;
    // Clips (TSM): each frame as a face crop with ImageNet's normalisation, the reference's.
    Preprocess clip{"tsm_clip", 224, PadMode::Center, imagenet_mean, imagenet_std, Out::Logit, 1, false};
    clip.input = Preprocess::Input::Clip;
    t["tsm_clip"] = clip;
    return t;
  }();
  return table;
}


// requires: the model gives `outputs` logits per input. throws: InvalidArgument when the preset
// cannot read them (a single-logit preset on a 1000-way head would silently read column 0).
void check_outputs(const Preprocess& pre, int64_t outputs) {
  if (pre.output == Preprocess::Output::Logit && outputs != 1) {
    throw InvalidArgument("preset", fmt::format("{} reads one logit, but the model gives {} outputs", pre.name, outputs));
  }
  if (pre.output == Preprocess::Output::Softmax && (pre.fake_index < 0 || pre.fake_index >= outputs)) {
    throw InvalidArgument("preset", fmt::format("{}: fake column {} but the model gives {} outputs", pre.name,
                                                pre.fake_index, outputs));
  }
}

const detail::EnumName<Preprocess::Input> kInputs[] = {
    {"face", Preprocess::Input::Face}, {"spectrogram", Preprocess::Input::Spectrogram}, {"waveform", Preprocess::Input::Waveform},
    {"embedding", Preprocess::Input::Embedding}, {"clip", Preprocess::Input::Clip}};

// The model input a preset's input is: images (faces, spectrograms), windows, vectors.
ModelInput model_input(Preprocess::Input input) {
  switch (input) {
    case Preprocess::Input::Waveform: return ModelInput::Waveform;
    case Preprocess::Input::Embedding: return ModelInput::Embedding;
    case Preprocess::Input::Clip: return ModelInput::Clip;
    default: return ModelInput::Image;
  }
}

const char* model_input_name(ModelInput input) {
  switch (input) {
    case ModelInput::Waveform: return "a waveform";
    case ModelInput::Embedding: return "vectors";
    case ModelInput::Clip: return "clips of frames";
    default: return "images";
  }
}

// A loudness is a waveform preset's, and one a clip can be brought to: finite, above BS.1770's
// -70 LUFS gate, at most full scale.
void check_loudness(const Preprocess& p) {
  if (!p.loudness_lufs) return;
  if (p.input != Preprocess::Input::Waveform) {
    throw InvalidArgument("preset", fmt::format("{}: loudness_lufs applies to waveform input, not {}", p.name, to_string(p.input)));
  }
  const double lufs = *p.loudness_lufs;
  if (!(lufs > -70.0 && lufs <= 0.0)) {
    throw InvalidArgument("preset", fmt::format("{}: loudness_lufs must be in (-70, 0] LUFS, got {}", p.name, lufs));
  }
}

}  // namespace

std::string to_string(Preprocess::Input input) { return detail::enum_name(kInputs, input); }

Precision input_precision(Precision requested, const std::string& device, Preprocess::Input input) {
  const bool faces = input == Preprocess::Input::Face || input == Preprocess::Input::Clip;
  return faces ? resolve_precision(requested, device) : Precision::Float32;
}
Preprocess::Input preprocess_input(const std::string& name) { return detail::parse_enum(kInputs, name, "input"); }

Preprocess preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) {
    throw InvalidArgument("preset", fmt::format("unknown preset '{}' (known: {})", name, fmt::join(list_presets(), ", ")));
  }
  return it->second;
}

std::string default_preset(const std::string& arch) {
  if (arch == "meso4" || arch == "mesoinception4") return "fakeavceleb_meso";
  if (arch == "meso4_keras" || arch == "mesoinception4_keras") return "mesonet";
  if (arch == "xception") return "ffpp_xception";
  if (arch == "aasist" || arch == "aasist_l") return "aasist";
  if (arch.rfind("tsm_", 0) == 0) return "tsm_clip";
  if (arch.rfind("resnet", 0) == 0 || arch.rfind("resnext", 0) == 0) return "dfdc_kernel_resnext";
  return "dfdc_selimsef";
}

std::vector<std::string> list_presets() {
  std::vector<std::string> names;
  for (const auto& [name, p] : presets()) names.push_back(name);
  return names;
}

struct Classifier::Impl {
  std::unique_ptr<Model> model;
  Preprocess pre;
  ClassifierParams params;
  Precision precision = Precision::Float32;  // params.precision resolved
};

Classifier::Classifier(std::unique_ptr<Model> model, Preprocess preprocess, const ClassifierParams& params)
    : impl_(std::make_unique<Impl>()) {
  if (!model) throw InvalidArgument("model", "must not be null");
  if (params.batch_size < 1) throw InvalidArgument("batch_size", "must be >= 1");
  const int outputs = model->info().num_outputs;  // 0 for TorchScript: checked when it runs
  if (outputs > 0) check_outputs(preprocess, outputs);
  if (model->info().arch != "torchscript" && model->info().input != model_input(preprocess.input)) {
    throw InvalidArgument("preset", fmt::format("{} takes {}, but the preset {} feeds it {}", model->info().arch,
                                                model_input_name(model->info().input), preprocess.name,
                                                to_string(preprocess.input)));
  }
  if (preprocess.input == Preprocess::Input::Clip && preprocess.frame_stride < 1) {
    throw InvalidArgument("preset", fmt::format("{}: frame_stride must be >= 1, got {}", preprocess.name, preprocess.frame_stride));
  }
  if (preprocess.input == Preprocess::Input::Waveform && (preprocess.sample_rate < 1 || preprocess.size < 1)) {
    throw InvalidArgument("preset", fmt::format("{}: a waveform preset needs a sample rate and a window", preprocess.name));
  }
  check_loudness(preprocess);
  model->to(params.device);
  impl_->precision = input_precision(params.precision, model->device(), preprocess.input);
  impl_->model = std::move(model);
  impl_->pre = std::move(preprocess);
  impl_->params = params;
}

Classifier::~Classifier() = default;

ModelSpec parse_model_spec(const std::string& spec) {
  ModelSpec out;
  std::string rest = spec;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    out.preset = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    out.weights = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  out.arch = rest;
  return out;
}

std::unique_ptr<Classifier> Classifier::create(const std::string& spec, const ClassifierParams& params) {
  const ModelSpec parts = parse_model_spec(spec);
  const std::string &arch = parts.arch, &weights = parts.weights, &preset_name = parts.preset;
  if (arch.empty()) throw InvalidArgument("spec", fmt::format("'{}' names no architecture (arch[:weights][@preset])", spec));
  if (weights.empty()) {
    throw ModelError(spec, "no weights file in the spec (arch:weights.safetensors): a classifier with random weights "
                           "would give meaningless scores");
  }
  if (arch == "torchscript") {
    // Nothing says how a TorchScript model wants its input or what its output means: the spec must.
    if (preset_name.empty()) {
      throw InvalidArgument("spec", fmt::format("'{}': a TorchScript model needs a preset (torchscript:file.pt@preset; "
                                                "presets: {})", spec, fmt::join(list_presets(), ", ")));
    }
    return std::make_unique<Classifier>(Model::load_torchscript(weights), preset(preset_name), params);
  }
  const SafetensorsFile file(find_model_file(weights));
  // The spec's preset, else the one a model libdfd trained carries (how it was fed), else the arch's.
  Preprocess pre = !preset_name.empty()                    ? preset(preset_name)
                   : file.metadata().count("dfd.preset") ? preprocess_from_json(file.metadata("dfd.preset"))
                                                           : preset(default_preset(arch));
  return std::make_unique<Classifier>(Model::load(arch, file), std::move(pre), params);
}

at::Tensor Classifier::preprocess(const std::vector<cv::Mat>& crops) const { return preprocess_crops(impl_->pre, crops); }

at::Tensor preprocess_crops(const Preprocess& p, const std::vector<cv::Mat>& crops) {
  if (p.input == Preprocess::Input::Waveform || p.input == Preprocess::Input::Embedding) {
    throw InvalidArgument("crops", fmt::format("the preset {} takes {}, not images", p.name,
                                               p.input == Preprocess::Input::Waveform ? "a waveform (see audio_window_batch)"
                                                                                      : "vectors (embeddings)"));
  }
  if (p.input == Preprocess::Input::Clip) {
    Preprocess frames = p;  // a clip model's frames are face crops
    frames.input = Preprocess::Input::Face;
    return preprocess_crops(frames, crops);
  }
  torch::Tensor batch = torch::empty({static_cast<int64_t>(crops.size()), p.size, p.size, 3}, torch::kUInt8);
  for (size_t i = 0; i < crops.size(); ++i) {
    require_rgb_image(crops[i], "classifier");
    cv::Mat square = crops[i];
    if (square.rows != p.size || square.cols != p.size) square = resize_and_pad(square, p.size, p.pad);
    const cv::Mat dst(p.size, p.size, CV_8UC3, batch[static_cast<int64_t>(i)].data_ptr());
    square.copyTo(dst);
  }
  const torch::Tensor mean = torch::tensor({p.mean[0], p.mean[1], p.mean[2]}).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({p.std[0], p.std[1], p.std[2]}).view({1, 3, 1, 1});
  return (batch.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0f - mean) / std;
}

at::Tensor preprocess_clips(const Preprocess& p, const std::vector<std::vector<cv::Mat>>& clips) {
  if (clips.empty()) return torch::empty({0, 0, 3, p.size, p.size});
  const size_t length = clips.front().size();
  std::vector<cv::Mat> frames;
  for (size_t i = 0; i < clips.size(); ++i) {
    if (clips[i].empty() || clips[i].size() != length) {
      throw InvalidArgument("clips", fmt::format("clip {} has {} frames, clip 0 has {}: clips in a batch have as many frames, at least one",
                                                 i, clips[i].size(), length));
    }
    frames.insert(frames.end(), clips[i].begin(), clips[i].end());
  }
  Preprocess face = p;
  face.input = Preprocess::Input::Face;
  const torch::Tensor x = preprocess_crops(face, frames);
  return x.reshape({static_cast<int64_t>(clips.size()), static_cast<int64_t>(length), 3, p.size, p.size});
}

std::string to_json(const Preprocess& p) {
  nlohmann::ordered_json j = {{"name", p.name}, {"size", p.size}, {"pad", to_string(p.pad)},
                              {"mean", p.mean}, {"std", p.std},
                              {"output", p.output == Preprocess::Output::Logit ? "logit" : "softmax"},
                              {"fake_index", p.fake_index}, {"output_means_real", p.output_means_real},
                              {"input", to_string(p.input)}};
  if (p.input == Preprocess::Input::Waveform) j["sample_rate"] = p.sample_rate;
  if (p.input == Preprocess::Input::Clip) j["frame_stride"] = p.frame_stride;
  if (p.loudness_lufs) j["loudness_lufs"] = *p.loudness_lufs;
  return j.dump();
}

Preprocess preprocess_from_json(const std::string& text) {
  Preprocess p;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    j.at("name").get_to(p.name);
    j.at("size").get_to(p.size);
    p.pad = pad_mode(j.at("pad").get<std::string>());
    j.at("mean").get_to(p.mean);
    j.at("std").get_to(p.std);
    const std::string output = j.at("output").get<std::string>(), input = j.value("input", std::string("face"));
    if (output != "logit" && output != "softmax") throw InvalidArgument("preset", fmt::format("output '{}' is not logit or softmax", output));
    p.output = output == "logit" ? Preprocess::Output::Logit : Preprocess::Output::Softmax;
    p.input = preprocess_input(input);
    p.sample_rate = j.value("sample_rate", 0);
    if (p.input == Preprocess::Input::Waveform && p.sample_rate < 1) {
      throw InvalidArgument("preset", fmt::format("a waveform preset needs a positive sample_rate, got {}", p.sample_rate));
    }
    p.frame_stride = j.value("frame_stride", 1);
    if (p.frame_stride < 1) throw InvalidArgument("preset", fmt::format("frame_stride must be >= 1, got {}", p.frame_stride));
    p.fake_index = j.value("fake_index", 1);
    p.output_means_real = j.value("output_means_real", false);
    if (j.contains("loudness_lufs") && !j.at("loudness_lufs").is_null()) p.loudness_lufs = j.at("loudness_lufs").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("preset", fmt::format("not a preset's JSON: {}", e.what()));
  }
  if (p.size < 1) throw InvalidArgument("preset", fmt::format("size {} is not positive", p.size));
  check_loudness(p);
  return p;
}

std::vector<float> Classifier::predict(const std::vector<cv::Mat>& crops) {
  std::vector<float> out;
  out.reserve(crops.size());
  const size_t step = static_cast<size_t>(impl_->params.batch_size);
  for (size_t start = 0; start < crops.size(); start += step) {
    const std::vector<cv::Mat> part(crops.begin() + static_cast<std::ptrdiff_t>(start),
                                    crops.begin() + static_cast<std::ptrdiff_t>(std::min(crops.size(), start + step)));
    const std::vector<float> p = predict(preprocess(part));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::vector<float> Classifier::predict_clips(const std::vector<std::vector<cv::Mat>>& clips) {
  const ModelInfo& info = impl_->model->info();
  if (impl_->pre.input != Preprocess::Input::Clip) {
    throw InvalidArgument("clips", fmt::format("{} ({}) takes {}, not clips", info.arch, impl_->pre.name, to_string(impl_->pre.input)));
  }
  classify::require_clip_length(clips, info);
  std::vector<float> out;
  out.reserve(clips.size());
  const size_t step = std::max<size_t>(1, static_cast<size_t>(impl_->params.batch_size / std::max(1, info.segments)));
  for (size_t start = 0; start < clips.size(); start += step) {
    const std::vector<std::vector<cv::Mat>> part(clips.begin() + static_cast<std::ptrdiff_t>(start),
                                                 clips.begin() + static_cast<std::ptrdiff_t>(std::min(clips.size(), start + step)));
    const std::vector<float> p = predict(preprocess_clips(impl_->pre, part));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

namespace {

// requires: what the preset feeds the model — float32 [n, samples], [n, d], [n, 3, h, w] or
// [n, T, 3, h, w].
void check_inputs(const Preprocess& pre, const at::Tensor& inputs) {
  const bool waveform = pre.input == Preprocess::Input::Waveform, vectors = pre.input == Preprocess::Input::Embedding;
  const bool clips = pre.input == Preprocess::Input::Clip;
  const bool shape_ok = waveform || vectors ? inputs.dim() == 2
                        : clips             ? inputs.dim() == 5 && inputs.size(2) == 3
                                            : inputs.dim() == 4 && inputs.size(1) == 3;
  if (!shape_ok || inputs.scalar_type() != torch::kFloat32) {
    throw InvalidArgument("inputs", fmt::format("expected float32 {}, got {} {}",
                                                waveform ? "[n, samples]" : vectors ? "[n, d]" : clips ? "[n, T, 3, h, w]" : "[n, 3, h, w]",
                                                c10::toString(inputs.scalar_type()), fmt::join(inputs.sizes(), "x")));
  }
}

}  // namespace

at::Tensor Classifier::embed(const std::vector<cv::Mat>& crops) {
  std::vector<at::Tensor> parts;
  const size_t step = static_cast<size_t>(impl_->params.batch_size);
  for (size_t start = 0; start < crops.size(); start += step) {
    const std::vector<cv::Mat> part(crops.begin() + static_cast<std::ptrdiff_t>(start),
                                    crops.begin() + static_cast<std::ptrdiff_t>(std::min(crops.size(), start + step)));
    parts.push_back(embed(preprocess(part)));
  }
  return parts.empty() ? torch::empty({0, 0}) : torch::cat(parts);
}

at::Tensor Classifier::embed(const at::Tensor& inputs) {
  check_inputs(impl_->pre, inputs);
  c10::InferenceMode guard;
  Model& model = *impl_->model;
  const std::string& endpoint = model.info().embedding;
  const auto& known = model.info().endpoints;
  if (std::find(known.begin(), known.end(), endpoint) == known.end()) {
    throw InvalidArgument("model", fmt::format("{} has no endpoint '{}' to embed with", model.info().arch, endpoint));
  }
  if (inputs.size(0) == 0) return torch::empty({0, 0});
  const detail::CpuAutocast autocast(impl_->precision == Precision::BFloat16);
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < inputs.size(0); start += impl_->params.batch_size) {
    const torch::Tensor x = inputs.slice(0, start, start + impl_->params.batch_size).to(torch::Device(model.device()));
    std::map<std::string, at::Tensor> features;
    model.forward(x, {endpoint}, features);
    torch::Tensor e = features.at(endpoint);
    if (e.dim() > 2) e = e.flatten(2).mean(2);  // a map: its average over positions
    if (x.dim() == 5) e = e.reshape({x.size(0), x.size(1), e.size(1)}).mean(1);  // a clip's frames: their mean
    parts.push_back(e.to(torch::kCPU, torch::kFloat32).contiguous());
  }
  return torch::cat(parts);
}

std::vector<float> Classifier::predict(const at::Tensor& inputs) {
  const ModelInput input = model_input(impl_->pre.input);
  const bool images = input == ModelInput::Image || input == ModelInput::Clip;
  check_inputs(impl_->pre, inputs);
  c10::InferenceMode guard;
  const Preprocess& p = impl_->pre;
  Model& model = *impl_->model;
  const torch::Device device(model.device());
  const detail::CpuAutocast autocast(impl_->precision == Precision::BFloat16);
  auto probability = [&](const torch::Tensor& x) {
    const torch::Tensor logits = model.forward(x).to(torch::kFloat32);  // bfloat16 under autocast
    if (logits.dim() != 2 || logits.size(0) != x.size(0)) {
      throw ModelError(model.info().reference, fmt::format("gave logits of shape [{}] for {} inputs", fmt::join(logits.sizes(), ", "), x.size(0)));
    }
    check_outputs(p, logits.size(1));
    if (p.output == Preprocess::Output::Softmax) return torch::softmax(logits, 1).select(1, p.fake_index);
    const torch::Tensor s = torch::sigmoid(logits.select(1, 0));
    return p.output_means_real ? 1 - s : s;
  };
  std::vector<float> out;
  out.reserve(static_cast<size_t>(inputs.size(0)));
  for (int64_t start = 0; start < inputs.size(0); start += impl_->params.batch_size) {
    const torch::Tensor x = inputs.slice(0, start, start + impl_->params.batch_size).to(device);
    torch::Tensor prob = probability(x);
    if (impl_->params.flip_tta && images) prob = (prob + probability(x.flip({x.dim() - 1}))) / 2;
    prob = prob.to(torch::kCPU, torch::kFloat32).contiguous();
    out.insert(out.end(), prob.data_ptr<float>(), prob.data_ptr<float>() + prob.numel());
  }
  return out;
}

Precision Classifier::precision() const { return impl_->precision; }
const Preprocess& Classifier::preprocess_spec() const { return impl_->pre; }
Preprocess& Classifier::preprocess_spec() { return impl_->pre; }
Model& Classifier::model() { return *impl_->model; }

}  // namespace dfd
