#include "dfd/trainer.hpp"

#include "dfd/clip_synthesis.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "dfd/clip_synthesis.hpp"
#include "dfd/csv.hpp"
#include "dfd/loudness.hpp"
#include "dfd/metrics.hpp"
#include "dfd/model_files.hpp"
#include "dfd/safetensors.hpp"
#include "classify/cpu_autocast.hpp"
#include "core/atomic_file.hpp"
#include "curves.hpp"

namespace fs = std::filesystem;

namespace dfd {
namespace {

using Json = nlohmann::ordered_json;

// splitmix64: the one source of randomness; portable, so a seed means the same run everywhere.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t seed_of(uint64_t a, uint64_t b, uint64_t c = 0) { return mix64(mix64(mix64(a) ^ b) ^ c); }

template <class T>
void shuffle(std::vector<T>& v, uint64_t seed) {
  for (size_t i = v.size(); i > 1; --i) {
    seed = mix64(seed);
    std::swap(v[i - 1], v[seed % i]);
  }
}

enum class Kind { Real, SelfBlended, Fake };

struct Item {
  Kind kind;
  size_t index;         // into the dataset's samples
  uint64_t seed;        // its blend and augmentation
  int64_t offset = -1;  // a waveform window's first sample (validation); -1: a random window
};

// What a split needs of a sample, whichever the dataset.
struct Row {
  int label = 0;
  std::string group, source;
  bool blendable = false;  // a real face with landmarks
};

std::vector<Row> rows_of(const FaceDataset& d) {
  std::vector<Row> rows;
  for (const FaceSample& s : d.samples()) {
    rows.push_back({s.label, s.group, s.source, !s.label && s.landmarks.size() == static_cast<size_t>(Landmarks68::kCount)});
  }
  return rows;
}

// A clip dataset's clips (dfd prepare --clips): the rows of each, by (source, clip), in order.
std::vector<std::vector<size_t>> clips_of(const FaceDataset& d) {
  std::map<std::pair<std::string, int>, size_t> index;
  std::vector<std::vector<size_t>> clips;
  for (size_t i = 0; i < d.size(); ++i) {
    const FaceSample& s = d.samples()[i];
    if (s.clip < 0) continue;
    const auto [it, added] = index.try_emplace({s.source, s.clip}, clips.size());
    if (added) clips.emplace_back();
    clips[it->second].push_back(i);
  }
  return clips;
}

// The step, in video frames, between a clip dataset's frames: the commonest step between a clip's
// successive frames (a padded clip repeats its last frame: step 0, not counted); 1 when none moves.
int clip_stride(const FaceDataset& d, const std::vector<std::vector<size_t>>& clips) {
  std::map<int64_t, size_t> steps;
  for (const std::vector<size_t>& frames : clips) {
    for (size_t t = 1; t < frames.size(); ++t) {
      const int64_t step = d.samples()[frames[t]].frame - d.samples()[frames[t - 1]].frame;
      if (step > 0) ++steps[step];
    }
  }
  if (steps.empty()) return 1;
  return static_cast<int>(std::max_element(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first);
}

// One row per clip: a real clip can be self-blended when each of its frames has landmarks.
std::vector<Row> rows_of(const FaceDataset& d, const std::vector<std::vector<size_t>>& clips) {
  std::vector<Row> rows;
  for (const std::vector<size_t>& frames : clips) {
    const FaceSample& first = d.samples()[frames.front()];
    bool blendable = !first.label;
    for (size_t i : frames) blendable &= d.samples()[i].landmarks.size() == static_cast<size_t>(Landmarks68::kCount);
    rows.push_back({first.label, first.group, first.source, blendable});
  }
  return rows;
}

std::vector<Row> rows_of(const AudioDataset& d) {
  std::vector<Row> rows;
  for (const AudioClip& c : d.clips()) rows.push_back({c.label, c.group, c.source, false});
  return rows;
}

std::vector<Row> rows_of(const EmbeddingDataset& d) {
  std::vector<Row> rows;
  for (const EmbeddingItem& e : d.items()) rows.push_back({e.label, e.group, e.source, false});
  return rows;
}

// Which samples are for training and which for validation: whole groups on one side.
struct Split {
  std::vector<size_t> reals, blendable, fakes;  // training: blendable = reals with landmarks
  std::vector<Item> validation;                 // fixed: the same samples every epoch
};

Split make_split(const std::vector<Row>& data, const std::optional<std::vector<Row>>& validation, const TrainParams& p) {
  Split split;
  std::vector<bool> held_out(data.size(), false);
  if (!validation) {
    std::vector<std::string> groups;
    for (const Row& s : data) groups.push_back(s.group);
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    shuffle(groups, seed_of(p.seed, 0x5b1e));
    std::map<std::string, bool> out;
    for (size_t g = 0; g < groups.size(); ++g) {
      out[groups[g]] = p.folds > 1 ? int(g % size_t(p.folds)) == p.fold
                                   : g < size_t(std::ceil(double(p.val_fraction) * double(groups.size())));
    }
    for (size_t i = 0; i < data.size(); ++i) held_out[i] = out[data[i].group];
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (held_out[i]) continue;
    (data[i].label ? split.fakes : split.reals).push_back(i);
    if (data[i].blendable) split.blendable.push_back(i);
  }
  const std::vector<Row>& vdata = validation ? *validation : data;
  bool any_fake = false;
  for (size_t i = 0; i < vdata.size(); ++i) {
    if (validation || held_out[i]) {
      split.validation.push_back({vdata[i].label ? Kind::Fake : Kind::Real, i, 0});
      any_fake |= vdata[i].label == 1;
    }
  }
  // Reals alone measure nothing: their self-blended fakes (fixed seeds) stand in for fakes.
  if (!any_fake && p.mix.self_blended > 0) {
    const size_t n = split.validation.size();
    for (size_t k = 0; k < n; ++k) {
      const size_t i = split.validation[k].index;
      if (vdata[i].blendable) split.validation.push_back({Kind::SelfBlended, i, seed_of(p.seed, 0x7a1, i)});
    }
  }
  return split;
}

// The epoch's samples: kinds in the mix's proportions, each drawn from its shuffled pool.
std::vector<Item> epoch_items(const Split& s, const TrainParams& p, int epoch) {
  const size_t n = p.epoch_size > 0 ? size_t(p.epoch_size) : s.reals.size() + s.fakes.size();
  const double total = double(p.mix.real) + double(p.mix.self_blended) + double(p.mix.fake);
  const size_t n_blend = size_t(std::llround(double(n) * p.mix.self_blended / total));
  const size_t n_fake = std::min(n - n_blend, size_t(std::llround(double(n) * p.mix.fake / total)));
  const size_t n_real = n - n_blend - n_fake;
  const uint64_t base = seed_of(p.seed, 0xe90c, uint64_t(epoch));
  std::vector<Item> items;
  const auto draw = [&](Kind kind, const std::vector<size_t>& pool, size_t count, uint64_t salt) {
    if (pool.empty()) return;  // a share of 0 (the constructor refuses an empty pool it needs)
    std::vector<size_t> order = pool;
    shuffle(order, seed_of(base, salt));
    for (size_t k = 0; k < count; ++k) items.push_back({kind, order[k % order.size()], 0});
  };
  draw(Kind::Real, s.reals, n_real, 1);
  draw(Kind::SelfBlended, s.blendable, n_blend, 2);
  draw(Kind::Fake, s.fakes, n_fake, 3);
  shuffle(items, seed_of(base, 4));
  for (size_t k = 0; k < items.size(); ++k) items[k].seed = seed_of(base, 5, k);
  return items;
}

bool is_batch_norm(torch::nn::Module& m) {
  return m.as<torch::nn::BatchNorm1d>() || m.as<torch::nn::BatchNorm2d>() || m.as<torch::nn::BatchNorm3d>();
}

double metric_or_nan(const std::function<double()>& f) {
  try {
    return f();
  } catch (const InvalidArgument&) {  // one class only
    return std::numeric_limits<double>::quiet_NaN();
  }
}

Json epoch_json(const EpochMetrics& m) {
  const auto number = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  return {{"epoch", m.epoch}, {"lr", m.lr}, {"train_loss", number(m.train_loss)}, {"val_loss", number(m.val_loss)},
          {"val_auc", number(m.val_auc)}, {"val_video_loss", number(m.val_video_loss)},
          {"val_video_auc", number(m.val_video_auc)}, {"train_samples", m.train_samples},
          {"val_faces", m.val_faces}, {"val_videos", m.val_videos}, {"seconds", m.seconds}, {"best", m.best}};
}

EpochMetrics epoch_from_json(const Json& j) {
  const auto number = [&](const char* k) { return j.at(k).is_null() ? std::nan("") : j.at(k).get<double>(); };
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int>();
  m.lr = number("lr");
  m.train_loss = number("train_loss");
  m.val_loss = number("val_loss");
  m.val_auc = number("val_auc");
  m.val_video_loss = number("val_video_loss");
  m.val_video_auc = number("val_video_auc");
  m.train_samples = j.at("train_samples").get<size_t>();
  m.val_faces = j.at("val_faces").get<size_t>();
  m.val_videos = j.at("val_videos").get<size_t>();
  m.seconds = number("seconds");
  m.best = j.at("best").get<bool>();
  return m;
}

// The settings a checkpoint must share with the run that resumes it: all but where and how fast
// it runs, and how long.
Json run_identity(const TrainParams& p) {
  Json j = Json::parse(to_json(p));
  for (const char* k : {"out_dir", "resume", "workers", "epochs", "early_stopping", "device"}) j.erase(k);
  return j;
}

// Whether a checkpoint's settings are this run's. A setting added to TrainParams after the
// checkpoint was written is absent from it: at its default it changes nothing, so it matches.
bool same_run(const Json& checkpoint, const Json& now) {
  const Json defaults = run_identity(TrainParams{});
  for (const auto& [key, value] : now.items()) {
    const bool added_since = !checkpoint.contains(key) && defaults.contains(key) && defaults.at(key) == value;
    if (!added_since && (!checkpoint.contains(key) || checkpoint.at(key) != value)) return false;
  }
  for (const auto& [key, value] : checkpoint.items()) {
    if (!now.contains(key)) return false;  // a setting this version no longer has
  }
  return true;
}

}  // namespace

std::string to_json(const EpochMetrics& metrics) { return epoch_json(metrics).dump(); }

void save_model(Model& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
  std::map<std::string, TensorData> tensors;
  const auto add = [&](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    TensorData d;
    if (c.scalar_type() == torch::kFloat32) {
      d.dtype = Dtype::F32;
    } else if (c.scalar_type() == torch::kInt64) {
      d.dtype = Dtype::I64;
    } else {
      throw ModelError(path, fmt::format("tensor {} has dtype {}, which is not saved", name, c10::toString(c.scalar_type())));
    }
    d.shape.assign(c.sizes().begin(), c.sizes().end());
    const auto* bytes = static_cast<const uint8_t*>(c.data_ptr());
    d.bytes.assign(bytes, bytes + c.nbytes());
    tensors[name] = std::move(d);
  };
  for (const auto& p : model.module().named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : model.module().named_buffers(true)) add(b.key(), b.value());
  save_safetensors(path + ".tmp", tensors, metadata);
  replace_file(path + ".tmp", path);  // a kill mid-save leaves the previous weights whole
}

// What a dataset holds for one sample: a face crop, a clip's samples, or a file's embeddings; a
// clip dataset's clip: its frames.
struct Source {
  cv::Mat image;
  std::vector<float> wave;  // samples, or the video embedding followed by the audio one
  std::vector<cv::Mat> frames;
};

// One sample as the model takes it: an image (a face crop, a spectrogram image), a waveform window,
// an embedding vector or a clip's frames.
struct Sample {
  cv::Mat image;
  torch::Tensor window;  // float32 [window] or [d]
  std::vector<cv::Mat> frames;
};

struct Trainer::Impl {
  explicit Impl(TrainParams params) : p(std::move(params)) {}
  std::optional<FaceDataset> faces, faces_val;  // one of the two kinds is set
  std::optional<AudioDataset> clips, clips_val;
  std::optional<EmbeddingDataset> vectors, vectors_val;
  // A clip model on a clip dataset: each clip's rows (a sample is a clip; rows and items index
  // these). Empty for single faces.
  std::vector<std::vector<size_t>> clip_rows, clip_rows_val;
  int frame_stride = 1;  // a clip dataset's step between frames (synthetic clips: 1, each frame the next)
  std::vector<Row> rows;
  std::optional<std::vector<Row>> val_rows;
  Preprocess::Input input = Preprocess::Input::Face;
  std::unique_ptr<AudioSpectrogram> spectrogram;  // Spectrogram input: the Detector's settings
  // pre.loudness_lufs: each clip's integrated loudness, measured once (a clip is sampled every
  // epoch and validated window by window); NaN until measured. Sample workers share it.
  mutable std::vector<double> loudness, loudness_val;
  mutable std::mutex loudness_mutex;
  Precision precision = Precision::Float32;       // p.precision resolved: the training step's forward
  TrainParams p;
  std::unique_ptr<Model> model;
  Preprocess pre;
  Split split;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<torch::Tensor> trained;       // parameters the optimiser updates
  int head_group = -1;                      // the optimiser's group learning at head_lr (-1: none)
  std::vector<EpochMetrics> history;
  int best_epoch = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  fs::path out;

  void setup();

  // An embedding model's input_mean / input_std buffers: the training split's per-feature mean and
  // standard deviation, so embeddings of different scales weigh alike. The deviation is floored at a
  // tenth of the features' mean deviation: a feature (nearly) constant in training — a ReLU channel
  // that stayed 0 — would otherwise blow up on new files (values / 1e-6) and decide alone.
  void standardise_inputs() {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> rows;
    for (const std::vector<size_t>* pool : {&split.reals, &split.fakes}) {
      for (size_t i : *pool) rows.push_back(torch::tensor(vectors->vector(i)));
    }
    const torch::Tensor x = torch::stack(rows);
    auto buffers = model->module().named_buffers(true);
    if (!buffers.contains("input_mean") || !buffers.contains("input_std")) return;  // an architecture that does not standardise
    buffers["input_mean"].copy_(x.mean(0));
    if (rows.size() < 2) return;  // no spread to measure: left as it was (mean 0, std 1)
    const torch::Tensor std = x.std(0);
    buffers["input_std"].copy_(std.clamp_min(std::max(1e-6, 0.1 * std.mean().item<double>())));
  }

  bool separate_validation() const { return val_rows.has_value(); }
  const FaceDataset& face_data(bool validating) const { return validating && faces_val ? *faces_val : *faces; }
  const AudioDataset& clip_data(bool validating) const { return validating && clips_val ? *clips_val : *clips; }
  const Row& row(const Item& item, bool validating) const {
    return (validating && val_rows ? *val_rows : rows)[item.index];
  }
  const std::vector<std::vector<size_t>>& clips_of_data(bool validating) const {
    return validating && faces_val ? clip_rows_val : clip_rows;
  }
  const EmbeddingDataset& vector_data(bool validating) const { return validating && vectors_val ? *vectors_val : *vectors; }
  const std::string& data_dir() const { return faces ? faces->dir() : clips ? clips->dir() : vectors->dir(); }
  size_t data_size() const { return rows.size(); }

  Source load(size_t index, bool validating) const {
    if (input == Preprocess::Input::Clip && !clips_of_data(validating).empty()) {
      Source clip;
      for (size_t row : clips_of_data(validating)[index]) clip.frames.push_back(face_data(validating).image(row));
      return clip;
    }
    if (input == Preprocess::Input::Face || input == Preprocess::Input::Clip) return {face_data(validating).image(index), {}};
    if (input == Preprocess::Input::Embedding) return {cv::Mat(), vector_data(validating).vector(index)};
    return {cv::Mat(), clip_data(validating).waveform(index)};
  }

  // A clip's integrated loudness, for a preset that levels its input as the Detector does; a clip
  // with none (no 400 ms above -70 LUFS) cannot be levelled and stops training, naming it.
  double clip_loudness(const Item& item, const std::vector<float>& wave, bool validating) const {
    std::vector<double>& known = validating ? loudness_val : loudness;
    {
      std::lock_guard<std::mutex> lock(loudness_mutex);
      if (known.empty()) known.assign(clip_data(validating).size(), std::numeric_limits<double>::quiet_NaN());
      if (!std::isnan(known[item.index])) return known[item.index];
    }
    const double lufs = integrated_loudness(wave, pre.sample_rate);
    if (!std::isfinite(lufs)) {
      const AudioDataset& d = clip_data(validating);
      throw UnusableAudioError(d.dir() + "/" + d.clips()[item.index].audio, UnusableAudioError::Reason::Silent,
                               "silent: no 400 ms of it is louder than -70 LUFS, so loudness_lufs cannot level it");
    }
    std::lock_guard<std::mutex> lock(loudness_mutex);
    return known[item.index] = lufs;
  }

  // One sample of the source loaded for it: blended if it is a self-blended fake; augmented when
  // training.
  Sample make_sample(const Item& item, const Source& source, bool training, bool validating) const {
    const bool augmenting = training && p.augment;
    if (input == Preprocess::Input::Clip) return make_clip(item, source, augmenting, validating);
    if (input == Preprocess::Input::Face) {
      const FaceSample& s = face_data(validating).samples()[item.index];
      cv::Mat img = source.image;
      if (item.kind == Kind::SelfBlended) img = self_blend(img, s.landmarks, item.seed, p.self_blend).fake;
      if (augmenting) {
        AugmentParams a = p.augmentation;
        a.size = pre.size;
        return {augment(img, mix64(item.seed), a, s.landmarks), {}};
      }
      return {resize_and_pad(img, pre.size, pre.pad), {}};
    }
    const std::vector<float>& wave = source.wave;
    if (input == Preprocess::Input::Embedding) {  // as scanning gives it: no augmentation
      return {cv::Mat(), torch::from_blob(const_cast<float*>(wave.data()), {static_cast<int64_t>(wave.size())}, torch::kFloat32).clone()};
    }
    if (input == Preprocess::Input::Spectrogram) {
      cv::Mat db;
      if (augmenting) {
        std::vector<float> noisy = wave;
        augment_waveform(noisy, mix64(item.seed), p.audio_augmentation);
        db = spectrogram->compute(noisy, spectrogram->params().sample_rate);
      } else {
        db = spectrogram->compute(wave, spectrogram->params().sample_rate);
      }
      if (augmenting) db = mask_spectrogram(db, mix64(item.seed ^ 0x5bec), p.audio_augmentation);
      return {AudioSpectrogram::image(db, pre.size), {}};
    }
    // A waveform window: the item's, or one at a random place; a clip shorter than the window is
    // filled by repetition, as scoring fills it.
    const auto n = static_cast<int64_t>(wave.size()), size = static_cast<int64_t>(pre.size);
    AudioWindow w{0, std::min(n, size), n < size};
    if (n > size) w.start = item.offset >= 0 ? item.offset : static_cast<int64_t>(mix64(item.seed ^ 0x3a7) % uint64_t(n - size + 1));
    torch::Tensor window = audio_window_batch(wave, {w}, size)[0];
    if (pre.loudness_lufs) window.mul_(loudness_gain(clip_loudness(item, wave, validating), *pre.loudness_lufs));
    if (augmenting) {
      std::vector<float> v(window.data_ptr<float>(), window.data_ptr<float>() + size);
      augment_waveform(v, mix64(item.seed), p.audio_augmentation);
      window = torch::from_blob(v.data(), {size}, torch::kFloat32).clone();
    }
    return {cv::Mat(), window};
  }

  // A clip (clip_synthesis.hpp). From a clip dataset: its frames, a self-blended item's blended
  // alike on every frame (flickering or drifting as drawn). From single faces: a self-blended
  // item's one blend on every frame, any other face moved as a camera moves. Every frame is
  // augmented alike.
  Sample make_clip(const Item& item, const Source& source, bool augmenting, bool validating) const {
    const FaceDataset& data = face_data(validating);
    const uint64_t seed = seed_of(item.seed, 0xc119, item.index);  // validation items share seed 0: their paths differ
    Sample out;
    std::vector<cv::Point2f> landmarks;  // the first frame's: the augmentation's part dropout
    if (!source.frames.empty()) {
      const std::vector<size_t>& rows = clips_of_data(validating)[item.index];
      landmarks = data.samples()[rows.front()].landmarks;
      if (item.kind == Kind::SelfBlended) {
        std::vector<std::vector<cv::Point2f>> per_frame;
        for (size_t row : rows) per_frame.push_back(data.samples()[row].landmarks);
        out.frames = self_blend_frames(source.frames, per_frame, seed, p.self_blend, p.clip_synthesis).fake;
      } else {
        out.frames = source.frames;
      }
    } else {
      const FaceSample& s = data.samples()[item.index];
      landmarks = s.landmarks;
      const int length = model->info().segments;
      out.frames = item.kind == Kind::SelfBlended ? self_blend_clip(source.image, s.landmarks, length, seed, p.self_blend, p.clip_synthesis).fake
                                                  : still_clip(source.image, length, seed, p.clip_synthesis);
    }
    AugmentParams a = p.augmentation;
    a.size = pre.size;
    for (cv::Mat& f : out.frames) f = augmenting ? augment(f, mix64(item.seed), a, landmarks) : resize_and_pad(f, pre.size, pre.pad);
    return out;
  }

  // Samples of items[begin, end) made on `workers` threads, in order. Items of one dataset sample
  // (a clip's validation windows, a face and its blend) share one read of it.
  std::vector<Sample> make_samples(const std::vector<Item>& items, size_t begin, size_t end, bool training,
                                   bool validating) const {
    std::vector<Sample> samples(end - begin);
    std::map<size_t, std::vector<size_t>> by_index;  // dataset sample -> positions in items
    for (size_t i = begin; i < end; ++i) by_index[items[i].index].push_back(i);
    const std::vector<std::pair<size_t, std::vector<size_t>>> groups(by_index.begin(), by_index.end());
    std::atomic<size_t> next{0};
    std::exception_ptr failure;
    std::mutex mutex;
    const auto work = [&] {
      for (size_t g; (g = next++) < groups.size();) {
        try {
          const Source source = load(groups[g].first, validating);
          for (size_t i : groups[g].second) samples[i - begin] = make_sample(items[i], source, training, validating);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    std::vector<std::thread> threads;
    for (int k = 1; k < std::max(1, p.workers); ++k) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    return samples;
  }

  torch::Tensor batch(const std::vector<Sample>& samples) const {
    torch::Tensor x;
    if (input == Preprocess::Input::Waveform || input == Preprocess::Input::Embedding) {
      std::vector<torch::Tensor> windows;
      for (const Sample& s : samples) windows.push_back(s.window);
      x = torch::stack(windows);
    } else if (input == Preprocess::Input::Clip) {
      std::vector<std::vector<cv::Mat>> clips;
      for (const Sample& s : samples) clips.push_back(s.frames);
      x = preprocess_clips(pre, clips).contiguous();  // the network lays its frames out channels-last itself
    } else {
      std::vector<cv::Mat> images;
      for (const Sample& s : samples) images.push_back(s.image);
      x = preprocess_crops(pre, images);
      x = p.channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x.contiguous();
    }
    return x.to(torch::Device(model->device()));
  }

  double lr_at(int epoch, size_t step, size_t steps) const {
    const double t = double(epoch - 1) * double(steps) + double(step);
    const double warm = p.warmup_epochs * double(steps), total = double(p.epochs) * double(steps);
    if (t < warm) return p.lr * (t + 1) / warm;
    switch (p.schedule) {
      case LrSchedule::Cosine:
        return p.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (t - warm) / std::max(1.0, total - warm))));
      case LrSchedule::Step:
        return p.lr * std::pow(p.step_gamma, (epoch - 1) / std::max(1, p.step_epochs));
      case LrSchedule::Constant:
        break;
    }
    return p.lr;
  }

  void set_training_mode() {
    model->module().train();
    for (const auto& m : model->module().named_modules()) {
      for (const std::string& prefix : p.freeze) {  // frozen layers keep their BatchNorm statistics
        if (m.key().rfind(prefix, 0) == 0) m.value()->eval();
      }
      if (p.freeze_bn_stats && is_batch_norm(*m.value())) m.value()->eval();
    }
  }

  std::map<std::string, std::string> metadata(const EpochMetrics& m) const {
    Json record = {{"params", Json::parse(to_json(p))}, {"epoch", epoch_json(m)}, {"train_faces", data_size()},
                   {"dataset", data_dir()}, {"precision", to_string(precision)}};  // "auto" resolved
    std::map<std::string, std::string> out = {{"dfd.arch", p.arch}, {"dfd.preset", dfd::to_json(pre)}, {"dfd.training", record.dump()}};
    if (const std::string built = Model::build_metadata(model->info()); !built.empty()) out["dfd.model"] = built;  // a clip model's T
    if (vectors) out["dfd.embedders"] = dfd::to_json(vectors->embedders());  // what the Detector checks its models against
    return out;
  }

  void save_checkpoint() const {
    torch::serialize::OutputArchive archive, weights, optim;
    model->module().save(weights);
    optimizer->save(optim);
    archive.write("model", weights);
    archive.write("optimizer", optim);
    Json state = {{"params", run_identity(p)}, {"best_epoch", best_epoch},
                  {"best_loss", std::isfinite(best_loss) ? Json(best_loss) : Json(nullptr)}, {"history", Json::array()}};
    for (const EpochMetrics& m : history) state["history"].push_back(epoch_json(m));
    archive.write("state", c10::IValue(state.dump()));
    const fs::path path = out / "checkpoint.pt", tmp = out / "checkpoint.pt.tmp";
    archive.save_to(tmp.string());
    replace_file(tmp.string(), path.string());
  }

  void load_checkpoint() {
    const fs::path path = out / "checkpoint.pt";
    if (!fs::exists(path)) throw ModelError(path.string(), "no checkpoint to resume (train without resume first)");
    torch::serialize::InputArchive archive, weights, optim;
    c10::IValue state_value;
    try {
      archive.load_from(path.string(), torch::Device(model->device()));  // a CUDA run resumes on CUDA
      archive.read("model", weights);
      archive.read("optimizer", optim);
      archive.read("state", state_value);
    } catch (const c10::Error& e) {
      const std::string cause = e.what_without_backtrace();
      throw ModelError(path.string(), "not a readable checkpoint: " + cause.substr(0, cause.find('\n')));
    }
    const Json state = Json::parse(state_value.toStringRef());
    if (!same_run(state.at("params"), run_identity(p))) {
      throw ModelError(path.string(), fmt::format("made with other settings: {} (this run: {})", state.at("params").dump(),
                                                  run_identity(p).dump()));
    }
    model->module().load(weights);
    optimizer->load(optim);
    model->set_channels_last(p.channels_last);
    best_epoch = state.at("best_epoch").get<int>();
    best_loss = state.at("best_loss").is_null() ? std::numeric_limits<double>::infinity() : state.at("best_loss").get<double>();
    history.clear();
    for (const Json& e : state.at("history")) history.push_back(epoch_from_json(e));
  }

  void write_metrics() const {
    std::string csv = csv_line({"epoch", "lr", "train_loss", "val_loss", "val_auc", "val_video_loss", "val_video_auc",
                                "train_samples", "val_faces", "val_videos", "seconds", "best"});
    const auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string(); };
    for (const EpochMetrics& m : history) {
      csv += csv_line({std::to_string(m.epoch), num(m.lr), num(m.train_loss), num(m.val_loss), num(m.val_auc),
                       num(m.val_video_loss), num(m.val_video_auc), std::to_string(m.train_samples),
                       std::to_string(m.val_faces), std::to_string(m.val_videos), num(m.seconds), m.best ? "1" : "0"});
    }
    write_file_atomically((out / "metrics.csv").string(), csv);
    write_training_curves((out / "curves.png").string(), history);
  }
};

Trainer::Trainer(FaceDataset data, TrainParams params, std::optional<FaceDataset> validation)
    : impl_(std::make_unique<Impl>(std::move(params))) {
  impl_->rows = rows_of(data);
  if (validation) impl_->val_rows = rows_of(*validation);
  impl_->faces = std::move(data);
  impl_->faces_val = std::move(validation);
  impl_->setup();
}

Trainer::Trainer(AudioDataset data, TrainParams params, std::optional<AudioDataset> validation)
    : impl_(std::make_unique<Impl>(std::move(params))) {
  impl_->rows = rows_of(data);
  if (validation) impl_->val_rows = rows_of(*validation);
  impl_->clips = std::move(data);
  impl_->clips_val = std::move(validation);
  impl_->setup();
}

Trainer::Trainer(EmbeddingDataset data, TrainParams params, std::optional<EmbeddingDataset> validation)
    : impl_(std::make_unique<Impl>(std::move(params))) {
  impl_->rows = rows_of(data);
  if (validation) impl_->val_rows = rows_of(*validation);
  impl_->vectors = std::move(data);
  impl_->vectors_val = std::move(validation);
  impl_->setup();
}

void Trainer::Impl::setup() {
  Impl& m = *this;
  const TrainParams& p = m.p;
  if (p.out_dir.empty()) throw InvalidArgument("out_dir", "must be set: where checkpoints and weights go");
  if (p.epochs < 1) throw InvalidArgument("epochs", fmt::format("must be >= 1, got {}", p.epochs));
  if (p.batch_size < 1) throw InvalidArgument("batch_size", fmt::format("must be >= 1, got {}", p.batch_size));
  if (!(p.lr > 0)) throw InvalidArgument("lr", fmt::format("must be > 0, got {}", p.lr));
  if (p.head_lr < 0) throw InvalidArgument("head_lr", fmt::format("must be >= 0 (0: lr), got {}", p.head_lr));
  if (p.mix.real < 0 || p.mix.self_blended < 0 || p.mix.fake < 0 || p.mix.real + p.mix.self_blended + p.mix.fake <= 0) {
    throw InvalidArgument("mix", "shares must be >= 0 and not all 0");
  }
  if (p.folds > 1 && (p.fold < 0 || p.fold >= p.folds)) {
    throw InvalidArgument("fold", fmt::format("must be in [0, {}), got {}", p.folds, p.fold));
  }
  if (p.folds <= 1 && !m.separate_validation() && !(p.val_fraction > 0 && p.val_fraction < 1)) {
    throw InvalidArgument("val_fraction", fmt::format("must be in (0, 1), got {}", p.val_fraction));
  }
  if (!(p.label_smoothing >= 0 && p.label_smoothing < 1)) {
    throw InvalidArgument("label_smoothing", fmt::format("must be in [0, 1), got {}", p.label_smoothing));
  }
  if (p.warmup_epochs < 0 || p.grad_clip < 0 || p.weight_decay < 0 || p.early_stopping < 0) {
    throw InvalidArgument("training", "warmup_epochs, grad_clip, weight_decay and early_stopping must be >= 0");
  }

  // What the model is fed: the dataset's kind and the architecture's input.
  const ModelInfo info = model_info(p.arch);
  const bool waveform_model = info.input == ModelInput::Waveform, vector_model = info.input == ModelInput::Embedding;
  const bool clip_model = info.input == ModelInput::Clip;
  if (!clip_model && (p.segments != 0 || p.shift_div != 0)) {
    throw InvalidArgument("segments", fmt::format("{} takes single images: segments and shift_div are for clip models (tsm_*)", p.arch));
  }
  if (clip_model && !m.faces) {
    throw InvalidArgument("arch", fmt::format("{} takes clips of faces: train it on a face dataset, not {}", p.arch, m.data_dir()));
  }
  int segments = p.segments;  // a clip dataset's clips decide it when not given
  if (clip_model) {
    m.clip_rows = clips_of(*m.faces);
    if (m.faces_val) m.clip_rows_val = clips_of(*m.faces_val);
    for (const auto* clips : {&m.clip_rows, &m.clip_rows_val}) {
      for (const std::vector<size_t>& c : *clips) {
        const int length = static_cast<int>(c.size());
        if (segments == 0) segments = length;
        if (length != segments) {
          throw InvalidArgument("segments", fmt::format("{} holds clips of {} frames, the model takes {} (segments): prepare "
                                                        "them with dfd prepare --clips {}", clips == &m.clip_rows ? m.data_dir()
                                                        : m.faces_val->dir(), length, segments, segments));
        }
      }
    }
    if (!m.clip_rows.empty()) {
      m.rows = rows_of(*m.faces, m.clip_rows);
      m.frame_stride = clip_stride(*m.faces, m.clip_rows);
    }
    if (!m.clip_rows_val.empty()) m.val_rows = rows_of(*m.faces_val, m.clip_rows_val);
  }
  int features = 0;  // an embedding model's input length
  if (m.vectors) {
    if (!vector_model) {
      throw InvalidArgument("arch", fmt::format("{} is an embedding dataset: train an embedding model on it (--arch fusion_mlp), "
                                                "not {}", m.data_dir(), p.arch));
    }
    if (p.mix.self_blended > 0) {
      throw InvalidArgument("mix", fmt::format("{} is an embedding dataset: self-blending makes fakes of faces; train on its "
                                               "real and fake files (mix.self_blended=0, e.g. --mix 0.5,0,0.5)", m.data_dir()));
    }
    const Embedders& e = m.vectors->embedders();
    if (m.vectors_val && !(same_embedder(e.video, m.vectors_val->embedders().video) &&
                           same_embedder(e.audio, m.vectors_val->embedders().audio))) {
      throw InvalidArgument("validation", fmt::format("{} was embedded by other models than {} ({} and {})", m.vectors_val->dir(),
                                                      m.data_dir(), e.video.model, e.audio.model));
    }
    features = e.video.dim + e.audio.dim;
    if (p.input_size > 0 && p.input_size != features) {
      throw InvalidArgument("input_size", fmt::format("{}'s vectors have {} values; leave input_size 0", m.data_dir(), features));
    }
    m.input = Preprocess::Input::Embedding;
  } else if (vector_model) {
    throw InvalidArgument("arch", fmt::format("{} takes embeddings: train it on an embedding dataset (dfd prepare --embeddings), "
                                              "not {}", p.arch, m.data_dir()));
  } else if (m.faces) {
    if (waveform_model) {
      throw InvalidArgument("arch", fmt::format("{} takes a waveform; {} is a face dataset (prepare an audio one: "
                                                "dfd prepare --audio)", p.arch, m.data_dir()));
    }
    m.input = clip_model ? Preprocess::Input::Clip : Preprocess::Input::Face;
  } else {
    if (p.mix.self_blended > 0) {
      throw InvalidArgument("mix", fmt::format("{} is an audio dataset: self-blending makes fakes of faces; train on its "
                                               "real and fake clips (mix.self_blended=0, e.g. --mix 0.5,0,0.5)", m.data_dir()));
    }
    m.input = waveform_model ? Preprocess::Input::Waveform : Preprocess::Input::Spectrogram;
    if (!waveform_model) m.spectrogram = std::make_unique<AudioSpectrogram>(ffdv_spectrogram_params());
    const int rate = waveform_model ? info.sample_rate : m.spectrogram->params().sample_rate;
    for (const AudioDataset* d : {&*m.clips, m.clips_val ? &*m.clips_val : nullptr}) {
      for (size_t i = 0; d && i < d->size(); ++i) {
        if (d->clips()[i].sample_rate != rate) {
          throw InvalidArgument("sample_rate", fmt::format(
              "{} holds {} at {} Hz, but {} on {} takes {} Hz: prepare it with dfd prepare --audio --sample-rate {}",
              d->dir(), d->clips()[i].audio, d->clips()[i].sample_rate, p.arch,
              waveform_model ? "waveforms" : "spectrograms", rate, rate));
        }
      }
    }
  }

  m.split = make_split(m.rows, m.val_rows, p);
  const char* unit = m.faces ? "faces" : m.clips ? "clips" : "files";
  const auto need = [&](bool wanted, const std::vector<size_t>& pool, const char* what) {
    if (wanted && pool.empty()) {
      throw InvalidArgument("mix", fmt::format("the training split of {} has no {} (its {} {}: {} real, {} fake)",
                                               m.data_dir(), what, m.data_size(), unit, m.split.reals.size(),
                                               m.split.fakes.size()));
    }
  };
  need(p.mix.real > 0, m.split.reals, m.faces ? "real faces" : m.clips ? "real clips" : "real files");
  need(p.mix.self_blended > 0, m.split.blendable, "real faces with landmarks to self-blend");
  need(p.mix.fake > 0, m.split.fakes, m.faces ? "labelled fakes" : m.clips ? "fake clips" : "fake files");
  if (m.split.validation.empty()) throw InvalidArgument("validation", fmt::format("{}: no {} to validate on", m.data_dir(), unit));

  // The model: 1 logit = p(fake), initialised from the seed; weights to start from, less a head of
  // another size.
  torch::manual_seed(seed_of(p.seed, 0x1417));
  m.model = Model::create(p.arch, ModelOptions{1, features, segments, p.shift_div});
  if (!p.init.empty()) {
    const SafetensorsFile file(find_model_file(p.init));
    // A TSM network starts from a 2D checkpoint of its backbone (its file has no TSM head), each
    // name mapped: base_model.X is the backbone's X, a shifted layer's X.net is X, new_fc its head.
    const bool from_backbone = !info.backbone.empty() && !file.contains(info.head);
    const std::string backbone_head = from_backbone ? model_info(info.backbone).head : "";
    const auto donor_name = [&](const std::string& name) {
      if (!from_backbone) return name;
      std::string n = name.rfind("base_model.", 0) == 0 ? name.substr(11) : name;
      for (size_t at; (at = n.find(".net.")) != std::string::npos;) n.erase(at, 4);
      const std::string head_prefix = info.head.substr(0, info.head.rfind('.') + 1);
      if (n.rfind(head_prefix, 0) == 0) n = backbone_head.substr(0, backbone_head.rfind('.') + 1) + n.substr(head_prefix.size());
      return n;
    };
    const auto donor = from_backbone ? Model::load(info.backbone, file) : Model::load(p.arch, file);
    // A two-class head becomes one logit: softmax's p(fake) is sigmoid(z_fake - z_real).
    const Preprocess donor_pre = file.metadata().count("dfd.preset") ? preprocess_from_json(file.metadata("dfd.preset"))
                                                                      : preset(default_preset(p.arch));
    const int64_t fake = donor_pre.output == Preprocess::Output::Softmax ? donor_pre.fake_index : 1;
    const std::string& head_weight = info.head;
    const std::string head_bias = head_weight.substr(0, head_weight.rfind('.') + 1) + "bias";
    torch::NoGradGuard no_grad;
    auto mine = m.model->module().named_parameters(true);
    auto buffers = m.model->module().named_buffers(true);
    const auto copy = [&](torch::OrderedDict<std::string, torch::Tensor>& to,
                          const torch::OrderedDict<std::string, torch::Tensor>& from) {
      for (auto& item : to) {
        const torch::Tensor* src = from.find(donor_name(item.key()));
        if (!src) continue;
        if (src->sizes() == item.value().sizes()) {
          item.value().copy_(*src);
        } else if ((item.key() == head_weight || item.key() == head_bias) && src->size(0) == 2 &&
                   item.value().size(0) == 1 && src->sizes().slice(1) == item.value().sizes().slice(1)) {
          item.value().copy_(((*src)[fake] - (*src)[1 - fake]).unsqueeze(0));
        }
      }
    };
    copy(mine, donor->module().named_parameters(true));
    copy(buffers, donor->module().named_buffers(true));
  }
  if (m.vectors && p.init.empty()) m.standardise_inputs();
  m.model->to(p.device);
  m.precision = input_precision(p.precision, m.model->device(), m.input);
  if (p.precision == Precision::BFloat16 && m.precision != Precision::BFloat16) {  // asked for, not given
    throw InvalidArgument("precision", fmt::format("bf16 trains face and clip models; {} is {} (use fp32 or auto)", m.data_dir(),
                                                   m.vectors ? "an embedding dataset" : "an audio dataset"));
  }
  m.model->set_channels_last(p.channels_last);
  m.pre.name = "dfd_trained";
  m.pre.size = p.input_size > 0 ? p.input_size : m.model->info().input_size;
  m.pre.pad = p.pad;
  m.pre.mean = p.mean;
  m.pre.std = p.std;
  m.pre.output = Preprocess::Output::Logit;
  m.pre.input = m.input;
  m.pre.frame_stride = m.frame_stride;  // scoring reads clips as the model was trained on them
  m.pre.loudness_lufs = p.loudness_lufs;
  if (m.input == Preprocess::Input::Waveform) m.pre.sample_rate = info.sample_rate;
  m.pre = preprocess_from_json(to_json(m.pre));  // what is saved must load: a bad setting fails now
  if (m.input == Preprocess::Input::Waveform) {
    // Validation scores every window of a clip, as the Detector does.
    std::vector<Item> windows;
    for (const Item& it : m.split.validation) {
      const int64_t samples = m.clip_data(true).clips()[it.index].samples;
      for (const AudioWindow& w : audio_windows(samples, m.pre.size, 1.0)) windows.push_back({it.kind, it.index, it.seed, w.start});
    }
    m.split.validation = std::move(windows);
  }

  // The head (the layer ModelInfo::head names) may learn at its own rate: the optimiser's second group.
  const std::string& head_weight = m.model->info().head;
  const std::string head_prefix = head_weight.substr(0, head_weight.rfind('.') + 1);
  std::vector<torch::Tensor> body, head;
  for (auto& item : m.model->module().named_parameters(true)) {
    bool frozen = false;
    for (const std::string& prefix : p.freeze) frozen |= item.key().rfind(prefix, 0) == 0;
    item.value().set_requires_grad(!frozen);
    if (frozen) continue;
    m.trained.push_back(item.value());
    (p.head_lr > 0 && !head_prefix.empty() && item.key().rfind(head_prefix, 0) == 0 ? head : body).push_back(item.value());
  }
  if (m.trained.empty()) throw InvalidArgument("freeze", "every parameter is frozen: nothing to train");
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!body.empty()) groups.emplace_back(body);
  if (!head.empty()) groups.emplace_back(head);
  m.head_group = head.empty() ? -1 : int(groups.size()) - 1;
  if (p.optimizer == OptimizerKind::AdamW) {
    m.optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(p.lr).weight_decay(p.weight_decay));
  } else {
    m.optimizer = std::make_unique<torch::optim::SGD>(
        groups, torch::optim::SGDOptions(p.lr).momentum(p.momentum).weight_decay(p.weight_decay));
  }

  m.out = p.out_dir;
  std::error_code ec;
  fs::create_directories(m.out, ec);
  if (ec) throw IoError(p.out_dir, "cannot be created: " + ec.message());
  if (p.resume) m.load_checkpoint();
  write_file_atomically((m.out / "params.json").string(), to_json(p) + "\n");
}

Trainer::~Trainer() = default;

Model& Trainer::model() { return *impl_->model; }
Preprocess Trainer::preprocess() const { return impl_->pre; }

TrainResult Trainer::run() {
  Impl& m = *impl_;
  const TrainParams& p = m.p;
  TrainResult result;
  const auto path_of = [&](const char* name) { return (m.out / name).string(); };
  int since_best = 0;
  for (const EpochMetrics& e : m.history) since_best = e.best ? 0 : since_best + 1;
  const bool already_stopped = p.early_stopping > 0 && since_best >= p.early_stopping;
  for (int epoch = int(m.history.size()) + 1; epoch <= p.epochs && !already_stopped; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<Item> items = epoch_items(m.split, p, epoch);
    const size_t steps = std::max<size_t>(1, items.size() / size_t(p.batch_size));
    const size_t per_batch = items.size() < size_t(p.batch_size) ? items.size() : size_t(p.batch_size);
    torch::manual_seed(seed_of(p.seed, 0xd20, uint64_t(epoch)));  // the model's random layers
    m.set_training_mode();
    TrainProgress progress{epoch, p.epochs, 0, steps, "train", 0, 0};
    double loss_sum = 0, lr = p.lr;
    // The next batch is made while this one trains.
    const auto make = [&](size_t step) {
      return std::async(std::launch::async, [&m, &items, step, per_batch] {
        return m.make_samples(items, step * per_batch, (step + 1) * per_batch, true, false);
      });
    };
    std::future<std::vector<Sample>> next = make(0);
    for (size_t step = 0; step < steps; ++step) {
      const std::vector<Sample> images = next.get();
      if (step + 1 < steps) next = make(step + 1);
      torch::Tensor target = torch::empty({int64_t(images.size())});
      for (size_t k = 0; k < images.size(); ++k) {
        const double y = items[step * per_batch + k].kind == Kind::Real ? 0.0 : 1.0;
        target[int64_t(k)] = y * (1 - p.label_smoothing) + 0.5 * p.label_smoothing;
      }
      target = target.to(torch::Device(m.model->device()));
      lr = m.lr_at(epoch, step, steps);
      auto& groups = m.optimizer->param_groups();
      for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(int(g) == m.head_group ? lr * p.head_lr / p.lr : lr);
      torch::Tensor logits;
      {
        const detail::CpuAutocast autocast(m.precision == Precision::BFloat16);  // the backward follows its casts
        logits = m.model->forward(m.batch(images)).select(1, 0).to(torch::kFloat32);
      }
      const torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits, target);
      m.optimizer->zero_grad();
      loss.backward();
      if (p.grad_clip > 0) torch::nn::utils::clip_grad_norm_(m.trained, p.grad_clip);
      m.optimizer->step();
      loss_sum += loss.item<double>();
      if (on_progress) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.step = step + 1;
        progress.loss = loss_sum / double(step + 1);
        progress.images_per_second = double((step + 1) * per_batch) / std::max(seconds, 1e-9);
        on_progress(progress);
      }
    }

    // Validation: p(fake) per face, then per source (the mean of its faces).
    m.model->module().eval();
    std::vector<int> labels;
    std::vector<double> scores;
    {
      torch::NoGradGuard no_grad;
      const std::vector<Item>& val = m.split.validation;
      const size_t step = size_t(p.batch_size) * 2;
      for (size_t begin = 0; begin < val.size(); begin += step) {
        const size_t end = std::min(val.size(), begin + step);
        const torch::Tensor prob =
            torch::sigmoid(m.model->forward(m.batch(m.make_samples(val, begin, end, false, true))).select(1, 0)).to(torch::kCPU, torch::kDouble).contiguous();
        for (size_t k = begin; k < end; ++k) {
          labels.push_back(val[k].kind == Kind::Real ? 0 : 1);
          scores.push_back(prob.data_ptr<double>()[k - begin]);
        }
        if (on_progress) {
          progress.phase = "validate";
          progress.step = end;
          progress.steps = val.size();
          on_progress(progress);
        }
      }
    }
    std::map<std::string, std::pair<int, std::vector<double>>> videos;  // a blended source is its own video
    for (size_t k = 0; k < m.split.validation.size(); ++k) {
      const Item& it = m.split.validation[k];
      const std::string& source = m.row(it, true).source;
      auto& v = videos[it.kind == Kind::SelfBlended ? "self-blended:" + source : source];
      v.first = labels[k];
      v.second.push_back(scores[k]);
    }
    std::vector<int> video_labels;
    std::vector<double> video_scores;
    for (const auto& [source, v] : videos) {
      video_labels.push_back(v.first);
      video_scores.push_back(std::accumulate(v.second.begin(), v.second.end(), 0.0) / double(v.second.size()));
    }
    EpochMetrics e;
    e.epoch = epoch;
    e.lr = lr;
    e.train_loss = loss_sum / double(steps);
    e.val_loss = metric_or_nan([&] { return metrics::log_loss(labels, scores); });
    e.val_auc = metric_or_nan([&] { return metrics::roc_auc(labels, scores); });
    e.val_video_loss = metric_or_nan([&] { return metrics::log_loss(video_labels, video_scores); });
    e.val_video_auc = metric_or_nan([&] { return metrics::roc_auc(video_labels, video_scores); });
    e.train_samples = steps * per_batch;
    e.val_faces = labels.size();
    e.val_videos = videos.size();
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    e.best = e.val_loss < m.best_loss;
    if (e.best) {
      m.best_loss = e.val_loss;
      m.best_epoch = epoch;
      save_model(*m.model, path_of("best.safetensors"), m.metadata(e));
    }
    save_model(*m.model, path_of("last.safetensors"), m.metadata(e));
    m.history.push_back(e);
    m.save_checkpoint();
    m.write_metrics();
    if (on_epoch) on_epoch(e);
    since_best = e.best ? 0 : since_best + 1;
    if (p.early_stopping > 0 && since_best >= p.early_stopping) {
      result.stopped_early = true;
      break;
    }
  }
  result.history = m.history;
  result.best_epoch = m.best_epoch;
  result.stopped_early |= already_stopped;
  result.best_weights = path_of("best.safetensors");
  result.last_weights = path_of("last.safetensors");
  return result;
}

}  // namespace dfd
