// AudioSpectrogram against librosa 0.11 (golden g9).
#include "dfd/classifier.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <cmath>
#include <cstring>

#include <opencv2/core.hpp>

#include "dfd/audio.hpp"
#include "dfd/safetensors.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;

namespace {

cv::Mat golden_f32(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  REQUIRE(t.dtype == dfd::Dtype::F32);
  REQUIRE(t.shape.size() == 2);
  cv::Mat m(static_cast<int>(t.shape[0]), static_cast<int>(t.shape[1]), CV_32F);
  std::memcpy(m.data, t.data, m.total() * sizeof(float));
  return m;
}

std::vector<float> golden_waveform(const dfd::SafetensorsFile& file) {
  const dfd::TensorView& t = file.tensor("waveform");
  std::vector<float> w(static_cast<size_t>(t.shape.at(0)));
  std::memcpy(w.data(), t.data, w.size() * sizeof(float));
  return w;
}

const char* const kClips[] = {"fake_spk1_01", "real_spk1_01", "0ghm5Cqpfwk", "6xxGIDfe5BU"};

}  // namespace

TEST_CASE("g9: mel filter banks equal librosa.filters.mel") {
  const dfd::SafetensorsFile golden(shared_path("golden/g9_audio/mel_filters.safetensors"));
  for (int n_mels : {128, 80}) {
    INFO(n_mels);
    const cv::Mat expected = golden_f32(golden, "mel_filters_" + std::to_string(n_mels));
    const cv::Mat ours = dfd::mel_filters(22050, 2048, n_mels);
    REQUIRE(ours.size() == expected.size());
    CHECK(cv::norm(ours, expected, cv::NORM_INF) == 0.0);
  }
  CHECK_THROWS_AS(dfd::mel_filters(22050, 2048, 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::mel_filters(22050, 2048, 128, 12000, 11025), dfd::InvalidArgument);
}

TEST_CASE("spectrogram: frames, reflect padding, HTK, magnitude, and bad input" * doctest::test_suite("unit")) {
  std::vector<float> tone(22050);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * std::sin(2 * M_PI * 440.0 * i / 22050.0);
  const dfd::AudioSpectrogram standard;
  const cv::Mat power = standard.mel_power(tone, 22050);
  CHECK(power.rows == 128);
  CHECK(power.cols == 1 + 22050 / 512);
  // The loudest band is the one around 440 Hz, whatever the padding.
  dfd::SpectrogramParams reflect;
  reflect.pad_mode = dfd::StftPadMode::Reflect;
  reflect.scale = dfd::MelScale::Htk;
  reflect.power = 1.0;
  const cv::Mat other = dfd::AudioSpectrogram(reflect).mel_power(tone, 22050);
  cv::Point a, b;
  cv::Mat column_a = power.col(power.cols / 2).clone(), column_b = other.col(other.cols / 2).clone();
  cv::minMaxLoc(column_a, nullptr, nullptr, nullptr, &a);
  cv::minMaxLoc(column_b, nullptr, nullptr, nullptr, &b);
  const cv::Mat slaney = dfd::mel_filters(22050, 2048, 128), htk = dfd::mel_filters(22050, 2048, 128, 0, 0, dfd::MelScale::Htk);
  const int bin_440 = static_cast<int>(std::lround(440.0 * 2048 / 22050));
  CHECK(slaney.at<float>(a.y, bin_440) > 0);
  CHECK(htk.at<float>(b.y, bin_440) > 0);
  CHECK_THROWS_AS(standard.mel_power({}, 22050), dfd::InvalidArgument);
  CHECK_THROWS_AS(standard.mel_power(tone, 0), dfd::InvalidArgument);
  dfd::SpectrogramParams uncentred;
  uncentred.center = false;
  CHECK_THROWS_AS(dfd::AudioSpectrogram(uncentred).mel_power(std::vector<float>(100, 0.f), 22050), dfd::InvalidArgument);
  dfd::SpectrogramParams bad;
  bad.win_length = 4096;
  CHECK_THROWS_AS(dfd::AudioSpectrogram{bad}, dfd::InvalidArgument);
  // Silence: every bin is clamped to amin = 1e-10, i.e. -100 dB against ref 1.0; nothing is NaN.
  const cv::Mat quiet = standard.compute(std::vector<float>(4096, 0.f), 22050);
  double lo = 0, hi = 0;
  cv::minMaxLoc(quiet, &lo, &hi);
  CHECK(lo == doctest::Approx(-100.0));
  CHECK(hi == doctest::Approx(-100.0));
}

TEST_CASE("g9: mel power, dB and the FFDV image equal librosa's on every clip") {
  for (const char* clip : kClips) {
    INFO(clip);
    const dfd::SafetensorsFile golden(shared_path(std::string("golden/g9_audio/") + clip + ".safetensors"));
    const std::vector<float> waveform = golden_waveform(golden);
    for (int n_mels : {128, 80}) {
      INFO(n_mels);
      dfd::SpectrogramParams params;
      params.n_mels = n_mels;
      params.ref_max = true;  // the golden's power_to_db(S, ref=np.max)
      const dfd::AudioSpectrogram spectrogram(params);
      const std::string prefix = "mel" + std::to_string(n_mels);
      const cv::Mat power_ref = golden_f32(golden, prefix + "_power");
      const cv::Mat power = spectrogram.mel_power(waveform, 22050);
      REQUIRE(power.size() == power_ref.size());
      // Relative per element, above a floor of 1e-10 of the loudest bin (digital silence).
      double peak = 0, worst = 0;
      cv::minMaxLoc(power_ref, nullptr, &peak);
      for (int r = 0; r < power.rows; ++r) {
        for (int c = 0; c < power.cols; ++c) {
          const double ref = power_ref.at<float>(r, c), ours = power.at<float>(r, c);
          worst = std::max(worst, std::abs(ours - ref) / std::max(std::abs(ref), 1e-10 * peak));
        }
      }
      CHECK(worst <= 1e-4);
      const cv::Mat db_ref = golden_f32(golden, prefix + "_db");
      const cv::Mat db = spectrogram.compute(waveform, 22050);
      CHECK(cv::norm(db, db_ref, cv::NORM_INF) <= 1e-3);
      if (n_mels == 128) {
        const dfd::TensorView& img = golden.tensor("ffdv_image_u8");
        const cv::Mat expected(256, 256, CV_8U, const_cast<uint8_t*>(img.data));
        // From the golden's own dB the image is exact; from ours (dB within 2e-5) a pixel may land
        // on the other side of a truncation step.
        const cv::Mat from_golden = dfd::AudioSpectrogram::image(db_ref, 256);
        REQUIRE(from_golden.type() == CV_8UC3);
        cv::Mat channels[3];
        cv::split(from_golden, channels);
        CHECK(cv::norm(channels[0], expected, cv::NORM_INF) == 0);
        CHECK(cv::norm(channels[0], channels[2], cv::NORM_INF) == 0);
        cv::split(dfd::AudioSpectrogram::image(db, 256), channels);
        CHECK(cv::norm(channels[1], expected, cv::NORM_INF) <= 1);
        const dfd::TensorView& unresized = golden.tensor("ffdv_norm_u8_unresized");
        CHECK(unresized.shape == std::vector<int64_t>{128, db.cols});
      }
    }
  }
}

TEST_CASE("audio classifiers: spectrogram images through the same Classifier") {
  // FakeAVCeleb's audio MesoInception4 (realA_fakeB) on the log-mel image of a stored clip: the
  // Classifier equals the model run on the image resized and normalised by hand.
  const dfd::SafetensorsFile golden(shared_path("golden/g9_audio/real_spk1_01.safetensors"));
  dfd::SpectrogramParams params;
  params.ref_max = true;
  const cv::Mat image = dfd::AudioSpectrogram::image(dfd::AudioSpectrogram(params).compute(golden_waveform(golden), 22050));
  auto classifier = dfd::Classifier::create(
      "mesoinception4:" + dfd::test::test_model("MesoInception4_realA_fakeB.safetensors") + "@fakeavceleb_audio");
  const std::vector<float> p = classifier->predict({image});
  REQUIRE(p.size() == 1);
  const at::Tensor x = classifier->preprocess({image});
  CHECK(x.size(2) == 224);
  CHECK(classifier->predict(x)[0] == doctest::Approx(p[0]));
  CHECK(p[0] >= 0.0f);
  CHECK(p[0] <= 1.0f);
  CHECK(dfd::preset("ffdv_audio").size == 256);
  CHECK(dfd::preset("ffdv_audio").output == dfd::Preprocess::Output::Softmax);
}
