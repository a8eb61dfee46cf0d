// dfd/embedding_dataset.hpp — a labelled audio-visual set as embeddings: per file, its video
// embedding and its audio embedding (what DetectorParams::embeddings gives a verdict), so training
// an embedding fusion (fusion_mlp) never decodes a video or runs a backbone again.
//
// A dataset is a folder:
//   index.csv     one row per file, the columns of EmbeddingItem: embedding,source,label,group,video_dim,
//                 audio_dim,video_p_fake,audio_p_fake
//   items/<key>.safetensors   one file's vectors: tensors "video" float32 [video_dim] and "audio"
//                 float32 [audio_dim], its row as JSON in the metadata "dfd.embedding"; <key> is a
//                 hash of the input's path; items/<key>.csv its row of index.csv.
//   sources.csv   one row per input: path,label,group,status,frames,embeddings,error — status ok,
//                 no_face (no face to embed), no_audio (no usable sound) or error. The ledger a
//                 killed prepare resumes from.
//   prepare.json  the settings: the two embedders (Embedders) and the Detector's params.
// It is made by prepare_embedding_dataset (dfd/embedding_prepare.hpp: it runs a Detector) and read
// here, by the Trainer. A file needs both embeddings: fusion learns from their pairing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

// The classifier one half of an embedding comes from, by what decides its vectors: architecture,
// weights (by content, so a copy elsewhere is the same model), preprocessing; and their length.
struct Embedder {
  std::string model;   // its spec as given ("arch:weights[@preset]"): for people, not compared
  std::string arch;
  std::string sha256;  // of its weights file
  std::string preset;  // its Preprocess as JSON (to_json(Preprocess))
  int dim = 0;         // the embedding's length; 0 where not known yet
};
// The same model: arch, sha256 and preset equal, and dim where both know it.
bool same_embedder(const Embedder& a, const Embedder& b);

// What an embedding fusion was trained on: the first face model's embedding, then the first audio
// model's, concatenated in that order.
struct Embedders {
  Embedder video, audio;
};
// As JSON ({"video": {...}, "audio": {...}}): the metadata "dfd.embedders" of a trained fusion
// model and the "embedders" of prepare.json. throws (embedders_from_json): InvalidArgument for
// text that is not such JSON.
std::string to_json(const Embedders& e);
Embedders embedders_from_json(const std::string& json);

struct EmbeddingItem {
  std::string embedding;  // its vectors' file, relative to the dataset folder
  std::string source;     // the input file, as its label source lists it
  int label = 0;          // 1 = fake
  std::string group;      // what a split keeps together (LabelledFile::group)
  int video_dim = 0, audio_dim = 0;
  // The two branches' p(fake) in the same scan (Verdict::video_p_fake, audio_p_fake): what a late
  // fusion (fit_late_fusion) learns from, to compare with the embedding fusion on the same files.
  float video_p_fake = 0, audio_p_fake = 0;
};

class EmbeddingDataset {
 public:
  // Reads `dir`/index.csv and prepare.json (the embedders, their dims from the rows).
  // throws: IoError (no index or settings), DecodeError (a malformed row with its line, rows of
  // different lengths, settings that are not an embedding dataset's).
  static EmbeddingDataset open(const std::string& dir);
  // Items of `dir` chosen by the caller (a subset for folds; what prepare indexes). Nothing is
  // read or checked: each item's file is read, and its lengths checked, by vector().
  // requires: the items' embedding paths relative to `dir`; their dims those of `embedders`.
  EmbeddingDataset(std::string dir, std::vector<EmbeddingItem> items, Embedders embedders);

  // Writes index.csv (atomically). throws: IoError.
  void save_index() const;

  const std::string& dir() const { return dir_; }
  const std::vector<EmbeddingItem>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  const Embedders& embedders() const { return embedders_; }
  // Item i's video embedding followed by its audio embedding: video_dim + audio_dim floats.
  // throws: InvalidArgument (i out of range), IoError / ModelError naming the file (missing, not
  // an embedding file), DecodeError (lengths other than the index's).
  std::vector<float> vector(size_t i) const;

 private:
  std::string dir_;
  std::vector<EmbeddingItem> items_;
  Embedders embedders_;
};

// True when `dir`'s index.csv is an embedding dataset's (its header): what lets `dfd train DIR`
// take any kind.
bool is_embedding_dataset(const std::string& dir);

}  // namespace dfd
DFD_END_API
