// audio_bandwidth_hz against tones of known frequencies and levels, and the narrowband gate of
// check_audio_usable. Data-free (unit suite).
#include "dfd/audio_windows.hpp"  // brings ATen (c10's logging): before dfd_test.hpp, which restores doctest's CHECK
#include "dfd/audio_bandwidth.hpp"

#include "dfd_test.hpp"

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr double kPi = 3.14159265358979323846;

// One second per 16000 samples of tones: (frequency Hz, amplitude) pairs, over a faint white noise
// `noise` (0: none), at 16 kHz.
std::vector<float> tones(const std::vector<std::pair<double, double>>& parts, size_t n = 32000, double noise = 0.0) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    double s = noise * normal(rng);
    for (const auto& [f, a] : parts) s += a * std::sin(2 * kPi * f * static_cast<double>(i) / 16000.0);
    out[i] = static_cast<float>(s);
  }
  return out;
}

}  // namespace

TEST_CASE("audio_bandwidth_hz: the highest part within 60 dB of the strongest, gain-free" * doctest::test_suite("unit")) {
  // Telephone-like: nothing above 3 kHz. Hann leakage reaches a few bins (31.25 Hz each) past it.
  const double phone = dfd::audio_bandwidth_hz(tones({{300, 0.3}, {1000, 0.2}, {3000, 0.1}}), 16000);
  CAPTURE(phone);
  CHECK((phone >= 3000 && phone <= 3200));
  // A part 50 dB down counts; one 70 dB down does not.
  const double with_50 = dfd::audio_bandwidth_hz(tones({{300, 0.3}, {3000, 0.1}, {7000, 0.3 * std::pow(10, -50 / 20.0)}}), 16000);
  const double with_70 = dfd::audio_bandwidth_hz(tones({{300, 0.3}, {3000, 0.1}, {7000, 0.3 * std::pow(10, -70 / 20.0)}}), 16000);
  CAPTURE(with_50);
  CAPTURE(with_70);
  CHECK((with_50 >= 7000 && with_50 <= 7200));
  CHECK(with_70 <= 3200);
  // White noise fills the band to the Nyquist frequency; a gain moves nothing.
  std::vector<float> noisy = tones({{500, 0.1}}, 32000, 0.05);
  CHECK(dfd::audio_bandwidth_hz(noisy, 16000) == 8000.0);
  std::vector<float> x = tones({{300, 0.3}, {2500, 0.05}});
  const double before = dfd::audio_bandwidth_hz(x, 16000);
  for (float& s : x) s *= 50;
  CHECK(dfd::audio_bandwidth_hz(x, 16000) == before);
  // The rate scales the answer: the same samples at 8 kHz reach half as high.
  CHECK(dfd::audio_bandwidth_hz(x, 8000) == doctest::Approx(before / 2));
  CHECK(dfd::audio_bandwidth_hz(std::vector<float>(16000, 0.0f), 16000) == 0.0);  // digital silence
  CHECK_THROWS_AS(dfd::audio_bandwidth_hz(std::vector<float>(100, 0.1f), 16000), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::audio_bandwidth_hz(x, 0), dfd::InvalidArgument);
}

TEST_CASE("check_audio_usable: the narrowband gate refuses band-limited sound, off by default" * doctest::test_suite("unit")) {
  const std::vector<float> phone = tones({{300, 0.3}, {1000, 0.2}, {3400, 0.1}});
  dfd::AudioWindowParams p;
  dfd::check_audio_usable(phone, 16000, p, "call.wav");  // the default: no gate
  p.min_bandwidth_hz = 5000;
  try {
    dfd::check_audio_usable(phone, 16000, p, "call.wav");
    FAIL("narrowband audio passed the gate");
  } catch (const dfd::UnusableAudioError& e) {
    CHECK(e.reason() == dfd::UnusableAudioError::Reason::Narrowband);
    const std::string message = e.what();
    CHECK(message.find("call.wav") != std::string::npos);
    CHECK(message.find("narrowband: the sound reaches") != std::string::npos);
    CHECK(message.find("audio.windows.min_bandwidth_hz") != std::string::npos);
  }
  CHECK(dfd::to_string(dfd::UnusableAudioError::Reason::Narrowband) == "narrowband");
  // Too few samples to measure (only with min_seconds near 0): too short, not an InvalidArgument.
  p.min_seconds = 0;
  try {
    dfd::check_audio_usable(std::vector<float>(100, 0.1f), 16000, p, "blip.wav");
    FAIL("a 100-sample clip passed the narrowband gate");
  } catch (const dfd::UnusableAudioError& e) {
    CHECK(e.reason() == dfd::UnusableAudioError::Reason::TooShort);
  }
  dfd::check_audio_usable(tones({{300, 0.3}, {2000, 0.1}}, 32000, 0.01), 16000, p, "wideband.wav");  // noise to 8 kHz
}
