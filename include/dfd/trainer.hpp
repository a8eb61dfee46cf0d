// dfd/trainer.hpp — training a zoo model on a face dataset (dfd/face_dataset.hpp): real faces,
// their self-blended fakes and labelled fakes, mixed in set proportions; an audio model on an
// audio dataset (dfd/audio_dataset.hpp): real and fake clips; or an embedding fusion on an
// embedding dataset (dfd/embedding_dataset.hpp): real and fake files.
//
//   TrainParams p;                      // defaults: efficientnet_b0, AdamW, cosine with warm-up
//   p.out_dir = "runs/sbi";
//   TrainResult r = Trainer(FaceDataset::open("faces"), p).run();
//   auto clf = Classifier::create("efficientnet_b0:runs/sbi/best.safetensors");  // no preset needed
//
// What a run writes into out_dir:
//   checkpoint.pt      after every epoch: weights, optimiser and the run's record (--resume)
//   best.safetensors   the weights of the epoch with the lowest validation log loss, whose
//                      metadata carries the preset (dfd.preset), the architecture (dfd.arch) and
//                      the training record (dfd.training)
//   last.safetensors   the last epoch's, the same way
//   metrics.csv        one row per epoch (EpochMetrics); curves.png the same, drawn
//   params.json        the settings of the run
//
// What the model is fed follows from the dataset and the architecture's ModelInfo::input:
//   face dataset, image model       face crops (augment.hpp, self_blend.hpp)            preset input "face"
//   audio dataset, image model      the clip's log-mel image as the Detector makes it   "spectrogram"
//                                   (ffdv_spectrogram_params(), 22 050 Hz; the FFDV
//                                   baseline's ResNet-18 is --arch resnet18)
//   audio dataset, waveform model   one window of the model's length (AASIST: 64 600   "waveform"
//                                   samples at 16 kHz), at a random place in training and every
//                                   window (audio_windows.hpp, hop 1) in validation; a clip's
//                                   validation score is the mean of its windows'
//   embedding dataset, fusion_mlp   a file's video embedding ⊕ audio embedding          "embedding"
//                                   (embedding_dataset.hpp), as the Detector's
//                                   audio.fusion_model reads them
//   face dataset, clip model (TSM)  a clip: of a clip dataset (dfd prepare --clips), its    "clip"
//                                   frames, a self-blended one blended alike on every frame
//                                   (self_blend_frames); of single faces, `segments` frames
//                                   made from each (clip_synthesis.hpp: a real or labelled
//                                   fake face moved as a camera moves, a self-blended one
//                                   blended once for every frame); fakes flicker or drift
//                                   as drawn; every frame augmented alike. init may be a 2D
//                                   checkpoint of the backbone (ModelInfo::backbone)
// Audio samples take audio_augmentation (audio_augment.hpp); an audio dataset has no self-blended
// fakes, so its mix is real and fake only (dfd train's default for one: 0.5,0,0.5).
//
// Reproducible: an epoch's samples, their order, augmentations and blends and the model's random
// layers all follow from (seed, epoch), so a run resumed from its last checkpoint after a kill
// ends with the same weights as one never interrupted (same device and thread count).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfd/audio_augment.hpp"
#include "dfd/audio_dataset.hpp"
#include "dfd/augment.hpp"
#include "dfd/classifier.hpp"
#include "dfd/clip_synthesis.hpp"
#include "dfd/embedding_dataset.hpp"
#include "dfd/error.hpp"
#include "dfd/export.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/models.hpp"
#include "dfd/self_blend.hpp"

DFD_BEGIN_API
namespace dfd {

// What an epoch's samples are made of, as shares (normalised to sum 1).
struct SampleMix {
  double real = 0.5;          // real faces of the training split, label 0
  double self_blended = 0.5;  // a self-blended fake of a real face (it needs landmarks), label 1
  double fake = 0.0;          // labelled fakes of the training split, label 1
};

enum class OptimizerKind { AdamW, Sgd };
enum class LrSchedule { Cosine, Step, Constant };
OptimizerKind optimizer_kind(const std::string& name);  // "adamw", "sgd"
std::string to_string(OptimizerKind kind);
LrSchedule lr_schedule(const std::string& name);        // "cosine", "step", "constant"
std::string to_string(LrSchedule schedule);

struct TrainParams {
  // The model.
  std::string arch = "efficientnet_b0";  // list_models()
  std::string init;              // weights to start from ("" = random): the same architecture;
                                 // a head of another size (an ImageNet backbone) is left random,
                                 // but a two-class head (AASIST's) becomes the one logit
                                 // z_fake - z_real, so training starts from the published verdicts
                                 // (the fake column: the file's dfd.preset, else default_preset)
  int input_size = 0;            // the model's input side; 0: the architecture's (model_info)
  int segments = 0;              // clip models: frames per clip (0: a clip dataset's clip length, else
                                 // the architecture's, 8 for TSM)
  int shift_div = 0;             // TSM: 1/shift_div of the channels shift each way (0: the architecture's)
  PadMode pad = PadMode::Center;
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // applied to RGB / 255, as the preset saved
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
  std::vector<std::string> freeze;  // parameter-name prefixes kept fixed (their BatchNorms in eval mode)
  bool freeze_bn_stats = false;  // every BatchNorm keeps its running statistics (eval mode) while its
                                 // scale and shift still learn: fine-tuning a pretrained model on small
                                 // batches (AASIST-L's logits jump from about ±3 to +10..19 when 4
                                 // windows' batch statistics replace its own)
  bool channels_last = true;
  std::string device = "cpu";
  // Face and clip models: the training step's forward pass in bfloat16 autocast (dfd/precision.hpp;
  // auto: where the CPU has native bfloat16), its backward following it; the weights, the optimiser
  // and validation stay float32, so the saved model is the same kind as a float32 run's. bf16 on an
  // audio or embedding dataset is an InvalidArgument; auto is fp32 there.
  Precision precision = Precision::Float32;
  // Waveform models: each clip brought to this integrated loudness (LUFS, dfd/loudness.hpp) before
  // its window is cut, in training and validation, and recorded in the saved preset so a Detector
  // levels what it scores the same way (aasist_normalized: -26). Unset: clips as decoded. On any
  // other model an InvalidArgument.
  std::optional<double> loudness_lufs{};

  // The data.
  SampleMix mix;
  int epoch_size = 0;            // samples per epoch; 0: as many as the training split has faces
  double val_fraction = 0.2;    // share of groups held out when no validation set is given
  int folds = 0;                 // > 1: k-fold by group; validation is fold `fold`
  int fold = 0;
  bool augment = true;           // AugmentParams below on every training sample
  AugmentParams augmentation;    // faces; its size is set to input_size
  AudioAugmentParams audio_augmentation;  // clips
  SelfBlendParams self_blend;
  ClipSynthesisParams clip_synthesis;  // clip models' clips from single faces

  // The optimisation.
  int epochs = 10;
  int batch_size = 32;
  OptimizerKind optimizer = OptimizerKind::AdamW;
  double lr = 1e-3;
  double head_lr = 0.0;          // the head's peak learning rate (0: lr); a new head on a pretrained
                                 // body learns fast while the body, small steps from its start, keeps
                                 // what it knew (BatchNorm-free bodies such as mobilenet_v1 need that)
  double weight_decay = 1e-2;
  double momentum = 0.9;         // SGD
  LrSchedule schedule = LrSchedule::Cosine;
  double warmup_epochs = 1.0;    // linear warm-up from 0, in (fractional) epochs
  int step_epochs = 5;           // Step: lr *= step_gamma every step_epochs
  double step_gamma = 0.1;
  double grad_clip = 0.0;        // max gradient norm; 0: none
  double label_smoothing = 0.0;  // targets 0/1 become s/2 and 1 - s/2
  int early_stopping = 0;        // stop after this many epochs without a better val loss; 0: never
  uint64_t seed = 0;
  int workers = 2;               // threads making samples (decode, blend, augment)

  std::string out_dir;           // required
  bool resume = false;           // continue from out_dir/checkpoint.pt
};

struct EpochMetrics {
  int epoch = 0;                 // 1-based
  double lr = 0;                 // at the epoch's last step
  double train_loss = 0;         // mean BCE over the epoch's batches
  double val_loss = 0, val_auc = 0;              // frame (crop) level
  double val_video_loss = 0, val_video_auc = 0;  // per source: the mean p(fake) of its faces
  size_t train_samples = 0;
  size_t val_faces = 0;          // samples validated: faces, clips (spectrogram) or windows (waveform)
  size_t val_videos = 0;         // sources validated
  double seconds = 0;
  bool best = false;             // the best val loss so far
};

struct TrainProgress {
  int epoch = 0, epochs = 0;
  size_t step = 0, steps = 0;    // batches of this epoch
  std::string phase;             // "train" or "validate"
  double loss = 0;               // running mean of the epoch's training loss
  double images_per_second = 0;
};

struct TrainResult {
  std::vector<EpochMetrics> history;
  int best_epoch = 0;
  bool stopped_early = false;
  std::string best_weights, last_weights;  // paths
};

class Trainer {
 public:
  // Splits `data` by group (or takes all of it for training when `validation` is given).
  // requires: out_dir set; epochs, batch_size >= 1; lr > 0; mix shares >= 0, not all 0; the split
  // has training samples of each kind the mix asks for (self-blending needs reals with
  // landmarks) and validation samples; 0 <= fold < folds when folds > 1; an image model (faces).
  // throws: InvalidArgument naming the setting; ModelError for unreadable init weights;
  // IoError when out_dir cannot be written; with resume, ModelError when there is no checkpoint
  // or it was made with other settings.
  Trainer(FaceDataset data, TrainParams params, std::optional<FaceDataset> validation = std::nullopt);
  // The same for sound. requires, besides: mix.self_blended == 0; clips at the rate the model
  // takes (a waveform model's sample_rate, else the Detector's spectrogram rate).
  Trainer(AudioDataset data, TrainParams params, std::optional<AudioDataset> validation = std::nullopt);
  // An embedding fusion (--arch fusion_mlp) on an embedding dataset: each file's video embedding
  // and audio embedding concatenated, as the Detector's audio.fusion_model is fed; no augmentation.
  // Its input_mean/input_std are the training split's (unless init gives them); the saved file's
  // metadata names the two embedders (dfd.embedders), which the Detector checks. requires, besides:
  // an Embedding architecture, mix.self_blended == 0, a validation set embedded by the same models.
  Trainer(EmbeddingDataset data, TrainParams params, std::optional<EmbeddingDataset> validation = std::nullopt);
  ~Trainer();

  // Trains the remaining epochs (all of them, or those after the checkpoint when resuming).
  // An exception from on_progress stops the run after the last finished epoch's checkpoint.
  TrainResult run();

  std::function<void(const TrainProgress&)> on_progress;  // after each batch, from the training thread
  std::function<void(const EpochMetrics&)> on_epoch;      // after each epoch's checkpoint
  Model& model();
  // The preset the trained model is read with (what best.safetensors carries).
  Preprocess preprocess() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The kinds of training data, each a dataset class of its own.
enum class DatasetKind { Faces, Audio, Embeddings };
// "faces", "audio", "embeddings".
std::string to_string(DatasetKind kind);
// What `dir` holds, by its index.csv's header (is_audio_dataset, is_embedding_dataset); anything
// else is taken for a face dataset (whose open() then says what is wrong). Never throws but
// std::bad_alloc.
DatasetKind dataset_kind(const std::string& dir);
// The settings a run on that kind starts from (dfd train and dfd.train with no config): a face
// dataset TrainParams{}; audio and embeddings have no self-blended fakes, so their mix is 0.5 real,
// 0.5 fake; an embedding dataset trains fusion_mlp. Never throws but std::bad_alloc.
TrainParams default_train_params(DatasetKind kind);

// The settings of a run as JSON (params.json), and back: every field of TrainParams by name;
// unknown names are refused (listing the known ones).
std::string to_json(const TrainParams& params, int indent = 2);
TrainParams train_params_from_json(const std::string& json, TrainParams base = {});
// One setting by name, from text ("lr=3e-4", "mix.self_blended=0.5", "freeze=features.0,features.1").
void set_train_param(TrainParams& params, const std::string& key_value);

// One epoch's metrics as a JSON object (NaN as null): the line dfd train prints, the rows
// dfd.train's DataFrame is made of, what the checkpoint and dfd.training metadata record.
std::string to_json(const EpochMetrics& metrics);

// A model's weights and metadata to a .safetensors file (every parameter and buffer by name),
// written beside `path` and renamed over it. requires: a zoo model (not TorchScript), float32
// parameters and float32 or int64 buffers. ensures: Model::load(arch, path) gives the same weights.
// throws: InvalidArgument (TorchScript), ModelError (another dtype), IoError.
void save_model(Model& model, const std::string& path, const std::map<std::string, std::string>& metadata = {});

}  // namespace dfd
DFD_END_API
