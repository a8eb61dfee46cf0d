// prepare_embedding_dataset: the ledger of src/train (prepare_ledger) with a Detector per worker.
#include "dfd/embedding_prepare.hpp"

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/detector.hpp"
#include "train/embedding_files.hpp"
#include "train/prepare_ledger.hpp"

namespace dfd {
namespace {

// One input scanned into the dataset: an item when it has both embeddings.
detail::PrepareOutcome prepare_one(Detector& detector, const LabelledFile& file, const std::string& dir) {
  detail::PrepareOutcome out;
  const Verdict v = detector.scan(file.file);
  out.amount = v.frames_sampled;
  if (v.status != Verdict::Status::Ok && v.status != Verdict::Status::NoFace) {
    out.status = "error";
    out.error = v.error.empty() ? to_string(v.status) : v.error;
    return out;
  }
  if (v.video_embedding.empty() || !v.video_p_fake) {
    out.status = "no_face";
    out.error = fmt::format("{}: no face to embed in {} frames sampled", file.file, v.frames_sampled);
    return out;
  }
  if (v.audio_embedding.empty() || !v.audio_p_fake) {
    out.status = "no_audio";
    out.error = fmt::format("{}: no audio embedding ({})", file.file, v.audio_status.empty() ? "no audio score" : v.audio_status);
    return out;
  }
  detail::write_embedding_item(dir, file, v.video_embedding, v.audio_embedding, {*v.video_p_fake, *v.audio_p_fake});
  out.items = 1;
  return out;
}

}  // namespace

EmbeddingPrepareSummary prepare_embedding_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                                  const EmbeddingPrepareParams& params) {
  DetectorParams d = params.detector;
  d.embeddings = true;
  d.explain.enabled = false;
  d.audio.fusion_model.clear();
  // Built once here: a missing model or one branch short fails before any input, and its embedders
  // (fingerprinted once) make the settings a rerun is checked against.
  auto first = std::make_shared<Detector>(d);
  const Embedders embedders = first->embedders();
  const nlohmann::ordered_json settings = detail::embedding_settings(embedders, to_json(d, -1));
  const auto make_worker = [&]() -> detail::PrepareOne {  // called once per worker, one after another
    std::shared_ptr<Detector> detector = first ? std::move(first) : std::make_shared<Detector>(d);
    return [detector, &dir](const LabelledFile& f) { return prepare_one(*detector, f, dir); };
  };
  const detail::LedgerResult run = detail::run_prepare_ledger(files, dir, settings, {"frames", "embeddings"}, params.workers,
                                                              params.retry_failed, params.on_progress, make_worker);
  std::vector<EmbeddingItem> items;
  for (const LabelledFile* f : run.finished) {
    for (EmbeddingItem& e : detail::read_embedding_item_rows(dir, f->path)) items.push_back(std::move(e));
  }
  EmbeddingPrepareSummary summary;
  summary.files = run.files;
  summary.done_before = run.done_before;
  summary.prepared = run.prepared;
  summary.failed = run.failed;
  summary.items = items.size();
  EmbeddingDataset(dir, std::move(items), embedders).save_index();
  return summary;
}

}  // namespace dfd
