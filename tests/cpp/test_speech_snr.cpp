// WADA-SNR against signals built as its model assumes (Gamma speech plus Gaussian noise), and the
// speech gate of check_audio_usable. Data-free (unit suite).
#include "dfd/audio_windows.hpp"  // brings ATen (c10's logging): before dfd_test.hpp, which restores doctest's CHECK
#include "dfd/speech_snr.hpp"

#include "dfd_test.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

// Speech of the estimator's model at `snr_db` over unit-power noise, scaled down to a plausible level.
std::vector<float> speech_in_noise(double snr_db, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::gamma_distribution<double> gamma(0.4, 1.0);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution sign;
  std::vector<double> speech(n), noise(n);
  double speech_power = 0, noise_power = 0;
  for (size_t i = 0; i < n; ++i) {
    speech[i] = gamma(rng) * (sign(rng) ? 1 : -1);
    noise[i] = normal(rng);
    speech_power += speech[i] * speech[i];
    noise_power += noise[i] * noise[i];
  }
  const double a = std::pow(10.0, snr_db / 20) * std::sqrt(noise_power / speech_power);
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(0.01 * (a * speech[i] + noise[i]));
  return out;
}

}  // namespace

TEST_CASE("speech_snr_db: a known SNR, gain-free, its floor, bad input" * doctest::test_suite("unit")) {
  for (double snr : {0.0, 10.0, 20.0, 30.0}) {
    const double estimate = dfd::speech_snr_db(speech_in_noise(snr, 400000, 7));
    CAPTURE(snr);
    CAPTURE(estimate);
    CHECK(std::abs(estimate - snr) < 1.0);
  }
  std::vector<float> x = speech_in_noise(15, 100000, 3);
  const double before = dfd::speech_snr_db(x);
  for (float& s : x) s *= 50;
  CHECK(std::abs(dfd::speech_snr_db(x) - before) < 1e-6);
  CHECK(dfd::speech_snr_db(std::vector<float>(100, 0.0f)) == dfd::kSpeechSnrFloorDb);
  std::vector<float> tone(160000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<float>(0.3 * std::sin(0.1 * static_cast<double>(i)));
  CHECK(dfd::speech_snr_db(tone) == dfd::kSpeechSnrFloorDb);  // flatter than noise: no speech in it
  CHECK_THROWS_AS(dfd::speech_snr_db({}), dfd::InvalidArgument);
}

TEST_CASE("check_audio_usable: the speech gate refuses noise as Noisy, off by default" * doctest::test_suite("unit")) {
  const std::vector<float> noisy = speech_in_noise(5, 48000, 11);
  dfd::AudioWindowParams p;
  dfd::check_audio_usable(noisy, 16000, p, "noisy.wav");  // the default: no gate
  p.min_speech_snr_db = 12;
  try {
    dfd::check_audio_usable(noisy, 16000, p, "noisy.wav");
    FAIL("noise passed the gate");
  } catch (const dfd::UnusableAudioError& e) {
    CHECK(e.reason() == dfd::UnusableAudioError::Reason::Noisy);
    CHECK(dfd::to_string(e.reason()) == "noisy");
    CHECK(std::string(e.what()).find("noisy.wav") != std::string::npos);
    CHECK(std::string(e.what()).find("min_speech_snr_db") != std::string::npos);
  }
  dfd::check_audio_usable(speech_in_noise(30, 48000, 11), 16000, p, "clean.wav");
}
