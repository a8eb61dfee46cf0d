#include "dfd/audio_dataset.hpp"

#include <cmath>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/csv.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/utf8.hpp"
#include "core/atomic_file.hpp"
#include "prepare_ledger.hpp"

namespace fs = std::filesystem;

namespace dfd {
namespace {

const CsvRecord kIndexHeader = {"audio", "source", "label", "group", "sample_rate", "samples"};

CsvRecord index_row(const AudioClip& c) {
  return {c.audio, c.source, std::to_string(c.label), c.group, std::to_string(c.sample_rate), std::to_string(c.samples)};
}

AudioClip parse_index_row(const CsvRecord& r, const std::string& file, size_t line) {
  if (r.size() != kIndexHeader.size()) {
    throw DecodeError(file, fmt::format("line {}: {} fields, expected {}", line, r.size(), kIndexHeader.size()));
  }
  const auto integer = [&](const std::string& text, const char* column, int64_t low) -> int64_t {
    try {
      size_t used = 0;
      const long long v = std::stoll(text, &used);
      if (used == text.size() && v >= low) return v;
    } catch (const std::exception&) {
    }
    throw DecodeError(file, fmt::format("line {}: {} '{}' is not an integer >= {}", line, column, utf8_escaped(text), low));
  };
  AudioClip c;
  c.audio = r[0];
  c.source = r[1];
  const int64_t label = integer(r[2], "label", 0);
  if (label > 1) throw DecodeError(file, fmt::format("line {}: label {} is not 0 or 1", line, label));
  c.label = static_cast<int>(label);
  c.group = r[3];
  const int64_t rate = integer(r[4], "sample_rate", 1);
  if (rate > 768000) throw DecodeError(file, fmt::format("line {}: sample_rate {} is over 768000", line, rate));
  c.sample_rate = static_cast<int>(rate);
  c.samples = integer(r[5], "samples", 1);
  return c;
}

std::vector<AudioClip> read_rows(const std::string& file) {
  return detail::read_index<AudioClip>(file, kIndexHeader, "audio", parse_index_row);
}

// What decides the clips: a dataset is only resumed with the same.
nlohmann::ordered_json clip_settings(const AudioPrepareParams& p) {
  return {{"kind", "audio"},
          {"sample_rate", p.sample_rate},
          {"max_duration_seconds", p.reader.max_duration_seconds},
          {"min_seconds", p.windows.min_seconds},
          {"silence_dbfs", p.windows.silence_dbfs}};
}

const char* const kClipMeta = "dfd.audio_clip";  // the clip's row, as JSON

fs::path row_path(const fs::path& dir, const std::string& source) {
  return dir / "clips" / (detail::source_key(source) + ".csv");
}

detail::PrepareOutcome prepare_one(const LabelledFile& file, const fs::path& dir, const AudioPrepareParams& params) {
  detail::PrepareOutcome out;
  std::vector<float> samples;
  // Whatever this input does to the decoder is its own error; only failing to write stops the run.
  try {
    AudioReaderParams reader = params.reader;
    reader.sample_rate = params.sample_rate;
    samples = AudioReader(file.file, reader).read();
    out.amount = std::llround(double(samples.size()) / params.sample_rate);
    check_audio_usable(samples, params.sample_rate, params.windows, file.file);
  } catch (const MissingStreamError& e) {  // a video without sound: a property of the file, as no_face is
    out.status = "no_audio";
    out.error = e.what();
    return out;
  } catch (const UnusableAudioError& e) {
    out.status = "no_audio";
    out.error = e.what();
    return out;
  } catch (const std::exception& e) {
    out.status = "error";
    out.error = e.what();
    return out;
  }
  AudioClip clip;
  clip.audio = (fs::path("clips") / (detail::source_key(file.path) + ".safetensors")).generic_string();
  clip.source = file.path;
  clip.label = file.label;
  clip.group = file.group;
  clip.sample_rate = params.sample_rate;
  clip.samples = static_cast<int64_t>(samples.size());
  std::error_code ec;
  fs::create_directories(dir / "clips", ec);
  if (ec) throw IoError((dir / "clips").string(), "cannot be created: " + ec.message());
  TensorData t;
  t.dtype = Dtype::F32;
  t.shape = {clip.samples};
  const auto* bytes = reinterpret_cast<const uint8_t*>(samples.data());
  t.bytes.assign(bytes, bytes + samples.size() * sizeof(float));
  const nlohmann::ordered_json meta = {{"source", clip.source}, {"label", clip.label}, {"group", clip.group},
                                       {"sample_rate", clip.sample_rate}};
  const std::string path = (dir / clip.audio).string();
  save_safetensors(path + ".tmp", {{"waveform", std::move(t)}}, {{kClipMeta, meta.dump()}});
  replace_file(path + ".tmp", path);
  // Its index row beside it (as a face dataset's faces.csv): the index is made from these, never
  // by reading the audio again.
  write_file_atomically(row_path(dir, file.path).string(), csv_line(kIndexHeader) + csv_line(index_row(clip)));
  out.items = 1;
  return out;
}

}  // namespace

AudioDataset::AudioDataset(std::string dir, std::vector<AudioClip> clips) : dir_(std::move(dir)), clips_(std::move(clips)) {}

AudioDataset AudioDataset::open(const std::string& dir) {
  return AudioDataset(dir, read_rows((fs::path(dir) / "index.csv").string()));
}

void AudioDataset::save_index() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string text = csv_line(kIndexHeader);
  for (const AudioClip& c : clips_) text += csv_line(index_row(c));
  write_file_atomically((fs::path(dir_) / "index.csv").string(), text);
}

std::vector<float> AudioDataset::waveform(size_t i) const {
  if (i >= clips_.size()) throw InvalidArgument("index", fmt::format("{} is past the {} clips", i, clips_.size()));
  const AudioClip& c = clips_[i];
  const std::string path = (fs::path(dir_) / c.audio).string();
  const SafetensorsFile file(path);
  if (!file.contains("waveform") || file.tensor("waveform").shape.size() != 1) {
    throw ModelError(path, "not an audio clip: no 1-D tensor 'waveform'");
  }
  std::vector<float> samples = file.values<float>("waveform");
  if (static_cast<int64_t>(samples.size()) != c.samples) {
    throw DecodeError(path, fmt::format("holds {} samples, the index says {}", samples.size(), c.samples));
  }
  const auto meta = file.metadata().find(kClipMeta);
  if (meta != file.metadata().end()) {
    const auto j = nlohmann::json::parse(meta->second, nullptr, false);
    if (!j.is_object() || !j.contains("sample_rate") || j["sample_rate"] != c.sample_rate) {
      throw DecodeError(path, fmt::format("is not at the index's {} Hz", c.sample_rate));
    }
  }
  return samples;
}

bool is_audio_dataset(const std::string& dir) { return detail::index_has_header(dir, kIndexHeader); }

AudioPrepareSummary prepare_audio_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                          const AudioPrepareParams& params) {
  if (params.sample_rate < 1 || params.sample_rate > 768000) {
    throw InvalidArgument("sample_rate", fmt::format("must be in [1, 768000] Hz, got {}", params.sample_rate));
  }
  const auto make_worker = [&]() -> detail::PrepareOne {
    return [&params, &dir](const LabelledFile& f) { return prepare_one(f, dir, params); };
  };
  const detail::LedgerResult run = detail::run_prepare_ledger(files, dir, clip_settings(params), {"seconds", "clips"},
                                                              params.workers, params.retry_failed, params.on_progress,
                                                              make_worker);
  // The index: every finished input's row, in the label source's order.
  std::vector<AudioClip> clips;
  AudioPrepareSummary summary;
  for (const LabelledFile* f : run.finished) {
    for (AudioClip& c : read_rows(row_path(dir, f->path).string())) {
      summary.seconds += c.seconds();
      clips.push_back(std::move(c));
    }
  }
  summary.files = run.files;
  summary.done_before = run.done_before;
  summary.prepared = run.prepared;
  summary.failed = run.failed;
  summary.clips = clips.size();
  AudioDataset(dir, std::move(clips)).save_index();
  return summary;
}

}  // namespace dfd
