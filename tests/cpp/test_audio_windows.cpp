// Windows of a clip for waveform models, and the refusal of audio no model can judge.
#include "dfd/audio_strip.hpp"
#include "dfd/audio_windows.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <cmath>

#include <torch/torch.h>

TEST_CASE("audio_windows: touching windows, a tail window ending at the clip's end, one padded window" * doctest::test_suite("unit")) {
  using dfd::audio_windows;
  // Exactly one window: not padded.
  auto w = audio_windows(100, 100, 1.0);
  REQUIRE(w.size() == 1);
  CHECK(w[0].start == 0);
  CHECK(w[0].length == 100);
  CHECK_FALSE(w[0].padded);
  // Shorter: one padded window holding the whole clip.
  w = audio_windows(30, 100, 1.0);
  REQUIRE(w.size() == 1);
  CHECK(w[0].length == 30);
  CHECK(w[0].padded);
  // 250 samples, windows of 100 touching: 0, 100, and the tail 150..250 (overlapping the second).
  w = audio_windows(250, 100, 1.0);
  REQUIRE(w.size() == 3);
  CHECK(w[0].start == 0);
  CHECK(w[1].start == 100);
  CHECK(w[2].start == 150);
  // Exact multiples need no tail window.
  CHECK(audio_windows(300, 100, 1.0).size() == 3);
  // Half overlap: 0, 50, 100, 150 and then 200 ends exactly at 300.
  w = audio_windows(300, 100, 0.5);
  REQUIRE(w.size() == 5);
  CHECK(w.back().start == 200);
  // Every sample is in some window, for any length and hop.
  for (int64_t n : {1, 99, 100, 101, 199, 1000, 64599, 64601, 200000}) {
    for (double hop : {1.0, 0.5, 0.3}) {
      const auto ws = audio_windows(n, 64600 < n ? 64600 : 100, hop);
      const int64_t window = 64600 < n ? 64600 : 100;
      int64_t covered = 0;  // windows ascend and overlap or touch: the covered prefix grows
      for (const auto& x : ws) {
        CHECK(x.start <= covered);
        covered = std::max(covered, x.start + x.length);
        CHECK(x.start + x.length <= n);
        CHECK(x.length <= window);
      }
      CHECK(covered == n);
    }
  }
  CHECK_THROWS_AS(audio_windows(0, 100, 1.0), dfd::InvalidArgument);
  CHECK_THROWS_AS(audio_windows(10, 0, 1.0), dfd::InvalidArgument);
  CHECK_THROWS_AS(audio_windows(10, 100, 0.0), dfd::InvalidArgument);
  CHECK_THROWS_AS(audio_windows(10, 100, 1.5), dfd::InvalidArgument);
}

TEST_CASE("audio_window_batch: the windows' samples; a short clip repeated from its start (data_utils.pad)" * doctest::test_suite("unit")) {
  std::vector<float> clip(7);
  for (size_t i = 0; i < clip.size(); ++i) clip[i] = static_cast<float>(i + 1);
  const torch::Tensor padded = dfd::audio_window_batch(clip, dfd::audio_windows(7, 16, 1.0), 16);
  REQUIRE(padded.sizes() == torch::IntArrayRef({1, 16}));
  const float expected[16] = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2};
  for (int k = 0; k < 16; ++k) CHECK(padded[0][k].item<float>() == expected[k]);

  std::vector<float> longer(25);
  for (size_t i = 0; i < longer.size(); ++i) longer[i] = static_cast<float>(i);
  const torch::Tensor batch = dfd::audio_window_batch(longer, dfd::audio_windows(25, 10, 1.0), 10);
  REQUIRE(batch.size(0) == 3);
  CHECK(batch[1][0].item<float>() == 10);
  CHECK(batch[2][0].item<float>() == 15);  // the tail window ends at the last sample
  CHECK(batch[2][9].item<float>() == 24);
  // Windows that do not belong to the clip are refused, not read out of bounds.
  CHECK_THROWS_AS(dfd::audio_window_batch(longer, {dfd::AudioWindow{20, 10, false}}, 10), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::audio_window_batch(longer, {dfd::AudioWindow{0, 5, false}}, 10), dfd::InvalidArgument);
}

TEST_CASE("check_audio_usable: too short and silent audio are typed errors naming the file" * doctest::test_suite("unit")) {
  dfd::AudioWindowParams p;  // 1 s, -60 dBFS
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.1f * std::sin(0.05f * static_cast<float>(i));
  CHECK_NOTHROW(dfd::check_audio_usable(tone, 16000, p, "tone.wav"));
  const std::vector<float> short_tone(tone.begin(), tone.begin() + 1600);  // 0.1 s
  try {
    dfd::check_audio_usable(short_tone, 16000, p, "short.wav");
    FAIL("a 0.1 s clip passed");
  } catch (const dfd::UnusableAudioError& e) {
    CHECK(e.reason() == dfd::UnusableAudioError::Reason::TooShort);
    CHECK(std::string(e.what()).find("short.wav: 0.100 s of audio") == 0);
  }
  try {
    dfd::check_audio_usable(std::vector<float>(32000, 0.0f), 16000, p, "zeros.wav");
    FAIL("digital silence passed");
  } catch (const dfd::UnusableAudioError& e) {
    CHECK(e.reason() == dfd::UnusableAudioError::Reason::Silent);
    CHECK(std::string(e.what()) == "zeros.wav: silent: every sample is 0");
  }
  std::vector<float> hiss(32000, 0.0005f);  // -66 dBFS
  CHECK_THROWS_AS(dfd::check_audio_usable(hiss, 16000, p, "hiss.wav"), dfd::UnusableAudioError);
  p.silence_dbfs = -80;
  CHECK_NOTHROW(dfd::check_audio_usable(hiss, 16000, p, "hiss.wav"));
  CHECK(dfd::to_string(dfd::UnusableAudioError::Reason::Silent) == "silent");
}

TEST_CASE("audio_strip: the spectrogram above the windows' p(fake) on one time axis" * doctest::test_suite("unit")) {
  cv::Mat db(128, 200, CV_32F);
  for (int r = 0; r < db.rows; ++r) {
    for (int c = 0; c < db.cols; ++c) db.at<float>(r, c) = -80.0f + 80.0f * static_cast<float>(c) / db.cols;
  }
  std::vector<dfd::AudioWindowScore> windows(2);
  windows[0].start = 0, windows[0].end = 2, windows[0].p_fake = 0.0f;
  windows[1].start = 2, windows[1].end = 4, windows[1].p_fake = 1.0f;
  const dfd::AudioStripParams p;
  const cv::Mat strip = dfd::audio_strip(db, 4.0, windows, p);
  REQUIRE(strip.type() == CV_8UC3);
  CHECK(strip.cols == p.min_width);  // 4 s at 50 px/s = 200, raised to 400
  CHECK(strip.rows == p.spectrogram_height + p.strip_height + 8);
  const int y = p.spectrogram_height + 4 + p.strip_height / 2;
  CHECK(strip.at<cv::Vec3b>(y, 50) == dfd::fake_colour(0.0f));
  CHECK(strip.at<cv::Vec3b>(y, 350) == dfd::fake_colour(1.0f));
  CHECK(dfd::fake_colour(1.0f)[0] > dfd::fake_colour(1.0f)[1]);  // red
  CHECK(dfd::fake_colour(0.0f)[1] > dfd::fake_colour(0.0f)[0]);  // green
  // Louder (later columns here) is brighter in the spectrogram.
  const cv::Vec3b quiet = strip.at<cv::Vec3b>(80, 5), loud = strip.at<cv::Vec3b>(80, 395);
  CHECK(quiet[0] + quiet[1] + quiet[2] < loud[0] + loud[1] + loud[2]);
  // A moment no window covers is grey.
  const cv::Mat partial = dfd::audio_strip(db, 8.0, windows, p);
  CHECK(partial.at<cv::Vec3b>(y, partial.cols - 2) == cv::Vec3b(200, 200, 200));
  CHECK_THROWS_AS(dfd::audio_strip(cv::Mat(), 4.0, windows), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::audio_strip(db, 0.0, windows), dfd::InvalidArgument);
}
