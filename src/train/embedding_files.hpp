// Private: an embedding dataset's per-file records, written by prepare_embedding_dataset (detect
// layer: it runs a Detector) and read by EmbeddingDataset (dfd/embedding_dataset.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfd/embedding_dataset.hpp"
#include "dfd/labels.hpp"

namespace dfd::detail {

// Writes items/<key>.safetensors (the two vectors) and items/<key>.csv (its index row) into `dir`.
// throws: IoError (cannot write).
// `scores` holds the branches' p(fake), video then audio.
EmbeddingItem write_embedding_item(const std::string& dir, const LabelledFile& file, const std::vector<float>& video,
                                   const std::vector<float>& audio, std::pair<float, float> scores);

// The index rows of one input (its items/<key>.csv). throws: IoError, DecodeError.
std::vector<EmbeddingItem> read_embedding_item_rows(const std::string& dir, const std::string& source);

// The settings an embedding dataset is made with (prepare.json): its kind, the embedders, the
// Detector's params (their JSON text, to_json(DetectorParams)).
nlohmann::ordered_json embedding_settings(const Embedders& embedders, const std::string& detector_json);
// The embedders of prepare.json's or dfd.embedders' JSON. throws: nlohmann::json::exception.
Embedders embedders_from(const nlohmann::ordered_json& j);

}  // namespace dfd::detail
