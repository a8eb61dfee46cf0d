// dfd/audio.hpp — the audio branch's input: decode any audio stream to mono float32.
//
// AudioReader decodes the audio stream of an audio or video file (AAC, MP3, WAV PCM s16/f32, and
// whatever else FFmpeg decodes) and resamples it with swresample to mono float32 at the rate you
// ask for (default 22050 Hz, librosa's). The down-mix is swresample's default matrix, the same the
// `ffmpeg -ac 1 -ar 22050` command line applies (stereo → mono is (L + R) / sqrt(2), not the mean
// librosa.load takes), so the samples equal that command's output.
#pragma once

#include <memory>
#include <string>

#include "dfd/error.hpp"
#include <vector>

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
  int sample_rate = 22050;  // output rate in Hz
};

class AudioReader {
 public:
  // Opens and probes the file.
  // throws: IoError (missing, a directory, unreadable), DecodeError (not a media file, no audio
  //         stream, no decoder), InvalidArgument (sample_rate < 1).
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
  // throws: DecodeError (reading stopped early — a truncated or damaged file — or the stream
  //         yields no samples); the message says how many seconds were read.
  std::vector<float> read();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
