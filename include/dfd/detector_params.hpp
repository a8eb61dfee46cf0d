// dfd/detector_params.hpp — every setting of the whole pipeline, one struct per stage, and the
// one way to build them: a preset, then overrides by dotted name.
//
// DetectorParams nests each stage's own params (as whisper.cpp's whisper_full_params nests its
// sub-structs): the face detector's (MtcnnParams, BlazeFaceParams, HaarParams — the one named by
// `face_detector` is made), the FaceExtractor's, the classifiers', the audio branch's, the
// explanations', and the Detector's own (how scores become a verdict). No setting is held twice.
//
// Every setting has a dotted name — its path in the struct: "faces.frames", "mtcnn.thresholds",
// "audio.fusion.bias", "aggregation". detector_params("dfdc_selimsef", {"mtcnn.thresholds=0.85,0.95,0.95",
// "faces.frames=16"}) builds params the way `dfd scan --preset ... --set KEY=VALUE` and Python's
// dfd.Detector(preset=..., **overrides) do; to_json() prints them (`dfd scan --print-params`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/aggregation.hpp"
#include "dfd/audio.hpp"
#include "dfd/audio_windows.hpp"
#include "dfd/cam.hpp"
#include "dfd/classifier.hpp"
#include "dfd/error.hpp"
#include "dfd/face.hpp"
#include "dfd/face_extractor.hpp"


DFD_BEGIN_API
namespace dfd {

// The audio branch: the log-mel image of the file's sound (the FFDV baseline's: librosa defaults,
// dB relative to the maximum) and how its p(fake) joins the faces'.
struct AudioBranchParams {
  // Decoding: time limit and longest audio read. (The rate is the spectrogram's sample_rate; the
  // reader's own sample_rate is not a setting here.)
  AudioReaderParams reader;
  SpectrogramParams spectrogram = ffdv_spectrogram_params();
  // Waveform models (AASIST): the hop between windows, how a model's windows become its score,
  // and the checks that refuse too short or silent audio (these apply to every audio model).
  AudioWindowParams windows;
  LateFusion fusion;
  // An embedding fusion instead (a fusion_mlp file trained by dfd train on an embedding dataset,
  // dfd/embedding_dataset.hpp; a path or a name on the model search path): a file with both
  // embeddings — the first face model's and the first audio model's, which must be the models the
  // file was trained on (it names them) — is scored by it; a file with one branch, by that branch
  // as before. "": `fusion` decides.
  std::string fusion_model;
};

// Grad-CAM of the faces a verdict rests on (EnsembleExplainer over the face models).
struct ExplainParams {
  bool enabled = false;
  int faces = 4;                  // the most fake faces of a fake verdict, the most real of a real one
  int clips = 1;                  // clip models: the most fake clips of a fake verdict (most real of a
                                  //   real one), Grad-CAM of their last feature map on every frame
  CamMethod method = CamMethod::GradCAM;
};

// Clip models (a preset whose input is "clip": a temporal model such as TSM). Each identity's
// track gets clips of the clip models' segments frames, their preset's frame_stride apart, placed
// by plan_clips (dfd/face_clips.hpp) and read by index after the sampled frames.
struct ClipBranchParams {
  int per_track = 2;  // clips per identity
};

struct DetectorParams {
  // Finding faces: which detector, and each detector's own settings. The defaults are selimsef's
  // DFDC pipeline: MTCNN (thresholds 0.7/0.8/0.8) on frames halved with Pillow's bicubic filter.
  std::string face_detector = "mtcnn";   // list_face_detectors()
  MtcnnParams mtcnn = [] {
    MtcnnParams m;
    m.weights = "mtcnn-facenet.safetensors";  // shipped with libdfd (docs/models.md)
    m.thresholds = {0.7, 0.8, 0.8};
    m.downscale = 0.5;
    m.downscale_filter = MtcnnParams::DownscaleFilter::PilBicubic;
    return m;
  }();
  BlazeFaceParams blazeface;
  HaarParams haar;
  // Sampling frames, keeping, tracking and cropping faces. faces.size 0 (the default here): the
  // crop size and padding are the first face model's (its preprocessing defines them); a size > 0
  // uses faces.size and faces.pad as given.
  FaceExtractorParams faces = [] { FaceExtractorParams f; f.size = 0; return f; }();
  // Classifiers: specs "arch:weights[@preset]". A spec whose preset reads a spectrogram
  // (ffdv_audio, fakeavceleb_audio) or a waveform (aasist) joins the audio branch; one that reads
  // clips (tsm_clip, a temporal model dfd train made) scores each identity's clips and needs a
  // face model beside it (the faces it tracks); the others score faces. At least one.
  std::vector<std::string> models;
  std::vector<float> model_weights;      // per model (every branch), for the weighted mean; empty: equal
  // With clip models, an identity's p(fake) is its faces' (aggregated) and its clips' (each clip's
  // models combined, then aggregated) combined by `combine`, weighted by the face models' and the
  // clip models' weight sums; the file's, the same of all its faces and all its clips (or of its
  // most fake identity with per_identity).
  ClipBranchParams clips;
  // How a face's per-model p(fake) become one (combine_scores), or `combiner` when set (it gets
  // the per-model p(fake) in face-model order and returns p(fake); the weights are not used; it
  // has no name: set it in code). The audio models' scores are combined the same way.
  using Combine = dfd::Combine;
  Combine combine = Combine::Probabilities;
  std::function<float(const std::vector<float>&)> combiner;
  ClassifierParams classifier;
  AudioBranchParams audio;
  // The verdict
  Aggregation aggregation = Aggregation::Confident;
  bool per_identity = false;             // score each track, the file as fake as its most fake person
  // A timeline (Verdict::segments): a video's faces in windows of this many seconds, each window
  // aggregated as the file is. 0: none. The default preset's: 10 s.
  float segment_seconds = 0.0f;
  float threshold = 0.5f;                // is_fake = p_fake >= threshold
  float no_face_prior = 0.5f;            // the p_fake a no_face verdict carries (its status says so)
  ExplainParams explain;
  // Also each branch's embedding of the file (Verdict::video_embedding, audio_embedding): the
  // first face model's Classifier::embed averaged over the scored crops, the first audio model's
  // over its windows (a spectrogram model: of the one image) — what an embedding fusion or a
  // notebook's own stacker learns from. One more forward pass per crop and window.
  bool embeddings = false;
};

// "default": libdfd's own face model, facenet-pytorch's MTCNN and clovaai's AASIST-L, all shipped
// with it (models/, docs/models.md): 16 frames (one a second for a longer video, at most 128),
// MTCNN on half frames (INTER_AREA) for faces of 40 px and up there (80 in the frame), detections
// it is unsure of beside a face it is sure of left out, the mean of the faces' p(fake); the sound's
// windows scored by AASIST-L and averaged — the verdict of an audio file, reported beside a video's
// (audio.fusion.rule video: a video is judged by its faces, as AASIST-L calls music and noisy
// speech fake); threshold 0.61 (calibrated on real photos the model never saw); a 10 s timeline —
// `dfd scan VIDEO` (or an audio file) and dfd.Detector().scan(path) need nothing else.
// Published pipelines (models still named by the caller; MTCNN's weights are the shipped ones): "dfdc_selimsef" (the defaults: 32
// frames, MTCNN on half frames, margin 1/3, centred pad, confident strategy), "dfdc_kernel"
// (BlazeFace tiles, the best face per frame, the kernel's margin, mean), "mesonet" (MTCNN, mean),
// "ffdv_audio" (the audio branch alone: models with the ffdv_audio preset on the log-mel image).
// throws: InvalidArgument for an unknown name (the known ones listed).
DetectorParams detector_preset(const std::string& name);
std::vector<std::string> list_detector_presets();

// Every setting's dotted name, in the struct's order ("face_detector", "mtcnn.weights", ...,
// "explain.method"). `combiner` (a function) has none.
std::vector<std::string> list_detector_params();

// Sets one setting from text, as a command line gives it. Besides the dotted names, four short
// names stand for settings: "frames" (faces.frames), "face_weights" (the weights of the detector
// face_detector names — set that first), "read_timeout_seconds" (faces.video.timeout_seconds and
// audio.reader.timeout_seconds), "max_audio_seconds" (audio.reader.max_duration_seconds).
// Values: numbers in C syntax, booleans
// true/false/1/0, names of enum values ("confident", "pil_bicubic"), lists comma-separated
// ("0.85,0.95,0.95"; an empty text is an empty list), faces.resize "none" for the pad's rule.
// Stage ranges (thresholds in [0, 1], frames >= 1, ...) are checked when the stage is made.
// ensures: on a throw, `params` is unchanged.
// throws: InvalidArgument — an unknown name (the valid names listed), or a value that is not of
//         the setting's type or not one of its names (the valid values listed).
void set_detector_param(DetectorParams& params, const std::string& name, const std::string& text);
// The same from a JSON value (numbers, true/false, strings, arrays; null for faces.resize), as
// Python passes it. throws: InvalidArgument as above, and for text that is not JSON.
void set_detector_param_json(DetectorParams& params, const std::string& name, const std::string& json);
// One setting's value as JSON text. throws: InvalidArgument for an unknown name.
std::string detector_param_json(const DetectorParams& params, const std::string& name);

// "KEY=VALUE" (the text after the first '=' is the value) applied by set_detector_param.
// throws: InvalidArgument (no '=', or as set_detector_param).
void apply_override(DetectorParams& params, const std::string& key_value);

// A preset with overrides applied in order ("KEY=VALUE" each): the one way the CLI and Python
// build a Detector's params. throws: InvalidArgument (unknown preset, name or value).
DetectorParams detector_params(const std::string& preset, const std::vector<std::string>& overrides = {});

// Every setting as one JSON object nested by the dotted names ({"faces": {"frames": 32, ...}, ...}),
// enums by name; `indent` < 0: one line. set_detector_param_json reads each leaf back (text that
// is not UTF-8, a path's odd bytes, is written with \xNN escapes: dfd/utf8.hpp). Never throws.
std::string to_json(const DetectorParams& params, int indent = 2);

}  // namespace dfd
DFD_END_API
