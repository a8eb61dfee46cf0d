// BS.1770-4 integrated loudness against the standard's own calibration points, and the preset field
// that levels a waveform model's input.
#include "dfd/classifier.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK
#include "dfd/loudness.hpp"

#include "dfd_test.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace {

std::vector<float> sine(double hz, double amplitude, double seconds, int rate) {
  std::vector<float> out(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / rate));
  return out;
}

double db(double gain) { return 20.0 * std::log10(gain); }

}  // namespace

TEST_CASE("integrated_loudness: a full-scale 997 Hz sine in one channel reads -3.01 LUFS at any rate (BS.1770-4)" * doctest::test_suite("unit")) {
  // The standard's calibration: K-weighting is +0.691 dB at 1 kHz, cancelled by its -0.691 offset,
  // so a sine of peak 1 (mean square 1/2) reads 10 log10(1/2) = -3.01. Every rate designs its own
  // filters (48 kHz: the standard's coefficient table; below it the bilinear transform bends the
  // shelf a little: 16 kHz reads -2.97). EBU Tech 3341 allows a meter ±0.1 LU.
  for (int rate : {8000, 16000, 22050, 44100, 48000}) {
    CAPTURE(rate);
    CHECK(std::abs(dfd::integrated_loudness(sine(997, 1.0, 3.0, rate), rate) + 3.01) < 0.05);
    // 20 dB lower, 1 kHz: -23.01 (the +0.691 dB of K-weighting is at 997-1000 Hz alike).
    CHECK(std::abs(dfd::integrated_loudness(sine(1000, std::pow(10.0, -20.0 / 20), 3.0, rate), rate) + 23.01) < 0.05);
  }
}

TEST_CASE("integrated_loudness: gain shifts it by 20 log10 g; the gates drop silence and parts 10 LU below" * doctest::test_suite("unit")) {
  const int rate = 16000;
  std::vector<float> voice = sine(440, 0.3, 2.0, rate);
  for (size_t i = 0; i < voice.size(); ++i) voice[i] += static_cast<float>(0.05 * std::sin(2.0 * M_PI * 3100.0 * static_cast<double>(i) / rate));
  const double level = dfd::integrated_loudness(voice, rate);
  REQUIRE(std::isfinite(level));
  for (double g : {0.1, 0.5, 2.0, 3.0}) {
    std::vector<float> scaled = voice;
    for (float& s : scaled) s = static_cast<float>(s * g);
    CHECK(std::abs(dfd::integrated_loudness(scaled, rate) - (level + db(g))) < 1e-6);
  }
  // Silence (the absolute gate, -70 LUFS) counts for nothing: 1 s before and 5 s after, or 3 s and
  // 20 s, read the same (whole seconds keep the blocks' 100 ms grid on the voice).
  auto surrounded = [&](int before, int after) {
    std::vector<float> out(static_cast<size_t>(before * rate), 0.0f);
    out.insert(out.end(), voice.begin(), voice.end());
    out.resize(out.size() + static_cast<size_t>(after * rate), 0.0f);
    return dfd::integrated_loudness(out, rate);
  };
  CHECK(std::abs(surrounded(1, 5) - surrounded(3, 20)) < 1e-9);
  // A part 20 dB quieter (background talk) falls under the relative gate (10 LU below): 40 dB
  // quieter reads the same; a part 3 dB quieter is kept and lowers the level by about 1.2 LU (the
  // blocks straddling the change count in both).
  auto followed_by = [&](double quieter_db) {
    std::vector<float> two = voice;
    for (float s : voice) two.push_back(static_cast<float>(s * std::pow(10.0, quieter_db / 20)));
    return dfd::integrated_loudness(two, rate);
  };
  CHECK(std::abs(followed_by(-20) - followed_by(-40)) < 0.02);
  CHECK(followed_by(-3) < followed_by(-20) - 0.5);
  CHECK(dfd::loudness_gain(-36.0, -26.0) == doctest::Approx(std::pow(10.0, 0.5)));
  CHECK(std::abs(db(dfd::loudness_gain(level, -26.0)) - (-26.0 - level)) < 1e-9);
}

TEST_CASE("integrated_loudness: no block above -70 LUFS is -inf; bad arguments are InvalidArgument" * doctest::test_suite("unit")) {
  const double minus_inf = -std::numeric_limits<double>::infinity();
  CHECK(dfd::integrated_loudness(std::vector<float>(16000, 0.0f), 16000) == minus_inf);
  CHECK(dfd::integrated_loudness(sine(997, 1.0, 0.3, 16000), 16000) == minus_inf);  // shorter than one 400 ms block
  CHECK(dfd::integrated_loudness(sine(997, 1e-4, 2.0, 16000), 16000) == minus_inf);  // -83 LUFS
  CHECK(dfd::integrated_loudness({}, 16000) == minus_inf);
  CHECK_THROWS_AS(dfd::integrated_loudness(sine(997, 1.0, 1.0, 16000), 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::loudness_gain(minus_inf, -26.0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::loudness_gain(-30.0, std::nan("")), dfd::InvalidArgument);
}

TEST_CASE("Preprocess::loudness_lufs: aasist_normalized levels to -26 LUFS, aasist does not; JSON keeps it; checked" * doctest::test_suite("unit")) {
  const dfd::Preprocess reference = dfd::preset("aasist"), levelled = dfd::preset("aasist_normalized");
  CHECK_FALSE(reference.loudness_lufs.has_value());
  REQUIRE(levelled.loudness_lufs.has_value());
  CHECK(*levelled.loudness_lufs == -26.0);
  CHECK((levelled.size == reference.size && levelled.sample_rate == reference.sample_rate && levelled.fake_index == reference.fake_index));
  const dfd::Preprocess back = dfd::preprocess_from_json(dfd::to_json(levelled));
  CHECK(back.loudness_lufs == levelled.loudness_lufs);
  CHECK_FALSE(dfd::preprocess_from_json(dfd::to_json(reference)).loudness_lufs.has_value());
  CHECK(dfd::to_json(reference).find("loudness") == std::string::npos);  // files written before keep their bytes

  dfd::Preprocess bad = levelled;
  bad.loudness_lufs = 3.0;  // above full scale
  CHECK_THROWS_AS(dfd::preprocess_from_json(dfd::to_json(bad)), dfd::InvalidArgument);
  bad.loudness_lufs = -80.0;  // below the gate: nothing would be measured at that level
  CHECK_THROWS_AS(dfd::preprocess_from_json(dfd::to_json(bad)), dfd::InvalidArgument);
  dfd::Preprocess face = dfd::preset("mesonet");
  face.loudness_lufs = -26.0;  // a face model has no loudness
  CHECK_THROWS_WITH_AS(dfd::preprocess_from_json(dfd::to_json(face)), doctest::Contains("waveform"), dfd::InvalidArgument);
}
