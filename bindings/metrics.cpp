#include "metrics.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/metrics.hpp"
#include "fs_path.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using Labels = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using Scores = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::vector<int> labels_of(const Labels& a) {
  if (a.ndim() != 1) throw InvalidArgument("y_true", "expected a 1-D array of 0/1 labels");
  std::vector<int> v;
  for (py::ssize_t i = 0; i < a.size(); ++i) v.push_back(static_cast<int>(a.data()[i]));
  return v;
}

std::vector<double> scores_of(const Scores& a) {
  if (a.ndim() != 1) throw InvalidArgument("y_score", "expected a 1-D array of scores");
  return std::vector<double>(a.data(), a.data() + a.size());
}

py::array_t<double> array_of(const std::vector<double>& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

}  // namespace

void register_metrics(py::module_& parent) {
  py::module_ m = parent.def_submodule("metrics", "Competition metrics, equal to scikit-learn 1.2's (labels 1 = fake).");
  m.attr("DFDC_LOG_LOSS_EPS") = metrics::kDfdcLogLossEps;
  m.def("roc_auc", [](const Labels& y, const Scores& s) { return metrics::roc_auc(labels_of(y), scores_of(s)); },
        py::arg("y_true"), py::arg("y_score"), "sklearn.metrics.roc_auc_score");
  m.def(
      "log_loss",
      [](const Labels& y, const Scores& s, double eps) { return metrics::log_loss(labels_of(y), scores_of(s), eps); },
      py::arg("y_true"), py::arg("y_score"), py::arg("eps") = metrics::kMachineEps,
      "sklearn.metrics.log_loss (eps = float64 epsilon; DFDC_LOG_LOSS_EPS for the competition's clipping)");
  m.def(
      "roc_curve",
      [](const Labels& y, const Scores& s, bool drop_intermediate) {
        const metrics::RocCurve roc = metrics::roc_curve(labels_of(y), scores_of(s), drop_intermediate);
        return py::make_tuple(array_of(roc.fpr), array_of(roc.tpr), array_of(roc.thresholds));
      },
      py::arg("y_true"), py::arg("y_score"), py::arg("drop_intermediate") = true,
      "sklearn.metrics.roc_curve: (fpr, tpr, thresholds)");
  auto with_confusion = [&m](const char* name, double (*f)(const metrics::Confusion&), const char* doc) {
    m.def(
        name,
        [f](const Labels& y, const Scores& s, double threshold, bool strict) {
          return f(metrics::confusion(labels_of(y), scores_of(s), threshold, strict));
        },
        py::arg("y_true"), py::arg("y_score"), py::arg("threshold") = 0.5, py::arg("strict") = false, doc);
  };
  with_confusion("accuracy", &metrics::accuracy, "share correct, fake = score >= threshold (> when strict)");
  with_confusion("precision", &metrics::precision, "tp / (tp + fp), 0 when nothing is called fake");
  with_confusion("recall", &metrics::recall, "tp / (tp + fn)");
  with_confusion("f1", &metrics::f1, "sklearn.metrics.f1_score of the thresholded scores");
  m.def(
      "tpr_at_fpr",
      [](const Labels& y, const Scores& s, double max_fpr) { return metrics::tpr_at_fpr(labels_of(y), scores_of(s), max_fpr); },
      py::arg("y_true"), py::arg("y_score"), py::arg("max_fpr"), "the best true-positive rate at FPR <= max_fpr");
  m.def(
      "equal_error_rate",
      [](const Labels& y, const Scores& s) { return metrics::equal_error_rate(labels_of(y), scores_of(s)); },
      py::arg("y_true"), py::arg("y_score"), "where false-positive and false-negative rates cross");
  // Names are file names: str with surrogate escapes, bytes or os.PathLike, written with \xNN escapes.
  using Rows = std::vector<std::pair<FsPath, double>>;
  const auto rows_of = [](const Rows& rows) {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& [name, score] : rows) out.emplace_back(name.bytes, score);
    return out;
  };
  m.def("write_dfdc_submission", [rows_of](const FsPath& path, const Rows& rows) {
          metrics::write_dfdc_submission(path.bytes, rows_of(rows));
        }, py::arg("path"), py::arg("rows"),
        "filename,label CSV from [(filename, p_fake), ...]: one row per entry, in order; a NaN score raises "
        "InvalidArgument (give a failed file its prior)");
  m.def("write_ffdv_submission", [rows_of](const FsPath& path, const Rows& rows) {
          metrics::write_ffdv_submission(path.bytes, rows_of(rows));
        }, py::arg("path"), py::arg("rows"), "video_name,score CSV from [(video_name, p_fake), ...] (as above)");
}

}  // namespace dfd::python
