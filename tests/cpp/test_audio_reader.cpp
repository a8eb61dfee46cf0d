#include "dfd_test.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/audio.hpp"
#include "dfd/safetensors.hpp"

using dfd::test::shared_path;

// g9: the reference is `ffmpeg -ac 1 -ar 22050 -f f32le` (FFmpeg 5.1). With the same FFmpeg and
// swresample's defaults the samples are equal; the bound below is what this was measured at (0)
// plus float noise, and the full-length sum checks nothing was lost or added past 10 s.
TEST_CASE("g9: AudioReader equals the ffmpeg command line's decode") {
  const std::vector<std::pair<std::string, std::string>> clips = {
      {"fake_spk1_01", "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav"},  // 24 kHz f32
      {"real_spk1_01", "data/audio/zozturk_chatterbox_tr/real/real_spk1_01.wav"},  // 16 kHz s16
      {"0ghm5Cqpfwk", "data/audio/resemblyzer_trump/fake/0ghm5Cqpfwk.mp3"},        // 44.1 kHz stereo
      {"6xxGIDfe5BU", "data/audio/resemblyzer_trump/fake/6xxGIDfe5BU.mp3"},        // 48 kHz mono
  };
  for (const auto& entry : clips) {
    const auto& name = entry.first;  // not a structured binding: INFO's lambda captures it (C++17)
    const auto& clip = entry.second;
    INFO("clip " << clip);
    const dfd::SafetensorsFile golden(shared_path("golden/g9_audio/" + name + ".safetensors"));
    const auto expected = golden.values<float>("waveform");
    const auto stats = nlohmann::json::parse(golden.metadata("stats"));

    dfd::AudioReader reader(shared_path(clip));
    CHECK(reader.sample_rate() == 22050);
    const std::vector<float> samples = reader.read();
    CHECK(static_cast<int64_t>(samples.size()) == stats.at("full_num_samples").get<int64_t>());
    REQUIRE(samples.size() >= expected.size());
    double max_abs = 0.0;
    for (size_t i = 0; i < expected.size(); ++i) max_abs = std::max(max_abs, double(std::abs(samples[i] - expected[i])));
    MESSAGE(fmt::format("{}: max |libdfd - ffmpeg CLI| over {} samples = {:.3g}", name, expected.size(), max_abs));
    CHECK(max_abs <= 1e-6);
    double sum = 0.0;
    for (float s : samples) sum += s;
    CHECK(sum == doctest::Approx(stats.at("waveform_sum_full_f64").get<double>()).epsilon(1e-6));
  }
}

TEST_CASE("AudioReader reads the audio track of a video, at any rate") {
  const std::string path = shared_path("data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4");
  dfd::AudioReaderParams params;
  params.sample_rate = 16000;
  dfd::AudioReader reader(path, params);
  CHECK(reader.info().codec == "aac");
  CHECK(reader.info().sample_rate > 0);
  const auto samples = reader.read();
  // About ten seconds of audio at 16 kHz.
  CHECK(samples.size() == doctest::Approx(reader.info().duration * 16000).epsilon(0.01));
  CHECK(reader.read() == samples);  // a second read starts over and gives the same
}
