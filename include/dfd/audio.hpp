// dfd/audio.hpp — the audio branch: decode any audio stream to mono float32 (AudioReader), and
// turn it into the log-mel spectrogram librosa computes (AudioSpectrogram).
//
// AudioReader decodes the audio stream of an audio or video file (AAC, MP3, WAV PCM s16/f32, and
// whatever else FFmpeg decodes) and resamples it with swresample to mono float32 at the rate you
// ask for (default 22050 Hz, librosa's). The down-mix is swresample's default matrix, the same the
// `ffmpeg -ac 1 -ar 22050` command line applies (stereo → mono is (L + R) / sqrt(2), not the mean
// librosa.load takes), so the samples equal that command's output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

struct AudioInfo {
  std::string path;
  int sample_rate = 0;      // of the source stream
  int channels = 0;         // of the source stream
  std::string codec;        // FFmpeg codec name, e.g. "aac", "mp3", "pcm_s16le"
  std::string sample_format;// FFmpeg sample format name of the decoder output, e.g. "fltp", "s16"
  double duration = 0.0;    // seconds, as the container states it (0 if unknown)
};

struct AudioReaderParams {
  int sample_rate = 22050;  // output rate in Hz, 1 to 768 000
  // Time limit, in seconds, of opening + probing the file and of each read(); a stuck or endless
  // input becomes an IoError instead of a hang. 0: no limit.
  double timeout_seconds = 120.0;
  // read() refuses audio longer than this (a DecodeError), so memory stays bounded — 4 bytes per
  // output sample: an hour at 22050 Hz is 318 MB — whatever a file holds or its header claims.
  // 0: no limit.
  double max_duration_seconds = 3600.0;
};

class AudioReader {
 public:
  // Opens and probes the file.
  // throws: IoError (missing, a directory, a FIFO, socket or device — refused by type, never
  //         read —, unreadable, over timeout_seconds), DecodeError (not a media file, no audio
  //         stream, no decoder, a sample rate over 768 kHz or more than 64 channels),
  //         InvalidArgument (bad params).
  explicit AudioReader(const std::string& path, const AudioReaderParams& params = {});
  ~AudioReader();
  AudioReader(AudioReader&&) noexcept;
  AudioReader& operator=(AudioReader&&) noexcept;
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  const AudioInfo& info() const;
  // The rate read() returns samples at.
  int sample_rate() const;

  // Decodes the whole stream from its start.
  // ensures: mono float32 samples at sample_rate(), in [-1, 1] for non-clipping sources; the
  //          resampler is flushed, so the length is the source length times the rate ratio.
  // throws: DecodeError (reading stopped early — a truncated or damaged file —, the stream
  //         yields no samples, it is longer than max_duration_seconds, memory ran out); the
  //         message says how many seconds were read. IoError (over timeout_seconds).
  std::vector<float> read();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Spectrograms, equal to librosa 0.11's defaults (golden g9): STFT with a periodic Hann window,
// centred frames padded with zeros (librosa >= 0.10; "reflect" before), |X|^power, a mel filter
// bank with the Slaney scale and area norm (HTK optional), then power_to_db. The FFT is LibTorch's.

enum class MelScale { Slaney, Htk };
enum class MelNorm { Slaney, None };
enum class StftPadMode { Constant, Reflect };

// Names, as settings spell them: "slaney" / "htk"; "slaney" / "none"; "constant" / "reflect".
// The parsers throw InvalidArgument listing the valid names.
MelScale mel_scale(const std::string& name);
std::string to_string(MelScale scale);
MelNorm mel_norm(const std::string& name);
std::string to_string(MelNorm norm);
StftPadMode stft_pad_mode(const std::string& name);
std::string to_string(StftPadMode mode);

struct SpectrogramParams {
  int n_fft = 2048;
  int hop_length = 512;
  int win_length = 0;                 // 0: n_fft (a shorter window is zero-padded to n_fft, centred)
  bool center = true;                 // frame t is centred on sample t * hop_length
  StftPadMode pad_mode = StftPadMode::Constant;
  double power = 2.0;                 // 2: power, 1: magnitude
  int n_mels = 128;
  double fmin = 0.0;
  double fmax = 0.0;                  // 0: sample_rate / 2
  MelScale scale = MelScale::Slaney;
  MelNorm norm = MelNorm::Slaney;
  // power_to_db: 10 log10(max(amin, S) / ref), then clipped to top_db below its maximum.
  bool ref_max = false;               // ref = max(S) (the FFDV baseline's np.max) instead of 1.0
  double amin = 1e-10;
  double top_db = 80.0;               // <= 0: no clipping
  int sample_rate = 22050;            // from_file decodes at this rate
};

// The FFDV baseline's log-mel settings: the defaults above with ref = max (its np.max). What the
// Detector's audio branch computes (DetectorParams::audio.spectrogram) and what training feeds
// spectrogram models (dfd/trainer.hpp), so a model trained here sees the images it is scored on.
SpectrogramParams ffdv_spectrogram_params();

// librosa.filters.mel: float32 [n_mels, 1 + n_fft / 2], rows ascending in frequency.
// requires: sample_rate > 0, n_fft > 0, n_mels > 0, 0 <= fmin < fmax (0: sample_rate / 2).
// throws: InvalidArgument.
cv::Mat mel_filters(int sample_rate, int n_fft, int n_mels, double fmin = 0.0, double fmax = 0.0,
                    MelScale scale = MelScale::Slaney, MelNorm norm = MelNorm::Slaney);

// librosa.power_to_db of a float32 matrix (ref 1.0, or its maximum when ref_max).
cv::Mat power_to_db(const cv::Mat& power, bool ref_max = false, double amin = 1e-10, double top_db = 80.0);

class AudioSpectrogram {
 public:
  // throws: InvalidArgument for non-positive sizes or a window longer than n_fft.
  explicit AudioSpectrogram(const SpectrogramParams& params = {});

  // librosa.feature.melspectrogram(y=waveform, sr=sample_rate, ...): float32 [n_mels, frames],
  // frames = 1 + len / hop_length when centred.
  // throws: InvalidArgument for an empty waveform, sample_rate <= 0, or (not centred) a waveform
  //         shorter than n_fft.
  cv::Mat mel_power(const std::vector<float>& waveform, int sample_rate) const;
  // The log-mel spectrogram in dB: power_to_db(mel_power(...)) with the params' ref/amin/top_db.
  cv::Mat compute(const std::vector<float>& waveform, int sample_rate) const;
  // compute() of a file's audio, decoded by AudioReader with `reader`'s limits at
  // params().sample_rate (reader.sample_rate is replaced by it).
  // throws: what AudioReader throws.
  cv::Mat from_file(const std::string& path, AudioReaderParams reader = {}) const;

  // The FFDV baseline's image of a dB spectrogram: min-max to 0..255 (truncated, as numpy's
  // astype(uint8) does), bilinear resize to size x size, the grey level in all three channels.
  // ensures: CV_8UC3 size x size. throws: InvalidArgument for an empty or non-float32 input.
  static cv::Mat image(const cv::Mat& decibels, int size = 256);

  const SpectrogramParams& params() const;

 private:
  struct FilterCache;
  SpectrogramParams params_;
  std::shared_ptr<FilterCache> filters_;  // the mel bank of the last sample rate seen
};

}  // namespace dfd
DFD_END_API
