// dfd/embedding_prepare.hpp — making an embedding dataset (dfd/embedding_dataset.hpp): each
// labelled file scanned once by a Detector with DetectorParams::embeddings on, its two embeddings
// kept. `dfd prepare --embeddings`, dfd.prepare(embeddings=True).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dfd/detector_params.hpp"
#include "dfd/embedding_dataset.hpp"
#include "dfd/export.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/labels.hpp"

DFD_BEGIN_API
namespace dfd {

struct EmbeddingPrepareParams {
  // The Detector that embeds: its first face model gives the video embedding (averaged over the
  // scored crops), its first audio model the audio one (over its windows). embeddings is switched
  // on, explain and audio.fusion_model off; the rest (frames, face detector, ...) as given.
  DetectorParams detector = detector_preset("default");
  int workers = 1;             // files scanned at once, each worker with its own Detector
  bool retry_failed = false;   // prepare again the inputs the ledger records as errors
  std::function<void(const PrepareProgress&)> on_progress;  // from the worker that finished, one at a time
};

struct EmbeddingPrepareSummary {
  size_t files = 0;        // distinct inputs in the list
  size_t done_before = 0;  // found finished in the ledger, not redone
  size_t prepared = 0;     // finished by this run (ok, no_face or no_audio)
  size_t failed = 0;       // errors recorded by this run
  size_t items = 0;        // files in the index (both embeddings)
};

// Scans every input into `dir` (created if missing) and writes index.csv over all inputs finished
// so far; resumable as prepare_face_dataset is. A file without a face to embed is recorded as
// no_face, one without usable sound (no audio stream, too short, silent) as no_audio, with why;
// neither gives an item. A file that fails is recorded with its error and the run goes on.
// requires: workers >= 1; the Detector has a face model and an audio model.
// throws: InvalidArgument (bad settings, or settings other than those `dir` was prepared with: the
// Detector's params and its embedders' weights), ModelError (a model cannot load),
// IoError (cannot write `dir`). An exception from on_progress stops the run; what finished is kept.
EmbeddingPrepareSummary prepare_embedding_dataset(const std::vector<LabelledFile>& files, const std::string& dir,
                                                  const EmbeddingPrepareParams& params = {});

}  // namespace dfd
DFD_END_API
