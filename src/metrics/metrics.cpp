// Classification metrics as scikit-learn 1.2 computes them (metrics/_ranking.py, _classification.py).
#include "dfd/metrics.hpp"

#include "dfd/csv.hpp"
#include "dfd/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

namespace dfd::metrics {
namespace {

void require_pairs(const std::vector<int>& labels, const std::vector<double>& scores) {
  if (labels.size() != scores.size()) {
    throw InvalidArgument("scores", fmt::format("{} labels but {} scores", labels.size(), scores.size()));
  }
  if (labels.empty()) throw InvalidArgument("labels", "are empty");
  for (int y : labels) {
    if (y != 0 && y != 1) throw InvalidArgument("labels", fmt::format("must be 0 (real) or 1 (fake), got {}", y));
  }
  for (double s : scores) {
    if (!std::isfinite(s)) throw InvalidArgument("scores", "contain NaN or infinity");
  }
}

// _binary_clf_curve: per distinct score, descending, the cumulative true and false positives.
void clf_curve(const std::vector<int>& labels, const std::vector<double>& scores, std::vector<double>& fps,
               std::vector<double>& tps, std::vector<double>& thresholds) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double tp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    tp += labels[order[i]];
    const bool last_of_value = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (last_of_value) {
      tps.push_back(tp);
      fps.push_back(double(i + 1) - tp);
      thresholds.push_back(scores[order[i]]);
    }
  }
}

double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  for (size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
  return area;
}

void write_submission(const std::string& path, const char* header,
                      const std::vector<std::pair<std::string, double>>& rows) {
  for (const auto& [name, score] : rows) {
    if (!std::isfinite(score)) {
      throw InvalidArgument("rows", fmt::format("'{}' has no score ({}): a submission needs a number for every file",
                                                utf8_escaped(name), score));
    }
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw IoError(path, "cannot write the submission file");
  out << header << '\n';
  for (const auto& [name, score] : rows) out << csv_line({utf8_escaped(name), fmt::format("{:.9g}", score)});
  if (!out) throw IoError(path, "writing the submission file failed");
}

}  // namespace

RocCurve roc_curve(const std::vector<int>& labels, const std::vector<double>& scores, bool drop_intermediate) {
  require_pairs(labels, scores);
  std::vector<double> fps, tps, thresholds;
  clf_curve(labels, scores, fps, tps, thresholds);
  if (tps.back() == 0 || fps.back() == 0) {
    throw InvalidArgument("labels", "the ROC curve needs both fake (1) and real (0) examples");
  }
  if (drop_intermediate && fps.size() > 2) {
    // Keep the ends and every point where the curve bends (second differences not both zero).
    std::vector<double> f, t, th;
    for (size_t i = 0; i < fps.size(); ++i) {
      const bool end = i == 0 || i + 1 == fps.size();
      const bool bends = !end && (fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0);
      if (end || bends) {
        f.push_back(fps[i]);
        t.push_back(tps[i]);
        th.push_back(thresholds[i]);
      }
    }
    fps.swap(f);
    tps.swap(t);
    thresholds.swap(th);
  }
  RocCurve roc;
  roc.thresholds.push_back(thresholds.front() + 1);
  roc.fpr.push_back(0.0);
  roc.tpr.push_back(0.0);
  for (size_t i = 0; i < fps.size(); ++i) {
    roc.fpr.push_back(fps[i] / fps.back());
    roc.tpr.push_back(tps[i] / tps.back());
    roc.thresholds.push_back(thresholds[i]);
  }
  return roc;
}

double roc_auc(const std::vector<int>& labels, const std::vector<double>& scores) {
  const RocCurve roc = roc_curve(labels, scores, true);
  return trapezoid(roc.fpr, roc.tpr);
}

double log_loss(const std::vector<int>& labels, const std::vector<double>& scores, double eps) {
  require_pairs(labels, scores);
  if (!(eps > 0 && eps < 0.5)) throw InvalidArgument("eps", "must be in (0, 0.5)");
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = std::clamp(scores[i], eps, 1 - eps);
    const double sum = (1 - p) + p;  // scikit-learn renormalises the row [1 - p, p]
    total += -std::log((labels[i] == 1 ? p : 1 - p) / sum);
  }
  return total / static_cast<double>(labels.size());
}

Confusion confusion(const std::vector<int>& labels, const std::vector<double>& scores, double threshold, bool strict) {
  require_pairs(labels, scores);
  Confusion c;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool called_fake = strict ? scores[i] > threshold : scores[i] >= threshold;
    if (labels[i] == 1) (called_fake ? c.tp : c.fn)++;
    else (called_fake ? c.fp : c.tn)++;
  }
  return c;
}

double accuracy(const Confusion& c) {
  const long n = c.tp + c.fp + c.tn + c.fn;
  return n ? double(c.tp + c.tn) / n : 0.0;
}
double precision(const Confusion& c) { return c.tp + c.fp ? double(c.tp) / (c.tp + c.fp) : 0.0; }
double recall(const Confusion& c) { return c.tp + c.fn ? double(c.tp) / (c.tp + c.fn) : 0.0; }
double f1(const Confusion& c) {
  const double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double tpr_at_fpr(const std::vector<int>& labels, const std::vector<double>& scores, double max_fpr) {
  if (!(max_fpr >= 0 && max_fpr <= 1)) throw InvalidArgument("max_fpr", "must be in [0, 1]");
  const RocCurve roc = roc_curve(labels, scores, false);
  double best = 0;
  for (size_t i = 0; i < roc.fpr.size(); ++i) {
    if (roc.fpr[i] <= max_fpr) best = std::max(best, roc.tpr[i]);
  }
  return best;
}

double equal_error_rate(const std::vector<int>& labels, const std::vector<double>& scores) {
  const RocCurve roc = roc_curve(labels, scores, false);
  // fnr - fpr goes from 1 (at fpr 0, tpr 0) to -1 (at fpr 1, tpr 1): find where it changes sign.
  for (size_t i = 1; i < roc.fpr.size(); ++i) {
    const double before = (1 - roc.tpr[i - 1]) - roc.fpr[i - 1], after = (1 - roc.tpr[i]) - roc.fpr[i];
    if (after <= 0) {
      const double t = before == after ? 0.0 : before / (before - after);
      return roc.fpr[i - 1] + t * (roc.fpr[i] - roc.fpr[i - 1]);
    }
  }
  return 1.0;
}

void write_dfdc_submission(const std::string& path, const std::vector<std::pair<std::string, double>>& rows) {
  write_submission(path, "filename,label", rows);
}

void write_ffdv_submission(const std::string& path, const std::vector<std::pair<std::string, double>>& rows) {
  write_submission(path, "video_name,score", rows);
}

}  // namespace dfd::metrics
