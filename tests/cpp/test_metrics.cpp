// Metrics against scikit-learn 1.2 (golden g10).
#include "dfd_test.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dfd/metrics.hpp"
#include "dfd/safetensors.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;

namespace {

std::vector<double> f64(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  REQUIRE(t.dtype == dfd::Dtype::F64);
  std::vector<double> v(t.nbytes / sizeof(double));
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

std::vector<int> labels_of(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  REQUIRE(t.dtype == dfd::Dtype::I64);
  std::vector<int> v;
  for (size_t i = 0; i < t.nbytes / sizeof(int64_t); ++i) v.push_back(static_cast<int>(reinterpret_cast<const int64_t*>(t.data)[i]));
  return v;
}

void check_close(const std::vector<double>& ours, const std::vector<double>& expected) {
  REQUIRE(ours.size() == expected.size());
  for (size_t i = 0; i < ours.size(); ++i) CHECK(std::abs(ours[i] - expected[i]) <= 1e-12);
}

}  // namespace

TEST_CASE("g10: ROC, AUC, log loss and F1 equal scikit-learn's") {
  const dfd::SafetensorsFile golden(shared_path("golden/g10_metrics/metrics.safetensors"));
  int cases = 0;
  for (const std::string& name : golden.names()) {
    const auto slash = name.find("/y_true");
    if (slash == std::string::npos) continue;
    const std::string c = name.substr(0, slash);
    INFO(c);
    const std::vector<int> y = labels_of(golden, c + "/y_true");
    const std::vector<double> s = f64(golden, c + "/y_score");
    CHECK(std::abs(dfd::metrics::roc_auc(y, s) - f64(golden, c + "/roc_auc")[0]) <= 1e-12);
    CHECK(std::abs(dfd::metrics::log_loss(y, s) - f64(golden, c + "/log_loss")[0]) <= 1e-12);
    CHECK(std::abs(dfd::metrics::f1(dfd::metrics::confusion(y, s, 0.5)) - f64(golden, c + "/f1_ge_0.5")[0]) <= 1e-12);
    CHECK(std::abs(dfd::metrics::f1(dfd::metrics::confusion(y, s, 0.5, true)) - f64(golden, c + "/f1_gt_0.5")[0]) <= 1e-12);
    for (const bool drop : {true, false}) {
      const std::string prefix = c + (drop ? "/roc_" : "/roc_all_");
      const dfd::metrics::RocCurve roc = dfd::metrics::roc_curve(y, s, drop);
      check_close(roc.fpr, f64(golden, prefix + "fpr"));
      check_close(roc.tpr, f64(golden, prefix + "tpr"));
      check_close(roc.thresholds, f64(golden, prefix + "thresholds"));
    }
    ++cases;
  }
  CHECK(cases == 4);
}

TEST_CASE("metrics: TPR at FPR, EER, confusion counts, errors, submissions" * doctest::test_suite("unit")) {
  // Perfectly separated: full recall at no false positive, EER 0.
  const std::vector<int> y = {0, 0, 0, 1, 1, 1};
  const std::vector<double> separated = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
  CHECK(dfd::metrics::tpr_at_fpr(y, separated, 0.0) == 1.0);
  CHECK(dfd::metrics::equal_error_rate(y, separated) == 0.0);
  CHECK(dfd::metrics::roc_auc(y, separated) == 1.0);
  // One real scored above one fake: at FPR 1/3 every fake is caught; below it, two of three.
  const std::vector<double> crossed = {0.1, 0.2, 0.75, 0.7, 0.8, 0.9};
  CHECK(dfd::metrics::tpr_at_fpr(y, crossed, 0.0) == doctest::Approx(2.0 / 3));
  CHECK(dfd::metrics::tpr_at_fpr(y, crossed, 0.34) == 1.0);
  const double eer = dfd::metrics::equal_error_rate(y, crossed);
  CHECK(eer > 0.0);
  CHECK(eer <= 1.0 / 3 + 1e-12);
  const auto c = dfd::metrics::confusion(y, crossed, 0.5);
  CHECK((c.tp == 3 && c.fp == 1 && c.tn == 2 && c.fn == 0));
  CHECK(dfd::metrics::accuracy(c) == doctest::Approx(5.0 / 6));
  CHECK(dfd::metrics::precision(c) == doctest::Approx(0.75));
  CHECK(dfd::metrics::recall(c) == 1.0);
  // The DFDC clip bounds a confident mistake's cost: -log(1e-15) ~ 34.5.
  CHECK(dfd::metrics::log_loss({1}, {0.0}, dfd::metrics::kDfdcLogLossEps) == doctest::Approx(-std::log(1e-15)));
  CHECK_THROWS_AS(dfd::metrics::roc_auc({1, 1}, {0.2, 0.4}), dfd::InvalidArgument);   // one class
  CHECK_THROWS_AS(dfd::metrics::roc_auc({0, 2}, {0.2, 0.4}), dfd::InvalidArgument);   // not a label
  CHECK_THROWS_AS(dfd::metrics::log_loss({0, 1}, {0.2}), dfd::InvalidArgument);       // sizes
  CHECK_THROWS_AS(dfd::metrics::log_loss({0}, {std::nan("")}), dfd::InvalidArgument);
  const std::string path = dfd::test::temp_dir() + "/submission.csv";
  dfd::metrics::write_dfdc_submission(path, {{"aabbcc.mp4", 0.25}, {"odd,name.mp4", 0.5}});
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "filename,label\naabbcc.mp4,0.25\n\"odd,name.mp4\",0.5\n");
  CHECK_THROWS_AS(dfd::metrics::write_ffdv_submission("/nonexistent/dir/x.csv", {}), dfd::IoError);
}
