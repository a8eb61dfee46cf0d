// dfd/classifier.hpp — a model plus how to feed it and read it: p(fake) per face crop.
//
// A Classifier is named by a spec string "arch[:weights][@preset]", e.g.
//   "mesoinception4:MesoInception4_realA_fakeC.safetensors@fakeavceleb_meso"
// The weights file is a path or a name on the model search path ($DFD_MODELS, ~/.cache/dfd); the
// preset (default: the architecture's) says how crops become the model's input — size, padding,
// mean/std — and what the output means. The output size is read from the weights, so a 1-logit
// head (the DFDC kernel's ResNeXt) and a 1000-way one load into the same architecture.
// "torchscript:model.pt@preset" runs a TorchScript file (Model::load_torchscript); its preset is
// required, since nothing else says what it expects.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/error.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/models.hpp"
#include "dfd/precision.hpp"


DFD_BEGIN_API
namespace dfd {

struct Preprocess {
  std::string name;                     // the preset's name
  int size = 224;                       // square input side (Waveform: samples per window)
  PadMode pad = PadMode::Center;        // how a crop of another size is squared (resize_and_pad)
  std::array<float, 3> mean{0, 0, 0};   // applied to RGB / 255
  std::array<float, 3> std{1, 1, 1};
  enum class Output {
    Logit,    // one logit; sigmoid = p(fake)
    Softmax,  // several logits; softmax column fake_index = p(fake)
  } output = Output::Logit;
  int fake_index = 1;                   // Softmax: the column that means FAKE
  bool output_means_real = false;       // Logit: the sigmoid is p(real) (MesoNet's Keras weights)
  enum class Input {
    Face,         // a face crop (FaceExtractor)
    Spectrogram,  // the log-mel image of the file's audio (AudioSpectrogram::image): a Detector
                  //   routes such a classifier to its audio branch
    Waveform,     // mono float32 samples at sample_rate, in windows of `size` (audio_windows.hpp):
                  //   the audio branch too; mean/std, pad and flip_tta do not apply
    Embedding,    // float32 vectors of `size` (an embedding fusion, fusion_mlp: a video embedding and
                  //   an audio one concatenated): DetectorParams' audio.fusion_model, not a branch
    Clip,         // clips of face crops of one identity, ModelInfo::segments frames each, every frame
                  //   a face crop as for Face (dfd/face_clips.hpp): a Detector scores each track by them
  } input = Input::Face;
  int sample_rate = 0;                  // Waveform: the rate, in Hz, the model takes
  // Waveform: the integrated loudness (LUFS, dfd/loudness.hpp) each clip is brought to before its
  // windows are cut, so the score does not follow the recording's volume; unset: as decoded.
  std::optional<double> loudness_lufs{};
  int frame_stride = 1;                 // Clip: the step, in video frames, between a clip's frames
};

// "face", "spectrogram", "waveform", "embedding", "clip" (as a preset's JSON spells them); and back.
// throws (preprocess_input): InvalidArgument listing the valid names.
std::string to_string(Preprocess::Input input);
Preprocess::Input preprocess_input(const std::string& name);

// The published pipelines' presets: dfdc_selimsef (380, ImageNet, centred), dfdc_kernel_resnext
// (224, ImageNet, corner), mesonet (256, /255, output means real), ffpp_xception (299, mean = std =
// 0.5, softmax column 1), fakeavceleb_meso (224, its mean/std, softmax column 1 — see the guide);
// for spectrogram images (AudioSpectrogram::image): fakeavceleb_audio (as fakeavceleb_meso) and
// ffdv_audio (256, ImageNet, softmax column 1); for waveforms: aasist (16 kHz, windows of 64 600
// samples, softmax column 0 — clovaai/aasist's spoof class; it scores a trial by logit 1, bona fide;
// the clip as decoded, as the reference feeds it) and aasist_normalized (aasist with each clip
// brought to -26 LUFS first: the default preset's);
// for clips: tsm_clip (224, ImageNet, centred, one logit, consecutive frames).
// throws: InvalidArgument for an unknown name (listing the known ones).
Preprocess preset(const std::string& name);
std::vector<std::string> list_presets();
// The preset an architecture's published weights are read with when a spec names none (and the
// file carries none): aasist for aasist/aasist_l, mesonet for the Keras Mesos, ...
std::string default_preset(const std::string& arch);

// A preset as JSON — what a model trained by libdfd carries in its file's metadata ("dfd.preset"),
// so Classifier::create reads it with no @preset — and back.
// throws: InvalidArgument for malformed JSON or a field of the wrong type or value.
std::string to_json(const Preprocess& p);
Preprocess preprocess_from_json(const std::string& json);

// The model input for RGB uint8 crops (any size: resized and padded as `p` says): float32
// [n, 3, size, size], normalised, in channels-last memory.
// throws: InvalidArgument for an empty or non-RGB crop.
at::Tensor preprocess_crops(const Preprocess& p, const std::vector<cv::Mat>& crops);
// The model input for clips of RGB uint8 crops: float32 [n, T, 3, size, size], each frame as
// preprocess_crops makes it. requires: every clip has the same number T >= 1 of frames.
// throws: InvalidArgument for clips of unequal or no frames, or an empty or non-RGB crop.
at::Tensor preprocess_clips(const Preprocess& p, const std::vector<std::vector<cv::Mat>>& clips);

// The precision a model reading `input` computes in on `device` (a Model::device() name): for face
// and clip inputs `requested` resolved (resolve_precision); Float32 for spectrograms, waveforms and
// embeddings whatever was requested (bfloat16 is not measured on audio models). What Classifier and
// Trainer run. ensures: never Auto. throws: InvalidArgument for BFloat16 on a face or clip model
// on a device other than the CPU.
Precision input_precision(Precision requested, const std::string& device, Preprocess::Input input);

// A classifier spec, "arch:weights[@preset]", in its parts (weights and preset may be empty).
// ensures: arch is the text before the first ':', preset the text after the last '@'. Never throws
// but std::bad_alloc: Classifier::create says what a part lacks.
struct ModelSpec {
  std::string arch, weights, preset;
};
ModelSpec parse_model_spec(const std::string& spec);

struct ClassifierParams {
  int batch_size = 32;       // crops per forward pass
  bool flip_tta = false;     // average p(fake) of each crop and its horizontal mirror
  std::string device = "cpu";  // "cuda" / "cuda:N" when LibTorch has CUDA (Model::to)
  // The arithmetic of a face or clip model's forward pass (dfd/precision.hpp); audio and
  // embedding models always run in float32 (bfloat16 is not measured on them). Float32 is
  // the references' and what parity holds in.
  Precision precision = Precision::Float32;
};

class Classifier {
 public:
  // Parses the spec, builds the architecture, loads the weights, picks the preset: the spec's, else
  // the one a libdfd-trained file carries (dfd.preset metadata), else the architecture's.
  // throws: InvalidArgument (bad spec, unknown arch or preset, a preset that cannot read the
  // model's outputs, an unavailable device, bf16 on a device other than the CPU), ModelError (no
  // or bad weights).
  static std::unique_ptr<Classifier> create(const std::string& spec, const ClassifierParams& params = {});
  Classifier(std::unique_ptr<Model> model, Preprocess preprocess, const ClassifierParams& params = {});
  ~Classifier();

  // p(fake) in [0, 1] per crop (RGB uint8, any size: resized and padded per the preset).
  // throws: InvalidArgument for an empty or non-RGB crop.
  std::vector<float> predict(const std::vector<cv::Mat>& crops);
  // A clip model's p(fake) per clip (each model().info().segments RGB uint8 crops of one face, any
  // size), params.batch_size frames (at least one clip) per forward pass.
  // throws: InvalidArgument when the model does not take clips, or a clip has another number of
  // frames, or a crop is empty or not RGB.
  std::vector<float> predict_clips(const std::vector<std::vector<cv::Mat>>& clips);
  // p(fake) per row of an input already preprocessed (float32 [n, 3, h, w]; a Waveform preset's:
  // [n, samples], e.g. audio_window_batch; a Clip preset's: [n, T, 3, h, w]; any device), in batches
  // of params.batch_size.
  // throws: InvalidArgument for another shape or dtype; ModelError when a TorchScript model's
  // output does not fit the preset.
  std::vector<float> predict(const at::Tensor& inputs);
  // The model's embedding of each input, what a fusion or a researcher's own ensemble stacks on:
  // the activations at ModelInfo::embedding — the last feature map averaged over its positions
  // ([n, channels]), AASIST's last hidden vector ([n, 160]) — of the inputs predict() takes.
  // ensures: float32 [n, d] on the CPU, row i for input i ([0, 0] for no input); no test-time flip.
  // throws: what predict() throws; InvalidArgument for a TorchScript model without "features".
  at::Tensor embed(const std::vector<cv::Mat>& crops);
  at::Tensor embed(const at::Tensor& inputs);
  // The model input for `crops`: float32 [n, 3, size, size].
  at::Tensor preprocess(const std::vector<cv::Mat>& crops) const;

  // The precision predict() and embed() run in: params.precision resolved for this model and
  // device (resolve_precision; Float32 for audio and embedding models). ensures: never Auto.
  Precision precision() const;

  const Preprocess& preprocess_spec() const;
  Preprocess& preprocess_spec();  // e.g. to override fake_index
  Model& model();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
DFD_END_API
