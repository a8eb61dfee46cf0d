// dfd::Trainer on faces the test draws: a tiny run learns to tell blended faces from clean ones
// (validation AUC > 0.95), a run stopped mid-epoch and resumed ends with the weights of one never
// stopped, and the saved model loads as a Classifier with no preset. Data-free (unit suite).
#include "dfd/trainer.hpp"  // brings c10's logging: before dfd_test.hpp

#include "dfd_test.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/nn/module.h>

#include "dfd/classifier.hpp"
#include "dfd/safetensors.hpp"

namespace fs = std::filesystem;
using dfd::test::temp_dir;

namespace {

// A 96 x 96 "face" of person `k`: a textured disc on a background of its own, with 68 points in
// the landmark layout's spirit (jaw on the lower rim, the rest inside).
std::pair<cv::Mat, std::vector<cv::Point2f>> drawn_face(int k) {
  cv::RNG rng(static_cast<uint64_t>(k) + 1);
  cv::Mat img(96, 96, CV_8UC3);
  rng.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(20), cv::Scalar::all(120));
  cv::GaussianBlur(img, img, {5, 5}, 2);
  const cv::Point centre(48 + rng.uniform(-4, 5), 50 + rng.uniform(-4, 5));
  const cv::Scalar skin(rng.uniform(150, 230), rng.uniform(110, 170), rng.uniform(90, 140));
  cv::ellipse(img, centre, {26, 32}, 0, 0, 360, skin, cv::FILLED, cv::LINE_AA);
  cv::Mat grain(img.size(), CV_8UC3);
  rng.fill(grain, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(6));
  img += grain;
  cv::circle(img, centre + cv::Point(-10, -8), 3, cv::Scalar(40, 40, 40), cv::FILLED);
  cv::circle(img, centre + cv::Point(10, -8), 3, cv::Scalar(40, 40, 40), cv::FILLED);
  cv::line(img, centre + cv::Point(-8, 14), centre + cv::Point(8, 14), cv::Scalar(120, 50, 50), 2);
  std::vector<cv::Point2f> points;
  for (int i = 0; i < 17; ++i) {  // jaw: the lower half of the ellipse
    const double a = M_PI * i / 16;
    points.emplace_back(float(centre.x - 24 * std::cos(a)), float(centre.y + 30 * std::sin(a) - 4));
  }
  for (int i = 17; i < 68; ++i) {  // brows, nose, eyes, mouth: inside
    const double a = 2 * M_PI * i / 51;
    points.emplace_back(float(centre.x + 14 * std::cos(a)), float(centre.y + 16 * std::sin(a)));
  }
  return {img, points};
}

// `n` people, one face each; with `fakes`, every third also has a blended twin (label 1): the face
// with a colour-shifted, sharp-edged inner region — a crude manipulation a model must learn to see.
dfd::FaceDataset drawn_dataset(const std::string& dir, int n, bool fakes) {
  fs::create_directories(dir + "/img");
  std::vector<dfd::FaceSample> samples;
  for (int k = 0; k < n; ++k) {
    auto [img, points] = drawn_face(k);
    for (int label = 0; label <= (fakes && k % 3 == 0 ? 1 : 0); ++label) {
      cv::Mat face = img.clone();
      if (label) {
        cv::Mat inner = face(cv::Rect(30, 34, 36, 30));
        inner.convertTo(inner, -1, 1.25, 18);
      }
      dfd::FaceSample s;
      s.image = fmt::format("img/{:03d}_{}.png", k, label);
      s.source = fmt::format("person{:03d}_{}.mp4", k, label);
      s.label = label;
      s.group = fmt::format("person{:03d}", k);
      s.box = {22, 18, 74, 82};
      s.region = s.content = cv::Rect(0, 0, 96, 96);
      s.landmarks = points;
      cv::Mat bgr;
      cv::cvtColor(face, bgr, cv::COLOR_RGB2BGR);
      REQUIRE(cv::imwrite(dir + "/" + s.image, bgr));
      samples.push_back(std::move(s));
    }
  }
  dfd::FaceDataset ds(dir, std::move(samples));
  ds.save_index();
  return ds;
}

dfd::TrainParams tiny(const std::string& out) {
  dfd::TrainParams p;
  p.arch = "resnet18";
  p.input_size = 64;
  p.batch_size = 16;
  p.lr = 2e-3;
  p.warmup_epochs = 0.5;
  p.workers = 2;
  p.seed = 3;
  p.out_dir = out;
  return p;
}

bool same_weights(const std::string& a, const std::string& b) {
  const dfd::SafetensorsFile x(a), y(b);
  if (x.names() != y.names()) return false;
  for (const std::string& name : x.names()) {
    const auto& tx = x.tensor(name);
    const auto& ty = y.tensor(name);
    if (tx.shape != ty.shape || tx.nbytes != ty.nbytes || std::memcmp(tx.data, ty.data, tx.nbytes) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Trainer: a tiny run learns blended from clean faces (validation AUC > 0.95)" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/trainer_learns";
  const dfd::FaceDataset data = drawn_dataset(dir + "/data", 150, true);
  dfd::TrainParams p = tiny(dir + "/run");
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 6;
  p.epoch_size = 96;
  p.augment = false;
  p.val_fraction = 0.3;
  dfd::Trainer trainer(data, p);
  const dfd::TrainResult r = trainer.run();
  REQUIRE(r.history.size() == 6);
  CHECK(r.history.back().val_auc > 0.95);
  CHECK(r.history.back().val_videos == r.history.back().val_faces);  // one face per source here
  CHECK(r.history.front().train_loss > r.history.back().train_loss);
  for (const char* f : {"best.safetensors", "last.safetensors", "checkpoint.pt", "metrics.csv", "curves.png", "params.json"}) {
    CHECK_MESSAGE(fs::exists(fs::path(p.out_dir) / f), f);
  }
  // The saved model reads as a Classifier without a preset, and scores the held-out faces as
  // validation did.
  const auto clf = dfd::Classifier::create("resnet18:" + r.best_weights);
  CHECK(clf->preprocess_spec().size == 64);
  CHECK(clf->preprocess_spec().name == "dfd_trained");
  const dfd::SafetensorsFile best(r.best_weights);
  CHECK(best.metadata("dfd.arch") == "resnet18");
  CHECK(best.metadata("dfd.training").find("\"epoch\"") != std::string::npos);
}

TEST_CASE("Trainer: stopped mid-epoch and resumed, a run ends with the weights of one never stopped" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/trainer_resume";
  const dfd::FaceDataset data = drawn_dataset(dir + "/data", 40, true);
  dfd::TrainParams p = tiny(dir + "/whole");
  p.mix = {0.4, 0.3, 0.3};  // reals, self-blended fakes and labelled fakes: every path
  p.epochs = 3;
  p.epoch_size = 32;
  p.label_smoothing = 0.1;
  p.grad_clip = 1.0;
  dfd::Trainer(data, p).run();
  // The seed makes the run: again, the same weights.
  dfd::TrainParams again = p;
  again.out_dir = dir + "/again";
  dfd::Trainer(data, again).run();
  CHECK(same_weights(dir + "/whole/last.safetensors", dir + "/again/last.safetensors"));

  dfd::TrainParams q = p;
  q.out_dir = dir + "/stopped";
  {
    dfd::Trainer stopping(data, q);
    stopping.on_progress = [](const dfd::TrainProgress& s) {
      if (s.epoch == 2 && s.phase == "train" && s.step == 1) throw std::runtime_error("killed");
    };
    CHECK_THROWS_WITH(stopping.run(), "killed");
  }
  q.resume = true;
  const dfd::TrainResult r = dfd::Trainer(data, q).run();
  REQUIRE(r.history.size() == 3);
  CHECK(same_weights(dir + "/whole/last.safetensors", dir + "/stopped/last.safetensors"));
  CHECK(same_weights(dir + "/whole/best.safetensors", dir + "/stopped/best.safetensors"));
  // Another seed is another run, and resuming with it is refused.
  q.seed = 4;
  CHECK_THROWS_WITH_AS(dfd::Trainer(data, q), doctest::Contains("other settings"), dfd::ModelError);
}

TEST_CASE("TrainParams: every setting by name, to JSON and back; bad names and values refused" * doctest::test_suite("unit")) {
  dfd::TrainParams p;
  dfd::set_train_param(p, "lr=3e-4");
  dfd::set_train_param(p, "mix.self_blended=0.25");
  dfd::set_train_param(p, "freeze=features.0,features.1");
  dfd::set_train_param(p, "optimizer=sgd");
  dfd::set_train_param(p, "mean=0.5,0.5,0.5");
  CHECK(p.lr == doctest::Approx(3e-4));
  CHECK(p.mix.self_blended == 0.25);
  CHECK(p.freeze == std::vector<std::string>{"features.0", "features.1"});
  CHECK(p.optimizer == dfd::OptimizerKind::Sgd);
  CHECK(p.mean[2] == 0.5f);
  const dfd::TrainParams back = dfd::train_params_from_json(dfd::to_json(p));
  CHECK(dfd::to_json(back) == dfd::to_json(p));
  CHECK_THROWS_WITH_AS(dfd::set_train_param(p, "learning_rate=1"), doctest::Contains("known: arch"), dfd::InvalidArgument);
  CHECK_THROWS_WITH_AS(dfd::set_train_param(p, "epochs=many"), doctest::Contains("epochs"), dfd::InvalidArgument);
  CHECK_THROWS_WITH_AS(dfd::set_train_param(p, "optimizer=adam"), doctest::Contains("valid: adamw, sgd"), dfd::InvalidArgument);
  CHECK(p.epochs == 10);  // a failed set changes nothing
  CHECK_THROWS_AS(dfd::train_params_from_json("{\"lr\": \"fast\"}"), dfd::InvalidArgument);
}

TEST_CASE("Trainer: settings and data it cannot train with are refused by name" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/trainer_refuses";
  const dfd::FaceDataset reals = drawn_dataset(dir + "/data", 12, false);
  dfd::TrainParams p = tiny(dir + "/run");
  p.mix = {0.5, 0.0, 0.5};
  CHECK_THROWS_WITH_AS(dfd::Trainer(reals, p), doctest::Contains("no labelled fakes"), dfd::InvalidArgument);
  p.mix = {0.5, 0.5, 0.0};
  p.folds = 3;
  p.fold = 3;
  CHECK_THROWS_WITH_AS(dfd::Trainer(reals, p), doctest::Contains("fold"), dfd::InvalidArgument);
  p.folds = 0;
  p.out_dir.clear();
  CHECK_THROWS_WITH_AS(dfd::Trainer(reals, p), doctest::Contains("out_dir"), dfd::InvalidArgument);
  p.out_dir = dir + "/run";
  p.resume = true;
  CHECK_THROWS_WITH_AS(dfd::Trainer(reals, p), doctest::Contains("no checkpoint"), dfd::ModelError);
}

TEST_CASE("Trainer: early stopping ends a run whose validation loss stops improving; frozen layers stay put" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/trainer_early";
  const dfd::FaceDataset data = drawn_dataset(dir + "/data", 24, true);
  dfd::TrainParams p = tiny(dir + "/run");
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 6;
  p.epoch_size = 16;
  p.early_stopping = 2;
  // Everything frozen but the head's bias, and a step far below its float spacing: the
  // validation loss cannot move, so epoch 1 stays the best.
  p.freeze = {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc.weight"};
  p.lr = 1e-12;
  p.weight_decay = 0;
  dfd::Trainer trainer(data, p);
  const auto before = trainer.model().module().named_parameters(true)["layer1.0.conv1.weight"].clone();
  const auto running = trainer.model().module().named_buffers(true)["layer1.0.bn1.running_mean"].clone();
  const dfd::TrainResult r = trainer.run();
  CHECK(r.stopped_early);
  CHECK(r.history.size() == 3);
  CHECK(r.best_epoch == 1);
  CHECK(trainer.model().module().named_parameters(true)["layer1.0.conv1.weight"].equal(before));
  CHECK(trainer.model().module().named_buffers(true)["layer1.0.bn1.running_mean"].equal(running));  // eval mode
  // Resumed with more epochs, a stopped run stays stopped.
  p.resume = true;
  p.epochs = 8;
  const dfd::TrainResult again = dfd::Trainer(data, p).run();
  CHECK(again.stopped_early);
  CHECK(again.history.size() == 3);
}

TEST_CASE("Trainer: head_lr moves the head at its own rate while the body barely moves" * doctest::test_suite("unit")) {
  const std::string dir = temp_dir() + "/trainer_head_lr";
  const dfd::FaceDataset data = drawn_dataset(dir + "/data", 24, true);
  dfd::TrainParams p = tiny(dir + "/run");
  p.mix = {0.5, 0.0, 0.5};
  p.epochs = 1;
  p.epoch_size = 16;
  p.weight_decay = 0;
  p.warmup_epochs = 0;
  p.schedule = dfd::LrSchedule::Constant;
  p.lr = 1e-12;    // the body: Adam steps of ~1e-12
  p.head_lr = 1e-2;
  dfd::Trainer trainer(data, p);
  auto params = trainer.model().module().named_parameters(true);
  const auto body = params["layer1.0.conv1.weight"].clone();
  const auto head = params["fc.weight"].clone();
  trainer.run();
  params = trainer.model().module().named_parameters(true);
  CHECK((params["layer1.0.conv1.weight"] - body).abs().max().item<double>() < 1e-9);  // a 1e-12 step
  CHECK((params["fc.weight"] - head).abs().max().item<double>() > 1e-3);  // a 1e-2 step
  p.head_lr = -1;
  CHECK_THROWS_WITH_AS(dfd::Trainer(data, p), doctest::Contains("head_lr"), dfd::InvalidArgument);
}
