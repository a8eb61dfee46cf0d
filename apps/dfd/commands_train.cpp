// dfd train DATASET -o RUN: train a zoo model on a prepared face, audio or embedding dataset (dfd
// prepare [--audio | --embeddings]), with settings from flags, a JSON file and --set; --resume
// continues a killed run.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/audio_dataset.hpp"
#include "dfd/embedding_dataset.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/trainer.hpp"
#include "dfd/utf8.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct TrainOptions {
  std::string data, validation, config, out_dir, arch, init, mix, optimizer, schedule;
  std::vector<std::string> overrides;
  std::optional<int> epochs, batch_size, size, workers, epoch_size, folds, fold, early_stopping;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  bool resume = false, no_augment = false, print_params = false;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot be opened for reading");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The config file, then the flags, then --set, over the dataset kind's defaults (default_train_params): later wins.
TrainParams train_params(const TrainOptions& o, DatasetKind kind) {
  TrainParams p = default_train_params(kind);
  if (!o.config.empty()) {
    try {
      p = train_params_from_json(read_file(o.config), p);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("--config", fmt::format("{}: {}", o.config, e.what()));
    }
  }
  const auto set = [&p](const std::string& name, const std::string& value) {
    if (!value.empty()) set_train_param(p, name + "=" + value);
  };
  set("arch", o.arch);
  set("init", o.init);
  set("optimizer", o.optimizer);
  set("schedule", o.schedule);
  if (!o.mix.empty()) {
    std::vector<std::string> parts;
    for (size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
      comma = o.mix.find(',', start);
      parts.push_back(o.mix.substr(start, comma == std::string::npos ? comma : comma - start));
    }
    if (parts.size() != 3) throw InvalidArgument("--mix", fmt::format("expected real,self_blended,fake, got '{}'", o.mix));
    set("mix.real", parts[0]);
    set("mix.self_blended", parts[1]);
    set("mix.fake", parts[2]);
  }
  if (o.epochs) p.epochs = *o.epochs;
  if (o.batch_size) p.batch_size = *o.batch_size;
  if (o.size) p.input_size = *o.size;
  if (o.workers) p.workers = *o.workers;
  if (o.epoch_size) p.epoch_size = *o.epoch_size;
  if (o.folds) p.folds = *o.folds;
  if (o.fold) p.fold = *o.fold;
  if (o.early_stopping) p.early_stopping = *o.early_stopping;
  if (o.lr) p.lr = *o.lr;
  if (o.seed) p.seed = *o.seed;
  if (o.no_augment) p.augment = false;
  for (const std::string& kv : o.overrides) set_train_param(p, kv);
  p.out_dir = o.out_dir;
  p.resume = o.resume;
  return p;
}

std::unique_ptr<Trainer> make_trainer(const TrainOptions& o, const TrainParams& params, DatasetKind kind) {
  if (kind == DatasetKind::Embeddings) {
    std::optional<EmbeddingDataset> validation;
    if (!o.validation.empty()) validation = EmbeddingDataset::open(o.validation);
    return std::make_unique<Trainer>(EmbeddingDataset::open(o.data), params, std::move(validation));
  }
  if (kind == DatasetKind::Audio) {
    std::optional<AudioDataset> validation;
    if (!o.validation.empty()) validation = AudioDataset::open(o.validation);
    return std::make_unique<Trainer>(AudioDataset::open(o.data), params, std::move(validation));
  }
  std::optional<FaceDataset> validation;
  if (!o.validation.empty()) validation = FaceDataset::open(o.validation);
  return std::make_unique<Trainer>(FaceDataset::open(o.data), params, std::move(validation));
}

void run_train(const TrainOptions& o) {
  const DatasetKind kind = dataset_kind(o.data);
  const TrainParams params = train_params(o, kind);
  if (o.print_params) {
    std::cout << to_json(params) << std::endl;
    return;
  }
  const std::unique_ptr<Trainer> made = make_trainer(o, params, kind);
  Trainer& trainer = *made;
  std::unique_ptr<Progress> bar;
  int shown_epoch = 0;
  std::string shown_phase;
  // Not a terminal (a run in the background, its stderr in a log): a plain line each minute.
  auto last_line = std::chrono::steady_clock::now();
  trainer.on_progress = [&](const TrainProgress& s) {
    if (bar && !bar->visible() && std::chrono::steady_clock::now() - last_line > std::chrono::minutes(1)) {
      last_line = std::chrono::steady_clock::now();
      std::cerr << fmt::format("epoch {}/{} {} {}/{} loss {:.4f} {:.1f} img/s\n", s.epoch, s.epochs, s.phase, s.step,
                               s.steps, s.loss, s.images_per_second);
    }
    if (s.epoch != shown_epoch || s.phase != shown_phase || !bar) {
      bar = std::make_unique<Progress>(s.steps);
      shown_epoch = s.epoch;
      shown_phase = s.phase;
    }
    bar->step(s.phase == "train" ? fmt::format("epoch {}/{} loss {:.4f} {:.1f} img/s", s.epoch, s.epochs, s.loss,
                                               s.images_per_second)
                                 : fmt::format("epoch {}/{} validating", s.epoch, s.epochs));
  };
  // One JSON line per finished epoch, as metrics.csv has it.
  trainer.on_epoch = [&](const EpochMetrics& e) {
    if (bar) bar->clear();
    std::cout << to_json(e) << std::endl;
  };
  const TrainResult r = trainer.run();
  bar.reset();
  nlohmann::ordered_json done = {{"best_epoch", r.best_epoch}, {"stopped_early", r.stopped_early},
                                       {"best", utf8_escaped(r.best_weights)}, {"last", utf8_escaped(r.last_weights)},
                                       {"model", fmt::format("{}:{}", params.arch, utf8_escaped(r.best_weights))}};
  // An embedding fusion is not a branch's model: the Detector takes it as audio.fusion_model.
  if (kind == DatasetKind::Embeddings) {
    done.erase("model");
    done["fusion_model"] = utf8_escaped(r.best_weights);
  }
  std::cout << done.dump() << std::endl;
}

}  // namespace

void add_train_commands(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a face dataset (dfd prepare): reals, their self-blended "
                                               "fakes and labelled fakes; an audio model on an audio dataset "
                                               "(dfd prepare --audio); or an embedding fusion on an embedding "
                                               "dataset (dfd prepare --embeddings; --arch fusion_mlp by default)");
  cmd->add_option("DATASET", o->data, "a folder made by dfd prepare [--audio | --embeddings] (or any with an index.csv)")->required();
  cmd->add_option("-o,--out", o->out_dir, "the run's folder: checkpoint, best/last .safetensors, metrics.csv, curves.png")->required();
  cmd->add_option("--val", o->validation, "a prepared dataset to validate on (default: groups held out of DATASET)");
  cmd->add_option("--config", o->config, "a JSON file of settings (as params.json of a run); flags and --set override it");
  cmd->add_option("--arch", o->arch, "zoo architecture (dfd models) [arch]");
  cmd->add_option("--init", o->init, "weights to start from, same architecture; another head size is left random [init]");
  cmd->add_option("--epochs", o->epochs, "[epochs]");
  cmd->add_option("--batch-size", o->batch_size, "[batch_size]");
  cmd->add_option("--lr", o->lr, "peak learning rate [lr]");
  cmd->add_option("--optimizer", o->optimizer, "adamw or sgd [optimizer]");
  cmd->add_option("--schedule", o->schedule, "cosine, step or constant, after the warm-up [schedule]");
  cmd->add_option("--mix", o->mix, "shares of real,self_blended,fake samples, e.g. 0.5,0.5,0 [mix.*]");
  cmd->add_option("--size", o->size, "the model's input side (default: the architecture's) [input_size]");
  cmd->add_option("--epoch-size", o->epoch_size, "samples per epoch (default: the training faces) [epoch_size]");
  cmd->add_option("--folds", o->folds, "k-fold by group [folds]");
  cmd->add_option("--fold", o->fold, "the fold validated on [fold]");
  cmd->add_option("--early-stopping", o->early_stopping, "epochs without a better val loss before stopping [early_stopping]");
  cmd->add_option("--seed", o->seed, "[seed]");
  cmd->add_option("-j,--workers", o->workers, "threads making samples [workers]");
  cmd->add_flag("--no-augment", o->no_augment, "train on the crops as they are [augment=false]");
  cmd->add_option("--set", o->overrides, "KEY=VALUE: any setting by name (label_smoothing=0.1, freeze=layer1,layer2, "
                  "augmentation.jpeg_p=0.3, ...; see --print-params); repeatable");
  cmd->add_flag("--resume", o->resume, "continue the run in --out from its last checkpoint (same settings)");
  cmd->add_flag("--print-params", o->print_params, "print every effective setting as JSON and stop");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace dfd::cli
