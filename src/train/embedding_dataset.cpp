#include "dfd/embedding_dataset.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/csv.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/utf8.hpp"
#include "core/atomic_file.hpp"
#include "core/input_file.hpp"
#include "embedding_files.hpp"
#include "prepare_ledger.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace dfd {
namespace {

const CsvRecord kIndexHeader = {"embedding", "source", "label", "group", "video_dim", "audio_dim", "video_p_fake", "audio_p_fake"};
const char* const kItemMeta = "dfd.embedding";  // the item's row, as JSON

CsvRecord index_row(const EmbeddingItem& e) {
  return {e.embedding, e.source, std::to_string(e.label), e.group, std::to_string(e.video_dim), std::to_string(e.audio_dim),
          fmt::format("{:.9g}", e.video_p_fake), fmt::format("{:.9g}", e.audio_p_fake)};
}

EmbeddingItem parse_index_row(const CsvRecord& r, const std::string& file, size_t line) {
  if (r.size() != kIndexHeader.size()) {
    throw DecodeError(file, fmt::format("line {}: {} fields, expected {}", line, r.size(), kIndexHeader.size()));
  }
  const auto integer = [&](const std::string& text, const char* column, int low, int high) {
    try {
      size_t used = 0;
      const long long v = std::stoll(text, &used);
      if (used == text.size() && v >= low && v <= high) return static_cast<int>(v);
    } catch (const std::exception&) {
    }
    throw DecodeError(file, fmt::format("line {}: {} '{}' is not an integer in [{}, {}]", line, column, utf8_escaped(text), low, high));
  };
  EmbeddingItem e;
  e.embedding = r[0];
  e.source = r[1];
  e.label = integer(r[2], "label", 0, 1);
  e.group = r[3];
  e.video_dim = integer(r[4], "video_dim", 1, 1 << 20);
  e.audio_dim = integer(r[5], "audio_dim", 1, 1 << 20);
  const auto probability = [&](const std::string& text, const char* column) {
    try {
      size_t used = 0;
      const float v = std::stof(text, &used);
      if (used == text.size() && v >= 0 && v <= 1) return v;
    } catch (const std::exception&) {
    }
    throw DecodeError(file, fmt::format("line {}: {} '{}' is not a number in [0, 1]", line, column, utf8_escaped(text)));
  };
  e.video_p_fake = probability(r[6], "video_p_fake");
  e.audio_p_fake = probability(r[7], "audio_p_fake");
  return e;
}

std::vector<EmbeddingItem> read_rows(const std::string& file) {
  return detail::read_index<EmbeddingItem>(file, kIndexHeader, "embedding", parse_index_row);
}

fs::path row_path(const fs::path& dir, const std::string& source) {
  return dir / "items" / (detail::source_key(source) + ".csv");
}

Json embedder_json(const Embedder& e) {
  Json j = {{"model", e.model}, {"arch", e.arch}, {"sha256", e.sha256}, {"preset", e.preset}};
  if (e.dim > 0) j["dim"] = e.dim;
  return j;
}

Embedder one_embedder(const Json& j) {
  Embedder e;
  j.at("model").get_to(e.model);
  j.at("arch").get_to(e.arch);
  j.at("sha256").get_to(e.sha256);
  j.at("preset").get_to(e.preset);
  e.dim = j.value("dim", 0);
  return e;
}

TensorData float_tensor(const std::vector<float>& v) {
  TensorData t;
  t.dtype = Dtype::F32;
  t.shape = {static_cast<int64_t>(v.size())};
  const auto* bytes = reinterpret_cast<const uint8_t*>(v.data());
  t.bytes.assign(bytes, bytes + v.size() * sizeof(float));
  return t;
}

Json embedders_json(const Embedders& e) { return {{"video", embedder_json(e.video)}, {"audio", embedder_json(e.audio)}}; }

}  // namespace

bool same_embedder(const Embedder& a, const Embedder& b) {
  return a.arch == b.arch && a.sha256 == b.sha256 && a.preset == b.preset && (a.dim == 0 || b.dim == 0 || a.dim == b.dim);
}

std::string to_json(const Embedders& e) { return embedders_json(e).dump(); }

Embedders embedders_from_json(const std::string& text) {
  try {
    return detail::embedders_from(Json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("embedders", fmt::format("not the JSON of two embedders (video, audio): {}", e.what()));
  }
}

namespace detail {

EmbeddingItem write_embedding_item(const std::string& dir, const LabelledFile& file, const std::vector<float>& video,
                                   const std::vector<float>& audio, std::pair<float, float> scores) {
  EmbeddingItem item;
  item.embedding = (fs::path("items") / (source_key(file.path) + ".safetensors")).generic_string();
  item.source = file.path;
  item.label = file.label;
  item.group = file.group;
  item.video_dim = static_cast<int>(video.size());
  item.audio_dim = static_cast<int>(audio.size());
  item.video_p_fake = scores.first;
  item.audio_p_fake = scores.second;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "items", ec);
  if (ec) throw IoError((fs::path(dir) / "items").string(), "cannot be created: " + ec.message());
  const Json meta = {{"source", item.source}, {"label", item.label}, {"group", item.group}};
  const std::string path = (fs::path(dir) / item.embedding).string();
  save_safetensors(path + ".tmp", {{"video", float_tensor(video)}, {"audio", float_tensor(audio)}}, {{kItemMeta, meta.dump()}});
  replace_file(path + ".tmp", path);
  write_file_atomically(row_path(dir, file.path).string(), csv_line(kIndexHeader) + csv_line(index_row(item)));
  return item;
}

std::vector<EmbeddingItem> read_embedding_item_rows(const std::string& dir, const std::string& source) {
  return read_rows(row_path(dir, source).string());
}

Json embedding_settings(const Embedders& embedders, const std::string& detector_json) {
  return {{"kind", "embedding"}, {"embedders", embedders_json(embedders)}, {"detector", Json::parse(detector_json)}};
}

Embedders embedders_from(const Json& j) { return {one_embedder(j.at("video")), one_embedder(j.at("audio"))}; }

}  // namespace detail

EmbeddingDataset::EmbeddingDataset(std::string dir, std::vector<EmbeddingItem> items, Embedders embedders)
    : dir_(std::move(dir)), items_(std::move(items)), embedders_(std::move(embedders)) {}

EmbeddingDataset EmbeddingDataset::open(const std::string& dir) {
  const std::string index = (fs::path(dir) / "index.csv").string(), settings = (fs::path(dir) / "prepare.json").string();
  std::vector<EmbeddingItem> items = read_rows(index);
  Embedders embedders;
  try {
    const Json j = Json::parse(read_input_file(settings));
    if (j.value("kind", "") != "embedding") throw DecodeError(settings, "not an embedding dataset's settings (kind)");
    embedders = detail::embedders_from(j.at("embedders"));
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(settings, e.what());
  }
  for (const EmbeddingItem& e : items) {
    if (embedders.video.dim == 0) {
      embedders.video.dim = e.video_dim;
      embedders.audio.dim = e.audio_dim;
    } else if (e.video_dim != embedders.video.dim || e.audio_dim != embedders.audio.dim) {
      throw DecodeError(index, fmt::format("{} has vectors of {} + {}, the others {} + {}", utf8_escaped(e.source),
                                           e.video_dim, e.audio_dim, embedders.video.dim, embedders.audio.dim));
    }
  }
  return EmbeddingDataset(dir, std::move(items), std::move(embedders));
}

void EmbeddingDataset::save_index() const {
  std::string text = csv_line(kIndexHeader);
  for (const EmbeddingItem& e : items_) text += csv_line(index_row(e));
  write_file_atomically((fs::path(dir_) / "index.csv").string(), text);
}

std::vector<float> EmbeddingDataset::vector(size_t i) const {
  if (i >= items_.size()) throw InvalidArgument("index", fmt::format("{} is past the {} items", i, items_.size()));
  const EmbeddingItem& e = items_[i];
  const std::string path = (fs::path(dir_) / e.embedding).string();
  const SafetensorsFile file(path);
  for (const auto& [name, dim] : {std::pair<const char*, int>{"video", e.video_dim}, {"audio", e.audio_dim}}) {
    if (!file.contains(name) || file.tensor(name).shape.size() != 1) {
      throw ModelError(path, fmt::format("not an embedding file: no 1-D tensor '{}'", name));
    }
    if (file.tensor(name).shape[0] != dim) {
      throw DecodeError(path, fmt::format("its {} embedding has {} values, the index says {}", name, file.tensor(name).shape[0], dim));
    }
  }
  std::vector<float> out = file.values<float>("video");
  const std::vector<float> audio = file.values<float>("audio");
  out.insert(out.end(), audio.begin(), audio.end());
  return out;
}

bool is_embedding_dataset(const std::string& dir) { return detail::index_has_header(dir, kIndexHeader); }

}  // namespace dfd
