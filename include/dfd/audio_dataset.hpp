// dfd/audio_dataset.hpp — a labelled set's sound on disk: each input's audio decoded once, mono
// float32 at one rate, so training audio models (dfd train) never decodes a video or an MP3 again.
//
// A dataset is a folder:
//   index.csv     one row per clip, the columns of AudioClip: audio,source,label,group,sample_rate,samples
//   clips/<key>.safetensors   one input's samples: tensor "waveform", float32 [samples], and its
//                 row (source, label, group, sample_rate) as JSON in the metadata "dfd.audio_clip";
//                 <key> is a hash of the input's path; clips/<key>.csv its row of index.csv.
//   sources.csv   one row per input file: path,label,group,status,seconds,clips,error — status ok,
//                 no_audio (no audio stream, too short or silent: audio_windows.hpp) or error. The
//                 ledger a killed prepare resumes from.
//   prepare.json  the settings the clips were made with.
// The same label sources as a face dataset (dfd/labels.hpp): a video's sound, an audio file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dfd/audio.hpp"
#include "dfd/audio_windows.hpp"
#include "dfd/error.hpp"
#include "dfd/export.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/labels.hpp"

DFD_BEGIN_API
namespace dfd {

struct AudioClip {
  std::string audio;     // the clip's file, relative to the dataset folder
  std::string source;    // the input file it came from, as its label source lists it
  int label = 0;         // 1 = fake
  std::string group;     // what a split keeps together (LabelledFile::group)
  int sample_rate = 0;   // Hz
  int64_t samples = 0;   // its length
  double seconds() const { return sample_rate > 0 ? double(samples) / sample_rate : 0.0; }
};

class AudioDataset {
 public:
  // Reads `dir`/index.csv. throws: IoError (no index), DecodeError (a malformed row, with its line).
  static AudioDataset open(const std::string& dir);
  AudioDataset(std::string dir, std::vector<AudioClip> clips);

  // Writes index.csv (atomically). throws: IoError.
  void save_index() const;

  const std::string& dir() const { return dir_; }
  const std::vector<AudioClip>& clips() const { return clips_; }
  size_t size() const { return clips_.size(); }
  // The samples of clip i. throws: InvalidArgument (i out of range), IoError / ModelError naming
  // the file (missing, not a clip file), DecodeError (its length or rate differs from the index).
  std::vector<float> waveform(size_t i) const;

 private:
  std::string dir_;
  std::vector<AudioClip> clips_;
};

// True when `dir`'s index.csv is an audio dataset's (its header), false for anything else (a face
// dataset, no index): what lets `dfd train DIR` take either.
bool is_audio_dataset(const std::string& dir);

struct AudioPrepareParams {
  // The rate the clips are stored at: the rate of the model trained on them — 16 000 for AASIST,
  // 22 050 for spectrogram models (the Detector's spectrogram rate).
  int sample_rate = 16000;
  AudioReaderParams reader;         // time limit and longest clip (its sample_rate is replaced)
  AudioWindowParams windows;        // min_seconds and silence_dbfs: what is refused as no_audio
  int workers = 1;                  // inputs decoded at once
  bool retry_failed = false;        // prepare again the inputs the ledger records as errors
  std::function<void(const PrepareProgress&)> on_progress;  // from the worker that finished, one at a time
};

struct AudioPrepareSummary {
  size_t files = 0;        // distinct inputs in the list
  size_t done_before = 0;  // found finished in the ledger, not redone
  size_t prepared = 0;     // finished by this run (ok or no_audio)
  size_t failed = 0;       // errors recorded by this run (missing, undecodable, ...)
  size_t clips = 0;        // clips in the index
  double seconds = 0;      // of audio in them
};

// Decodes every input's audio into `dir` (created if missing) and writes index.csv over all
// inputs finished so far. Resumable as prepare_face_dataset is: an input with a ledger row is not
// redone (errors are, with retry_failed); one cut off by a kill is redone from scratch. An input
// that cannot be read is recorded with its error and the run goes on; one without an audio stream,
// too short or silent is recorded as no_audio (with why) and gives no clip.
// requires: workers >= 1, sample_rate in [1, 768000]. throws: InvalidArgument (bad settings, or
// settings other than those `dir` was prepared with), IoError (cannot write `dir`). An exception
// from on_progress stops the run; what finished is kept.
AudioPrepareSummary prepare_audio_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                          const AudioPrepareParams& params = {});

}  // namespace dfd
DFD_END_API
