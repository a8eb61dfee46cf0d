// dfd spectrogram FILE -o spec.png: the log-mel spectrogram image the FFDV audio baseline classifies.
#include <cstdio>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "commands.hpp"
#include "dfd/utf8.hpp"
#include "dfd/audio.hpp"

namespace dfd::cli {
namespace {

struct SpectrogramOptions {
  std::string path, output;
  int n_mels = 128;
  int size = 256;
  int sample_rate = 22050;
};

void run_spectrogram(const SpectrogramOptions& o) {
  SpectrogramParams params;
  params.n_mels = o.n_mels;
  params.sample_rate = o.sample_rate;
  params.ref_max = true;  // the FFDV baseline's power_to_db(S, ref=np.max)
  const cv::Mat db = AudioSpectrogram(params).from_file(o.path);
  const cv::Mat image = AudioSpectrogram::image(db, o.size);  // grey in all three channels: RGB == BGR
  if (!cv::imwrite(o.output, image)) throw IoError(o.output, "cannot write the image");
  const nlohmann::ordered_json line = {{"file", utf8_escaped(o.path)}, {"n_mels", db.rows}, {"frames", db.cols}, {"image", utf8_escaped(o.output)}};
  std::printf("%s\n", line.dump().c_str());
}

}  // namespace

void add_audio_commands(CLI::App& app) {
  auto o = std::make_shared<SpectrogramOptions>();
  CLI::App* cmd = app.add_subcommand("spectrogram", "Write the log-mel spectrogram image of a file's audio (FFDV baseline)");
  cmd->add_option("FILE", o->path, "audio or video file")->required();
  cmd->add_option("-o,--output", o->output, "image file to write (.png)")->required();
  cmd->add_option("--n-mels", o->n_mels, "mel bands")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--size", o->size, "image side in pixels")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--sample-rate", o->sample_rate, "decode at this rate (Hz)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([o] { run_spectrogram(*o); });
}

}  // namespace dfd::cli
