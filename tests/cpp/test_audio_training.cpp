// dfd::AudioDataset and dfd::Trainer on sound the test synthesises: a run on log-mel images learns
// a buzz from clean tones (validation AUC > 0.9), a waveform model's validation covers every
// window, and malformed datasets are refused by file. Data-free (unit suite).
#include "dfd/trainer.hpp"  // brings c10's logging: before dfd_test.hpp

#include "dfd_test.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "dfd/audio_augment.hpp"
#include "dfd/audio_dataset.hpp"
#include "dfd/classifier.hpp"
#include "dfd/safetensors.hpp"

#include <torch/torch.h>

namespace fs = std::filesystem;
using dfd::test::temp_dir;

namespace {

void write_clip(const fs::path& path, const std::vector<float>& samples, int rate) {
  dfd::TensorData t;
  t.shape = {static_cast<int64_t>(samples.size())};
  const auto* bytes = reinterpret_cast<const uint8_t*>(samples.data());
  t.bytes.assign(bytes, bytes + samples.size() * sizeof(float));
  dfd::save_safetensors(path.string(), {{"waveform", t}}, {{"dfd.audio_clip", fmt::format("{{\"sample_rate\": {}}}", rate)}});
}

// `n` speakers, a real clip each (a voiced tone with noise) and, for every one, a fake twin with a
// high buzz added — an artefact a model must learn to hear.
dfd::AudioDataset tone_dataset(const std::string& dir, int n, int rate, double seconds) {
  fs::create_directories(dir + "/clips");
  std::vector<dfd::AudioClip> clips;
  for (int k = 0; k < n; ++k) {
    for (int fake = 0; fake < 2; ++fake) {
      cv::RNG rng(static_cast<uint64_t>(k * 2 + fake) + 7);
      std::vector<float> s(static_cast<size_t>(seconds * rate));
      const double f0 = 110 + 15 * k;
      for (size_t i = 0; i < s.size(); ++i) {
        const double t = double(i) / rate;
        double v = 0.3 * std::sin(2 * M_PI * f0 * t) + 0.1 * std::sin(2 * M_PI * 2 * f0 * t) + 0.02 * rng.gaussian(1.0);
        if (fake) v += 0.05 * std::sin(2 * M_PI * 6000 * t);
        s[i] = static_cast<float>(v);
      }
      dfd::AudioClip c;
      c.audio = fmt::format("clips/{}_{}.safetensors", k, fake);
      c.source = fmt::format("speaker{}_{}.wav", k, fake);
      c.label = fake;
      c.group = fmt::format("speaker{}", k);
      c.sample_rate = rate;
      c.samples = static_cast<int64_t>(s.size());
      write_clip(fs::path(dir) / c.audio, s, rate);
      clips.push_back(c);
    }
  }
  dfd::AudioDataset d(dir, clips);
  d.save_index();
  return d;
}

}  // namespace

TEST_CASE("Trainer: a spectrogram model learns a buzz from clean tones (validation AUC > 0.9)" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/audio_train";
  tone_dataset(dir + "/clips", 10, 22050, 1.0);
  const dfd::AudioDataset data = dfd::AudioDataset::open(dir + "/clips");
  REQUIRE(dfd::is_audio_dataset(dir + "/clips"));
  CHECK(data.size() == 20);
  dfd::TrainParams p;
  p.arch = "resnet18";
  p.input_size = 32;
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 4;
  p.batch_size = 8;
  p.epoch_size = 32;
  p.lr = 3e-3;
  p.val_fraction = 0.3;
  p.seed = 5;
  p.out_dir = dir + "/run";
  dfd::Trainer trainer(data, p);
  CHECK(trainer.preprocess().input == dfd::Preprocess::Input::Spectrogram);
  const dfd::TrainResult r = trainer.run();
  CHECK(r.history.back().val_videos == r.history.back().val_faces);  // a clip is one sample
  CHECK(r.history.back().val_auc > 0.9);
  const auto clf = dfd::Classifier::create("resnet18:" + r.best_weights);
  CHECK(clf->preprocess_spec().input == dfd::Preprocess::Input::Spectrogram);
}

TEST_CASE("Trainer: a waveform model validates on every window of the held-out clips" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/audio_train_wave";
  tone_dataset(dir + "/clips", 2, 16000, 4.5);  // 72 000 samples: 2 windows of 64 600 each
  dfd::TrainParams p;
  p.arch = "aasist_l";
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 1;
  p.batch_size = 2;
  p.epoch_size = 2;
  p.val_fraction = 0.5;
  p.out_dir = dir + "/run";
  dfd::Trainer trainer(dfd::AudioDataset::open(dir + "/clips"), p);
  CHECK(trainer.preprocess().input == dfd::Preprocess::Input::Waveform);
  CHECK(trainer.preprocess().sample_rate == 16000);
  const dfd::TrainResult r = trainer.run();
  CHECK(r.history[0].val_videos == 2);  // one speaker's real and fake clip
  CHECK(r.history[0].val_faces == 4);   // two windows each
  CHECK(std::isfinite(r.history[0].val_loss));
}

TEST_CASE("Trainer: freeze_bn_stats keeps every BatchNorm's running statistics while its scale learns" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/audio_train_bn";
  tone_dataset(dir + "/clips", 3, 22050, 1.0);
  dfd::TrainParams p;
  p.arch = "resnet18";
  p.input_size = 32;
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 1;
  p.batch_size = 4;
  p.epoch_size = 8;
  p.val_fraction = 0.34;
  p.out_dir = dir + "/run";
  const auto tensor = [](dfd::Trainer& t, const std::string& name) {
    return t.model().module().named_buffers(true).contains(name) ? t.model().module().named_buffers(true)[name].clone()
                                                                 : t.model().module().named_parameters(true)[name].clone();
  };
  for (bool frozen : {false, true}) {
    p.freeze_bn_stats = frozen;
    dfd::Trainer t(dfd::AudioDataset::open(dir + "/clips"), p);
    const torch::Tensor mean = tensor(t, "layer1.0.bn1.running_mean"), scale = tensor(t, "layer1.0.bn1.weight");
    t.run();
    CHECK(torch::equal(mean, tensor(t, "layer1.0.bn1.running_mean")) == frozen);
    CHECK_FALSE(torch::equal(scale, tensor(t, "layer1.0.bn1.weight")));
  }
}

TEST_CASE("Trainer on audio: the wrong rate, self-blending and a waveform model on faces are refused" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/audio_train_bad";
  tone_dataset(dir + "/clips", 2, 22050, 1.0);
  dfd::TrainParams p;
  p.arch = "aasist_l";
  p.mix = {0.5, 0.0, 0.5};
  p.out_dir = dir + "/run";
  CHECK_THROWS_WITH_AS(dfd::Trainer(dfd::AudioDataset::open(dir + "/clips"), p),
                       doctest::Contains("--sample-rate 16000"), dfd::InvalidArgument);
  p.arch = "resnet18";
  p.mix = {0.5, 0.5, 0.0};
  CHECK_THROWS_WITH_AS(dfd::Trainer(dfd::AudioDataset::open(dir + "/clips"), p), doctest::Contains("self-blending"),
                       dfd::InvalidArgument);
  p.arch = "aasist_l";
  CHECK_THROWS_WITH_AS(dfd::Trainer(dfd::FaceDataset(dir, {}), p), doctest::Contains("takes a waveform"), dfd::InvalidArgument);
}

TEST_CASE("AudioDataset: a malformed index or a clip unlike its row is an error naming the file" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/audio_dataset_bad";
  const dfd::AudioDataset d = tone_dataset(dir, 1, 8000, 1.0);
  CHECK(d.waveform(1).size() == 8000);
  CHECK_THROWS_AS(d.waveform(2), dfd::InvalidArgument);
  // The index claims another length: the clip file is named.
  std::vector<dfd::AudioClip> clips = d.clips();
  clips[0].samples = 7999;
  CHECK_THROWS_WITH_AS(dfd::AudioDataset(dir, clips).waveform(0), doctest::Contains("0_0.safetensors"), dfd::DecodeError);
  clips = d.clips();
  clips[0].sample_rate = 16000;
  CHECK_THROWS_WITH_AS(dfd::AudioDataset(dir, clips).waveform(0), doctest::Contains("16000 Hz"), dfd::DecodeError);
  std::ofstream(dir + "/index.csv", std::ios::app) << "clips/x.safetensors,x.wav,2,g,8000,10\n";
  CHECK_THROWS_WITH_AS(dfd::AudioDataset::open(dir), doctest::Contains("label 2"), dfd::DecodeError);
  std::ofstream(dir + "/index.csv") << "image,source,label\n";
  CHECK_FALSE(dfd::is_audio_dataset(dir));
  CHECK_THROWS_WITH_AS(dfd::AudioDataset::open(dir), doctest::Contains("not an audio index"), dfd::DecodeError);
  CHECK_FALSE(dfd::is_audio_dataset(dir + "/nowhere"));
}

TEST_CASE("Audio augmentations: seeded; noise at the drawn SNR; masks at the minimum within their share" * doctest::test_suite("unit")) {
  std::vector<float> clip(16000);
  cv::RNG rng(3);
  for (float& s : clip) s = static_cast<float>(0.1 * rng.gaussian(1.0));
  dfd::AudioAugmentParams p;
  p.gain_db = 0;
  p.noise_p = 1;
  p.snr_db_min = p.snr_db_max = 10;
  std::vector<float> a = clip, b = clip;
  dfd::augment_waveform(a, 11, p);
  dfd::augment_waveform(b, 11, p);
  CHECK(a == b);
  double signal = 0, noise = 0;
  for (size_t i = 0; i < clip.size(); ++i) {
    signal += double(clip[i]) * clip[i];
    noise += double(a[i] - clip[i]) * (a[i] - clip[i]);
  }
  CHECK(10 * std::log10(signal / noise) == doctest::Approx(10).epsilon(0.05));
  p.snr_db_min = 20;
  CHECK_THROWS_AS(dfd::augment_waveform(a, 1, p), dfd::InvalidArgument);

  cv::Mat db(64, 100, CV_32FC1);
  rng.fill(db, cv::RNG::UNIFORM, -80, 0);
  dfd::AudioAugmentParams m;
  m.time_mask_p = m.freq_mask_p = 1;
  m.time_mask_max = 0.2;
  m.freq_mask_max = 0.25;
  const cv::Mat masked = dfd::mask_spectrogram(db, 4, m);
  double low = 0;
  cv::minMaxLoc(db, &low);
  int full_cols = 0, full_rows = 0;
  for (int c = 0; c < db.cols; ++c) full_cols += cv::countNonZero(masked.col(c) == low) == db.rows;
  for (int r = 0; r < db.rows; ++r) full_rows += cv::countNonZero(masked.row(r) == low) == db.cols;
  CHECK(full_cols <= 20);
  CHECK(full_rows <= 16);
  CHECK(cv::countNonZero(dfd::mask_spectrogram(db, 4, m) != masked) == 0);
  CHECK_THROWS_AS(dfd::mask_spectrogram(cv::Mat(), 1, m), dfd::InvalidArgument);
}
